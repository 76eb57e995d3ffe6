//! Webhook sources: the seed's `BaseWebhookHandler` (`handle_request` +
//! `verify_signature`) in Rust. A [`WebhookHandler`] registered on the
//! application builder is mounted at `POST /api/v1/webhooks/{name}`; what it
//! returns is stored in the same event log, deduplicated the same way, and
//! fed to the same actors. The built-in status callbacks
//! (`/api/v1/webhooks/status`) are a source like any other ([`status`]).

pub mod status;

use std::sync::Arc;

use async_trait::async_trait;
use pmc_actors::Status;
use serde::Serialize;
use sha1::{Digest, Sha1};

use crate::{
    event_log::{AppendOutcome, EventLog, NewEvent},
    tracking::derive::{INTERACTION_TYPE, STATUS_UPDATE_TYPE, StatusUpdate},
};

/// A webhook request, as a source sees it.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// The raw query string.
    pub raw_query: String,
    /// The headers.
    pub headers: http::HeaderMap,
    /// The raw body (read whatever the Content-Type, up to 1 MiB).
    pub body: bytes::Bytes,
    /// The peer address.
    pub source_ip: Option<String>,
}

/// One event a source wants stored.
#[derive(Debug, Clone, PartialEq)]
pub struct IncomingEvent {
    /// Dotted type label; `status.update` and `interaction` also feed tracking.
    pub callback_type: String,
    /// Retries of the same event carry the same key (kept per source).
    pub dedupe_key: String,
    /// The member it concerns, if any.
    pub user_id: Option<String>,
    /// The content, as JSON.
    pub payload: serde_json::Value,
}

impl IncomingEvent {
    /// Status observations for tracked messages.
    pub fn status_updates(dedupe_key: impl Into<String>, updates: Vec<StatusUpdate>) -> Self {
        Self {
            callback_type: STATUS_UPDATE_TYPE.to_owned(),
            dedupe_key: dedupe_key.into(),
            user_id: None,
            payload: serde_json::to_value(updates).expect("updates serialise"),
        }
    }

    /// A user interaction (`kind` e.g. `link_click`), optionally about a tracked message.
    pub fn interaction(
        dedupe_key: impl Into<String>,
        user_id: &str,
        kind: &str,
        message_id: Option<&str>,
        data: serde_json::Value,
    ) -> Self {
        Self {
            callback_type: INTERACTION_TYPE.to_owned(),
            dedupe_key: dedupe_key.into(),
            user_id: Some(user_id.to_owned()),
            payload: serde_json::json!({"user_id": user_id, "kind": kind, "message_id": message_id, "data": data}),
        }
    }

    /// Any other event: stored and listed in `/api/v1/events`, not tracked.
    pub fn other(callback_type: &str, dedupe_key: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            callback_type: callback_type.to_owned(),
            dedupe_key: dedupe_key.into(),
            user_id: None,
            payload,
        }
    }
}

/// Why a source refused a request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WebhookError {
    /// Missing or wrong signature, stale timestamp (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Not the expected shape (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Well-formed but invalid content (422).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The source cannot work now, e.g. not configured (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
}

/// A webhook source.
#[async_trait]
pub trait WebhookHandler: Send + Sync + 'static {
    /// Its name: the last path segment of its route, `[a-z0-9_-]{1,40}`.
    fn name(&self) -> &str;
    /// What it receives, for `GET /api/v1/webhooks/handlers`.
    fn listens_to(&self) -> Vec<String>;
    /// Checks that the request is authentic, before anything is parsed.
    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError>;
    /// Turns a verified request into the events to store.
    async fn handle_request(&self, request: &WebhookRequest) -> Result<Vec<IncomingEvent>, WebhookError>;
}

/// The answer to an accepted request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, poem_openapi::Object)]
pub struct Accepted {
    /// Events stored now.
    pub stored: u64,
    /// Events already stored earlier (retries): not stored twice.
    pub duplicates: u64,
}

/// Why a request was not accepted.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The source refused it.
    #[error(transparent)]
    Refused(#[from] WebhookError),
    /// The event log could not store it (the sender should retry).
    #[error("the event log is unavailable")]
    Storage,
}

/// Runs a source on a request: verify, handle, store every event (after
/// this returns `Ok`, they are durable).
pub async fn serve(
    handler: &dyn WebhookHandler,
    request: &WebhookRequest,
    event_log: &EventLog,
) -> Result<Accepted, ServeError> {
    handler.verify_signature(request)?;
    let events = handler.handle_request(request).await?;
    let mut accepted = Accepted { stored: 0, duplicates: 0 };
    for event in events {
        let dedupe_key = format!("{}:{}", handler.name(), stored_dedupe_key(&event));
        let mut stored = NewEvent::internal(
            handler.name(),
            &event.callback_type,
            dedupe_key,
            request.source_ip.clone(),
            event.payload.to_string(),
        );
        stored.user_id = event.user_id;
        match event_log.append(stored).await {
            Ok(AppendOutcome::Stored { .. }) => accepted.stored += 1,
            Ok(AppendOutcome::Duplicate { .. }) => accepted.duplicates += 1,
            Err(error) => {
                tracing::error!(source = handler.name(), error = %error, "Webhook event not stored.");
                return Err(ServeError::Storage);
            }
        }
    }
    Ok(accepted)
}

/// The key an event is deduplicated by. A source that gives no key is
/// deduplicated by content (type and payload), so distinct events are never
/// taken for retries of each other. (Long keys are shortened safely by the
/// event log, for every event.)
fn stored_dedupe_key(event: &IncomingEvent) -> String {
    if event.dedupe_key.is_empty() {
        let content = format!("{}\n{}", event.callback_type, event.payload);
        return format!("content:{}", hex::encode(Sha1::digest(content.as_bytes())));
    }
    event.dedupe_key.clone()
}

/// Whether a name may be mounted under `/api/v1/webhooks/`.
pub fn valid_name(name: &str) -> bool {
    const RESERVED: [&str; 3] = ["handlers", "wechat", "status"];
    (1..=40).contains(&name.len())
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        && !RESERVED.contains(&name)
}

/// Parses a status name from a source's payload.
pub fn parse_status(name: &str) -> Option<Status> {
    Status::parse(name)
}

/// The registered sources, looked up by name.
pub type WebhookSources = Vec<Arc<dyn WebhookHandler>>;

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
