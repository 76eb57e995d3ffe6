//! `POST /api/v1/webhooks/status`: status callbacks from other systems,
//! signed per Standard Webhooks (`webhook-id`, `webhook-timestamp`,
//! `webhook-signature`; secret `whsec_…` from `STATUS_WEBHOOK_SECRET`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pmc_actors::{MessageId, Status};
use poem::{Body, Request, web::RemoteAddr};
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use serde::Deserialize;

use super::{
    ApiTags,
    error::{ErrorBody, storage_unavailable},
    state::AppState,
};
use crate::{
    event_log::{AppendOutcome, NewEvent},
    tracking::derive::{STATUS_UPDATE_TYPE, STATUS_WEBHOOK_CHANNEL, StatusUpdate},
};

/// Most updates accepted in one request.
const MAX_BATCH: usize = 1000;
/// Largest accepted body.
const MAX_BODY: usize = 1024 * 1024;

/// Status webhook routes.
pub struct StatusWebhookApi {
    state: Arc<AppState>,
}

/// What the sender posts (one object, or an array of them).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusUpdateIn {
    message_id: String,
    status: String,
    recipient: Option<String>,
    occurred_at: Option<DateTime<Utc>>,
    detail: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum StatusUpdatesIn {
    Batch(Vec<StatusUpdateIn>),
    Single(StatusUpdateIn),
}

/// The answer to an accepted request.
#[derive(Debug, Clone, Object)]
pub struct AcceptedBody {
    /// Updates in the request.
    pub accepted: u64,
    /// This `webhook-id` was already received: nothing was stored twice.
    pub duplicate: bool,
}

/// Answers of the status webhook.
#[derive(ApiResponse)]
pub enum StatusWebhookResponse {
    /// Stored durably; the actors apply it within milliseconds.
    #[oai(status = 202)]
    Accepted(Json<AcceptedBody>),
    /// Not JSON, or not the expected shape.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Unsigned, wrongly signed, or timestamp outside ±5 minutes.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Body larger than 1 MiB.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// An invalid status, message id or batch size.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// No secret configured, or the event log cannot store now.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl StatusWebhookApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

fn validate(update: StatusUpdateIn, index: usize) -> Result<StatusUpdate, String> {
    MessageId::parse(&update.message_id).map_err(|reason| format!("[{index}].message_id: {reason}"))?;
    let status = Status::parse(&update.status)
        .ok_or_else(|| format!("[{index}].status: must be one of sent, delivered, read, failed, recalled"))?;
    if update.recipient.as_ref().is_some_and(|r| r.is_empty() || r.len() > 128) {
        return Err(format!("[{index}].recipient: 1 to 128 characters"));
    }
    Ok(StatusUpdate {
        message_id: update.message_id,
        status,
        recipient: update.recipient,
        occurred_at_ms: update.occurred_at.map(|time| time.timestamp_millis()),
        detail: update.detail.map(|detail| detail.chars().take(1000).collect()),
    })
}

#[OpenApi(tag = "ApiTags::Messages")]
impl StatusWebhookApi {
    /// Receive status callbacks
    ///
    /// JSON `{message_id, status, recipient?, occurred_at?, detail?}` or an
    /// array of up to 1000, signed per Standard Webhooks with the
    /// `STATUS_WEBHOOK_SECRET`. The `webhook-id` makes retries idempotent.
    /// The first observation of an unknown message id creates it.
    #[oai(path = "/api/v1/webhooks/status", method = "post", operation_id = "receiveStatusCallbacks")]
    async fn receive(&self, request: &Request, remote: &RemoteAddr, body: Body) -> StatusWebhookResponse {
        let response = self.receive_inner(request, remote, body).await;
        let outcome = match &response {
            StatusWebhookResponse::Accepted(body) if body.duplicate => "duplicate",
            StatusWebhookResponse::Accepted(_) => "stored",
            StatusWebhookResponse::BadRequest(_) => "invalid_json",
            StatusWebhookResponse::Unauthorized(_) => "unauthorized",
            StatusWebhookResponse::TooLarge(_) => "body_too_large",
            StatusWebhookResponse::Invalid(_) => "invalid_update",
            StatusWebhookResponse::Unavailable(_) => "unavailable",
        };
        self.state.ingestor.counters().record(STATUS_WEBHOOK_CHANNEL, STATUS_UPDATE_TYPE, outcome);
        response
    }
}

impl StatusWebhookApi {
    async fn receive_inner(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        body: Body,
    ) -> StatusWebhookResponse {
        let Some(verifier) = &self.state.status_webhook else {
            return StatusWebhookResponse::Unavailable(ErrorBody::new(
                "not_configured",
                "status callbacks need STATUS_WEBHOOK_SECRET (whsec_…)",
                None,
            ));
        };
        let bytes = match body.into_bytes_limit(MAX_BODY).await {
            Ok(bytes) => bytes,
            Err(_) => {
                return StatusWebhookResponse::TooLarge(ErrorBody::new(
                    "body_too_large",
                    "at most 1 MiB",
                    None,
                ));
            }
        };
        if let Err(error) = verifier.verify(&bytes, request.headers()) {
            return StatusWebhookResponse::Unauthorized(ErrorBody::new(
                "unauthorized",
                error.to_string(),
                None,
            ));
        }
        let webhook_id =
            request.headers().get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        let updates = match serde_json::from_slice::<StatusUpdatesIn>(&bytes) {
            Ok(StatusUpdatesIn::Batch(batch)) => batch,
            Ok(StatusUpdatesIn::Single(update)) => vec![update],
            Err(error) => {
                return StatusWebhookResponse::BadRequest(ErrorBody::new(
                    "invalid_json",
                    error.to_string(),
                    None,
                ));
            }
        };
        if updates.is_empty() || updates.len() > MAX_BATCH {
            return StatusWebhookResponse::Invalid(ErrorBody::new(
                "invalid_batch",
                "send 1 to 1000 updates",
                None,
            ));
        }
        let validated: Result<Vec<StatusUpdate>, String> =
            updates.into_iter().enumerate().map(|(index, update)| validate(update, index)).collect();
        let validated = match validated {
            Ok(validated) => validated,
            Err(reason) => {
                return StatusWebhookResponse::Invalid(ErrorBody::new("invalid_update", reason, None));
            }
        };
        let count = validated.len() as u64;
        let payload = serde_json::to_string(&validated).expect("updates serialise");
        let dedupe_key = format!("webhook:{}", webhook_id.chars().take(200).collect::<String>());
        let source_ip = remote.as_socket_addr().map(|address| address.ip().to_string());
        // The validated updates are the content; the raw body would only double the log.
        let event =
            NewEvent::internal(STATUS_WEBHOOK_CHANNEL, STATUS_UPDATE_TYPE, dedupe_key, source_ip, payload);
        let appended = self.state.event_log.append(event).await;
        match appended {
            Ok(outcome) => StatusWebhookResponse::Accepted(Json(AcceptedBody {
                accepted: count,
                duplicate: matches!(outcome, AppendOutcome::Duplicate { .. }),
            })),
            Err(error) => {
                tracing::error!(error = %error, "Status callback not stored.");
                StatusWebhookResponse::Unavailable(storage_unavailable())
            }
        }
    }
}
