//! Webhook sources over HTTP: the built-in status callbacks at
//! `POST /api/v1/webhooks/status`, and every source registered on the
//! builder at `POST /api/v1/webhooks/{name}`. Both go through
//! [`crate::webhooks::serve`].

use std::sync::Arc;

use poem::{Body, Request, web::RemoteAddr};
use poem_openapi::{ApiResponse, OpenApi, param::Path, payload::Json};

use super::{
    ApiTags,
    error::{ErrorBody, storage_unavailable},
    state::AppState,
};
use crate::webhooks::{Accepted, ServeError, WebhookError, WebhookHandler, WebhookRequest, serve};

/// Largest accepted body.
const MAX_BODY: usize = 1024 * 1024;

/// Webhook source routes.
pub struct WebhookSourcesApi {
    state: Arc<AppState>,
}

/// Answers of a webhook source.
#[derive(ApiResponse)]
pub enum SourceResponse {
    /// Stored durably (duplicates recognised); the actors apply it within milliseconds.
    #[oai(status = 202)]
    Accepted(Json<Accepted>),
    /// Not JSON, or not the expected shape.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Unsigned, wrongly signed, or timestamp outside ±5 minutes.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// No such source.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Body larger than 1 MiB.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// Invalid content (an unknown status, a bad message id, a batch too big).
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// The source is not configured, or the event log cannot store now.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl SourceResponse {
    fn outcome(&self) -> &'static str {
        match self {
            SourceResponse::Accepted(body) if body.stored == 0 => "duplicate",
            SourceResponse::Accepted(_) => "stored",
            SourceResponse::BadRequest(_) => "bad_request",
            SourceResponse::Unauthorized(_) => "unauthorized",
            SourceResponse::NotFound(_) => "not_found",
            SourceResponse::TooLarge(_) => "body_too_large",
            SourceResponse::Invalid(_) => "invalid",
            SourceResponse::Unavailable(_) => "unavailable",
        }
    }
}

impl WebhookSourcesApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    async fn run(
        &self,
        source: &dyn WebhookHandler,
        request: &Request,
        remote: &RemoteAddr,
        body: Body,
    ) -> SourceResponse {
        let response = match body.into_bytes_limit(MAX_BODY).await {
            Err(_) => SourceResponse::TooLarge(ErrorBody::new("body_too_large", "at most 1 MiB", None)),
            Ok(body) => {
                let webhook_request = WebhookRequest {
                    raw_query: request.uri().query().unwrap_or("").to_owned(),
                    headers: request.headers().clone(),
                    body,
                    source_ip: remote.as_socket_addr().map(|address| address.ip().to_string()),
                };
                match serve(source, &webhook_request, &self.state.event_log).await {
                    Ok(accepted) => SourceResponse::Accepted(Json(accepted)),
                    Err(ServeError::Storage) => SourceResponse::Unavailable(storage_unavailable()),
                    Err(ServeError::Refused(refusal)) => refused(refusal),
                }
            }
        };
        self.state.ingestor.counters().record(source.name(), "webhook", response.outcome());
        response
    }
}

fn refused(error: WebhookError) -> SourceResponse {
    match error {
        WebhookError::Unauthorized(reason) => {
            SourceResponse::Unauthorized(ErrorBody::new("unauthorized", reason, None))
        }
        WebhookError::BadRequest(reason) => {
            SourceResponse::BadRequest(ErrorBody::new("invalid_json", reason, None))
        }
        WebhookError::Invalid(reason) => {
            SourceResponse::Invalid(ErrorBody::new("invalid_content", reason, None))
        }
        WebhookError::Unavailable(reason) => {
            SourceResponse::Unavailable(ErrorBody::new("not_configured", reason, None))
        }
    }
}

#[OpenApi(tag = "ApiTags::Messages")]
impl WebhookSourcesApi {
    /// Receive status callbacks
    ///
    /// JSON `{message_id, status, recipient?, occurred_at?, detail?}` or an
    /// array of up to 1000, signed per Standard Webhooks with the
    /// `STATUS_WEBHOOK_SECRET`. The `webhook-id` makes retries idempotent.
    /// The first observation of an unknown message id creates it.
    #[oai(path = "/api/v1/webhooks/status", method = "post", operation_id = "receiveStatusCallbacks")]
    async fn receive_status(&self, request: &Request, remote: &RemoteAddr, body: Body) -> SourceResponse {
        let source = Arc::clone(&self.state.status_source);
        self.run(source.as_ref(), request, remote, body).await
    }

    /// Receive a custom webhook
    ///
    /// Any source registered on the application builder (a `WebhookHandler`):
    /// it verifies the signature and turns the request into events, which are
    /// stored, deduplicated and tracked like every other callback.
    #[oai(path = "/api/v1/webhooks/:name", method = "post", operation_id = "receiveCustomWebhook")]
    async fn receive_custom(
        &self,
        name: Path<String>,
        request: &Request,
        remote: &RemoteAddr,
        body: Body,
    ) -> SourceResponse {
        let Some(source) = self.state.webhook_sources.iter().find(|source| source.name() == name.0).cloned()
        else {
            return SourceResponse::NotFound(ErrorBody::new(
                "not_found",
                format!("no webhook source named {}", name.0),
                None,
            ));
        };
        self.run(source.as_ref(), request, remote, body).await
    }
}
