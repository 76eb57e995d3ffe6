//! Logging: `tracing` with a human format by default, JSON on request
//! (`LOG_FORMAT=json`), optionally also into a daily-rotated file
//! (`LOG_FILE`). Every line written while a request is served carries its
//! request id (see [`RequestIds`]).

use std::future::Future;

use poem::{Endpoint, IntoResponse, Middleware, Request, Response};
use tracing::Instrument;
use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::{EnvFilter, Layer, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::configuration::{LogFormat, LogSettings};

/// Keeps the file writer flushing; drop it last (at exit).
pub struct LogGuard {
    _writer: Option<WorkerGuard>,
}

/// Installs the global subscriber. Fails on an invalid `log.level` filter
/// or a log file that cannot be opened.
pub fn init(settings: &LogSettings) -> Result<LogGuard, String> {
    let filter = EnvFilter::try_new(&settings.level).map_err(|error| {
        format!("invalid log.level (LOG_LEVEL / --log-level) {:?}: {error}", settings.level)
    })?;
    let json = settings.format == LogFormat::Json;
    let stdout = if json {
        fmt::layer().with_target(false).json().flatten_event(true).with_current_span(true).boxed()
    } else {
        fmt::layer().with_target(false).boxed()
    };
    let (file, guard) = match &settings.file {
        Some(path) => {
            let directory =
                path.parent().filter(|dir| !dir.as_os_str().is_empty()).unwrap_or(std::path::Path::new("."));
            std::fs::create_dir_all(directory)
                .map_err(|error| format!("log.file (LOG_FILE) {}: {error}", path.display()))?;
            let name = path
                .file_name()
                .ok_or_else(|| format!("log.file (LOG_FILE) {}: not a file", path.display()))?;
            let appender = tracing_appender::rolling::daily(directory, name);
            let (writer, guard) = tracing_appender::non_blocking(appender);
            let layer = if json {
                fmt::layer()
                    .with_target(false)
                    .with_ansi(false)
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(writer)
                    .boxed()
            } else {
                fmt::layer().with_target(false).with_ansi(false).with_writer(writer).boxed()
            };
            (Some(layer), Some(guard))
        }
        None => (None, None),
    };
    tracing_subscriber::registry()
        .with(filter)
        .with(stdout)
        .with(file)
        .try_init()
        .map_err(|error| format!("cannot install the log subscriber: {error}"))?;
    Ok(LogGuard { _writer: guard })
}

/// Middleware: each request gets an id (its `X-Request-Id` if it sent a
/// sane one, else a new one), a span carrying it — so every log line of the
/// request has it — and the id back in the answer's `X-Request-Id`.
pub struct RequestIds;

impl<E: Endpoint> Middleware<E> for RequestIds {
    type Output = RequestIdEndpoint<E>;

    fn transform(&self, endpoint: E) -> Self::Output {
        RequestIdEndpoint(endpoint)
    }
}

/// [`RequestIds`] around an endpoint.
pub struct RequestIdEndpoint<E>(E);

impl<E: Endpoint> Endpoint for RequestIdEndpoint<E> {
    type Output = Response;

    fn call(&self, request: Request) -> impl Future<Output = poem::Result<Response>> + Send {
        let given = request
            .headers()
            .get("x-request-id")
            .and_then(|value| value.to_str().ok())
            .filter(|id| (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic()))
            .map(str::to_owned);
        let request_id = given.unwrap_or_else(|| format!("{:016x}", rand::random::<u64>()));
        let span = tracing::info_span!("request", request_id = %request_id, method = %request.method(), path = %request.uri().path());
        async move {
            let mut response = self.0.call(request).await?.into_response();
            if let Ok(value) = request_id.parse() {
                response.headers_mut().insert("x-request-id", value);
            }
            Ok(response)
        }
        .instrument(span)
    }
}

/// An error and its causes on one line: a TLS failure's reason (an unknown
/// issuer, a name mismatch) sits several sources below "error sending
/// request", and a log line without it says nothing useful.
pub fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        // Some errors repeat their source in their own message.
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}
