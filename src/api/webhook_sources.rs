//! Webhook sources over HTTP: the built-in status callbacks at
//! `POST /api/v1/webhooks/status`, and every source registered on the
//! builder at `POST /api/v1/webhooks/{name}`. Both go through
//! [`crate::webhooks::serve`].

use std::sync::Arc;

use poem::{Body, Request, web::RemoteAddr};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::Path,
    payload::{Json, PlainText},
};

use super::callback::webhook_request;
use super::{
    ApiTags,
    error::{ErrorBody, storage_unavailable},
    state::AppState,
};
use crate::webhooks::{Accepted, ServeError, WebhookError, WebhookHandler, serve, serve_url_check};

/// Largest accepted body.
const MAX_BODY: usize = 1024 * 1024;

/// Webhook source routes.
pub struct WebhookSourcesApi {
    state: Arc<AppState>,
}

/// Answers of a webhook source.
#[derive(ApiResponse)]
pub enum SourceResponse {
    /// Stored, and answered with the source's own text (a handshake reply).
    #[oai(status = 200)]
    Replied(PlainText<String>),
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
    /// The source has no URL check (`GET`).
    #[oai(status = 405)]
    NoUrlCheck(Json<ErrorBody>),
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
        let Ok(body) = body.into_bytes_limit(MAX_BODY).await else {
            self.state.counters.record(
                source.name(),
                crate::accounts::DEFAULT_ACCOUNT,
                "unknown",
                "body_too_large",
            );
            return SourceResponse::TooLarge(ErrorBody::new("body_too_large", "at most 1 MiB", None));
        };
        let request = webhook_request(request, remote, body);
        match serve(source, &request, &self.state.event_log, &self.state.counters).await {
            Ok(served) => match served.reply {
                Some(reply) => SourceResponse::Replied(PlainText(reply)),
                None => SourceResponse::Accepted(Json(served.accepted)),
            },
            Err(ServeError::Storage) => SourceResponse::Unavailable(storage_unavailable()),
            Err(ServeError::Quarantined(error)) => SourceResponse::BadRequest(ErrorBody::new(
                "payload_unparseable",
                format!("{error}; kept in quarantine"),
                Some(error.code()),
            )),
            Err(ServeError::Refused(refusal)) => refused(refusal),
        }
    }

    fn find(&self, name: &str) -> Result<Arc<dyn WebhookHandler>, SourceResponse> {
        self.state.webhook_sources.iter().find(|source| source.name() == name).cloned().ok_or_else(|| {
            SourceResponse::NotFound(ErrorBody::new(
                "not_found",
                format!("no webhook source named {name}"),
                None,
            ))
        })
    }
}

fn refused(error: WebhookError) -> SourceResponse {
    match error {
        WebhookError::Unauthorized(reason) => {
            SourceResponse::Unauthorized(ErrorBody::new("unauthorized", reason, None))
        }
        WebhookError::StaleTimestamp(reason) => {
            SourceResponse::Unauthorized(ErrorBody::new("stale_timestamp", reason, None))
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
        WebhookError::NoUrlCheck => {
            SourceResponse::NoUrlCheck(ErrorBody::new("no_url_check", error.to_string(), None))
        }
        WebhookError::Protocol(error) | WebhookError::Quarantine { error, .. } => {
            let kind = if error.code() == -40001 { "signature_mismatch" } else { "malformed_request" };
            SourceResponse::BadRequest(ErrorBody::new(kind, error.to_string(), Some(error.code())))
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
        match self.find(&name.0) {
            Ok(source) => self.run(source.as_ref(), request, remote, body).await,
            Err(response) => response,
        }
    }

    /// Verify a custom webhook's URL
    ///
    /// For sources with a URL handshake (a `WebhookHandler` that implements
    /// `verify_url`): answers the source's text; 405 for sources without one.
    #[oai(path = "/api/v1/webhooks/:name", method = "get", operation_id = "verifyCustomWebhookUrl")]
    async fn verify_custom(
        &self,
        name: Path<String>,
        request: &Request,
        remote: &RemoteAddr,
    ) -> SourceResponse {
        let source = match self.find(&name.0) {
            Ok(source) => source,
            Err(response) => return response,
        };
        let request = webhook_request(request, remote, bytes::Bytes::new());
        match serve_url_check(source.as_ref(), &request, &self.state.counters) {
            Ok(text) => SourceResponse::Replied(PlainText(text)),
            Err(refusal) => refused(refusal),
        }
    }
}
