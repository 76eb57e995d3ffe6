//! Answering robot users: write to a stream WeCom is polling
//! (`PUT /api/v1/robot/streams/{id}`, read back with GET) and reply once
//! through a callback's `response_url` (`POST /api/v1/robot/replies`). A
//! reply is a send: stored as a `message.send` event (the 202 follows its
//! commit), posted by the send worker, tracked as a message.

use std::sync::Arc;

use poem_openapi::{ApiResponse, OpenApi, param::Header, param::Path, payload::Json};
use serde_json::{Map, Value, json};

pub use super::robot_bodies::{ReplyBody, RobotReplyRequest, StreamBody, StreamUpdate};
use super::{
    ApiTags,
    auth::{Guarded, ReadAccess, WriteAccess},
    error::{ErrorBody, RobotFailure, storage_unavailable},
    robot_bodies::stream_body,
    sends::message_id_for,
    state::AppState,
};
use crate::{
    event_log::{AppendOutcome, NewEvent},
    outbound::{SEND_TYPE, SendRequest},
    robot::{StreamWrite, WriteRefused, stream},
    tracking::derive::API_CHANNEL,
};

fn stream_bad_request(error: poem::Error) -> StreamResponse {
    StreamResponse::BadRequest(ErrorBody::new("invalid_request", error.to_string(), None))
}

fn reply_bad_request(error: poem::Error) -> ReplyResponse {
    ReplyResponse::BadRequest(ErrorBody::new("invalid_request", error.to_string(), None))
}

/// Stream and reply routes.
pub struct RobotApi {
    state: Arc<AppState>,
}

impl RobotApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

/// Answers of the stream routes.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "stream_bad_request")]
pub enum StreamResponse {
    /// The stream as it stands.
    #[oai(status = 200)]
    Ok(Json<StreamBody>),
    /// The body is not JSON of the documented shape.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Written after the force-finish: the final content goes out through
    /// the callback's `response_url` (`late_reply`).
    #[oai(status = 202)]
    Late(Json<StreamBody>),
    /// No such stream (never opened, or expired after 2 hours).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Finished already; or its `response_url` was used.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Its `response_url` expired (1 hour).
    #[oai(status = 410)]
    Gone(Json<ErrorBody>),
    /// The write breaks WeCom's rules.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// The store did not answer; retry.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

/// Answers of the reply route.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "reply_bad_request")]
pub enum ReplyResponse {
    /// Queued durably; it is posted once.
    #[oai(status = 202)]
    Accepted(Json<ReplyBody>),
    /// The body is not JSON of the documented shape.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No callback with this message id brought a `response_url`.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The `response_url` was used by another reply (single use).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// The `response_url` expired (1 hour after the callback).
    #[oai(status = 410)]
    Gone(Json<ErrorBody>),
    /// Invalid reply.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// The event log did not take it; retry.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl From<RobotFailure> for StreamResponse {
    fn from(failure: RobotFailure) -> Self {
        match failure {
            RobotFailure::NotFound(body) => StreamResponse::NotFound(body),
            RobotFailure::Conflict(body) => StreamResponse::Conflict(body),
            RobotFailure::Gone(body) => StreamResponse::Gone(body),
            RobotFailure::Invalid(body) => StreamResponse::Invalid(body),
            RobotFailure::Unavailable(body) => StreamResponse::Unavailable(body),
        }
    }
}

impl From<RobotFailure> for ReplyResponse {
    fn from(failure: RobotFailure) -> Self {
        match failure {
            RobotFailure::NotFound(body) => ReplyResponse::NotFound(body),
            RobotFailure::Conflict(body) => ReplyResponse::Conflict(body),
            RobotFailure::Gone(body) => ReplyResponse::Gone(body),
            RobotFailure::Invalid(body) => ReplyResponse::Invalid(body),
            RobotFailure::Unavailable(body) => ReplyResponse::Unavailable(body),
        }
    }
}

/// What a reply says, before it is queued.
struct Reply {
    id: String,
    account: String,
    message_id: String,
    msgtype: String,
    content: Map<String, Value>,
}

#[OpenApi(tag = "ApiTags::Robot")]
impl RobotApi {
    /// Write to a stream
    ///
    /// The whole answer so far (each write replaces the previous); WeCom's
    /// next refresh poll, on any replica, shows it. `finish` ends it, with
    /// optional images and a template card. A write after the deadline's
    /// force-finish answers 202; the last one (`finish: true`) is sent
    /// through the callback's `response_url`.
    #[oai(path = "/api/v1/robot/streams/:id", method = "put", operation_id = "writeRobotStream")]
    async fn write_stream(
        &self,
        _access: WriteAccess,
        id: Path<String>,
        body: Json<StreamUpdate>,
    ) -> Guarded<StreamResponse> {
        Guarded::Allowed(
            async move {
                let write = StreamWrite {
                    content: body.0.content,
                    finish: body.0.finish,
                    msg_item: body.0.msg_item,
                    template_card: body.0.template_card,
                };
                let conversations = &self.state.conversations;
                match conversations.write(&id.0, write.clone()).await {
                    Ok(stream) => StreamResponse::Ok(Json(stream_body(stream, None))),
                    Err(crate::robot::StreamError::Refused(WriteRefused::ForceFinished(_))) => {
                        self.late_write(&id.0, write).await
                    }
                    Err(error) => RobotFailure::from(&error).into(),
                }
            }
            .await,
        )
    }

    /// Read a stream
    ///
    /// Its content, whether it is finished (or was force-finished), its
    /// feedback id, keepalives and deadline.
    #[oai(path = "/api/v1/robot/streams/:id", method = "get", operation_id = "getRobotStream")]
    async fn get_stream(&self, _access: ReadAccess, id: Path<String>) -> Guarded<StreamResponse> {
        Guarded::Allowed(match self.state.conversations.get(&id.0).await {
            Ok(stream) => StreamResponse::Ok(Json(stream_body(stream, None))),
            Err(error) => RobotFailure::from(&error).into(),
        })
    }

    /// Reply through response_url
    ///
    /// Answers a robot callback once through its `response_url` (valid for
    /// 1 hour, single use): `markdown`, or `template_card` in single chats.
    /// Tracked as a message (`sent`, or `failed` with WeCom's errcode); the
    /// reply carries a feedback id, and `feedback_event`s on it are
    /// interactions of that message.
    #[oai(path = "/api/v1/robot/replies", method = "post", operation_id = "replyToRobotMessage")]
    async fn reply(
        &self,
        _access: WriteAccess,
        body: Json<RobotReplyRequest>,
        /// A retry with the same key is the same reply.
        #[oai(name = "Idempotency-Key")]
        idempotency_key: Header<Option<String>>,
    ) -> Guarded<ReplyResponse> {
        Guarded::Allowed(
            async move {
                let body = body.0;
                let id = message_id_for(body.id, idempotency_key.0.as_deref());
                let account = body.account.unwrap_or_else(pmc_actors::default_account);
                let content = match reply_content(&body.msgtype, body.markdown, body.template_card) {
                    Ok(content) => content,
                    Err(reason) => {
                        return ReplyResponse::Invalid(ErrorBody::new("invalid_reply", reason, None));
                    }
                };
                let reply =
                    Reply { id, account, message_id: body.message_id, msgtype: body.msgtype, content };
                match self.queue_reply(reply).await {
                    Ok(queued) => ReplyResponse::Accepted(Json(queued)),
                    Err(failure) => failure.into(),
                }
            }
            .await,
        )
    }
}

impl RobotApi {
    /// A write that came after the force-finish: its content as a
    /// markdown reply through the user message's `response_url`.
    /// Writes before the last carry nothing WeCom can show any more (each
    /// write is the whole answer so far): they are acknowledged, and the
    /// last one (`finish: true`) goes out.
    async fn late_write(&self, id: &str, write: StreamWrite) -> StreamResponse {
        let stream = match self.state.conversations.get(id).await {
            Ok(stream) => stream,
            Err(error) => return RobotFailure::from(&error).into(),
        };
        if !write.finish {
            return StreamResponse::Late(Json(stream_body(stream, None)));
        }
        let mut content = Map::new();
        content.insert("content".into(), Value::String(write.content));
        let reply = Reply {
            // One late reply per stream: a retried write is the same reply.
            id: format!("{}.late", stream.id),
            account: stream.account.clone(),
            message_id: stream.message_id.clone(),
            msgtype: "markdown".to_owned(),
            content,
        };
        match self.queue_reply(reply).await {
            Ok(queued) => StreamResponse::Late(Json(stream_body(stream, Some(queued)))),
            Err(failure) => failure.into(),
        }
    }

    /// Takes the callback's `response_url` for the reply and stores its send.
    async fn queue_reply(&self, mut reply: Reply) -> Result<ReplyBody, RobotFailure> {
        if let Err(reason) = pmc_actors::MessageId::parse(&reply.id) {
            return Err(RobotFailure::Invalid(ErrorBody::new("invalid_reply", reason, None)));
        }
        let conversations = &self.state.conversations;
        let url = conversations
            .claim_response_url(&reply.account, &reply.message_id, &reply.id)
            .await
            .map_err(|refused| RobotFailure::from(&refused))?;
        if reply.msgtype == "template_card" && url.chat_type != "single" {
            return Err(RobotFailure::Invalid(ErrorBody::new(
                "invalid_reply",
                "a template_card reply goes to single chats only; use markdown in groups",
                None,
            )));
        }
        let feedback_id = stream::feedback_id(&reply.id);
        reply.content.insert("feedback".into(), json!({"id": feedback_id}));
        let request = SendRequest::robot_reply(
            reply.id.clone(),
            reply.account.clone(),
            &reply.msgtype,
            reply.content,
            url.url,
        );
        let payload = serde_json::to_string(&request).expect("requests serialise");
        let event =
            NewEvent::internal(API_CHANNEL, SEND_TYPE, format!("message:{}", reply.id), None, payload)
                .for_account(&reply.account);
        match self.state.event_log.append(event).await {
            Ok(AppendOutcome::Stored { .. } | AppendOutcome::Duplicate { .. }) => Ok(ReplyBody {
                id: reply.id,
                account: reply.account,
                message_id: reply.message_id,
                feedback_id,
                status: "queued".to_owned(),
            }),
            Err(error) => {
                tracing::error!(error = %error, "Robot reply not stored.");
                Err(RobotFailure::Unavailable(storage_unavailable()))
            }
        }
    }
}

/// The reply's content object, checked as WeCom would.
fn reply_content(
    msgtype: &str,
    markdown: Option<Value>,
    template_card: Option<Value>,
) -> Result<Map<String, Value>, String> {
    match (msgtype, markdown, template_card) {
        ("markdown", Some(Value::Object(markdown)), None) => {
            let content = markdown.get("content").and_then(Value::as_str).unwrap_or_default();
            if content.is_empty() || content.len() > stream::MAX_CONTENT_BYTES {
                return Err("markdown.content: 1 to 20480 bytes (UTF-8)".to_owned());
            }
            Ok(markdown)
        }
        ("template_card", None, Some(Value::Object(card))) => {
            if card.get("card_type").and_then(Value::as_str).is_none_or(str::is_empty) {
                return Err("template_card.card_type is required".to_owned());
            }
            Ok(card)
        }
        ("markdown" | "template_card", _, _) => {
            Err(format!("msgtype is {msgtype}: give the {msgtype} object, and only it"))
        }
        _ => Err("msgtype must be markdown or template_card".to_owned()),
    }
}
