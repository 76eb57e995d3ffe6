//! The built-in status-callback source: JSON `{message_id, status,
//! recipient?, occurred_at?, detail?}` (or an array of up to 1000), signed
//! per Standard Webhooks. The `webhook-id` is the dedupe key.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use pmc_actors::MessageId;
use serde::Deserialize;

use super::{Handled, IncomingEvent, WebhookError, WebhookHandler, WebhookRequest, parse_status};
use crate::tracking::derive::{STATUS_WEBHOOK_CHANNEL, StatusUpdate};

/// Most updates accepted in one request.
const MAX_BATCH: usize = 1000;

/// The secrets status callbacks may be signed with: the current one, and
/// while rotating the previous one until it expires.
pub struct StatusVerifiers {
    /// The current secret.
    pub current: standardwebhooks::Webhook,
    /// The previous secret and when it stops being accepted.
    pub previous: Option<(standardwebhooks::Webhook, chrono::DateTime<chrono::Utc>)>,
}

impl StatusVerifiers {
    fn verify(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let current = self.current.verify(&request.body, &request.headers);
        match (&current, &self.previous) {
            (Err(_), Some((previous, expires_at))) if chrono::Utc::now() < *expires_at => {
                previous.verify(&request.body, &request.headers).map_err(|_| {
                    WebhookError::Unauthorized(
                        "signed with neither the current nor the previous secret".to_owned(),
                    )
                })
            }
            _ => current.map_err(|error| WebhookError::Unauthorized(error.to_string())),
        }
    }
}

/// The status-callback source.
pub struct StatusWebhookSource {
    verifiers: Option<StatusVerifiers>,
}

impl StatusWebhookSource {
    /// With the configured secrets (`None`: every request is refused with 503).
    pub fn new(verifiers: Option<StatusVerifiers>) -> Self {
        Self { verifiers }
    }
}

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

fn validate(update: StatusUpdateIn, index: usize) -> Result<StatusUpdate, String> {
    MessageId::parse(&update.message_id).map_err(|reason| format!("[{index}].message_id: {reason}"))?;
    let status = parse_status(&update.status)
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

#[async_trait]
impl WebhookHandler for StatusWebhookSource {
    fn name(&self) -> &str {
        STATUS_WEBHOOK_CHANNEL
    }

    fn listens_to(&self) -> Vec<String> {
        vec!["status updates".to_owned()]
    }

    fn routes(&self) -> Vec<String> {
        vec!["POST /api/v1/webhooks/status".to_owned()]
    }

    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let verifiers = self.verifiers.as_ref().ok_or_else(|| {
            WebhookError::Unavailable("status callbacks need STATUS_WEBHOOK_SECRET (whsec_…)".to_owned())
        })?;
        verifiers.verify(request)
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let updates = match serde_json::from_slice::<StatusUpdatesIn>(&request.body) {
            Ok(StatusUpdatesIn::Batch(batch)) => batch,
            Ok(StatusUpdatesIn::Single(update)) => vec![update],
            Err(error) => return Err(WebhookError::BadRequest(error.to_string())),
        };
        if updates.is_empty() || updates.len() > MAX_BATCH {
            return Err(WebhookError::Invalid("send 1 to 1000 updates".to_owned()));
        }
        let validated = updates
            .into_iter()
            .enumerate()
            .map(|(index, update)| validate(update, index))
            .collect::<Result<Vec<_>, _>>()
            .map_err(WebhookError::Invalid)?;
        let webhook_id = request.headers.get("webhook-id").and_then(|v| v.to_str().ok()).unwrap_or_default();
        Ok(vec![IncomingEvent::status_updates(webhook_id, validated)].into())
    }
}
