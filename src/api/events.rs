//! `GET /api/v1/events` and `GET /api/v1/events/{id}`: the stored callbacks.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::{
    ApiTags,
    error::{ErrorBody, read_failed},
    state::AppState,
};
use crate::event_log::{EventFilter, StoredEvent};

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

/// Event routes.
pub struct EventsApi {
    state: Arc<AppState>,
}

/// A stored callback, without its bodies.
#[derive(Debug, Clone, Object)]
pub struct EventSummary {
    /// Event id (monotonic in commit order).
    pub id: i64,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `wechat_api` or `wechat_bot`.
    pub channel: String,
    /// Type label, e.g. `message.text`, `event.template_card_event`, `robot.event.enter_chat`.
    pub callback_type: String,
    /// The key retries are recognised by.
    pub dedupe_key: String,
    /// The member who caused it, when there is one.
    pub user_id: Option<String>,
}

/// A stored callback with its decrypted payload and metadata.
#[derive(Debug, Clone, Object)]
pub struct EventDetail {
    /// Summary fields.
    #[oai(flatten)]
    pub summary: EventSummary,
    /// The peer address it came from.
    pub source_ip: Option<String>,
    /// `xml` or `json`.
    pub envelope_format: String,
    /// The query's `msg_signature`.
    pub msg_signature: String,
    /// The query's `timestamp`.
    pub timestamp: String,
    /// The query's `nonce`.
    pub nonce: String,
    /// The ciphertext as received.
    pub ciphertext: String,
    /// The decrypted document, as WeCom sent it.
    pub plaintext: String,
    /// The typed payload.
    pub payload: serde_json::Value,
}

/// A page of events.
#[derive(Debug, Clone, Object)]
pub struct EventPageBody {
    /// Newest first.
    pub events: Vec<EventSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// `/api/v1/events` answers.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "list_bad_request")]
pub enum ListEventsResponse {
    /// A page of events.
    #[oai(status = 200)]
    Ok(Json<EventPageBody>),
    /// An invalid filter.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The event log could not be read.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn list_bad_request(error: poem::Error) -> ListEventsResponse {
    ListEventsResponse::BadRequest(ErrorBody::new("invalid_parameter", error.to_string(), None))
}

/// `/api/v1/events/{id}` answers.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "get_bad_request")]
pub enum GetEventResponse {
    /// The event.
    #[oai(status = 200)]
    Ok(Json<Box<EventDetail>>),
    /// An invalid id.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No event has that id.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The event log could not be read.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn get_bad_request(error: poem::Error) -> GetEventResponse {
    GetEventResponse::BadRequest(ErrorBody::new("invalid_parameter", error.to_string(), None))
}

impl EventsApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

fn summary(event: &StoredEvent) -> EventSummary {
    EventSummary {
        id: event.id,
        received_at: Utc.timestamp_millis_opt(event.received_at_ms).single().unwrap_or_default(),
        channel: event.channel.clone(),
        callback_type: event.callback_type.clone(),
        dedupe_key: event.dedupe_key.clone(),
        user_id: event.user_id.clone(),
    }
}

#[OpenApi(tag = "ApiTags::Events")]
impl EventsApi {
    /// List stored callbacks
    ///
    /// Newest first. Filter by type (exact, or a prefix such as `event.*`),
    /// member, channel and arrival time; page with `cursor`.
    #[oai(path = "/api/v1/events", method = "get", operation_id = "listEvents")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        /// Type label, or a prefix ending in `*` (`event.*`).
        #[oai(name = "type")]
        callback_type: Query<Option<String>>,
        /// Member UserID.
        user_id: Query<Option<String>>,
        /// `wechat_api` or `wechat_bot`.
        channel: Query<Option<String>>,
        /// Arrived at or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Arrived before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
    ) -> ListEventsResponse {
        let limit = limit.0.unwrap_or(DEFAULT_PAGE);
        if !(1..=MAX_PAGE).contains(&limit) {
            return ListEventsResponse::BadRequest(ErrorBody::new(
                "invalid_parameter",
                format!("limit must be between 1 and {MAX_PAGE}"),
                None,
            ));
        }
        let before_id = match cursor.0.as_deref().map(str::parse::<i64>) {
            None => None,
            Some(Ok(id)) => Some(id),
            Some(Err(_)) => {
                return ListEventsResponse::BadRequest(ErrorBody::new(
                    "invalid_parameter",
                    "cursor is not one this API returned",
                    None,
                ));
            }
        };
        let filter = EventFilter {
            callback_type: callback_type.0,
            user_id: user_id.0,
            channel: channel.0,
            since_ms: since.0.map(|time| time.timestamp_millis()),
            until_ms: until.0.map(|time| time.timestamp_millis()),
            before_id,
            limit,
        };
        match self.state.event_log.list(&filter).await {
            Ok(page) => ListEventsResponse::Ok(Json(EventPageBody {
                events: page.events.iter().map(summary).collect(),
                next_cursor: page.next_before_id.map(|id| id.to_string()),
            })),
            Err(error) => ListEventsResponse::Unavailable(read_failed(&error)),
        }
    }

    /// Get one stored callback
    ///
    /// With its ciphertext, decrypted document and typed payload.
    #[oai(path = "/api/v1/events/:id", method = "get", operation_id = "getEvent")]
    async fn get(&self, id: Path<i64>) -> GetEventResponse {
        match self.state.event_log.get(id.0).await {
            Ok(Some(event)) => GetEventResponse::Ok(Json(Box::new(EventDetail {
                summary: summary(&event),
                payload: serde_json::from_str(&event.payload).unwrap_or(serde_json::Value::Null),
                source_ip: event.source_ip,
                envelope_format: event.envelope_format,
                msg_signature: event.msg_signature,
                timestamp: event.timestamp,
                nonce: event.nonce,
                ciphertext: event.ciphertext,
                plaintext: event.plaintext,
            }))),
            Ok(None) => GetEventResponse::NotFound(ErrorBody::new(
                "not_found",
                format!("no event with id {}", id.0),
                None,
            )),
            Err(error) => GetEventResponse::Unavailable(read_failed(&error)),
        }
    }
}
