//! The stores behind the service: the tracking store (SQLite embedded,
//! MySQL external) and `pmc-webhook migrate`.

use std::sync::Arc;

use super::StartupError;
use crate::{
    configuration::{ConfigError, Settings, StorageMode},
    event_log::{self, EventLog, EventLogError},
    tracking::SqlTrackingStore,
};

/// Creates or upgrades every configured schema (`pmc-webhook migrate`):
/// the event log, and the tracking store in SQLite or MySQL. Returns what
/// was migrated, one line each.
pub async fn migrate(settings: &Settings) -> Result<Vec<String>, StartupError> {
    std::fs::create_dir_all(&settings.storage.data_dir).map_err(|error| EventLogError::DataDir {
        path: settings.storage.data_dir.clone(),
        reason: error.to_string(),
    })?;
    let store = open_tracking_store(settings).await?;
    let event_log =
        EventLog::open(&settings.storage, Arc::new(|_: &[Arc<event_log::LoggedEvent>]| {})).await?;
    event_log.close().await;
    Ok(vec![
        format!("event log: {} (up to date)", settings.storage.data_dir.join("events.db").display()),
        format!("tracking store: {} (up to date)", store.backend_name()),
    ])
}

async fn open_tracking_store(settings: &Settings) -> Result<SqlTrackingStore, StartupError> {
    let instance = event_log::instance_id(&settings.storage.data_dir)?;
    Ok(match settings.storage.mode {
        StorageMode::Embedded => SqlTrackingStore::open_sqlite(&settings.storage.data_dir, &instance).await?,
        StorageMode::External => SqlTrackingStore::open_mysql(&mysql_url(settings)?, &instance).await?,
    })
}

pub(super) fn mysql_url(settings: &Settings) -> Result<secrecy::SecretString, ConfigError> {
    let url = settings.mysql.url();
    if let Some(url) = &url {
        tracing::info!(endpoint = %url, tls = ?settings.mysql.tls, "MySQL (tracking store).");
    }
    url.map(|url| secrecy::SecretString::from(url.expose().to_owned())).ok_or(ConfigError::Invalid {
        key: "mysql.host",
        env: "MYSQL_HOST",
        reason: "storage.mode external needs MySQL".to_owned(),
    })
}
