//! Delivering: POST each due delivery, signed per Standard Webhooks
//! (`webhook-id`, `webhook-timestamp`, `webhook-signature`). A 2xx is
//! delivered; a timeout, 5xx or 429 is retried with exponential backoff and
//! jitter (4× per try, at most 8 h apart) until `max_attempts`, then the
//! delivery is dead (`GET /api/v1/deliveries?state=dead`,
//! `POST /api/v1/deliveries/{id}/retry`); any other answer is a refusal and
//! dead at once. One message's deliveries go out in order.

use std::{collections::HashMap, time::Duration};

use futures::StreamExt;

use super::{
    Forwarding,
    entity::{delivery, subscription},
    store,
};

/// Deliveries in flight at once.
const CONCURRENCY: usize = 16;
/// The longest wait between two tries.
const MAX_BACKOFF: Duration = Duration::from_secs(8 * 3600);

impl Forwarding {
    /// Delivers what is due; `true` if there was any.
    pub(super) async fn deliver_due(&self) -> Result<bool, sea_orm::DbErr> {
        let db = self.store.connection();
        let now = chrono::Utc::now().timestamp_millis();
        let due = store::due(db, &self.instance, now, 256).await?;
        if due.is_empty() {
            return Ok(false);
        }
        let subscriptions: HashMap<String, subscription::Model> =
            store::subscriptions(db).await?.into_iter().map(|row| (row.id.clone(), row)).collect();
        futures::stream::iter(due)
            .for_each_concurrent(CONCURRENCY, |row| {
                let subscription = subscriptions.get(&row.subscription_id).cloned();
                async move {
                    let outcome = match subscription {
                        Some(subscription) => self.attempt(&subscription, row).await,
                        None => dead(row, None, "its subscription was deleted".to_owned()),
                    };
                    if let Err(error) = store::record(self.store.connection(), outcome).await {
                        tracing::error!(error = %error, "Recording a delivery failed; it is tried again.");
                    }
                }
            })
            .await;
        Ok(true)
    }

    async fn attempt(&self, subscription: &subscription::Model, mut row: delivery::Model) -> delivery::Model {
        row.attempts += 1;
        if let Err(reason) = self.targets.check(&subscription.url).await {
            return dead(row, None, reason);
        }
        let message_id = format!("dlv_{}", row.id);
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match signatures(subscription, &message_id, timestamp, row.payload.as_bytes()) {
            Ok(signature) => signature,
            Err(_) => {
                return dead(row, None, "the subscription's secret is not a valid whsec_ secret".to_owned());
            }
        };
        let sent = self
            .http
            .post(&subscription.url)
            .header("content-type", "application/json")
            .header("webhook-id", &message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(row.payload.clone())
            .send()
            .await;
        match sent {
            Ok(response) if response.status().is_success() => {
                row.state = "delivered".to_owned();
                row.last_status = Some(i32::from(response.status().as_u16()));
                row.last_error = None;
                row.delivered_at_ms = Some(chrono::Utc::now().timestamp_millis());
                row
            }
            Ok(response) => {
                let status = response.status().as_u16();
                let retryable = status >= 500 || status == 429 || status == 408;
                let error = format!("the receiver answered HTTP {status}");
                if retryable { self.later(row, Some(status), error) } else { dead(row, Some(status), error) }
            }
            Err(error) => {
                let error = error.without_url();
                // The origin names the receiver; its path and query may hold a token.
                let origin = url::Url::parse(&subscription.url)
                    .map(|url| url.origin().ascii_serialization())
                    .unwrap_or_default();
                let reason = crate::telemetry::error_chain(&error);
                if crate::security::crypto::is_tls_failure(&error) {
                    // A refused certificate does not get better by waiting: dead
                    // at once with the reason (replayable once the CA is fixed).
                    dead(row, None, format!("TLS to {origin} failed: {reason}"))
                } else {
                    self.later(row, None, format!("no answer from {origin}: {reason}"))
                }
            }
        }
    }

    /// Schedules the next try, or gives up after the last.
    fn later(&self, mut row: delivery::Model, status: Option<u16>, error: String) -> delivery::Model {
        if row.attempts >= self.retries.max_attempts {
            return dead(row, status, error);
        }
        let base = Duration::from_secs(self.retries.first_retry_secs)
            .saturating_mul(4u32.saturating_pow((row.attempts - 1).clamp(0, 15) as u32))
            .min(MAX_BACKOFF);
        // ±20 %, so receivers coming back are not hit by every retry at once.
        let jitter = 0.8 + rand::random::<f64>() * 0.4;
        let wait = base.mul_f64(jitter);
        row.next_attempt_ms = chrono::Utc::now().timestamp_millis() + wait.as_millis() as i64;
        row.last_status = status.map(i32::from);
        row.last_error = Some(error);
        row
    }
}

fn dead(mut row: delivery::Model, status: Option<u16>, error: String) -> delivery::Model {
    tracing::warn!(delivery = row.id, subscription = %row.subscription_id, error = %error, "Delivery dead-lettered.");
    row.state = "dead".to_owned();
    row.last_status = status.map(i32::from);
    row.last_error = Some(error);
    row
}

/// `webhook-signature`: the current secret's signature and, while a rotation
/// overlaps, the previous one's too, space-separated as Standard Webhooks
/// allows, so receivers verify with either secret.
fn signatures(
    subscription: &subscription::Model,
    message_id: &str,
    timestamp: i64,
    payload: &[u8],
) -> Result<String, standardwebhooks::WebhookError> {
    let mut header =
        standardwebhooks::Webhook::new(&subscription.secret)?.sign(message_id, timestamp, payload)?;
    let now_ms = chrono::Utc::now().timestamp_millis();
    if let (Some(previous), Some(expires_at_ms)) =
        (&subscription.previous_secret, subscription.previous_secret_expires_at_ms)
        && now_ms < expires_at_ms
    {
        let old = standardwebhooks::Webhook::new(previous)?.sign(message_id, timestamp, payload)?;
        header.push(' ');
        header.push_str(&old);
    }
    Ok(header)
}
