//! What every handler can reach.

use std::{path::PathBuf, sync::Arc, time::Instant};

use pmc_actors::SupervisorHandle;

use crate::{
    configuration::Settings, event_log::EventLog, ingest::Ingestor, tracking::SqlTrackingStore,
    webhooks::WebhookHandler,
};

/// Shared, read-only application state (the mutable parts are owned by the
/// event log's committer and the actors, and reached through handles).
pub struct AppState {
    /// The callback pipeline.
    pub ingestor: Ingestor,
    /// The event log (reads).
    pub event_log: EventLog,
    /// The tracking store (reads).
    pub tracking: SqlTrackingStore,
    /// The actor supervisor.
    pub supervisor: SupervisorHandle,
    /// The built-in status-callback source.
    pub status_source: Arc<dyn WebhookHandler>,
    /// Sources registered on the builder, mounted at `/api/v1/webhooks/{name}`.
    pub webhook_sources: Vec<Arc<dyn WebhookHandler>>,
    /// When the service started.
    pub started_at: Instant,
    /// Wall-clock start.
    pub started_at_utc: chrono::DateTime<chrono::Utc>,
    /// Display name.
    pub service_name: String,
    /// Display version.
    pub service_version: String,
    /// Where the event log lives.
    pub data_dir: PathBuf,
    /// Which external backends are configured.
    pub external_backends: ExternalBackends,
    /// Largest callback body accepted.
    pub max_body_bytes: usize,
}

/// Whether MySQL, Redis and MongoDB are configured.
#[derive(Debug, Clone, Copy)]
pub struct ExternalBackends {
    /// `MYSQL_HOST` set.
    pub mysql: bool,
    /// `REDIS_HOST` or `REDIS_URL` set.
    pub redis: bool,
    /// `MONGODB_HOST` set.
    pub mongodb: bool,
}

impl ExternalBackends {
    /// Reads what is configured.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            mysql: settings.mysql.host.is_some(),
            redis: settings.redis.host.is_some() || settings.redis.url.is_some(),
            mongodb: settings.mongodb.host.is_some(),
        }
    }
}
