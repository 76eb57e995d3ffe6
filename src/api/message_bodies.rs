//! The JSON bodies of the message routes, and how rows become them.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use poem_openapi::Object;

use super::convert::time_from_ms;
use crate::tracking::entity::{message, recipient};

/// A message to register (channel `external`: you sent it) or to send
/// (`wecom_app`, `wecom_bot`, `wecom_aibot`, `wecom_external`: this service sends it). A send mirrors WeCom's
/// own body: `msgtype` and the object named after it, e.g.
/// `{"channel": "wecom_app", "recipients": ["zhangsan"], "msgtype": "text",
/// "text": {"content": "你好"}}`.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct RegisterMessage {
    /// Your id for it (1–128 of `[A-Za-z0-9_.:@-]`); generated when absent
    /// (from the `Idempotency-Key` when there is one).
    pub id: Option<String>,
    /// `external`: sent by you, outside this service. `wecom_app`: send
    /// through the app (`message/send`). `wecom_bot`: send through the group
    /// robot (`webhook/send`). `wecom_aibot`: a smart robot's proactive
    /// message on its long connection. `wecom_external`: a mass send to
    /// customers through the app (`add_msg_template`; `recipients` are
    /// external_userids, `msgtype` text), each customer `sent` or `failed`
    /// once their member sends it (`get_groupmsg_send_result`). `wecom_kf`:
    /// 微信客服 (`kf/send_msg`) to one customer (`recipients`: their
    /// external_userid) of `open_kfid`, or a session's welcome
    /// (`welcome_code`); the id is WeCom's kf msgid (1–32 of
    /// `[A-Za-z0-9_-]`), so its `msg_send_fail` fails it.
    #[oai(default = "default_channel")]
    pub channel: String,
    /// The account to send through (`GET /api/v1/accounts`): an app or
    /// suite for `wecom_app` and `wecom_external`, a robot for `wecom_bot`; for `external`, the
    /// account the message belongs to. Default `default`.
    #[oai(validator(pattern = "^[a-z0-9_-]{1,40}$"))]
    pub account: Option<String>,
    /// Sending through a suite: the authorised corp to send to, on its
    /// behalf (its corp id, case-sensitive).
    #[oai(validator(max_length = 64))]
    pub corp_id: Option<String>,
    /// Recipient user ids (`["@all"]`: everyone in the app's range); for an
    /// external message, empty to track it as a whole; for `wecom_external`,
    /// the customers' external_userids. Not for robots.
    #[oai(default)]
    pub recipients: Vec<String>,
    /// Department ids to send to (`wecom_app`).
    #[oai(default)]
    pub parties: Vec<String>,
    /// Tag ids to send to (`wecom_app`).
    #[oai(default)]
    pub tags: Vec<String>,
    /// An app group chat to send to (`wecom_app`, `appchat/send`), instead
    /// of recipients, parties and tags; tracked as one recipient, the chat.
    /// Takes `text`, `image`, `voice`, `video`, `file`, `textcard`, `news`,
    /// `mpnews`, `markdown`.
    #[oai(validator(max_length = 32))]
    pub chatid: Option<String>,
    /// `wecom_kf`: the customer-service account (`open_kfid`) sending to
    /// the customer in `recipients`.
    #[oai(validator(max_length = 128))]
    pub open_kfid: Option<String>,
    /// `wecom_kf`: the `welcome_code` of an `enter_session` event: the
    /// message is that session's welcome (`kf/send_msg_on_event`, within
    /// 20 s of the event; without `id`, its id comes from the code, so it
    /// is sent once).
    #[oai(validator(max_length = 128))]
    pub welcome_code: Option<String>,
    /// What to send: `text`, `markdown`, `textcard`, `news`, `template_card`,
    /// `image`, `voice`, `video`, `file`, `mpnews`, `miniprogram_notice`
    /// (app); `text`, `markdown`, `markdown_v2`, `news`, `image`, `file`,
    /// `voice`, `template_card` (robot).
    pub msgtype: Option<String>,
    /// `{"content": …}`; robots also take `mentioned_list`, `mentioned_mobile_list`.
    pub text: Option<serde_json::Value>,
    /// `{"content": …}`.
    pub markdown: Option<serde_json::Value>,
    /// `{"content": …}` (robot).
    pub markdown_v2: Option<serde_json::Value>,
    /// `{"title", "description", "url", "btntxt"}` (app).
    pub textcard: Option<serde_json::Value>,
    /// `{"articles": [{"title", "description", "url", "picurl"}]}`, 1 to 8.
    pub news: Option<serde_json::Value>,
    /// WeCom's card: `card_type` and its fields; interactive cards need a
    /// `task_id`, by which clicks find the message.
    pub template_card: Option<serde_json::Value>,
    /// App: `{"media_id"}`, or `{"filename", "base64"}` of a JPG or PNG
    /// (≤ 10 MB) to have this service upload it (`media/upload`). Robot:
    /// `{"base64", "md5"}`.
    pub image: Option<serde_json::Value>,
    /// `{"media_id"}` (app: from `media/upload`; robot: from
    /// `webhook/upload_media`), or `{"filename", "base64"}` to have this
    /// service upload it (≤ 20 MB).
    pub file: Option<serde_json::Value>,
    /// `{"media_id"}`, or `{"filename", "base64"}` of an AMR (≤ 2 MB, 60 s).
    pub voice: Option<serde_json::Value>,
    /// `{"media_id", "title", "description"}`, or `{"filename", "base64",
    /// "title", "description"}` of an MP4 (≤ 10 MB) to upload (app).
    pub video: Option<serde_json::Value>,
    /// `{"articles": [{"title", "thumb_media_id", "author",
    /// "content_source_url", "content", "digest"}]}`, 1 to 8 (app); an
    /// article may give `thumb_filename` and `thumb_base64` (a JPG or PNG)
    /// instead of `thumb_media_id`, uploaded first.
    pub mpnews: Option<serde_json::Value>,
    /// `{"appid", "page", "title", "description", "emphasis_first_item",
    /// "content_item": [{"key", "value"}]}` (app, a mini program bound to it;
    /// at most 10 items).
    pub miniprogram_notice: Option<serde_json::Value>,
    /// Confidential message (app).
    #[oai(default)]
    pub safe: bool,
    /// Let WeCom drop an identical message sent within the interval (app).
    #[oai(default)]
    pub enable_duplicate_check: bool,
    /// Seconds, 1 to 14400 (WeCom's default 1800).
    pub duplicate_check_interval: Option<u32>,
    /// WeCom's `msgid`, if you sent it through WeCom.
    pub wecom_msgid: Option<String>,
    /// The template card's `task_id`: card clicks then count as `read`.
    pub task_id: Option<String>,
    /// The status to start from (default `sent`).
    pub status: Option<String>,
}

pub(super) fn default_channel() -> String {
    "external".to_owned()
}

/// A tracked message.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct MessageBody {
    /// Message id.
    pub id: String,
    /// `external`, `wecom_app`, `wecom_bot`.
    pub channel: String,
    /// The account it is sent through.
    pub account: String,
    /// The most advanced recipient's status.
    pub status: Option<String>,
    /// Registered through the API (else created by its first observation).
    pub registered: bool,
    /// WeCom's msgid.
    pub wecom_msgid: Option<String>,
    /// Template card task id.
    pub task_id: Option<String>,
    /// First seen.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
    /// Per recipient.
    pub recipients: Vec<RecipientBody>,
    /// Recipients per current status.
    pub counts: BTreeMap<String, u64>,
}

/// One recipient's state.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct RecipientBody {
    /// User id (`""` for the message as a whole).
    pub recipient: String,
    /// Current status.
    pub status: String,
    /// Every status reached, applied or implied, in order.
    pub reached: Vec<String>,
}

/// The status answer.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct MessageStatusBody {
    /// Message id.
    pub message_id: String,
    /// The most advanced recipient's status.
    pub status: Option<String>,
    /// Per recipient.
    pub recipients: Vec<RecipientBody>,
    /// Recipients per current status.
    pub counts: BTreeMap<String, u64>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// One history entry.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct HistoryEntry {
    /// The event it came from.
    pub event_id: i64,
    /// Recipient (`""` for the whole message).
    pub recipient: String,
    /// Status observed or implied.
    pub status: String,
    /// `applied`, `implied`, `duplicate`, `stale`, `conflict`.
    pub outcome: String,
    /// Status before.
    pub from_status: Option<String>,
    /// `register`, `status_webhook`, `wecom_card`, …
    pub source: String,
    /// When it says it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
    /// Free text from the source.
    pub detail: Option<String>,
}

/// The history answer.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct HistoryBody {
    /// Message id.
    pub message_id: String,
    /// Every observation in the order applied.
    pub history: Vec<HistoryEntry>,
}

/// A page of messages.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct MessagePage {
    /// Newest first.
    pub messages: Vec<MessageBody>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

pub(super) fn recipient_body(row: &recipient::Model) -> RecipientBody {
    let seen = pmc_actors::status::StatusSet::from_bits(row.seen as u8);
    RecipientBody {
        recipient: row.recipient.clone(),
        status: row.status.clone(),
        reached: seen.iter().map(|status| status.as_str().to_owned()).collect(),
    }
}

pub(super) fn counts(recipients: &[RecipientBody]) -> BTreeMap<String, u64> {
    let mut counts = BTreeMap::new();
    for recipient in recipients {
        *counts.entry(recipient.status.clone()).or_default() += 1;
    }
    counts
}

pub(super) fn message_body(row: message::Model, recipients: Vec<RecipientBody>) -> MessageBody {
    MessageBody {
        counts: counts(&recipients),
        id: row.id,
        channel: row.channel,
        account: row.account,
        status: row.status,
        registered: row.registered,
        wecom_msgid: row.wecom_msgid,
        task_id: row.task_id,
        created_at: time_from_ms(row.created_at_ms),
        updated_at: time_from_ms(row.updated_at_ms),
        recipients,
    }
}
