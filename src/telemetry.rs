//! Logging: `tracing` with a human format by default, JSON on request.

use tracing_subscriber::{EnvFilter, fmt};

use crate::configuration::{LogFormat, LogSettings};

/// Installs the global subscriber. Fails on an invalid `log.level` filter.
pub fn init(settings: &LogSettings) -> Result<(), String> {
    let filter = EnvFilter::try_new(&settings.level).map_err(|error| {
        format!("invalid log.level (LOG_LEVEL / --log-level) {:?}: {error}", settings.level)
    })?;
    let builder = fmt().with_env_filter(filter).with_target(false);
    let result = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
    result.map_err(|error| format!("cannot install the log subscriber: {error}"))
}
