//! What each stored event contributes to tracking ([`Signal`]s). The same
//! function serves live hand-off and replay after a crash, so both derive
//! exactly the same signals from the same stored row.

use pmc_actors::{
    InteractionRecord, MemberEventRecord, MessageId, Observation, Registration, Signal, Status,
};
use serde::{Deserialize, Serialize};

use crate::{
    event_log::StoredEvent,
    wecom::payload::{self, AppContent, AppEvent, Callback, ContactChange, RobotEvent, SmartRobotBody},
};

/// Channel of events written by `POST /api/v1/messages`.
pub const API_CHANNEL: &str = "api";
/// Callback type of a registration.
pub const REGISTER_TYPE: &str = "message.register";
/// Channel of status callbacks from other systems.
pub const STATUS_WEBHOOK_CHANNEL: &str = "status_webhook";
/// Callback type of status updates (from the status webhook or any source).
pub const STATUS_UPDATE_TYPE: &str = "status.update";
/// Callback type of an interaction reported by a custom webhook source.
pub const INTERACTION_TYPE: &str = "interaction";
/// The WeCom channels, whose events are typed callbacks.
const WECOM_CHANNELS: [&str; 2] = ["wechat_api", "wechat_bot"];

/// An interaction as a custom source stores it.
#[derive(Debug, Deserialize)]
struct SourceInteraction {
    user_id: String,
    kind: String,
    message_id: Option<String>,
    #[serde(default)]
    data: serde_json::Value,
}

/// One status update from another system, as stored (validated).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StatusUpdate {
    /// The message.
    pub message_id: String,
    /// `sent`, `delivered`, `read`, `failed`, `recalled`.
    pub status: Status,
    /// The recipient, or all of them.
    pub recipient: Option<String>,
    /// When it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// Free text.
    pub detail: Option<String>,
}

/// The signals of one stored event (empty for events tracking ignores).
pub fn signals_of(event: &StoredEvent) -> Vec<Signal> {
    let unreadable = |error: serde_json::Error| {
        tracing::error!(event_id = event.id, error = %error, "Stored event unreadable for tracking.");
        Vec::new()
    };
    match (event.channel.as_str(), event.callback_type.as_str()) {
        (API_CHANNEL, REGISTER_TYPE) => match serde_json::from_str::<Registration>(&event.payload) {
            Ok(registration) => vec![Signal::Register(registration)],
            Err(error) => unreadable(error),
        },
        (API_CHANNEL, _) if let Some(signals) = crate::outbound::signals::signals_of(event) => {
            signals.unwrap_or_else(unreadable)
        }
        (channel, _) if WECOM_CHANNELS.contains(&channel) => wecom_signals(event),
        (channel, STATUS_UPDATE_TYPE) => match serde_json::from_str::<Vec<StatusUpdate>>(&event.payload) {
            Ok(updates) => updates
                .into_iter()
                .filter_map(|update| observation(update, channel, event.received_at_ms))
                .collect(),
            Err(error) => unreadable(error),
        },
        (channel, INTERACTION_TYPE) => match serde_json::from_str::<SourceInteraction>(&event.payload) {
            Ok(interaction) => vec![Signal::Interaction(InteractionRecord {
                user_id: interaction.user_id,
                kind: interaction.kind.chars().take(48).collect(),
                message_id: interaction.message_id.and_then(|id| MessageId::parse(&id).ok()),
                callback_type: INTERACTION_TYPE.to_owned(),
                channel: channel.to_owned(),
                account: event.account.clone(),
                payload: interaction.data,
                occurred_at_ms: None,
                received_at_ms: event.received_at_ms,
            })],
            Err(error) => unreadable(error),
        },
        _ => Vec::new(),
    }
}

fn observation(update: StatusUpdate, source: &str, received_at_ms: i64) -> Option<Signal> {
    Some(Signal::Observe(Observation {
        message_id: MessageId::parse(&update.message_id).ok()?,
        recipient: update.recipient,
        status: update.status,
        source: source.to_owned(),
        occurred_at_ms: update.occurred_at_ms,
        received_at_ms,
        detail: update.detail,
    }))
}

fn wecom_signals(event: &StoredEvent) -> Vec<Signal> {
    let parsed = match event.envelope_format.as_str() {
        "json" => payload::parse_json_payload(&event.plaintext),
        _ => payload::parse_xml_payload(&event.plaintext),
    };
    let Ok(parsed) = parsed else { return Vec::new() };
    let payload_json = serde_json::to_value(&parsed.callback).unwrap_or_default();
    let interaction = |user_id: &str, kind: &str, occurred_at_ms: Option<i64>| InteractionRecord {
        user_id: user_id.to_owned(),
        kind: kind.to_owned(),
        message_id: None,
        callback_type: event.callback_type.clone(),
        channel: event.channel.clone(),
        account: event.account.clone(),
        payload: payload_json.clone(),
        occurred_at_ms,
        received_at_ms: event.received_at_ms,
    };
    let member = |user_id: Option<&str>, kind: &str, occurred_at_ms: Option<i64>| {
        Signal::Member(MemberEventRecord {
            user_id: user_id.map(str::to_owned),
            kind: kind.to_owned(),
            account: event.account.clone(),
            payload: payload_json.clone(),
            occurred_at_ms,
            received_at_ms: event.received_at_ms,
        })
    };
    match &parsed.callback {
        Callback::App { header, content } => {
            let user = header.from_user_name.as_str();
            let at = header.create_time.map(|seconds| seconds * 1000);
            match content {
                AppContent::Message { .. } => vec![Signal::Interaction(interaction(user, "reply", at))],
                AppContent::Event { event: app_event } => match app_event.as_ref() {
                    AppEvent::TemplateCardEvent(card) => vec![Signal::CardInteraction {
                        interaction: interaction(user, "card_click", at),
                        task_id: card.task_id.clone(),
                    }],
                    AppEvent::TemplateCardMenuEvent(card) => vec![Signal::CardInteraction {
                        interaction: interaction(user, "card_menu", at),
                        task_id: card.task_id.clone(),
                    }],
                    AppEvent::Click(_) => vec![Signal::Interaction(interaction(user, "menu_click", at))],
                    AppEvent::View(_) => vec![Signal::Interaction(interaction(user, "menu_view", at))],
                    AppEvent::ViewMiniprogram(_) => {
                        vec![Signal::Interaction(interaction(user, "menu_miniprogram", at))]
                    }
                    AppEvent::ScancodePush(_) | AppEvent::ScancodeWaitmsg(_) => {
                        vec![Signal::Interaction(interaction(user, "scan", at))]
                    }
                    AppEvent::PicSysphoto(_) | AppEvent::PicPhotoOrAlbum(_) | AppEvent::PicWeixin(_) => {
                        vec![Signal::Interaction(interaction(user, "picture", at))]
                    }
                    AppEvent::LocationSelect(_) => {
                        vec![Signal::Interaction(interaction(user, "location_select", at))]
                    }
                    AppEvent::Location(_) => vec![Signal::Interaction(interaction(user, "location", at))],
                    AppEvent::EnterAgent(_) => {
                        vec![Signal::Interaction(interaction(user, "enter_agent", at))]
                    }
                    AppEvent::Subscribe(_) => vec![member(Some(user), "subscribe", at)],
                    AppEvent::Unsubscribe(_) => vec![member(Some(user), "unsubscribe", at)],
                    AppEvent::ChangeContact(change) => {
                        let (kind, subject) = contact_kind(change);
                        vec![member(subject.as_deref(), &kind, at)]
                    }
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            }
        }
        Callback::SmartRobot(robot) => {
            let user = robot.from.userid.as_str();
            let at = robot.create_time.map(|seconds| seconds * 1000);
            match &robot.body {
                SmartRobotBody::Event { event: RobotEvent::EnterChat {} } => {
                    vec![Signal::Interaction(interaction(user, "robot_enter_chat", at))]
                }
                SmartRobotBody::Event { event: RobotEvent::FeedbackEvent { feedback_event } } => {
                    // Tied to the reply (a stream, or a response_url reply) whose feedback id it carries.
                    let reply = crate::robot::stream::reply_of_feedback(&feedback_event.id);
                    vec![Signal::Interaction(InteractionRecord {
                        message_id: reply.and_then(|id| MessageId::parse(id).ok()),
                        ..interaction(user, "robot_feedback", at)
                    })]
                }
                SmartRobotBody::Event { event: RobotEvent::TemplateCardEvent { template_card_event } } => {
                    vec![Signal::CardInteraction {
                        interaction: interaction(user, "card_click", at),
                        task_id: template_card_event.task_id.clone(),
                    }]
                }
                SmartRobotBody::Stream { .. } | SmartRobotBody::Unknown { .. } => Vec::new(),
                _ => {
                    // The stream opened for it, as stored with the callback.
                    let stored: serde_json::Value = serde_json::from_str(&event.payload).unwrap_or_default();
                    let stream =
                        stored["reply"]["stream_id"].as_str().and_then(|id| MessageId::parse(id).ok());
                    vec![Signal::Interaction(InteractionRecord {
                        message_id: stream,
                        ..interaction(user, "robot_message", at)
                    })]
                }
            }
        }
        Callback::GroupRobot(robot) => {
            vec![Signal::Interaction(interaction(&robot.from.user_id, "group_robot_message", None))]
        }
        Callback::Suite(_) | Callback::Unknown { .. } => Vec::new(),
    }
}

fn contact_kind(change: &ContactChange) -> (String, Option<String>) {
    match change {
        ContactChange::CreateUser(user) => ("create_user".into(), Some(user.user_id.clone())),
        ContactChange::UpdateUser(user) => ("update_user".into(), Some(user.user_id.clone())),
        ContactChange::DeleteUser(user) => ("delete_user".into(), Some(user.user_id.clone())),
        ContactChange::CreateParty(_) => ("create_party".into(), None),
        ContactChange::UpdateParty(_) => ("update_party".into(), None),
        ContactChange::DeleteParty(_) => ("delete_party".into(), None),
        ContactChange::UpdateTag(_) => ("update_tag".into(), None),
        ContactChange::Unknown { raw_change_type, .. } => (raw_change_type.chars().take(48).collect(), None),
    }
}
