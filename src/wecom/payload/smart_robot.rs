//! Smart-robot (智能机器人) API-mode callbacks: decrypted JSON (doc 100719,
//! 101027). Field names follow the docs' JSON examples.

use serde::{Deserialize, Serialize};

/// The fields every smart-robot callback carries.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SmartRobotCallback {
    /// Unique per callback; the dedupe key.
    pub msgid: String,
    /// The robot's id.
    #[serde(default)]
    pub aibotid: String,
    /// Group chat id (groups only).
    #[serde(default)]
    pub chatid: Option<String>,
    /// `single` or `group`.
    #[serde(default)]
    pub chattype: String,
    /// Who sent it.
    #[serde(default)]
    pub from: RobotSender,
    /// One-time URL for an active reply (1 hour).
    #[serde(default)]
    pub response_url: Option<String>,
    /// Unix seconds (events only).
    #[serde(default)]
    pub create_time: Option<i64>,
    /// The quoted message, if the user quoted one.
    #[serde(default)]
    pub quote: Option<serde_json::Value>,
    /// The typed content.
    #[serde(skip_deserializing, default = "default_body")]
    pub body: SmartRobotBody,
    /// How we answered it (set by the service, never by WeCom): the stream
    /// opened for it, so subscribers can write to it.
    #[serde(skip_deserializing, skip_serializing_if = "Option::is_none")]
    pub reply: Option<ReplyRef>,
}

/// The answer the service gave a robot callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReplyRef {
    /// The stream opened (`PUT /api/v1/robot/streams/{stream_id}`).
    pub stream_id: String,
    /// The feedback id its answers carry.
    pub feedback_id: String,
}

fn default_body() -> SmartRobotBody {
    SmartRobotBody::Unknown { raw_msgtype: String::new(), fields: serde_json::Value::Null }
}

/// The sender of a robot callback.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RobotSender {
    /// Member UserID.
    #[serde(default)]
    pub userid: String,
    /// Corp id (events, optional).
    #[serde(default)]
    pub corpid: Option<String>,
}

/// What a smart-robot callback contains; the variant is `msgtype`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "msgtype", rename_all = "snake_case")]
pub enum SmartRobotBody {
    /// `text.content` (includes the @mention in groups).
    Text { text: TextContent },
    /// `image.url` (single chat only; the file itself is AES-encrypted).
    Image { image: MediaUrl },
    /// Text and images mixed.
    Mixed { mixed: MixedContent },
    /// Speech, already transcribed.
    Voice { voice: TextContent },
    /// A file.
    File { file: MediaUrl },
    /// A video.
    Video { video: MediaUrl },
    /// WeCom polling for the latest content of a stream we started.
    Stream { stream: StreamRef },
    /// An event.
    Event { event: RobotEvent },
    /// A `msgtype` we do not model, with every field kept.
    Unknown {
        /// The raw `msgtype`.
        raw_msgtype: String,
        /// The whole callback as received.
        fields: serde_json::Value,
    },
}

/// `{"content": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TextContent {
    /// The text.
    #[serde(default)]
    pub content: String,
}

/// `{"url": …}` (valid 5 minutes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaUrl {
    /// Download URL.
    pub url: String,
}

/// `{"msg_item": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedContent {
    /// Items in order.
    #[serde(default)]
    pub msg_item: Vec<MixedItem>,
}

/// One part of a mixed message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MixedItem {
    /// `text` or `image`.
    pub msgtype: String,
    /// Set when `msgtype` is `text`.
    #[serde(default)]
    pub text: Option<TextContent>,
    /// Set when `msgtype` is `image`.
    #[serde(default)]
    pub image: Option<MediaUrl>,
}

/// `{"id": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StreamRef {
    /// The stream id we chose.
    pub id: String,
}

/// `event.eventtype` and its object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "eventtype", rename_all = "snake_case")]
pub enum RobotEvent {
    /// First entry into the single chat today.
    EnterChat {},
    /// A template card button or selection (sent once, never retried).
    TemplateCardEvent {
        /// The card event.
        template_card_event: RobotCardEvent,
    },
    /// A user rated an answer.
    FeedbackEvent {
        /// The feedback.
        feedback_event: RobotFeedback,
    },
}

/// A smart-robot card interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotCardEvent {
    /// Card type.
    #[serde(default)]
    pub card_type: String,
    /// Button or submit key.
    #[serde(default)]
    pub event_key: String,
    /// The card's task id.
    #[serde(default)]
    pub task_id: String,
    /// Vote / multi-select answers.
    #[serde(default)]
    pub selected_items: Option<serde_json::Value>,
}

/// A smart-robot feedback event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RobotFeedback {
    /// The feedback id we sent with the stream.
    pub id: String,
    /// 1 accurate, 2 inaccurate, 3 cancelled.
    #[serde(rename = "type")]
    pub feedback_type: i64,
    /// Free text.
    #[serde(default)]
    pub content: String,
    /// 1 irrelevant, 2 incomplete, 3 wrong, 4 analysis error.
    #[serde(default)]
    pub inaccurate_reason_list: Vec<i64>,
}

impl SmartRobotBody {
    /// Whether it is a user's message (not a stream refresh, an event or
    /// an unknown type): what a `reply: stream` account opens a stream for.
    pub fn is_user_message(&self) -> bool {
        matches!(
            self,
            SmartRobotBody::Text { .. }
                | SmartRobotBody::Image { .. }
                | SmartRobotBody::Mixed { .. }
                | SmartRobotBody::Voice { .. }
                | SmartRobotBody::File { .. }
                | SmartRobotBody::Video { .. }
        )
    }
}

impl SmartRobotCallback {
    /// Parses a decrypted smart-robot JSON document. Unknown message types
    /// and unknown event types are kept as [`SmartRobotBody::Unknown`].
    pub fn parse(value: serde_json::Value) -> Result<Self, serde_json::Error> {
        let mut callback: SmartRobotCallback = serde_json::from_value(value.clone())?;
        let msgtype = value.get("msgtype").and_then(|v| v.as_str()).unwrap_or("").to_owned();
        let typed = match msgtype.as_str() {
            "text" | "image" | "mixed" | "voice" | "file" | "video" | "stream" | "event" => {
                Self::typed_body(&msgtype, &value)
            }
            _ => None,
        };
        callback.body = typed.unwrap_or(SmartRobotBody::Unknown { raw_msgtype: msgtype, fields: value });
        Ok(callback)
    }

    fn typed_body(msgtype: &str, value: &serde_json::Value) -> Option<SmartRobotBody> {
        let field = |name: &str| value.get(name).cloned();
        let parse = |name: &str| -> Option<serde_json::Value> { field(name) };
        Some(match msgtype {
            "text" => SmartRobotBody::Text { text: serde_json::from_value(parse("text")?).ok()? },
            "image" => SmartRobotBody::Image { image: serde_json::from_value(parse("image")?).ok()? },
            "mixed" => SmartRobotBody::Mixed { mixed: serde_json::from_value(parse("mixed")?).ok()? },
            "voice" => SmartRobotBody::Voice { voice: serde_json::from_value(parse("voice")?).ok()? },
            "file" => SmartRobotBody::File { file: serde_json::from_value(parse("file")?).ok()? },
            "video" => SmartRobotBody::Video { video: serde_json::from_value(parse("video")?).ok()? },
            "stream" => SmartRobotBody::Stream { stream: serde_json::from_value(parse("stream")?).ok()? },
            "event" => SmartRobotBody::Event { event: serde_json::from_value(parse("event")?).ok()? },
            _ => return None,
        })
    }
}
