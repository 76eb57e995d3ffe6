//! What each stored event contributes to tracking ([`Signal`]s). The same
//! function serves live hand-off and replay after a crash, so both derive
//! exactly the same signals from the same stored row. Live, a WeCom
//! callback comes with the typed callback its handler parsed and is not
//! parsed again; replayed, it is parsed from the stored plaintext — the same
//! parser on the same document, which [`replay_agrees`] checks.

use pmc_actors::{
    InteractionRecord, MemberEventRecord, MessageId, Observation, Registration, Signal, Status,
};
use serde::{Deserialize, Serialize};

use crate::{
    event_log::{LoggedEvent, StoredEvent},
    wecom::payload::{
        self, AppContent, AppEvent, Callback, ContactChange, ExternalChatChange, ExternalContactChange,
        RobotEvent, SmartRobotBody, SuiteDetail,
    },
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

/// The signals of one committed event (empty for events tracking ignores),
/// from its typed callback when it carries one.
pub fn signals_of(event: &LoggedEvent) -> Vec<Signal> {
    signals(&event.row, event.callback.as_deref())
}

/// The signals replay derives for `event`, from its stored row alone, and
/// whether the live ones agree with them (trivially for events without a
/// typed callback). Tracking applies the replayed ones when they differ: the
/// stored row is what every later replay sees.
pub fn replay_agrees(event: &LoggedEvent, live: &[Signal]) -> Result<(), Vec<Signal>> {
    if event.callback.is_none() {
        return Ok(());
    }
    let replayed = signals(&event.row, None);
    if replayed == live { Ok(()) } else { Err(replayed) }
}

fn signals(event: &StoredEvent, callback: Option<&Callback>) -> Vec<Signal> {
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
        (channel, _) if WECOM_CHANNELS.contains(&channel) => wecom_signals(event, callback),
        (crate::kf::message::KF_CHANNEL, _) => crate::kf::message::signals_of(event),
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

fn wecom_signals(event: &StoredEvent, handed_over: Option<&Callback>) -> Vec<Signal> {
    let parsed;
    let callback = match handed_over {
        Some(callback) => callback,
        None => {
            let reparsed = match event.envelope_format.as_str() {
                "json" => payload::parse_json_payload(&event.plaintext),
                _ => payload::parse_xml_payload(&event.plaintext),
            };
            let Ok(reparsed) = reparsed else { return Vec::new() };
            parsed = reparsed.callback;
            &parsed
        }
    };
    // Built once, and only for a callback that yields a signal.
    let payload_json = std::cell::OnceCell::new();
    let payload = || payload_json.get_or_init(|| serde_json::to_value(callback).unwrap_or_default()).clone();
    let interaction = |user_id: &str, kind: &str, occurred_at_ms: Option<i64>| InteractionRecord {
        user_id: user_id.to_owned(),
        kind: kind.to_owned(),
        message_id: None,
        callback_type: event.callback_type.clone(),
        channel: event.channel.clone(),
        account: event.account.clone(),
        payload: payload(),
        occurred_at_ms,
        received_at_ms: event.received_at_ms,
    };
    let member = |user_id: Option<&str>, kind: &str, occurred_at_ms: Option<i64>| {
        Signal::Member(MemberEventRecord {
            user_id: user_id.map(str::to_owned),
            kind: kind.to_owned(),
            account: event.account.clone(),
            payload: payload(),
            occurred_at_ms,
            received_at_ms: event.received_at_ms,
        })
    };
    match callback {
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
                    AppEvent::ChangeExternalContact(change) => customer_kind(change)
                        .map(|(kind, subject)| member(Some(subject), kind, at))
                        .into_iter()
                        .collect(),
                    AppEvent::ChangeExternalChat(change) => customer_group_kinds(change)
                        .into_iter()
                        .map(|(kind, subject)| member(subject, kind, at))
                        .collect(),
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
        Callback::Suite(notice) => {
            let at = notice.time_stamp.map(|seconds| seconds * 1000);
            match &notice.detail {
                SuiteDetail::ChangeContact(change) => {
                    let (kind, subject) = contact_kind(change);
                    vec![member(subject.as_deref(), &kind, at)]
                }
                SuiteDetail::ChangeExternalContact(change) => customer_kind(change)
                    .map(|(kind, subject)| member(Some(subject), kind, at))
                    .into_iter()
                    .collect(),
                SuiteDetail::ChangeExternalChat(change) => customer_group_kinds(change)
                    .into_iter()
                    .map(|(kind, subject)| member(subject, kind, at))
                    .collect(),
                _ => Vec::new(),
            }
        }
        Callback::Unknown { .. } => Vec::new(),
    }
}

/// A customer change as a member event of the member (follow user): its
/// kind and that member. The customer, `State` and `WelcomeCode` are in
/// the payload.
fn customer_kind(change: &ExternalContactChange) -> Option<(&'static str, &str)> {
    let kind = match change {
        ExternalContactChange::AddExternalContact(_) => "external_contact_added",
        ExternalContactChange::AddHalfExternalContact(_) => "external_contact_half_added",
        ExternalContactChange::EditExternalContact(_) => "external_contact_edited",
        ExternalContactChange::DelExternalContact(_) => "external_contact_deleted",
        ExternalContactChange::DelFollowUser(_) => "external_contact_follow_user_deleted",
        ExternalContactChange::TransferFail(_) => "external_contact_transfer_failed",
        ExternalContactChange::MsgAuditApproved(_) => "external_contact_msg_audit_approved",
        ExternalContactChange::Unknown { .. } => return None,
    };
    Some((kind, change.user_id()?))
}

/// A customer-group change as member events: one per member who joined or
/// left (`MemChangeList`, the scene in the payload), else one for the group.
fn customer_group_kinds(change: &ExternalChatChange) -> Vec<(&'static str, Option<&str>)> {
    let update = match change {
        ExternalChatChange::Create(_) => return vec![("customer_group_created", None)],
        ExternalChatChange::Dismiss(_) => return vec![("customer_group_dismissed", None)],
        ExternalChatChange::Unknown { .. } => return Vec::new(),
        ExternalChatChange::Update(update) => update,
    };
    let kind = match update.update_detail.as_str() {
        "add_member" => "customer_group_member_joined",
        "del_member" => "customer_group_member_left",
        "change_owner" => "customer_group_owner_changed",
        "change_name" => "customer_group_renamed",
        "change_notice" => "customer_group_notice_changed",
        _ => "customer_group_updated",
    };
    let per_member = matches!(update.update_detail.as_str(), "add_member" | "del_member");
    if per_member && !update.mem_change_list.is_empty() {
        update.mem_change_list.iter().map(|id| (kind, Some(id.as_str()))).collect()
    } else {
        vec![(kind, None)]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replay_agrees_only_when_the_handed_over_callback_is_the_stored_one() {
        let document = |user: &str| {
            format!(
                "<xml><ToUserName>ww</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>enter_agent</Event><EventKey></EventKey><AgentID>1</AgentID></xml>"
            )
        };
        let row = StoredEvent {
            id: 1,
            received_at_ms: 5,
            channel: "wechat_api".into(),
            account: "default".into(),
            callback_type: "event.enter_agent".into(),
            dedupe_key: "k".into(),
            user_id: None,
            source_ip: None,
            envelope_format: "xml".into(),
            msg_signature: String::new(),
            timestamp: String::new(),
            nonce: String::new(),
            ciphertext: String::new(),
            plaintext: document("alice"),
            payload: "{}".into(),
        };
        let handed = |user: &str| {
            let callback = payload::parse_xml_payload(&document(user)).unwrap().callback;
            LoggedEvent { row: row.clone(), callback: Some(std::sync::Arc::new(callback)) }
        };
        let replayed = signals_of(&LoggedEvent::from_row(row.clone()));
        assert!(matches!(&replayed[..], [Signal::Interaction(record)] if record.user_id == "alice"));

        let same = handed("alice");
        assert_eq!(replay_agrees(&same, &signals_of(&same)), Ok(()));
        // A handed-over callback that is not the stored document is caught,
        // and replay's signals come back in its place.
        let other = handed("bob");
        let live = signals_of(&other);
        assert!(matches!(&live[..], [Signal::Interaction(record)] if record.user_id == "bob"));
        assert_eq!(replay_agrees(&other, &live), Err(replayed));
    }

    fn chat_update(detail: &str, members: &str) -> ExternalChatChange {
        let parsed = payload::parse_xml_payload(&format!(
            "<xml><ToUserName>ww</ToUserName><FromUserName>sys</FromUserName><CreateTime>1</CreateTime><MsgType>event</MsgType><Event>change_external_chat</Event><ChatId>wr1</ChatId><ChangeType>update</ChangeType><UpdateDetail>{detail}</UpdateDetail><MemChangeList>{members}</MemChangeList></xml>"
        ))
        .unwrap();
        let Callback::App { content: AppContent::Event { event }, .. } = parsed.callback else {
            panic!("not an event");
        };
        let AppEvent::ChangeExternalChat(change) = *event else { panic!("not a group change") };
        change
    }

    #[test]
    fn group_changes_give_one_member_event_per_member_or_one_for_the_group() {
        let two = chat_update("add_member", "<Item>wmA</Item><Item>lisi</Item>");
        assert_eq!(
            customer_group_kinds(&two),
            [("customer_group_member_joined", Some("wmA")), ("customer_group_member_joined", Some("lisi"))]
        );
        let one = chat_update("del_member", "<Item>wmA</Item>");
        assert_eq!(customer_group_kinds(&one), [("customer_group_member_left", Some("wmA"))]);
        // No member listed: one event for the group itself.
        let none = chat_update("add_member", "");
        assert_eq!(customer_group_kinds(&none), [("customer_group_member_joined", None)]);
        let renamed = chat_update("change_name", "");
        assert_eq!(customer_group_kinds(&renamed), [("customer_group_renamed", None)]);
        let future = chat_update("change_future", "<Item>wmA</Item>");
        assert_eq!(customer_group_kinds(&future), [("customer_group_updated", None)]);
    }
}
