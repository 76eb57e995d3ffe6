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
pub struct HealthBody {
    /// `ok` when callbacks can be acknowledged, else `unavailable`.
    pub status: String,
    /// The event log committer is running and its last commit succeeded.
    pub event_log_ready: bool,
    /// A read from the event log succeeded just now.
    pub event_log_readable: bool,
    /// The last commit error, if the last commit failed.
    pub last_error: Option<String>,
}

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
        let ready = health.is_ready() && readable;
        let body = HealthBody {
            status: if ready { "ok" } else { "unavailable" }.to_owned(),
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
