//! `GET /health`: liveness plus readiness of the event log.

use std::{sync::Arc, time::Duration};

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::{ApiTags, state::AppState};

/// Health routes.
pub struct HealthApi {
    state: Arc<AppState>,
}

/// Health of the service.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct HealthBody {
    /// `ok`; `degraded` when callbacks are acknowledged but a backend is
    /// down or behind (still 200: the load balancer should keep sending);
    /// `unavailable` (503) when callbacks cannot be acknowledged.
    pub status: String,
    /// The event log committer is running and its last commit succeeded.
    pub event_log_ready: bool,
    /// A read from the event log succeeded just now.
    pub event_log_readable: bool,
    /// The last commit error, if the last commit failed.
    pub last_error: Option<String>,
    /// What the event log has that a backend does not have yet.
    pub backends: Vec<BackendHealth>,
}

/// One backend fed from the event log.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BackendHealth {
    /// `tracking` (the actors' store), `mongodb` (the raw log),
    /// `events_view` (the shared events view in MySQL), or `disk` (free
    /// space of the data directory against `storage.min_free_bytes`).
    pub name: String,
    /// Its last write or check succeeded.
    pub healthy: bool,
    /// Events committed locally and not yet applied there.
    pub backlog: i64,
}

/// A backlog this large counts as "behind" even while writes succeed.
const BEHIND: i64 = 10_000;

/// `/health` answers.
#[derive(ApiResponse)]
pub enum HealthResponse {
    /// Ready.
    #[oai(status = 200)]
    Ok(Json<HealthBody>),
    /// Not ready: callbacks would be refused.
    #[oai(status = 503)]
    Unavailable(Json<HealthBody>),
}

impl HealthApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    async fn backends(&self) -> Vec<BackendHealth> {
        let head = self.state.event_log.head();
        let checkpoint = match self.state.supervisor() {
            Some(supervisor) => {
                supervisor.stats(Duration::from_secs(1)).await.map(|stats| stats.checkpoint).ok()
            }
            None => None,
        };
        let store_up = matches!(
            tokio::time::timeout(Duration::from_secs(2), self.state.tracking.ping()).await,
            Ok(true)
        );
        let mut backends = vec![BackendHealth {
            name: "tracking".to_owned(),
            healthy: store_up && checkpoint.is_some(),
            backlog: checkpoint.map_or(head, |checkpoint| (head - checkpoint).max(0)),
        }];
        if let Some(raw_log) = &self.state.raw_log {
            let shipped = raw_log.borrow().clone();
            backends.push(BackendHealth {
                name: "mongodb".to_owned(),
                healthy: shipped.healthy,
                backlog: (head - shipped.shipped_up_to).max(0),
            });
        }
        if let Some(view) = &self.state.events_view {
            let copied = view.borrow().clone();
            backends.push(BackendHealth {
                name: "events_view".to_owned(),
                healthy: copied.healthy,
                backlog: (head - copied.copied_up_to).max(0),
            });
        }
        backends
    }
}

#[OpenApi(tag = "ApiTags::Operations")]
impl HealthApi {
    /// Liveness and readiness
    ///
    /// 200 when the event log can take callbacks, 503 otherwise.
    #[oai(path = "/health", method = "get", operation_id = "health")]
    async fn health(&self) -> HealthResponse {
        let health = self.state.event_log.health();
        let readable = matches!(
            tokio::time::timeout(Duration::from_secs(2), self.state.event_log.ping()).await,
            Ok(Ok(()))
        );
        // Below half of storage.min_free_bytes callbacks are refused.
        let ready = health.is_ready() && readable && !self.state.disk.is_critical();
        let mut backends = self.backends().await;
        backends.push(BackendHealth {
            name: "disk".to_owned(),
            healthy: !self.state.disk.is_low(),
            backlog: 0,
        });
        let degraded = backends.iter().any(|backend| !backend.healthy || backend.backlog >= BEHIND);
        let body = HealthBody {
            status: match (ready, degraded) {
                (false, _) => "unavailable",
                (true, true) => "degraded",
                (true, false) => "ok",
            }
            .to_owned(),
            backends,
            event_log_ready: health.is_ready(),
            event_log_readable: readable,
            last_error: health
                .snapshot()
                .last_error
                .map(|_| "the last commit failed; see the logs".to_owned()),
        };
        if ready { HealthResponse::Ok(Json(body)) } else { HealthResponse::Unavailable(Json(body)) }
    }
}
