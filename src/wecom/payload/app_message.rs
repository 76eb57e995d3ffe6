//! User messages sent to a self-built app (doc 90239): text, image, voice,
//! video, location and link. Every one carries a `MsgId`.

use serde::{Deserialize, Serialize};
use serde_with::{DisplayFromStr, PickFirst, serde_as};

/// A user message; the variant is the XML `MsgType`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "msg_type", rename_all = "snake_case")]
pub enum AppMessage {
    /// Plain text.
    Text(TextMessage),
    /// A picture, fetchable through `media/get`.
    Image(ImageMessage),
    /// A voice clip.
    Voice(VoiceMessage),
    /// A video clip.
    Video(VideoMessage),
    /// A shared location.
    Location(LocationMessage),
    /// A shared link.
    Link(LinkMessage),
}

/// `MsgType=text`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct TextMessage {
    /// The 64-bit message id, kept as text.
    pub msg_id: String,
    /// The text; may be empty.
    #[serde(default)]
    pub content: String,
}

/// `MsgType=image`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct ImageMessage {
    /// The 64-bit message id.
    pub msg_id: String,
    /// A URL of the picture.
    #[serde(default)]
    pub pic_url: String,
    /// Media id for `media/get` (about 3 days).
    pub media_id: String,
}

/// `MsgType=voice`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct VoiceMessage {
    /// The 64-bit message id.
    pub msg_id: String,
    /// Media id for `media/get`.
    pub media_id: String,
    /// Audio format, e.g. `amr`.
    #[serde(default)]
    pub format: String,
}

/// `MsgType=video`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct VideoMessage {
    /// The 64-bit message id.
    pub msg_id: String,
    /// Media id for `media/get`.
    pub media_id: String,
    /// Media id of the thumbnail.
    #[serde(default)]
    pub thumb_media_id: String,
}

/// `MsgType=location`.
#[serde_as]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LocationMessage {
    /// The 64-bit message id.
    pub msg_id: String,
    /// Latitude.
    #[serde(rename(deserialize = "Location_X"))]
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub latitude: f64,
    /// Longitude.
    #[serde(rename(deserialize = "Location_Y"))]
    #[serde_as(as = "PickFirst<(_, DisplayFromStr)>")]
    pub longitude: f64,
    /// Map zoom level.
    #[serde_as(as = "Option<PickFirst<(_, DisplayFromStr)>>")]
    #[serde(default)]
    pub scale: Option<i64>,
    /// Human-readable place.
    #[serde(default)]
    pub label: String,
    /// `wxwork`, or absent from the WeChat plugin.
    #[serde(default)]
    pub app_type: Option<String>,
}

/// `MsgType=link`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all(deserialize = "PascalCase"))]
pub struct LinkMessage {
    /// The 64-bit message id.
    pub msg_id: String,
    /// Link title.
    #[serde(default)]
    pub title: String,
    /// Link description.
    #[serde(default)]
    pub description: String,
    /// Target URL.
    #[serde(default)]
    pub url: String,
    /// Cover picture URL.
    #[serde(default)]
    pub pic_url: String,
}

impl AppMessage {
    /// Parses the fields of a known `MsgType`; `None` for a type we do not model.
    pub(super) fn from_fields(
        msg_type: &str,
        fields: &serde_json::Value,
    ) -> Option<Result<Self, serde_json::Error>> {
        use serde_json::from_value;
        let fields = fields.clone();
        Some(match msg_type {
            "text" => from_value(fields).map(AppMessage::Text),
            "image" => from_value(fields).map(AppMessage::Image),
            "voice" => from_value(fields).map(AppMessage::Voice),
            "video" => from_value(fields).map(AppMessage::Video),
            "location" => from_value(fields).map(AppMessage::Location),
            "link" => from_value(fields).map(AppMessage::Link),
            _ => return None,
        })
    }
}
