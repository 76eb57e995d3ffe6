//! `GET /api/v1/events` and `GET /api/v1/events/{id}`: the stored callbacks
//! — every replica's, from MongoDB's raw log when it is configured, else from
//! MySQL's shared events view in external mode (also while MongoDB does not
//! answer), else from this replica's event log.

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::auth::{Guarded, ReadAccess};
use super::{
    ApiTags,
    error::{ErrorBody, raw_log_read_failed, read_failed, shared_events_read_failed},
    state::AppState,
};
use crate::{
    event_log::{EventFilter, StoredEvent},
    events_view::SharedEventPage,
    raw_log::RawEventPage,
};

const DEFAULT_PAGE: u64 = 50;
const MAX_PAGE: u64 = 500;

/// Event routes.
pub struct EventsApi {
    state: Arc<AppState>,
}

/// A stored callback, without its bodies.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventSummary {
    /// Event id (monotonic in commit order within its instance's event log).
    pub id: i64,
    /// The instance (replica) whose event log stored it.
    pub instance: String,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// `wechat_api` or `wechat_bot` (`api`, `status_webhook`, … for events of other sources).
    pub channel: String,
    /// The account it came in for or was sent through (`GET /api/v1/accounts`).
    pub account: String,
    /// Type label, e.g. `message.text`, `event.template_card_event`, `robot.event.enter_chat`.
    pub callback_type: String,
    /// The key retries are recognised by.
    pub dedupe_key: String,
    /// The member who caused it, when there is one.
    pub user_id: Option<String>,
}

/// A stored callback with its decrypted payload and metadata.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
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
    /// The ciphertext as received; empty when read from MySQL's shared
    /// events view, which keeps no ciphertext (the replica that stored the
    /// event, `source=local`, and MongoDB's raw log have it).
    pub ciphertext: String,
    /// The decrypted document, as WeCom sent it.
    pub plaintext: String,
    /// The typed payload.
    pub payload: serde_json::Value,
}

/// A page of events.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct EventPageBody {
    /// Newest first.
    pub events: Vec<EventSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
    /// Where the page was read: `mongodb` or `mysql` (every replica's
    /// events), or `event_log` (this replica's).
    pub source: String,
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

    /// Lists from the shared view when `try_shared` and it exists (an
    /// `explicit` request fails rather than falls back), else this replica's log.
    async fn list_shared_or_local(
        &self,
        filter: &EventFilter,
        after: Option<(i64, String, i64)>,
        try_shared: bool,
        explicit: bool,
    ) -> ListEventsResponse {
        match (&self.state.shared_events, try_shared) {
            (Some(shared), true) => match shared.list(filter, after).await {
                Ok(page) => return ListEventsResponse::Ok(Json(shared_page(page))),
                Err(error) if explicit => {
                    return ListEventsResponse::Unavailable(shared_events_read_failed(&error));
                }
                Err(error) => {
                    tracing::warn!(error = %error, "MySQL's shared view did not answer; listing this replica's event log.");
                }
            },
            (None, _) if explicit => {
                return ListEventsResponse::BadRequest(ErrorBody::new(
                    "shared_events_not_configured",
                    "the shared events view needs storage.mode external (MySQL); use source=local",
                    None,
                ));
            }
            _ => {}
        }
        match self.state.event_log.list(filter).await {
            Ok(page) => ListEventsResponse::Ok(Json(EventPageBody {
                events: page.events.iter().map(|event| summary(&self.state.instance, event)).collect(),
                next_cursor: page.next_before_id.map(|id| id.to_string()),
                source: "event_log".to_owned(),
            })),
            Err(error) => ListEventsResponse::Unavailable(read_failed(&error)),
        }
    }
}

fn summary(instance: &str, event: &StoredEvent) -> EventSummary {
    EventSummary {
        id: event.id,
        instance: instance.to_owned(),
        received_at: Utc.timestamp_millis_opt(event.received_at_ms).single().unwrap_or_default(),
        channel: event.channel.clone(),
        account: event.account.clone(),
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
        _access: ReadAccess,
        /// Type label, or a prefix ending in `*` (`event.*`).
        #[oai(name = "type")]
        callback_type: Query<Option<String>>,
        /// Member UserID.
        user_id: Query<Option<String>>,
        /// `wechat_api` or `wechat_bot`.
        channel: Query<Option<String>>,
        /// Account id.
        account: Query<Option<String>>,
        /// Arrived at or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Arrived before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
        /// `auto` (default: MongoDB when configured; else, or while it does
        /// not answer, MySQL's shared view in external mode; else this
        /// replica's event log), `mongodb`, `mysql`, or `local`.
        source: Query<Option<EventSource>>,
    ) -> Guarded<ListEventsResponse> {
        Guarded::Allowed(async move {
            let limit = limit.0.unwrap_or(DEFAULT_PAGE);
            if !(1..=MAX_PAGE).contains(&limit) {
                return ListEventsResponse::BadRequest(ErrorBody::new(
                    "invalid_parameter",
                    format!("limit must be between 1 and {MAX_PAGE}"),
                    None,
                ));
            }
            let cursor = match Cursor::parse(cursor.0.as_deref()) {
                Ok(cursor) => cursor,
                Err(message) => {
                    return ListEventsResponse::BadRequest(ErrorBody::new("invalid_parameter", message, None));
                }
            };
            let source = source.0.unwrap_or_default();
            let filter = EventFilter {
                callback_type: callback_type.0,
                user_id: user_id.0,
                channel: channel.0,
                account: account.0,
                since_ms: since.0.map(|time| time.timestamp_millis()),
                until_ms: until.0.map(|time| time.timestamp_millis()),
                before_id: match &cursor {
                    Some(Cursor::Local(id)) => Some(*id),
                    _ => None,
                },
                limit,
            };
            let wants = |wanted: EventSource| source == wanted || source == EventSource::Auto;
            let (try_mongodb, try_shared) = match &cursor {
                Some(Cursor::Local(_)) => (false, false),
                Some(Cursor::Raw(..)) => (true, false),
                Some(Cursor::Shared(..)) => (false, true),
                None => (wants(EventSource::Mongodb), wants(EventSource::Mysql)),
            };
            let resuming = cursor.is_some();
            if try_mongodb {
                let Some(reader) = &self.state.raw_log_reader else {
                    if source == EventSource::Mongodb || resuming {
                        // Asked of a deployment without MongoDB: the request, not the service, is at fault.
                        return ListEventsResponse::BadRequest(ErrorBody::new(
                            "raw_log_not_configured",
                            "MongoDB is not configured (MONGODB_HOST); use source=local",
                            None,
                        ));
                    }
                    return self.list_shared_or_local(&filter, None, try_shared, false).await;
                };
                let after = match cursor {
                    Some(Cursor::Raw(received_ms, id)) => Some((received_ms, id)),
                    _ => None,
                };
                match reader.list(&filter, after).await {
                    Ok(page) => return ListEventsResponse::Ok(Json(raw_page(page))),
                    Err(error) if resuming || source == EventSource::Mongodb => {
                        return ListEventsResponse::Unavailable(raw_log_read_failed(&error));
                    }
                    Err(error) => {
                        tracing::warn!(error = %error, "MongoDB did not answer; listing the shared view or this replica's event log.");
                    }
                }
                return self.list_shared_or_local(&filter, None, try_shared, false).await;
            }
            let after = match cursor {
                Some(Cursor::Shared(received_ms, origin, id)) => Some((received_ms, origin, id)),
                _ => None,
            };
            let explicit = source == EventSource::Mysql || after.is_some();
            self.list_shared_or_local(&filter, after, try_shared, explicit).await
        }.await)
    }

    /// Get one stored callback
    ///
    /// With its ciphertext, decrypted document and typed payload.
    #[oai(path = "/api/v1/events/:id", method = "get", operation_id = "getEvent")]
    async fn get(
        &self,
        _access: ReadAccess,
        id: Path<i64>,
        /// The instance (replica) that stored it, as listed; default: this one.
        instance: Query<Option<String>>,
    ) -> Guarded<GetEventResponse> {
        Guarded::Allowed(
            async move {
                let found = match instance.0.filter(|instance| *instance != self.state.instance) {
                    None => self
                        .state
                        .event_log
                        .get(id.0)
                        .await
                        .map(|event| event.map(|e| (self.state.instance.clone(), e))),
                    Some(other) => match (&self.state.raw_log_reader, &self.state.shared_events) {
                        (Some(reader), _) => match reader.get(&other, id.0).await {
                            Ok(found) => Ok(found.map(|raw| (raw.instance, raw.event))),
                            Err(error) => return GetEventResponse::Unavailable(raw_log_read_failed(&error)),
                        },
                        (None, Some(shared)) => match shared.get(&other, id.0).await {
                            Ok(found) => Ok(found),
                            Err(error) => return GetEventResponse::Unavailable(shared_events_read_failed(&error)),
                        },
                        (None, None) => {
                            return GetEventResponse::NotFound(ErrorBody::new(
                                "not_found",
                                format!("no event {} of instance {other}: neither MongoDB nor MySQL is configured", id.0),
                                None,
                            ));
                        }
                    },
                };
                match found {
                    Ok(Some((instance, event))) => GetEventResponse::Ok(Json(Box::new(EventDetail {
                        summary: summary(&instance, &event),
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
            .await,
        )
    }
}

/// Where `GET /api/v1/events` reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, poem_openapi::Enum)]
#[oai(rename_all = "snake_case")]
pub enum EventSource {
    /// MongoDB when configured and answering, else the local event log.
    #[default]
    Auto,
    /// MongoDB's raw log (every replica's events); 503 if it does not answer.
    Mongodb,
    /// MySQL's shared events view (every replica's events, external mode);
    /// 503 if it does not answer.
    Mysql,
    /// This replica's event log.
    Local,
}

/// A page cursor: a local event id, a raw-log position (`m{ms}~{_id}`), or
/// a shared-view position (`v{ms}~{origin}~{id}`).
enum Cursor {
    Local(i64),
    Raw(i64, String),
    Shared(i64, String, i64),
}

impl Cursor {
    fn parse(text: Option<&str>) -> Result<Option<Self>, String> {
        let Some(text) = text else { return Ok(None) };
        let invalid = || "cursor is not one this API returned".to_owned();
        if let Some(shared) = text.strip_prefix('v') {
            let mut parts = shared.splitn(3, '~');
            let (Some(received_ms), Some(origin), Some(id)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(invalid());
            };
            return Ok(Some(Cursor::Shared(
                received_ms.parse().map_err(|_| invalid())?,
                origin.to_owned(),
                id.parse().map_err(|_| invalid())?,
            )));
        }
        match text.strip_prefix('m') {
            Some(raw) => {
                let (received_ms, id) = raw.split_once('~').ok_or_else(invalid)?;
                Ok(Some(Cursor::Raw(received_ms.parse().map_err(|_| invalid())?, id.to_owned())))
            }
            None => Ok(Some(Cursor::Local(text.parse().map_err(|_| invalid())?))),
        }
    }
}

fn raw_page(page: RawEventPage) -> EventPageBody {
    EventPageBody {
        events: page.events.iter().map(|raw| summary(&raw.instance, &raw.event)).collect(),
        next_cursor: page.next.map(|(received_ms, id)| format!("m{received_ms}~{id}")),
        source: "mongodb".to_owned(),
    }
}

fn shared_page(page: SharedEventPage) -> EventPageBody {
    EventPageBody {
        events: page.events.iter().map(|(origin, event)| summary(origin, event)).collect(),
        next_cursor: page.next.map(|(received_ms, origin, id)| format!("v{received_ms}~{origin}~{id}")),
        source: "mysql".to_owned(),
    }
}
