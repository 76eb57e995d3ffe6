//! The domain the actors work on: what a committed event contributes
//! ([`Signal`]), and the state of a tracked message.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::status::{RecipientState, Status};

/// A tracked message's id: 1–128 characters of `[A-Za-z0-9_.:@-]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct MessageId(String);

impl MessageId {
    /// Parses an id, or says why it is not one.
    pub fn parse(id: &str) -> Result<Self, String> {
        if id.is_empty() || id.len() > 128 {
            return Err("a message id has 1 to 128 characters".to_owned());
        }
        if !id.bytes().all(|b| b.is_ascii_alphanumeric() || b"_.:@-".contains(&b)) {
            return Err("a message id uses only letters, digits and _ . : @ -".to_owned());
        }
        Ok(Self(id.to_owned()))
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MessageId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The recipient key used when an observation names no recipient and the
/// message has none registered: the message as a whole.
pub const WHOLE_MESSAGE: &str = "";

/// What one committed event contributes to tracking.
#[derive(Debug, Clone, PartialEq)]
pub enum Signal {
    /// A business system registered a message it sent.
    Register(Registration),
    /// A status was observed for a message.
    Observe(Observation),
    /// A card click or menu choice on a template card: an interaction, and a
    /// `read` for the clicker if the card's task id belongs to a tracked message.
    CardInteraction {
        /// The interaction.
        interaction: InteractionRecord,
        /// The card's task id.
        task_id: String,
    },
    /// Any other user interaction.
    Interaction(InteractionRecord),
    /// A member joined, left or changed.
    Member(MemberEventRecord),
    /// WeCom accepted a message this service sent: what it answered.
    Receipt(SendReceipt),
}

/// What WeCom answered to a send, kept to act on the message later.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendReceipt {
    /// The message.
    pub message_id: MessageId,
    /// WeCom's `msgid` (recall needs it).
    pub wecom_msgid: Option<String>,
    /// The card's `response_code` (updating the card needs it; once, 72 h).
    pub response_code: Option<String>,
}

/// A message registration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Registration {
    /// The message.
    pub message_id: MessageId,
    /// `external`, `wecom_app`, `wecom_bot`.
    pub channel: String,
    /// The account it is sent through (`default` for the seed's app or
    /// robot, and for registrations written before accounts existed).
    #[serde(default = "default_account")]
    pub account: String,
    /// Recipients (user ids); empty for a message tracked as a whole.
    pub recipients: Vec<String>,
    /// WeCom's `msgid`, if known.
    pub wecom_msgid: Option<String>,
    /// The template card's `task_id`, if any: card clicks find the message by it.
    pub task_id: Option<String>,
    /// The status to start from (usually `sent`).
    pub initial_status: Status,
    /// When it was registered, Unix ms.
    pub registered_at_ms: i64,
}

/// One observed status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    /// The message.
    pub message_id: MessageId,
    /// The recipient, or `None` for all of the message's recipients.
    pub recipient: Option<String>,
    /// What was observed.
    pub status: Status,
    /// Where it came from (`status_webhook`, `wecom_card`, `register`, …).
    pub source: String,
    /// When it says it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// When it arrived, Unix ms.
    pub received_at_ms: i64,
    /// Free text from the source (an error reason, …).
    pub detail: Option<String>,
}

/// A user interaction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionRecord {
    /// Who.
    pub user_id: String,
    /// `card_click`, `card_menu`, `menu_click`, `menu_view`, `reply`, `enter_agent`, `location`, `scan`, `picture`, `robot_enter_chat`, `robot_feedback`, …
    pub kind: String,
    /// The tracked message it concerns, if known.
    pub message_id: Option<MessageId>,
    /// The callback type it came from.
    pub callback_type: String,
    /// The channel it came in on.
    pub channel: String,
    /// The account it came in for.
    #[serde(default = "default_account")]
    pub account: String,
    /// The typed callback, as JSON.
    pub payload: serde_json::Value,
    /// When it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// When it arrived, Unix ms.
    pub received_at_ms: i64,
}

/// A directory change or a member joining or leaving the app.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberEventRecord {
    /// The member, when the event names one.
    pub user_id: Option<String>,
    /// `subscribe`, `unsubscribe`, `create_user`, `update_user`, `delete_user`, `create_party`, …
    pub kind: String,
    /// The account it came in for.
    #[serde(default = "default_account")]
    pub account: String,
    /// The typed callback, as JSON.
    pub payload: serde_json::Value,
    /// When it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// When it arrived, Unix ms.
    pub received_at_ms: i64,
}

/// Everything known about one tracked message (owned by its actor).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MessageState {
    /// `None` until the first signal.
    pub channel: Option<String>,
    /// The account it was registered for (`None`: `default`).
    #[serde(default)]
    pub account: Option<String>,
    /// WeCom's `msgid`.
    pub wecom_msgid: Option<String>,
    /// The card's task id.
    pub task_id: Option<String>,
    /// The card's `response_code`, from WeCom's answer to the send.
    #[serde(default)]
    pub response_code: Option<String>,
    /// Whether a registration was applied.
    pub registered: bool,
    /// When it was first seen, Unix ms.
    pub created_at_ms: i64,
    /// When it last changed, Unix ms.
    pub updated_at_ms: i64,
    /// Per recipient.
    pub recipients: BTreeMap<String, RecipientState>,
    /// How many times the stored state changed: orders the message's
    /// history across replicas. Kept in its own column, not in the JSON.
    #[serde(skip)]
    pub version: i64,
    /// A random token naming the stored state this one derives from (0: the
    /// message was never stored). A write applies only if the store still
    /// holds that revision — compare-and-set, so two replicas never
    /// overwrite each other's transitions.
    #[serde(skip)]
    pub revision: i64,
}

impl MessageState {
    /// The message's status: its most advanced recipient's.
    pub fn status(&self) -> Option<Status> {
        self.recipients.values().filter_map(|recipient| recipient.current()).max()
    }
}

/// The account of records written before accounts existed.
pub fn default_account() -> String {
    "default".to_owned()
}
