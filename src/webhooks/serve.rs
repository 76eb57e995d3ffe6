//! Runs any [`WebhookHandler`] the same way: verify, handle, store every
//! event in the event log, count, answer. After `serve` returns `Ok`, every
//! event is durable (the event log's group commit has finished).

use serde::Serialize;
use sha1::{Digest, Sha1};

use super::{CallbackCounters, IncomingEvent, WebhookError, WebhookHandler, WebhookRequest};
use crate::{
    event_log::{AppendOutcome, EventLog, NewEvent},
    wecom::WeComError,
};

/// The standard answer to an accepted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
#[oai(skip_serializing_if_is_none)]
pub struct Accepted {
    /// Events stored now.
    pub stored: u64,
    /// Events already stored earlier (retries): not stored twice.
    pub duplicates: u64,
}

/// A request whose events are all stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Served {
    /// What was stored.
    pub accepted: Accepted,
    /// The source's own answer, if it has one (see [`super::Handled::reply`]).
    pub reply: Option<String>,
}

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The source refused it.
    #[error(transparent)]
    Refused(#[from] WebhookError),
    /// Authentic but unreadable; kept in quarantine (answered 400).
    #[error("payload quarantined: {0}")]
    Quarantined(WeComError),
    /// The event log could not store it (the sender should retry).
    #[error("the event log is unavailable")]
    Storage,
}

impl ServeError {
    fn outcome_label(&self) -> String {
        match self {
            ServeError::Refused(error) => error.outcome_label(),
            ServeError::Quarantined(_) => "quarantined".to_owned(),
            ServeError::Storage => "storage_error".to_owned(),
        }
    }
}

/// Runs a source on a request and counts the outcome under the source's name.
pub async fn serve(
    handler: &dyn WebhookHandler,
    request: &WebhookRequest,
    event_log: &EventLog,
    counters: &CallbackCounters,
) -> Result<Served, ServeError> {
    let started = std::time::Instant::now();
    let mut labels = None;
    let result = serve_inner(handler, request, event_log, &mut labels).await;
    counters.record_latency(handler.name(), started.elapsed().as_secs_f64());
    let (callback_type, account) = match &labels {
        Some((callback_type, account)) => (callback_type.as_str(), account.as_str()),
        None => ("unknown", handler.account().unwrap_or(crate::accounts::DEFAULT_ACCOUNT)),
    };
    match &result {
        Ok(served) => {
            let outcome = if served.accepted.stored == 0 && served.accepted.duplicates > 0 {
                "duplicate"
            } else {
                "stored"
            };
            tracing::debug!(
                source = handler.name(),
                account,
                callback_type,
                outcome,
                "Webhook acknowledged."
            );
            counters.record(handler.name(), account, callback_type, outcome);
        }
        Err(error) => {
            tracing::warn!(source = handler.name(), account, outcome = %error.outcome_label(), error = %error, "Webhook refused.");
            counters.record(handler.name(), account, callback_type, &error.outcome_label());
        }
    }
    result
}

async fn serve_inner(
    handler: &dyn WebhookHandler,
    request: &WebhookRequest,
    event_log: &EventLog,
    labels: &mut Option<(String, String)>,
) -> Result<Served, ServeError> {
    let received_at_ms = chrono::Utc::now().timestamp_millis();
    if !handler.verifies_while_handling() {
        handler.verify_signature(request)?;
    }
    // Below half of storage.min_free_bytes: refused before any write (WeCom
    // retries), once the request is known to be authentic. Only here, at the
    // edge: the service's own send results must still be stored, or a send
    // would go out again.
    let disk_low = event_log.is_disk_low();
    let handled = match handler.handle_request(request).await {
        Ok(_) if disk_low => return Err(ServeError::Storage),
        Ok(handled) => handled,
        Err(WebhookError::Quarantine { .. }) if disk_low => return Err(ServeError::Storage),
        Err(WebhookError::Quarantine { error, record }) => {
            // Authentic but unreadable: keep it before refusing, so that
            // nothing authentic is lost.
            if let Err(storage) = event_log.quarantine(*record).await {
                tracing::error!(source = handler.name(), error = %storage, "Quarantine not stored.");
                return Err(ServeError::Storage);
            }
            return Err(ServeError::Quarantined(error));
        }
        Err(error) => return Err(error.into()),
    };
    *labels = handled.events.first().map(|event| {
        let account =
            event.account.as_deref().or(handler.account()).unwrap_or(crate::accounts::DEFAULT_ACCOUNT);
        (event.callback_type.clone(), account.to_owned())
    });
    let mut accepted = Accepted { stored: 0, duplicates: 0 };
    for event in handled.events {
        let stored = stored_event(handler, event, received_at_ms, request.source_ip.clone());
        let dedupe_key = stored.dedupe_key.clone();
        match event_log.append(stored).await {
            Ok(AppendOutcome::Stored { .. }) => {
                tracing::debug!(source = handler.name(), dedupe_key, "Stored.");
                accepted.stored += 1;
            }
            Ok(AppendOutcome::Duplicate { .. }) => {
                tracing::debug!(source = handler.name(), dedupe_key, "A retry: already stored.");
                accepted.duplicates += 1;
            }
            Err(error) => {
                tracing::error!(source = handler.name(), error = %error, "Webhook event not stored.");
                return Err(ServeError::Storage);
            }
        }
    }
    Ok(Served { accepted, reply: handled.reply })
}

/// Runs a source's URL check (`GET`) and counts it.
pub fn serve_url_check(
    handler: &dyn WebhookHandler,
    request: &WebhookRequest,
    counters: &CallbackCounters,
) -> Result<String, WebhookError> {
    let result = handler.verify_url(request);
    let outcome = match &result {
        Ok(_) => "verified".to_owned(),
        Err(error) => error.outcome_label(),
    };
    counters.record(
        handler.name(),
        handler.account().unwrap_or(crate::accounts::DEFAULT_ACCOUNT),
        "url_verification",
        &outcome,
    );
    result
}

fn stored_event(
    handler: &dyn WebhookHandler,
    event: IncomingEvent,
    received_at_ms: i64,
    source_ip: Option<String>,
) -> NewEvent {
    let key = stored_dedupe_key(&event);
    let dedupe_key = match handler.dedupe_namespace() {
        Some(namespace) => format!("{namespace}:{key}"),
        None => key,
    };
    let envelope = event.envelope.unwrap_or_default();
    NewEvent {
        received_at_ms,
        channel: handler.name().to_owned(),
        account: event.account.unwrap_or_else(|| crate::accounts::DEFAULT_ACCOUNT.to_owned()),
        callback_type: event.callback_type,
        dedupe_key,
        user_id: event.user_id,
        source_ip,
        envelope_format: if envelope.format.is_empty() { "json".to_owned() } else { envelope.format },
        msg_signature: envelope.msg_signature,
        timestamp: envelope.timestamp,
        nonce: envelope.nonce,
        ciphertext: envelope.ciphertext,
        plaintext: envelope.plaintext,
        payload: event.payload.get().to_owned(),
        callback: event.callback,
    }
}

/// The key an event is deduplicated by. A source that gives no key is
/// deduplicated by content (type and payload), so distinct events are never
/// taken for retries of each other. (Long keys are shortened safely by the
/// event log, for every event.)
fn stored_dedupe_key(event: &IncomingEvent) -> String {
    if event.dedupe_key.is_empty() {
        let content = format!("{}\n{}", event.callback_type, event.payload.get());
        return format!("content:{}", hex::encode(Sha1::digest(content.as_bytes())));
    }
    event.dedupe_key.clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_without_a_key_are_told_apart_by_content() {
        let first = IncomingEvent::other("ping", "", serde_json::json!({"n": 1}));
        let second = IncomingEvent::other("ping", "", serde_json::json!({"n": 2}));
        assert_ne!(stored_dedupe_key(&first), stored_dedupe_key(&second));
        assert_eq!(stored_dedupe_key(&first), stored_dedupe_key(&first.clone()), "a retry keeps its key");
    }
}
