//! `/api/v1/messages`: register messages a business system sent, and read
//! their status, per-recipient states and history.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use pmc_actors::{MessageId, Registration, Status, status::RecipientState};
use poem::web::RemoteAddr;
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::Json,
    types::{ParseFromJSON, ToJSON},
};

use super::auth::{Guarded, ReadAccess, WriteAccess};
use super::{
    ApiTags,
    convert::{page_size, time_from_ms},
    error::{ErrorBody, read_failed, storage_unavailable},
    message_bodies::{
        HistoryBody, HistoryEntry, MessageBody, MessagePage, MessageStatusBody, RecipientBody,
        RegisterMessage, counts, message_body, recipient_body,
    },
    state::AppState,
};
use crate::{
    event_log::{AppendOutcome, NewEvent},
    tracking::{
        derive::{API_CHANNEL, REGISTER_TYPE},
        query::MessageFilter,
    },
};

/// Message routes.
pub struct MessagesApi {
    state: Arc<AppState>,
}

/// Answers of `POST /api/v1/messages`.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "register_bad_request")]
pub enum RegisterResponse {
    /// Registered (durably; the actors apply it within milliseconds).
    #[oai(status = 201)]
    Created(Json<MessageBody>),
    /// Queued for sending, durably (every recipient `queued`); the outcome
    /// follows: `sent` or `failed` per recipient. A retry with the same
    /// `Idempotency-Key` (or `id`) answers this again and sends nothing.
    #[oai(status = 202)]
    Accepted(Json<MessageBody>),
    /// Malformed JSON.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// A message with this id already exists, or the `Idempotency-Key` was
    /// used for a different request.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Invalid id, status or channel.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// The event log cannot store now.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn register_bad_request(error: poem::Error) -> RegisterResponse {
    RegisterResponse::BadRequest(ErrorBody::new("invalid_request", error.to_string(), None))
}

/// Answers of the message reads.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "read_bad_request")]
pub enum ReadResponse<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// Found.
    #[oai(status = 200)]
    Ok(Json<T>),
    /// Invalid parameter.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No message has that id.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The tracking store could not be read.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn read_bad_request<T: poem_openapi::types::ToJSON + Send + Sync>(error: poem::Error) -> ReadResponse<T> {
    ReadResponse::BadRequest(ErrorBody::new("invalid_parameter", error.to_string(), None))
}

fn not_found(id: &str) -> Json<ErrorBody> {
    ErrorBody::new("not_found", format!("no message with id {id}"), None)
}

fn invalid(message: impl Into<String>) -> RegisterResponse {
    RegisterResponse::Invalid(ErrorBody::new("invalid_message", message, None))
}

impl MessagesApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Messages")]
impl MessagesApi {
    /// Send or register a message
    ///
    /// `channel: wecom_app` or `wecom_bot`: this service sends it through
    /// WeCom, paced under WeCom's limits; answered 202 once queued durably,
    /// every recipient `queued`, then `sent` or `failed` per recipient.
    /// `channel: external` (default): tracks a message you sent yourself;
    /// its recipients start at `status` (default `sent`), answered 201.
    /// Status callbacks and card clicks then move it along.
    #[oai(path = "/api/v1/messages", method = "post", operation_id = "registerMessage")]
    async fn register(
        &self,
        _access: WriteAccess,
        remote: &RemoteAddr,
        body: Json<RegisterMessage>,
        /// Makes a retried POST answer the first result and never send twice
        /// (kept 24 h, the dedupe window).
        #[oai(name = "Idempotency-Key")]
        idempotency_key: poem_openapi::param::Header<Option<String>>,
    ) -> Guarded<RegisterResponse> {
        Guarded::Allowed(
            async move {
                let request = body.0;
                if super::sends::is_send_channel(&request.channel) {
                    let key = idempotency_key.0.as_deref();
                    let id = if request.channel == "wecom_kf" {
                        super::sends::kf_message_id_for(request.id.clone(), request.welcome_code.as_deref(), key)
                    } else {
                        super::sends::message_id_for(request.id.clone(), key)
                    };
                    let source_ip = remote.as_socket_addr().map(|address| address.ip().to_string());
                    return super::sends::send(&self.state, id, request, idempotency_key.0, source_ip).await;
                }
                let id = request.id.clone().unwrap_or_else(|| format!("msg_{:032x}", rand::random::<u128>()));
                let message_id = match MessageId::parse(&id) {
                    Ok(id) => id,
                    Err(reason) => return invalid(reason),
                };
                let initial_status = match request.status.as_deref().map(Status::parse) {
                    None => Status::Sent,
                    Some(Some(status)) => status,
                    Some(None) => {
                        return invalid("status must be one of sent, delivered, read, failed, recalled");
                    }
                };
                if request.channel != "external" {
                    return invalid("channel must be external, wecom_app, wecom_bot, wecom_aibot, wecom_external or wecom_kf");
                }
                if request.msgtype.is_some() {
                    return invalid(
                        "msgtype is for sending: use channel wecom_app, wecom_bot, wecom_aibot, wecom_external or wecom_kf",
                    );
                }
                if request.recipients.len() > 10_000
                    || request.recipients.iter().any(|r| r.is_empty() || r.len() > 128)
                {
                    return invalid("recipients: at most 10000 user ids of 1 to 128 characters");
                }
                let now = chrono::Utc::now().timestamp_millis();
                let account =
                    request.account.clone().unwrap_or_else(|| crate::accounts::DEFAULT_ACCOUNT.to_owned());
                // A typo would file the message under an account nobody queries.
                if !self.state.routes().accounts.iter().any(|known| known.id.as_str() == account) {
                    return invalid(format!("account {account} is not configured (GET /api/v1/accounts)"));
                }
                let registration = Registration {
                    message_id: message_id.clone(),
                    channel: request.channel.clone(),
                    account: account.clone(),
                    recipients: request.recipients.clone(),
                    wecom_msgid: request.wecom_msgid.clone(),
                    task_id: request.task_id.clone(),
                    initial_status,
                    registered_at_ms: now,
                };
                let payload = serde_json::to_string(&registration).expect("registrations serialise");
                let source_ip = remote.as_socket_addr().map(|address| address.ip().to_string());
                let mut event = NewEvent::internal(
                    API_CHANNEL,
                    REGISTER_TYPE,
                    format!("message:{id}"),
                    source_ip,
                    payload,
                )
                .for_account(&account);
                event.received_at_ms = now;
                let appended = self.state.event_log.append(event).await;
                match appended {
                    Ok(AppendOutcome::Stored { .. }) => {
                        let mut state = RecipientState::default();
                        state.apply(initial_status);
                        let names = if request.recipients.is_empty() {
                            vec![String::new()]
                        } else {
                            request.recipients
                        };
                        let recipients: Vec<RecipientBody> = names
                            .into_iter()
                            .map(|recipient| RecipientBody {
                                recipient,
                                status: initial_status.as_str().to_owned(),
                                reached: state.seen().iter().map(|s| s.as_str().to_owned()).collect(),
                            })
                            .collect();
                        RegisterResponse::Created(Json(MessageBody {
                            counts: counts(&recipients),
                            id,
                            channel: request.channel,
                            account,
                            status: Some(initial_status.as_str().to_owned()),
                            registered: true,
                            wecom_msgid: request.wecom_msgid,
                            task_id: request.task_id,
                            created_at: time_from_ms(now),
                            updated_at: time_from_ms(now),
                            recipients,
                        }))
                    }
                    Ok(AppendOutcome::Duplicate { .. }) => RegisterResponse::Conflict(ErrorBody::new(
                        "already_registered",
                        format!("message {id} is already registered; GET /api/v1/messages/{id}"),
                        None,
                    )),
                    Err(error) => {
                        tracing::error!(error = %error, "Registration not stored.");
                        RegisterResponse::Unavailable(storage_unavailable())
                    }
                }
            }
            .await,
        )
    }

    /// List tracked messages
    ///
    /// Newest first; filter by current status, recipient, channel, account
    /// and creation time.
    #[oai(path = "/api/v1/messages", method = "get", operation_id = "listMessages")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        _access: ReadAccess,
        /// Current status.
        status: Query<Option<String>>,
        /// Messages to this recipient.
        recipient: Query<Option<String>>,
        /// `external`, `wecom_app`, `wecom_bot`.
        channel: Query<Option<String>>,
        /// Account id (`GET /api/v1/accounts`).
        account: Query<Option<String>>,
        /// Created at or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Created before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
    ) -> Guarded<ReadResponse<MessagePage>> {
        Guarded::Allowed(
            async move {
                let bad = |message: String| {
                    ReadResponse::BadRequest(ErrorBody::new("invalid_parameter", message, None))
                };
                let limit = match page_size(limit.0) {
                    Ok(limit) => limit,
                    Err(message) => return bad(message),
                };
                if let Some(status) = status.0.as_deref()
                    && Status::parse(status).is_none()
                {
                    return bad("status must be one of sent, delivered, read, failed, recalled".to_owned());
                }
                let after = match cursor
                    .0
                    .as_deref()
                    .map(|c| c.split_once(':').and_then(|(t, id)| Some((t.parse().ok()?, id.to_owned()))))
                {
                    None => None,
                    Some(Some(after)) => Some(after),
                    Some(None) => return bad("cursor is not one this API returned".to_owned()),
                };
                let filter = MessageFilter {
                    status: status.0,
                    recipient: recipient.0,
                    channel: channel.0,
                    account: account.0,
                    since_ms: since.0.map(|t| t.timestamp_millis()),
                    until_ms: until.0.map(|t| t.timestamp_millis()),
                    after,
                    limit,
                };
                match self.state.tracking.list_messages(&filter).await {
                    Ok((rows, more)) => {
                        let next_cursor = if more {
                            rows.last().map(|row| format!("{}:{}", row.created_at_ms, row.id))
                        } else {
                            None
                        };
                        let mut messages = Vec::with_capacity(rows.len());
                        for row in rows {
                            let recipients = match self.state.tracking.get_message(&row.id).await {
                                Ok(Some(found)) => found.recipients.iter().map(recipient_body).collect(),
                                Ok(None) => Vec::new(),
                                Err(error) => return ReadResponse::Unavailable(read_failed(&error.into())),
                            };
                            messages.push(message_body(row, recipients));
                        }
                        ReadResponse::Ok(Json(MessagePage { messages, next_cursor }))
                    }
                    Err(error) => ReadResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }

    /// Get a tracked message
    #[oai(path = "/api/v1/messages/:id", method = "get", operation_id = "getMessage")]
    async fn get(&self, _access: ReadAccess, id: Path<String>) -> Guarded<ReadResponse<MessageBody>> {
        Guarded::Allowed(
            async move {
                match self.state.tracking.get_message(&id.0).await {
                    Ok(Some(found)) => {
                        let recipients = found.recipients.iter().map(recipient_body).collect();
                        ReadResponse::Ok(Json(message_body(found.message, recipients)))
                    }
                    Ok(None) => ReadResponse::NotFound(not_found(&id.0)),
                    Err(error) => ReadResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }

    /// Get a message's status
    ///
    /// The message's status (its most advanced recipient's), each
    /// recipient's state, and counts per state.
    #[oai(path = "/api/v1/messages/:id/status", method = "get", operation_id = "getMessageStatus")]
    async fn status(
        &self,
        _access: ReadAccess,
        id: Path<String>,
    ) -> Guarded<ReadResponse<MessageStatusBody>> {
        Guarded::Allowed(
            async move {
                if let Some(cached) = self.state.cache.get_status(&id.0).await
                    && let Ok(body) = MessageStatusBody::parse_from_json(Some(cached))
                {
                    return ReadResponse::Ok(Json(body));
                }
                match self.state.tracking.get_message(&id.0).await {
                    Ok(Some(found)) => {
                        let recipients: Vec<RecipientBody> =
                            found.recipients.iter().map(recipient_body).collect();
                        let body = MessageStatusBody {
                            message_id: found.message.id,
                            status: found.message.status,
                            counts: counts(&recipients),
                            recipients,
                            updated_at: time_from_ms(found.message.updated_at_ms),
                        };
                        self.state.cache.put_status(&id.0, &body.to_json().unwrap_or_default()).await;
                        ReadResponse::Ok(Json(body))
                    }
                    Ok(None) => ReadResponse::NotFound(not_found(&id.0)),
                    Err(error) => ReadResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }

    /// Get a message's history
    ///
    /// Every observation with its outcome (`applied`, `implied`,
    /// `duplicate`, `stale`, `conflict`), source and times, in the order applied.
    #[oai(path = "/api/v1/messages/:id/history", method = "get", operation_id = "getMessageHistory")]
    async fn history(&self, _access: ReadAccess, id: Path<String>) -> Guarded<ReadResponse<HistoryBody>> {
        Guarded::Allowed(
            async move {
                match self.state.tracking.get_message(&id.0).await {
                    Ok(None) => return ReadResponse::NotFound(not_found(&id.0)),
                    Err(error) => return ReadResponse::Unavailable(read_failed(&error.into())),
                    Ok(Some(_)) => {}
                }
                match self.state.tracking.history(&id.0).await {
                    Ok(rows) => ReadResponse::Ok(Json(HistoryBody {
                        message_id: id.0,
                        history: rows
                            .into_iter()
                            .map(|row| HistoryEntry {
                                event_id: row.event_id,
                                recipient: row.recipient,
                                status: row.status,
                                outcome: row.outcome,
                                from_status: row.from_status,
                                source: row.source,
                                occurred_at: row.occurred_at_ms.map(time_from_ms),
                                received_at: time_from_ms(row.received_at_ms),
                                detail: row.detail,
                            })
                            .collect(),
                    })),
                    Err(error) => ReadResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }
}
