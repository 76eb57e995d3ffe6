//! Building the application: one builder wires storage, actors and HTTP and
//! binds the listener, so tests can start it on port 0 and ask its port.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use pmc_actors::{
    HandlerRegistry, InteractionHandler, Status, StatusHandler, SupervisorSettings, WriterSettings,
};
use poem::{
    EndpointExt,
    listener::{AcceptorExt, BoxAcceptor, TcpAcceptor},
};

use crate::{
    accounts::{AccountRoutes, Accounts, reload::SettingsSource},
    api::{
        self,
        state::{AppState, ExternalBackends},
    },
    background::Background,
    cache::StatusCache,
    configuration::{ConfigError, Settings, StorageMode},
    event_log::{self, EventLog, EventLogError},
    events_view::{EventsView, SharedEvents},
    forwarding::Forwarding,
    outbound::Outbound,
    raw_log::{RawLog, RawLogReader},
    retention::{Consumers, DiskGauge, PruneCounters, Retention},
    security::{ApiTokens, CallbackGuard, TlsError, TlsFiles},
    suite::{self, AuthorisedCorps, SuiteDirectory, SuiteKeeper, SuiteStore},
    tracking::{self, PipelineParts, ReplicaClaims, SqlTrackingStore, TrackingPipeline},
    webhooks::{self, CallbackCounters, WebhookHandler, status::StatusWebhookSource},
};

mod application;
mod robots;
mod storage;

use self::storage::mysql_url;
pub use self::{
    application::{Application, shutdown_signal},
    storage::migrate,
};

/// Why the service could not start or stopped badly.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The event log could not be opened.
    #[error("cannot open the event log: {0}")]
    EventLog(#[from] EventLogError),
    /// The tracking store could not be opened.
    #[error("cannot open the tracking store: {0}")]
    Tracking(#[from] pmc_actors::StoreError),
    /// Tracking (migrations, checkpoint, actors) could not start.
    #[error("cannot start tracking: {0}")]
    Pipeline(#[from] tracking::pipeline::PipelineError),
    /// The send queue could not be opened.
    #[error("cannot open the send queue: {0}")]
    Outbound(#[from] crate::outbound::OutboundError),
    /// A webhook source's name is invalid, reserved or used twice.
    #[error("webhook source name {0:?}: use 1-40 of [a-z0-9_-], unique, not handlers/wechat/status")]
    WebhookSource(String),
    /// The API tokens are unusable, or the generated one cannot be stored.
    #[error(transparent)]
    ApiTokens(#[from] crate::security::ApiTokenError),
    /// The TLS certificate or key is unusable.
    #[error(transparent)]
    Tls(#[from] TlsError),
    /// The listener could not be bound or the server failed.
    #[error("HTTP server: {0}")]
    Http(#[from] std::io::Error),
    /// The background runtime's threads could not be started.
    #[error("cannot start the background threads: {0}")]
    Background(std::io::Error),
}

/// Collects user handlers, then builds the [`Application`].
pub struct ApplicationBuilder {
    settings: Settings,
    handlers: HandlerRegistry,
    sources: Vec<Arc<dyn WebhookHandler>>,
    reload: Option<SettingsSource>,
    robot_clock: crate::robot::Clock,
    reply_handler: Option<Arc<dyn crate::replies::ReplyHandler>>,
    reply_deadline: std::time::Duration,
}

impl ApplicationBuilder {
    /// Calls `handler` whenever a recipient reaches `status` (the seed's
    /// `tracker.add_status_callback(MessageStatusType.X, f)`).
    pub fn on_status(mut self, name: &str, status: Status, handler: impl StatusHandler) -> Self {
        self.handlers.on_status(name, Some(status), Arc::new(handler));
        self
    }

    /// Calls `handler` on every status change.
    pub fn on_any_status(mut self, name: &str, handler: impl StatusHandler) -> Self {
        self.handlers.on_status(name, None, Arc::new(handler));
        self
    }

    /// Calls `handler` for every user interaction (the seed's
    /// `tracker.add_interaction_callback(f)`).
    pub fn on_interaction(mut self, name: &str, handler: impl InteractionHandler) -> Self {
        self.handlers.on_interaction(name, Arc::new(handler));
        self
    }

    /// On SIGHUP, loads the settings with `source` and takes their
    /// `accounts:` (see [`crate::accounts::reload`]). `pmc-webhook serve`
    /// reloads the way it loaded at start.
    pub fn reload_accounts_on_sighup(mut self, source: SettingsSource) -> Self {
        self.reload = Some(source);
        self
    }

    /// Judges robot streams' keepalive and deadline and `response_url`
    /// expiry by `clock` instead of the system's (tests move time by hand).
    pub fn robot_clock(mut self, clock: crate::robot::Clock) -> Self {
        self.robot_clock = clock;
        self
    }

    /// Shapes passive replies with `handler` before the accounts' `replies:`
    /// rules (see [`crate::replies`]); it has 200 ms unless
    /// [`Self::reply_handler_deadline`] says otherwise.
    pub fn reply_handler(mut self, handler: impl crate::replies::ReplyHandler) -> Self {
        self.reply_handler = Some(Arc::new(handler));
        self
    }

    /// How long the reply handler has to decide before the rules do.
    pub fn reply_handler_deadline(mut self, deadline: std::time::Duration) -> Self {
        self.reply_deadline = deadline;
        self
    }

    /// Mounts a webhook source at `POST /api/v1/webhooks/{name}` (the
    /// seed's custom `BaseWebhookHandler`).
    pub fn webhook_handler(mut self, source: impl WebhookHandler) -> Self {
        self.sources.push(Arc::new(source));
        self
    }

    /// Opens storage, starts the actors, replays what the actors had not yet
    /// stored, and binds the listener.
    pub async fn build(self) -> Result<Application, StartupError> {
        let mut names = std::collections::HashSet::new();
        for source in &self.sources {
            if !webhooks::valid_name(source.name()) || !names.insert(source.name().to_owned()) {
                return Err(StartupError::WebhookSource(source.name().to_owned()));
            }
        }
        let settings = self.settings;
        // main does this already; an embedding (or a test) may not have.
        crate::security::install_crypto_provider();
        // Checked first: a bad certificate must stop the start before anything opens.
        let tls = match TlsFiles::from_settings(&settings.security.tls)? {
            Some(files) => {
                let config = files.load()?;
                Some((files, config))
            }
            None => None,
        };
        let accounts = Arc::new(Accounts::from_settings(&settings)?);
        report_accounts(&accounts);

        std::fs::create_dir_all(&settings.storage.data_dir).map_err(|error| EventLogError::DataDir {
            path: settings.storage.data_dir.clone(),
            reason: error.to_string(),
        })?;
        let instance = event_log::instance_id(&settings.storage.data_dir)?;
        let (api_tokens, generated_api_token) =
            ApiTokens::load_or_generate(&settings.security.api_tokens, &settings.storage.data_dir)?;
        if let Some(generated) = &generated_api_token {
            tracing::warn!(
                file = %generated.path.display(),
                "No API token configured (PMC_API_TOKENS): generated one for the management API; it is \
                 printed once on standard error and kept in this file."
            );
        }
        // Tracking, forwarding, sending and the raw log run there; the
        // event log's committer and the HTTP front end stay here, ahead of them.
        let background =
            Background::start(settings.tracking.background_threads, settings.tracking.background_nice)
                .map_err(StartupError::Background)?;
        let cache = match settings.storage.mode {
            StorageMode::External => StatusCache::connect(&settings.redis).map_err(|error| {
                ConfigError::Invalid { key: "redis.url", env: "REDIS_URL", reason: error.to_string() }
            })?,
            StorageMode::Embedded => StatusCache::disabled(),
        };
        // External: connections are made on first use, so an unreachable
        // MySQL delays tracking, never the start (see tracking::pipeline).
        // Opened from a background thread, so that SQLite's connection
        // workers inherit its lower priority.
        let store = {
            let (mode, data_dir, instance) =
                (settings.storage.mode, settings.storage.data_dir.clone(), instance.clone());
            let url = match mode {
                StorageMode::External => Some(mysql_url(&settings)?),
                StorageMode::Embedded => None,
            };
            background
                .run(async move {
                    match url {
                        None => SqlTrackingStore::open_sqlite(&data_dir, &instance).await,
                        Some(url) => SqlTrackingStore::mysql(&url, &instance).await,
                    }
                })
                .await?
        };
        let store = if cache.enabled() {
            let invalidating = cache.clone();
            store.with_write_hook(Arc::new(move |changed| invalidating.invalidate(changed)))
        } else {
            store
        };
        // The commit hook is only a notification; the feeder reads the log itself.
        let (hook, head_notifications) = tracking::commit_notifier();
        let event_log = EventLog::open(&settings.storage, hook).await?;
        let tracking_settings = &settings.tracking;
        let claims = store.is_shared().then(|| ReplicaClaims {
            store: store.clone(),
            cache: cache.clone(),
            window: Duration::from_secs(settings.storage.dedupe_window_secs),
        });
        // Suites: the corps authorised before this start are in memory
        // before the routes serve (a moment at most: an unreachable or not
        // yet migrated MySQL is left to the keeper's reloads).
        let suite_corps = AuthorisedCorps::default();
        let suites = Arc::new(SuiteDirectory::new(
            Arc::clone(&accounts),
            SuiteStore::new(store.connection().clone()),
            suite_corps.clone(),
            cache.clone(),
        ));
        if let Ok(Ok(corps)) =
            tokio::time::timeout(Duration::from_secs(2), suite::keeper::load_authorised(&suites)).await
        {
            tracing::debug!(corps, "Authorised suite corps loaded.");
        }
        let suite_keeper = background.enter(|| {
            SuiteKeeper::start(Arc::clone(&suites), event_log.clone(), head_notifications.clone(), &instance)
        });
        let outbound = {
            let (settings, accounts, event_log, commits, cache, scope, suites) = (
                settings.clone(),
                Arc::clone(&accounts),
                event_log.clone(),
                head_notifications.clone(),
                cache.clone(),
                store.scope().to_owned(),
                Arc::clone(&suites),
            );
            background
                .run(async move {
                    Outbound::start(&settings, &accounts, event_log, commits, cache, &scope, claims, suites)
                        .await
                })
                .await?
        };
        outbound.outbound().attach_kf_sessions(crate::kf::KfSessions::new(store.connection().clone()));
        let kf_puller = background.enter(|| {
            crate::kf::KfPuller::start(crate::kf::Parts {
                outbound: outbound.outbound(),
                event_log: event_log.clone(),
                db: store.connection().clone(),
                lease: robots::lease_store(&settings, &cache, &store, &instance),
                commits: head_notifications.clone(),
                instance: instance.clone(),
                poll_every: Duration::from_secs(settings.kf.poll_secs.max(1)),
            })
        });
        let forwarding = background.enter(|| {
            Forwarding::start(&settings.forwarding, store.clone(), event_log.clone(), instance.clone())
        });
        let parts = PipelineParts {
            store: store.clone(),
            event_log: event_log.clone(),
            commits: head_notifications,
            settings: SupervisorSettings {
                idle_timeout: Duration::from_secs(tracking_settings.idle_timeout_secs),
                max_live_actors: tracking_settings.max_live_actors,
                callback_actors: tracking_settings.callback_actors,
                writer: WriterSettings {
                    max_rows: tracking_settings.writer_max_rows,
                    max_delay: Duration::from_millis(tracking_settings.writer_max_delay_ms),
                },
                ..SupervisorSettings::default()
            },
            handlers: self.handlers,
            claim_cache: cache.clone(),
            dedupe_window: Duration::from_secs(settings.storage.dedupe_window_secs),
        };
        let pipeline = match settings.storage.mode {
            StorageMode::Embedded => background.run(TrackingPipeline::start(parts)).await?,
            StorageMode::External => background.enter(|| TrackingPipeline::start_in_background(parts)),
        };
        tracing::info!(
            mode = settings.storage.mode.as_str(),
            event_log = %settings.storage.data_dir.join("events.db").display(),
            tracking = store.backend_name(),
            "Storage ready: the local event log acknowledges; tracking is stored in {}.",
            store.backend_name()
        );
        let raw_log = match settings.storage.mode {
            StorageMode::External => {
                background.enter(|| RawLog::start(&settings.mongodb, event_log.clone(), instance.clone()))
            }
            StorageMode::Embedded => None,
        };
        // External: every replica's events in MySQL, for one view behind a load balancer.
        let (events_view, shared_events) = match settings.storage.mode {
            StorageMode::External => {
                let db = store.connection().clone();
                let view =
                    background.enter(|| EventsView::start(db.clone(), event_log.clone(), instance.clone()));
                (Some(view), Some(SharedEvents::new(db)))
            }
            StorageMode::Embedded => (None, None),
        };
        let raw_log_reader = match (&raw_log, settings.mongodb.url()) {
            (Some(_), Some(url)) => match RawLogReader::new(&url, &settings.mongodb.database).await {
                Ok(reader) => Some(reader),
                Err(error) => {
                    tracing::warn!(endpoint = %url, error = %error, "The raw log cannot be read back; /api/v1/events reads the local event log.");
                    None
                }
            },
            _ => None,
        };

        let disk = Arc::new(DiskGauge::new(&settings.storage.data_dir, settings.storage.min_free_bytes));
        let pruned = Arc::new(PruneCounters::default());
        let retention = {
            let consumers = Consumers {
                store: store.clone(),
                outbound: outbound.outbound(),
                raw_log: raw_log.as_ref().map(RawLog::watch),
                events_view: events_view.as_ref().map(EventsView::watch),
                suites: suite_keeper.watch(),
                kf: kf_puller.watch(),
            };
            let (event_log, disk, pruned) = (event_log.clone(), Arc::clone(&disk), Arc::clone(&pruned));
            background
                .enter(|| Retention::start(&settings.storage.retention, event_log, consumers, disk, pruned))
        };
        let status_verifiers = settings.status_webhook.verifiers()?;
        let counters = Arc::new(CallbackCounters::default());
        cache.share_counters(store.scope(), Arc::clone(&counters));
        let robots::Robots { conversations, replier, long_connections } = background.enter(|| {
            robots::start(robots::Parts {
                settings: &settings,
                accounts: &accounts,
                cache: &cache,
                store: &store,
                instance: &instance,
                event_log: &event_log,
                counters: &counters,
                clock: self.robot_clock,
                reply_handler: self.reply_handler,
                reply_deadline: self.reply_deadline,
            })
        });
        outbound.outbound().attach_long_connections(long_connections.clone());
        let state = Arc::new(AppState {
            accounts: arc_swap::ArcSwap::from_pointee(AccountRoutes::new(
                accounts,
                &suite_corps,
                settings.security.timestamp_window_secs,
                &conversations,
                &replier,
            )),
            conversations,
            replier,
            long_connections: long_connections.clone(),
            suite_corps,
            suites: Arc::clone(&suites),
            counters,
            event_log: event_log.clone(),
            tracking: store,
            supervisor: pipeline.watch(),
            status_source: Arc::new(StatusWebhookSource::new(status_verifiers)),
            webhook_sources: self.sources,
            started_at: Instant::now(),
            started_at_utc: chrono::Utc::now(),
            service_name: settings.service.name.clone(),
            service_version: settings.service.version.clone(),
            data_dir: settings.storage.data_dir.clone(),
            external_backends: ExternalBackends::from_settings(&settings),
            storage_mode: settings.storage.mode,
            cache,
            raw_log: raw_log.as_ref().map(RawLog::watch),
            raw_log_reader,
            events_view: events_view.as_ref().map(EventsView::watch),
            shared_events,
            disk,
            pruned,
            instance,
            outbound: outbound.outbound(),
            forwarding: forwarding.forwarding(),
            max_body_bytes: settings.webhook.max_body_bytes,
            api_tokens: Arc::new(api_tokens),
            callback_guard: Arc::new(CallbackGuard::from_settings(&settings.security).map_err(|reason| {
                ConfigError::Invalid { key: "security.callback_ips", env: "PMC_CALLBACK_IPS", reason }
            })?),
            max_api_body_bytes: settings.security.max_api_body_bytes,
            request_timeout: Duration::from_secs(settings.webhook.request_timeout_secs.max(1)),
        });
        let listener =
            tokio::net::TcpListener::bind((settings.webhook.host.as_str(), settings.webhook.port)).await?;
        let local_addr = listener.local_addr()?;
        let plain = TcpAcceptor::from_tokio(listener)?;
        let https = tls.is_some();
        let acceptor: BoxAcceptor = match tls {
            Some((files, config)) => plain.rustls(files.watch(config)).boxed(),
            None => plain.boxed(),
        };
        if let Some(source) = self.reload {
            crate::accounts::reload::watch_sighup(Arc::clone(&state), source);
        }
        let endpoint = api::routes(state, &settings.service.version).map_to_response().boxed();
        Ok(Application {
            data_dir: settings.storage.data_dir.clone(),
            generated_api_token,
            local_addr,
            acceptor,
            https,
            idle_timeout: Duration::from_secs(settings.webhook.idle_timeout_secs.max(1)),
            endpoint,
            event_log,
            raw_log,
            events_view,
            retention,
            outbound,
            forwarding,
            suites,
            suite_keeper,
            kf_puller,
            pipeline,
            background,
            drain_timeout: Duration::from_secs(settings.tracking.shutdown_drain_secs),
            shutdown_timeout: Duration::from_secs(settings.webhook.shutdown_timeout_secs),
            long_connections,
        })
    }
}

fn report_accounts(accounts: &Accounts) {
    for account in accounts.iter() {
        let route = account.route();
        match (&account.callback, account.enabled) {
            (_, false) => {
                tracing::info!(account = %account.id, kind = account.kind.as_str(), "Account disabled.")
            }
            (Ok(_), true) => {
                tracing::info!(account = %account.id, kind = account.kind.as_str(), route, "Account ready.")
            }
            (Err(reason), true) => tracing::warn!(
                account = %account.id,
                kind = account.kind.as_str(),
                reason = %reason,
                "Account has no callback credentials: its routes answer 503 until they are configured."
            ),
        }
    }
}
