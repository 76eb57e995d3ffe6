//! Starting tracking: make the schema current, read the checkpoint, start
//! the actor tree and the feeder. Embedded, that happens before the service
//! answers (a local file cannot be "down"). External, it happens in the
//! background and is retried while MySQL is unreachable: the service starts
//! degraded — it acknowledges callbacks into the local event log from the
//! first second, and tracking catches up from the checkpoint once MySQL
//! answers.

use std::{sync::Arc, time::Duration};

use pmc_actors::{
    ActorSystem, ActorSystemConfig, ActorSystemError, HandlerRegistry, StoreError, SupervisorHandle,
    SupervisorSettings,
};
use tokio::{
    sync::{Mutex, watch},
    task::JoinHandle,
};

use super::{Feeder, ReplicaClaims, SqlTrackingStore};
use crate::event_log::EventLog;

/// What starting tracking needs.
pub struct PipelineParts {
    /// The tracking store (its connection may not be up yet).
    pub store: SqlTrackingStore,
    /// The event log to feed from.
    pub event_log: EventLog,
    /// Commit notifications from the event log.
    pub commits: watch::Receiver<i64>,
    /// Actor tuning.
    pub settings: SupervisorSettings,
    /// User handlers.
    pub handlers: HandlerRegistry,
    /// Where claims of callbacks are cached (Redis; disabled embedded).
    pub claim_cache: super::ClaimCache,
    /// The event log's dedupe window: how long claims are kept.
    pub dedupe_window: Duration,
}

/// Why tracking could not start.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    /// The store could not be migrated or read.
    #[error("tracking store: {0}")]
    Store(#[from] StoreError),
    /// The actors could not start.
    #[error("actors: {0}")]
    Actors(#[from] ActorSystemError),
}

struct Running {
    actors: ActorSystem,
    feeder: Feeder,
}

/// Tracking, running or starting.
pub struct TrackingPipeline {
    supervisor: watch::Receiver<Option<SupervisorHandle>>,
    running: Arc<Mutex<Option<Running>>>,
    starter: Option<JoinHandle<()>>,
}

impl TrackingPipeline {
    /// Starts tracking now; any error is returned.
    pub async fn start(parts: PipelineParts) -> Result<Self, PipelineError> {
        let (publish, supervisor) = watch::channel(None);
        let running = start_once(parts).await?;
        publish.send_replace(Some(running.actors.handle()));
        Ok(Self { supervisor, running: Arc::new(Mutex::new(Some(running))), starter: None })
    }

    /// Starts tracking in the background, retrying with backoff while the
    /// store is unreachable.
    pub fn start_in_background(parts: PipelineParts) -> Self {
        let (publish, supervisor) = watch::channel(None);
        let running = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&running);
        let starter = tokio::spawn(async move {
            let mut delay = Duration::from_millis(200);
            let mut attempt = 1u32;
            loop {
                match prepare(&parts.store).await {
                    Ok(checkpoint) => {
                        match launch(parts, checkpoint).await {
                            Ok(started) => {
                                publish.send_replace(Some(started.actors.handle()));
                                *slot.lock().await = Some(started);
                                tracing::info!("Tracking started; catching up from the checkpoint.");
                            }
                            Err(error) => tracing::error!(error = %error, "Tracking could not start."),
                        }
                        return;
                    }
                    Err(error) => {
                        tracing::warn!(attempt, endpoint = %parts.store.endpoint(), error = %error, "Tracking store unreachable; callbacks are still acknowledged, tracking waits.");
                        tokio::time::sleep(delay).await;
                        delay = (delay * 2).min(Duration::from_secs(10));
                        attempt += 1;
                    }
                }
            }
        });
        Self { supervisor, running, starter: Some(starter) }
    }

    /// A way to reach the supervisor, shared with the API.
    pub fn watch(&self) -> watch::Receiver<Option<SupervisorHandle>> {
        self.supervisor.clone()
    }

    /// Feeds what is committed, then drains the actors (at most `timeout`);
    /// a start still waiting for the store is abandoned (the next start
    /// replays from the checkpoint).
    pub async fn shutdown(self, timeout: Duration) {
        if let Some(starter) = self.starter {
            starter.abort();
            let _ = starter.await;
        }
        let Some(running) = self.running.lock().await.take() else {
            tracing::warn!("Tracking never started (its store was unreachable); nothing to drain.");
            return;
        };
        running.feeder.close(timeout).await;
        tracing::info!("Event log fed; draining actors.");
        if let Err(error) = running.actors.shutdown(timeout).await {
            tracing::error!(error = %error, "Actors did not drain in time; the next start replays the rest.");
        }
    }
}

/// Makes the schema current and reads the checkpoint.
async fn prepare(store: &SqlTrackingStore) -> Result<i64, StoreError> {
    store.migrate().await?;
    store.checkpoint().await
}

async fn start_once(parts: PipelineParts) -> Result<Running, PipelineError> {
    let checkpoint = prepare(&parts.store).await?;
    launch(parts, checkpoint).await
}

async fn launch(parts: PipelineParts, checkpoint: i64) -> Result<Running, PipelineError> {
    // A store replicas may share: claim each callback before applying it.
    let claims = parts.store.is_shared().then(|| ReplicaClaims {
        store: parts.store.clone(),
        cache: parts.claim_cache.clone(),
        window: parts.dedupe_window,
    });
    let actors = ActorSystem::start(ActorSystemConfig {
        settings: parts.settings,
        store: Arc::new(parts.store),
        handlers: parts.handlers,
        checkpoint,
    })
    .await?;
    let feeder = Feeder::start(parts.event_log, actors.handle(), checkpoint, parts.commits, claims);
    Ok(Running { actors, feeder })
}
