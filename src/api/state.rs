//! What every handler can reach.

use std::{path::PathBuf, sync::Arc, time::Instant};

use pmc_actors::SupervisorHandle;

use crate::{
    accounts::AccountRoutes,
    configuration::Settings,
    event_log::EventLog,
    tracking::SqlTrackingStore,
    webhooks::{CallbackCounters, WebhookHandler},
};

/// Shared, read-only application state (the mutable parts are owned by the
/// event log's committer and the actors, and reached through handles).
pub struct AppState {
    /// Every account and its callback sources; swapped whole when the
    /// accounts are reloaded (SIGHUP).
    pub accounts: arc_swap::ArcSwap<AccountRoutes>,
    /// Robot streams and `response_url`s.
    pub conversations: Arc<crate::robot::Conversations>,
    /// The reply handler and its counters.
    pub replier: Arc<crate::replies::Replier>,
    /// The long connections of `websocket` robot accounts.
    pub long_connections: crate::robot::longconn::LongConnections,
    /// The corps authorised for each suite account.
    pub suite_corps: crate::suite::AuthorisedCorps,
    /// The suites' and their corps' tokens.
    pub suites: Arc<crate::suite::SuiteDirectory>,
    /// Requests answered, by source, type and outcome.
    pub counters: Arc<CallbackCounters>,
    /// The event log (reads).
    pub event_log: EventLog,
    /// The tracking store (reads).
    pub tracking: SqlTrackingStore,
    /// The actor supervisor, once tracking has started (external mode
    /// starts it when MySQL answers).
    pub supervisor: tokio::sync::watch::Receiver<Option<SupervisorHandle>>,
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
    /// The MongoDB raw log's progress, when it runs.
    pub raw_log: Option<tokio::sync::watch::Receiver<crate::raw_log::RawLogState>>,
    /// Reads the raw log (all replicas' events), when MongoDB is configured.
    pub raw_log_reader: Option<crate::raw_log::RawLogReader>,
    /// The shared events view's progress, when it runs (external mode).
    pub events_view: Option<tokio::sync::watch::Receiver<crate::events_view::EventsViewState>>,
    /// Reads the shared events view (every replica's events, MySQL), in external mode.
    pub shared_events: Option<crate::events_view::SharedEvents>,
    /// Free space of the data directory, sampled in the background.
    pub disk: Arc<crate::retention::DiskGauge>,
    /// Rows pruned per table.
    pub pruned: Arc<crate::retention::PruneCounters>,
    /// This replica's instance id (names its events among all replicas').
    pub instance: String,
    /// Sending through WeCom.
    pub outbound: Arc<crate::outbound::Outbound>,
    /// Forwarding events to business systems.
    pub forwarding: Arc<crate::forwarding::Forwarding>,
    /// The Redis status cache (disabled without Redis).
    pub cache: crate::cache::StatusCache,
    /// Embedded or external.
    pub storage_mode: crate::configuration::StorageMode,
    /// Which external backends are configured.
    pub external_backends: ExternalBackends,
    /// Largest callback body accepted.
    pub max_body_bytes: usize,
    /// Who may call the management API.
    pub api_tokens: Arc<crate::security::ApiTokens>,
    /// Who may call the callback routes, and how often.
    pub callback_guard: Arc<crate::security::CallbackGuard>,
    /// Largest management API request body.
    pub max_api_body_bytes: usize,
    /// Longest a request may take, body included.
    pub request_timeout: std::time::Duration,
}

impl AppState {
    /// The supervisor, if tracking is running.
    pub fn supervisor(&self) -> Option<SupervisorHandle> {
        self.supervisor.borrow().clone()
    }

    /// The current accounts and routes.
    pub fn routes(&self) -> Arc<AccountRoutes> {
        self.accounts.load_full()
    }

    /// Every webhook source: the WeCom routes (the seed's two, then one per
    /// account), the status webhook, then the registered ones.
    pub fn all_sources(&self) -> Vec<Arc<dyn WebhookHandler>> {
        let routes = self.routes();
        let mut sources: Vec<Arc<dyn WebhookHandler>> =
            routes.sources().map(|source| Arc::clone(source) as Arc<dyn WebhookHandler>).collect();
        sources.push(Arc::clone(&self.status_source));
        sources.extend(self.webhook_sources.iter().cloned());
        sources
    }
}

/// Whether MySQL, Redis and MongoDB are configured.
#[derive(Debug, Clone, Copy)]
pub struct ExternalBackends {
    /// `MYSQL_HOST` set.
    pub mysql: bool,
    /// `REDIS_HOST` or `REDIS_URL` set.
    pub redis: bool,
    /// `MONGODB_URI` or `MONGODB_HOST` set.
    pub mongodb: bool,
}

impl ExternalBackends {
    /// Reads what is configured.
    pub fn from_settings(settings: &Settings) -> Self {
        Self {
            mysql: settings.mysql.host.is_some(),
            redis: settings.redis.connection_url().is_some(),
            mongodb: settings.mongodb.configured(),
        }
    }
}
