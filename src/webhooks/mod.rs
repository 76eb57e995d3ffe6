//! Webhook sources: the seed's `BaseWebhookHandler` (`handle_request` +
//! `verify_signature`) in Rust. Every way in is a [`WebhookHandler`]: the
//! built-in WeCom app and robot channels ([`wecom`]), the built-in status
//! callbacks ([`status`]), and any source registered on the application
//! builder (mounted at `/api/v1/webhooks/{name}`). [`serve`] runs one the
//! same way for all: verify, handle, store every event in the event log
//! (deduplicated), answer — so they all feed the same actors.

pub mod counters;
mod serve;
pub mod status;
pub mod wecom;

use std::sync::Arc;

use async_trait::async_trait;
use pmc_actors::Status;
use serde::Serialize;
use serde_json::value::RawValue;

pub use self::{
    counters::{CallbackCounters, CounterRow},
    serve::{Accepted, ServeError, Served, serve, serve_url_check},
};
use crate::{
    event_log::NewQuarantine,
    tracking::derive::{INTERACTION_TYPE, STATUS_UPDATE_TYPE, StatusUpdate},
    wecom::{
        WeComError,
        payload::{Callback, ParsedCallback},
    },
};

/// A webhook request, as a source sees it.
#[derive(Debug, Clone)]
pub struct WebhookRequest {
    /// The raw query string, still percent-encoded.
    pub raw_query: String,
    /// The headers (empty on the WeCom callback routes: WeCom signs the query, not headers).
    pub headers: http::HeaderMap,
    /// The raw body (read whatever the Content-Type, up to the route's cap).
    pub body: bytes::Bytes,
    /// The peer address.
    pub source_ip: Option<String>,
}

/// One event a source wants stored.
#[derive(Debug, Clone)]
pub struct IncomingEvent {
    /// Dotted type label; `status.update` and `interaction` also feed tracking.
    pub callback_type: String,
    /// Retries of the same event carry the same key; empty: deduplicated by content.
    pub dedupe_key: String,
    /// The member it concerns, if any.
    pub user_id: Option<String>,
    /// The account it came in for (`None`: `default`).
    pub account: Option<String>,
    /// The content, as JSON.
    pub payload: Box<RawValue>,
    /// The encrypted envelope it came in, for sources that have one (WeCom).
    pub envelope: Option<RawEnvelope>,
    /// The typed WeCom callback as it came in, handed to tracking from memory
    /// with the committed event (so tracking does not parse the plaintext again).
    pub callback: Option<Arc<Callback>>,
}

/// What an encrypted callback looked like on the wire, kept beside its
/// payload so that the raw log can be audited and replayed.
#[derive(Debug, Clone, Default)]
pub struct RawEnvelope {
    /// `xml` or `json`.
    pub format: String,
    /// Query `msg_signature`.
    pub msg_signature: String,
    /// Query `timestamp`.
    pub timestamp: String,
    /// Query `nonce`.
    pub nonce: String,
    /// The ciphertext as received.
    pub ciphertext: String,
    /// The decrypted document.
    pub plaintext: String,
}

impl IncomingEvent {
    /// Any event: stored and listed in `/api/v1/events`; tracked when its
    /// type is `status.update` or `interaction`.
    pub fn new(callback_type: &str, dedupe_key: impl Into<String>, payload: &impl Serialize) -> Self {
        Self {
            callback_type: callback_type.to_owned(),
            dedupe_key: dedupe_key.into(),
            user_id: None,
            account: None,
            payload: serde_json::value::to_raw_value(payload).expect("JSON payloads always serialise"),
            envelope: None,
            callback: None,
        }
    }

    /// A WeCom callback: stored with its typed payload as `parsed` stands
    /// (a reply decision may have marked it, e.g. with the stream answering
    /// it), handed to tracking as WeCom sent it: `as_sent`, kept aside before
    /// the decision when it may change the callback, else `parsed`'s own.
    pub fn wecom(parsed: ParsedCallback, as_sent: Option<Callback>) -> Self {
        let mut event = Self::new(&parsed.callback_type, parsed.dedupe_key, &parsed.callback);
        event.user_id = parsed.user_id;
        event.callback = Some(Arc::new(as_sent.unwrap_or(parsed.callback)));
        event
    }

    /// Status observations for tracked messages.
    pub fn status_updates(dedupe_key: impl Into<String>, updates: Vec<StatusUpdate>) -> Self {
        Self::new(STATUS_UPDATE_TYPE, dedupe_key, &updates)
    }

    /// A user interaction (`kind` e.g. `link_click`), optionally about a tracked message.
    pub fn interaction(
        dedupe_key: impl Into<String>,
        user_id: &str,
        kind: &str,
        message_id: Option<&str>,
        data: serde_json::Value,
    ) -> Self {
        let payload =
            serde_json::json!({"user_id": user_id, "kind": kind, "message_id": message_id, "data": data});
        Self { user_id: Some(user_id.to_owned()), ..Self::new(INTERACTION_TYPE, dedupe_key, &payload) }
    }

    /// Any other event: stored and listed in `/api/v1/events`, not tracked.
    pub fn other(callback_type: &str, dedupe_key: impl Into<String>, payload: serde_json::Value) -> Self {
        Self::new(callback_type, dedupe_key, &payload)
    }
}

/// What a source made of a request: the events to store, and the body to
/// answer with once they are stored.
#[derive(Debug, Clone, Default)]
pub struct Handled {
    /// The events, stored in order.
    pub events: Vec<IncomingEvent>,
    /// `None`: the standard `202 {stored, duplicates}`; `Some`: `200` with
    /// this text (WeCom's empty body, `success` or encrypted passive reply).
    pub reply: Option<String>,
}

impl From<Vec<IncomingEvent>> for Handled {
    fn from(events: Vec<IncomingEvent>) -> Self {
        Self { events, reply: None }
    }
}

/// Why a source refused a request.
#[derive(Debug, Clone, thiserror::Error)]
pub enum WebhookError {
    /// Missing or wrong signature, stale timestamp (401).
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// Authentic, but signed too long ago or too far ahead: a replay (403).
    #[error("stale timestamp: {0}")]
    StaleTimestamp(String),
    /// Not the expected shape (400).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Well-formed but invalid content (422).
    #[error("invalid: {0}")]
    Invalid(String),
    /// The source cannot work now, e.g. not configured (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// The source has no URL check (`GET`, 405).
    #[error("this source has no URL verification")]
    NoUrlCheck,
    /// A WeCom protocol failure, with its official code (signature and
    /// receiveid mismatches 403, the rest 400).
    #[error(transparent)]
    Protocol(WeComError),
    /// Authentic, but the payload is unreadable: `serve` keeps the record in
    /// quarantine (nothing authentic is lost) and answers 400.
    #[error("payload quarantined: {error}")]
    Quarantine {
        /// Why it could not be read.
        error: WeComError,
        /// What is kept.
        record: Box<NewQuarantine>,
    },
}

impl WebhookError {
    /// The counter label for this refusal.
    pub fn outcome_label(&self) -> String {
        match self {
            WebhookError::Unauthorized(_) => "unauthorized".to_owned(),
            WebhookError::StaleTimestamp(_) => "stale_timestamp".to_owned(),
            WebhookError::BadRequest(_) => "bad_request".to_owned(),
            WebhookError::Invalid(_) => "invalid".to_owned(),
            WebhookError::Unavailable(_) => "unavailable".to_owned(),
            WebhookError::NoUrlCheck => "no_url_check".to_owned(),
            WebhookError::Protocol(error) => error.outcome_label(),
            WebhookError::Quarantine { .. } => "quarantined".to_owned(),
        }
    }
}

/// A webhook source.
#[async_trait]
pub trait WebhookHandler: Send + Sync + 'static {
    /// Its name: for registered sources the last path segment of its route,
    /// `[a-z0-9_-]{1,40}`.
    fn name(&self) -> &str;

    /// The account its route serves, if it serves one (metrics label of
    /// requests refused before they name one).
    fn account(&self) -> Option<&str> {
        None
    }

    /// Every account it serves, for `GET /api/v1/webhooks/handlers` (the
    /// seed's fixed WeCom routes serve more than one); none for sources
    /// outside accounts.
    fn served_accounts(&self) -> Vec<String> {
        self.account().map(str::to_owned).into_iter().collect()
    }

    /// What it receives, for `GET /api/v1/webhooks/handlers`.
    fn listens_to(&self) -> Vec<String>;

    /// Its routes, for `GET /api/v1/webhooks/handlers`.
    fn routes(&self) -> Vec<String> {
        vec![format!("POST /api/v1/webhooks/{}", self.name())]
    }

    /// The namespace its dedupe keys live in, so that two sources never take
    /// each other's events for retries. `None` only for keys that are unique
    /// on their own (WeCom's, which both WeCom routes share).
    fn dedupe_namespace(&self) -> Option<&str> {
        Some(self.name())
    }

    /// A URL check (`GET`): WeCom's `echostr` handshake and the like; the
    /// `Ok` text is the answer. By default there is none (405).
    fn verify_url(&self, _request: &WebhookRequest) -> Result<String, WebhookError> {
        Err(WebhookError::NoUrlCheck)
    }

    /// Checks that the request is authentic, before its content is read.
    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError>;

    /// `true` when [`WebhookHandler::handle_request`] itself refuses every
    /// request `verify_signature` would, before reading its content (WeCom's
    /// sources: decrypting verifies the signature first). `serve` then skips
    /// the separate check, so the query and envelope are parsed, and the
    /// signature computed, once per callback instead of twice.
    fn verifies_while_handling(&self) -> bool {
        false
    }

    /// Turns a verified request into the events to store (and, optionally,
    /// the answer). `Ok(vec![…].into())` for the standard answer.
    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError>;
}

/// Whether a name may be mounted under `/api/v1/webhooks/`.
pub fn valid_name(name: &str) -> bool {
    // The built-in sources' names and route segments.
    // `account` would collide with the accounts' dedupe namespaces (`account:{id}:…`).
    const RESERVED: [&str; 8] =
        ["handlers", "wechat", "status", "status_webhook", "wechat_api", "wechat_bot", "account", "accounts"];
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
