//! Legacy group-robot callbacks (群机器人回调, beta; PROTOCOL.md §7.5): XML
//! with CamelCase tags, encrypted for an empty receiveid.

use serde::{Deserialize, Serialize};

/// A legacy group-robot callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct GroupRobotCallback {
    /// A send URL for this chat.
    #[serde(default)]
    pub webhook_url: Option<String>,
    /// Unique id; the dedupe key.
    pub msg_id: String,
    /// Chat id.
    #[serde(default)]
    pub chat_id: Option<String>,
    /// 小黑板 post id.
    #[serde(default)]
    pub post_id: Option<String>,
    /// `single`, `group`, `blackboard`, `blackboard_reply`.
    #[serde(default)]
    pub chat_type: String,
    /// The sender.
    #[serde(default)]
    pub from: GroupRobotSender,
    /// One-time URL for chat info (5 minutes).
    #[serde(default)]
    pub get_chat_info_url: Option<String>,
    /// `text`, `image`, `mixed`, `event`, `attachment`, …
    pub msg_type: String,
    /// `Text/Content` for text messages.
    #[serde(default)]
    pub text: Option<GroupRobotText>,
    /// Every other type-specific element, as received.
    #[serde(skip_deserializing)]
    pub fields: serde_json::Value,
}

/// `From/{UserId, Name, Alias}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct GroupRobotSender {
    /// UserID.
    #[serde(default)]
    pub user_id: String,
    /// Display name.
    #[serde(default)]
    pub name: Option<String>,
    /// Alias.
    #[serde(default)]
    pub alias: Option<String>,
}

/// `Text/Content`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct GroupRobotText {
    /// The text, with the @mention.
    #[serde(default)]
    pub content: String,
}
