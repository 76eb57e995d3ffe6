//! The bodies of the robot routes (`api/robot.rs`).

use poem_openapi::{Object, types::Example};
use serde_json::{Value, json};

use super::convert::time_from_ms;
use crate::robot::StreamState;

/// A write to a stream: the whole answer so far.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct StreamUpdate {
    /// The full text so far, Markdown (≤ 20480 bytes; replaces the previous).
    pub content: String,
    /// The last write: WeCom stops polling.
    #[oai(default)]
    pub finish: bool,
    /// Images shown with the finished answer (≤ 10, with `finish` only):
    /// `{"msgtype": "image", "image": {"base64": …, "md5": …}}`.
    #[oai(default)]
    pub msg_item: Vec<Value>,
    /// A template card below the text (`stream_with_template_card`).
    pub template_card: Option<Value>,
}

impl Example for StreamUpdate {
    fn example() -> Self {
        StreamUpdate {
            content: "订单 **20261128-0001** 已发货，预计明天送达。".to_owned(),
            finish: true,
            msg_item: Vec::new(),
            template_card: None,
        }
    }
}

/// A stream as it stands.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StreamBody {
    /// The stream id.
    pub id: String,
    /// The robot account.
    pub account: String,
    /// The user's message it answers (`msgid`).
    pub message_id: String,
    /// `single` or `group`.
    pub chat_type: String,
    /// The group, for group chats.
    pub chat_id: Option<String>,
    /// Who asked.
    pub user_id: String,
    /// The text so far.
    pub content: String,
    /// Finished.
    pub finish: bool,
    /// Finished by the deadline (`robot.stream_deadline_secs`), with
    /// `robot.stream_fallback_text`.
    pub forced: bool,
    /// The feedback id its answers carry (`feedback_event`s name it).
    pub feedback_id: String,
    /// Keepalive updates made.
    pub keepalives: u32,
    /// Opened (the user's message).
    pub opened_at: chrono::DateTime<chrono::Utc>,
    /// Last written (or kept alive).
    pub updated_at: chrono::DateTime<chrono::Utc>,
    /// Force-finished if still open then.
    pub deadline: chrono::DateTime<chrono::Utc>,
    /// Set when this write came after the force-finish and finished the
    /// answer: the reply that carries it through the callback's
    /// `response_url` (earlier late writes are acknowledged, not sent).
    pub late_reply: Option<ReplyBody>,
}

pub(super) fn stream_body(stream: StreamState, late_reply: Option<ReplyBody>) -> StreamBody {
    StreamBody {
        opened_at: time_from_ms(stream.opened_at_ms),
        updated_at: time_from_ms(stream.updated_at_ms),
        deadline: time_from_ms(stream.deadline_ms),
        id: stream.id,
        account: stream.account,
        message_id: stream.message_id,
        chat_type: stream.chat_type,
        chat_id: stream.chat_id,
        user_id: stream.user_id,
        content: stream.content,
        finish: stream.finish,
        forced: stream.forced,
        feedback_id: stream.feedback_id,
        keepalives: stream.keepalives,
        late_reply,
    }
}

/// An answer through a callback's `response_url`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct RobotReplyRequest {
    /// The reply's message id (default: from `Idempotency-Key`, else new).
    pub id: Option<String>,
    /// The robot account the callback came in for (default `default`).
    pub account: Option<String>,
    /// The callback's `msgid`, whose `response_url` is used.
    pub message_id: String,
    /// `markdown` or `template_card` (single chats only).
    pub msgtype: String,
    /// `{"content": …}` (≤ 20480 bytes).
    pub markdown: Option<Value>,
    /// WeCom's template card JSON.
    pub template_card: Option<Value>,
}

impl Example for RobotReplyRequest {
    fn example() -> Self {
        RobotReplyRequest {
            id: Some("reply-20261128-0001".to_owned()),
            account: Some("default".to_owned()),
            message_id: "CAIQ16HMjQYY\\/NGagIOAgAMgq4KM0AI=".to_owned(),
            msgtype: "markdown".to_owned(),
            markdown: Some(json!({"content": "已为你提交工单 **#4521**。"})),
            template_card: None,
        }
    }
}

/// A reply, queued.
#[derive(Debug, Clone, Object)]
pub struct ReplyBody {
    /// The tracked message (`GET /api/v1/messages/{id}`: `sent`, or `failed` with WeCom's errcode).
    pub id: String,
    /// The robot account.
    pub account: String,
    /// The callback whose `response_url` carries it.
    pub message_id: String,
    /// The feedback id the reply carries.
    pub feedback_id: String,
    /// `queued`.
    pub status: String,
}
