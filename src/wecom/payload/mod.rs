//! Typed decrypted payloads. Every callback WeCom can send parses into a
//! [`Callback`]; a type we do not model is kept as an `Unknown…` variant
//! with all of its fields, never rejected. Only a payload that is not
//! XML/JSON at all is an error (-40002).

mod app_event;
mod app_message;
mod approval;
mod contact;
mod event_fields;
mod external_contact;
mod group_robot;
mod kf;
mod notices;
mod schedule;
mod smart_robot;
mod suite;

use serde::Serialize;
use sha2::{Digest, Sha256};

pub use self::{
    app_event::*, app_message::*, approval::*, contact::*, event_fields::*, external_contact::*,
    group_robot::*, kf::*, notices::*, schedule::*, smart_robot::*, suite::*,
};
use super::{
    WeComError,
    xml_tree::{self, XmlElement},
};

/// A decrypted, classified callback.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum Callback {
    /// A self-built app's message or event (XML).
    App {
        /// The fields every app callback carries.
        header: AppHeader,
        /// The message or event.
        content: AppContent,
    },
    /// A third-party suite notification (`InfoType`).
    Suite(SuiteNotice),
    /// A smart-robot callback (JSON).
    SmartRobot(SmartRobotCallback),
    /// A legacy group-robot callback (XML).
    GroupRobot(GroupRobotCallback),
    /// A well-formed document we cannot classify, kept whole.
    Unknown {
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// Header fields of an app callback.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppHeader {
    /// The CorpID.
    pub to_user_name: String,
    /// Member UserID, or `sys` for system events.
    pub from_user_name: String,
    /// Unix seconds.
    pub create_time: Option<i64>,
    /// The app's agent id (absent on directory events).
    pub agent_id: Option<i64>,
}

/// The body of an app callback.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppContent {
    /// A user message.
    Message {
        /// The typed message.
        message: AppMessage,
    },
    /// An event.
    Event {
        /// The typed event (boxed: approval events are large).
        event: Box<AppEvent>,
    },
    /// A message type we do not model (or whose fields did not fit), kept whole.
    UnknownMessage {
        /// The raw `MsgType`.
        raw_msg_type: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
    /// An event we do not model (or whose fields did not fit), kept whole.
    UnknownEvent {
        /// The raw `Event`.
        raw_event: String,
        /// Every field as received.
        fields: serde_json::Value,
    },
}

/// A parsed callback with the facts the service indexes it by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedCallback {
    /// The typed callback.
    pub callback: Callback,
    /// A dotted label such as `message.text`, `event.click`,
    /// `event.change_contact.create_user`,
    /// `event.change_external_contact.add_external_contact`,
    /// `suite.change_external_chat.update`, `robot.event.enter_chat`.
    pub callback_type: String,
    /// The key WeCom retries are recognised by (PROTOCOL.md §4.3).
    pub dedupe_key: String,
    /// The member who caused it, when there is one.
    pub user_id: Option<String>,
}

/// The callback as WeCom sent it, kept aside when a reply decision may mark
/// it (a smart robot's message gets the stream that answers it); `None`
/// when no decision changes it, so the parsed callback itself can be used.
/// Tracking derives from the callback as sent, as replay does from the
/// stored plaintext.
pub fn kept_before_reply(parsed: &ParsedCallback) -> Option<Callback> {
    matches!(parsed.callback, Callback::SmartRobot(_)).then(|| parsed.callback.clone())
}

/// Parses a decrypted XML document (app, suite or legacy group robot).
pub fn parse_xml_payload(plaintext: &str) -> Result<ParsedCallback, WeComError> {
    let root = xml_tree::parse_document(plaintext)?;
    let fields = root.to_json();
    let has = |name: &str| root.child(name).is_some();
    if has("InfoType") {
        return Ok(parse_suite(&root, fields, plaintext));
    }
    if has("MsgType") && !has("ToUserName") && (has("WebhookUrl") || has("ChatType")) {
        return Ok(parse_group_robot(&root, fields, plaintext));
    }
    if has("MsgType") {
        return Ok(parse_app(&root, fields, plaintext));
    }
    Ok(ParsedCallback {
        callback: Callback::Unknown { fields },
        callback_type: "unknown".to_owned(),
        dedupe_key: content_dedupe_key(plaintext),
        user_id: None,
    })
}

/// Parses a decrypted JSON document (smart robot).
pub fn parse_json_payload(plaintext: &str) -> Result<ParsedCallback, WeComError> {
    let value: serde_json::Value =
        serde_json::from_str(plaintext).map_err(|error| WeComError::ParseXml(error.to_string()))?;
    if !value.is_object() {
        return Err(WeComError::ParseXml("JSON payload is not an object".to_owned()));
    }
    match SmartRobotCallback::parse(value.clone()) {
        Ok(callback) => {
            let callback_type = match &callback.body {
                SmartRobotBody::Event { event } => format!("robot.event.{}", robot_event_name(event)),
                SmartRobotBody::Unknown { raw_msgtype, fields } if raw_msgtype == "event" => {
                    let event_type =
                        fields.pointer("/event/eventtype").and_then(|v| v.as_str()).unwrap_or("");
                    format!("robot.event.{}", label_part(event_type))
                }
                SmartRobotBody::Unknown { raw_msgtype, .. } => format!("robot.{}", label_part(raw_msgtype)),
                body => format!("robot.{}", serde_tag(body, "msgtype")),
            };
            Ok(ParsedCallback {
                dedupe_key: format!("msgid:{}", callback.msgid),
                user_id: non_empty(&callback.from.userid),
                callback_type,
                callback: Callback::SmartRobot(callback),
            })
        }
        Err(_) => Ok(ParsedCallback {
            callback: Callback::Unknown { fields: value },
            callback_type: "unknown".to_owned(),
            dedupe_key: content_dedupe_key(plaintext),
            user_id: None,
        }),
    }
}

fn parse_app(root: &XmlElement, fields: serde_json::Value, plaintext: &str) -> ParsedCallback {
    let text = |name: &str| root.child_text(name).unwrap_or("").to_owned();
    let header = AppHeader {
        to_user_name: text("ToUserName"),
        from_user_name: text("FromUserName"),
        create_time: root.child_text("CreateTime").and_then(|t| t.trim().parse().ok()),
        agent_id: root.child_text("AgentID").and_then(|t| t.trim().parse().ok()),
    };
    let msg_type = text("MsgType");
    // The member a `sys` event is about, where the event names one.
    let mut subject = None;
    let (content, callback_type) = if msg_type == "event" {
        let event = text("Event");
        match AppEvent::from_fields(&event, &fields).and_then(Result::ok) {
            Some(typed) => {
                let label = match &typed {
                    AppEvent::ChangeContact(_)
                    | AppEvent::ChangeExternalContact(_)
                    | AppEvent::ChangeExternalChat(_)
                    | AppEvent::ChangeExternalTag(_)
                    | AppEvent::CustomerAcquisition(_) => {
                        format!("event.{}.{}", label_part(&event), label_part(&text("ChangeType")))
                    }
                    _ => format!("event.{}", label_part(&event)),
                };
                if let AppEvent::ChangeExternalContact(change) = &typed {
                    subject = change.user_id().map(str::to_owned);
                }
                (AppContent::Event { event: Box::new(typed) }, label)
            }
            None => (
                AppContent::UnknownEvent { raw_event: event.clone(), fields },
                format!("event.{}", label_part(&event)),
            ),
        }
    } else {
        match AppMessage::from_fields(&msg_type, &fields).and_then(Result::ok) {
            Some(message) => (AppContent::Message { message }, format!("message.{msg_type}")),
            None => (
                AppContent::UnknownMessage { raw_msg_type: msg_type.clone(), fields },
                format!("message.{}", label_part(&msg_type)),
            ),
        }
    };
    ParsedCallback {
        dedupe_key: app_dedupe_key(root, plaintext),
        user_id: non_empty(&header.from_user_name).filter(|user| user != "sys").or(subject),
        callback: Callback::App { header, content },
        callback_type,
    }
}

fn parse_suite(root: &XmlElement, fields: serde_json::Value, plaintext: &str) -> ParsedCallback {
    let text = |name: &str| root.child_text(name).unwrap_or("").to_owned();
    let info_type = text("InfoType");
    let mut user_id = None;
    let mut callback_type = format!("suite.{}", label_part(&info_type));
    let notice = serde_json::from_value::<SuiteNotice>(fields.clone())
        .map(|mut notice| {
            notice.detail = SuiteDetail::from_fields(&info_type, &fields);
            if notice.suite_id.is_empty() {
                // Licence notices name the provider instead of the suite.
                notice.suite_id = text("ServiceCorpId");
            }
            match &notice.detail {
                SuiteDetail::ChangeContact(_)
                | SuiteDetail::ChangeExternalContact(_)
                | SuiteDetail::ChangeExternalChat(_)
                | SuiteDetail::ChangeExternalTag(_) => {
                    callback_type.push('.');
                    callback_type.push_str(&label_part(&text("ChangeType")));
                }
                _ => {}
            }
            if let SuiteDetail::ChangeExternalContact(change) = &notice.detail {
                user_id = change.user_id().map(str::to_owned);
            }
            notice.fields = fields.clone();
            Callback::Suite(notice)
        })
        .unwrap_or(Callback::Unknown { fields });
    let dedupe_key = suite_dedupe_key(root, plaintext);
    ParsedCallback { callback: notice, callback_type, dedupe_key, user_id }
}

fn parse_group_robot(root: &XmlElement, fields: serde_json::Value, plaintext: &str) -> ParsedCallback {
    let msg_type = root.child_text("MsgType").unwrap_or("").trim().to_owned();
    let callback_type = match root.path_text("Event/EventType") {
        Some(event_type) if msg_type == "event" => format!("group_robot.event.{}", label_part(event_type)),
        _ => format!("group_robot.{}", label_part(&msg_type)),
    };
    match serde_json::from_value::<GroupRobotCallback>(fields.clone()) {
        Ok(mut callback) => {
            callback.fields = fields;
            ParsedCallback {
                dedupe_key: format!("msgid:{}", callback.msg_id),
                user_id: non_empty(&callback.from.user_id),
                callback: Callback::GroupRobot(callback),
                callback_type,
            }
        }
        Err(_) => ParsedCallback {
            callback: Callback::Unknown { fields },
            callback_type,
            dedupe_key: content_dedupe_key(plaintext),
            user_id: None,
        },
    }
}

/// WeCom's rule (doc 90238) — `MsgId` when present, else
/// `FromUserName + CreateTime` — made exact: the event name for readability,
/// then a SHA-256 of the whole decrypted document. A retry is the same
/// document again (WeCom re-posts the plaintext; only the envelope's nonce,
/// timestamp and signature change), so it gets the same key on any replica;
/// two events that differ in any field — `ExternalUserID`, `UpdateDetail`,
/// `Token`, a field WeCom adds tomorrow — never share one. (A list of
/// "subject" fields, as before, silently merged the ones it did not name:
/// two customers added to one member in the same second.) Identical to the
/// vectors' `dedupe_key`.
fn app_dedupe_key(root: &XmlElement, plaintext: &str) -> String {
    if let Some(msg_id) = root.child_text("MsgId").filter(|id| !id.is_empty()) {
        return format!("msgid:{msg_id}");
    }
    let text = |path: &str| root.path_text(path).unwrap_or("");
    format!(
        "evt:{}:{}:{}:{}",
        text("FromUserName"),
        text("CreateTime"),
        text("Event"),
        content_digest(plaintext)
    )
}

/// Suites have no FromUserName: suite, type and time, then the document's
/// digest, for the same reason as [`app_dedupe_key`] (PROTOCOL.md §4.3).
fn suite_dedupe_key(root: &XmlElement, plaintext: &str) -> String {
    let text = |name: &str| root.child_text(name).unwrap_or("");
    format!(
        "suite:{}:{}:{}:{}",
        text("SuiteId"),
        text("InfoType"),
        text("TimeStamp"),
        content_digest(plaintext)
    )
}

/// For documents with no id at all: the content itself identifies a retry.
fn content_dedupe_key(plaintext: &str) -> String {
    format!("sha256:{}", content_digest(plaintext))
}

/// SHA-256 of the document, hex: 256 bits, so distinct documents do not
/// collide in practice, whatever the key's readable prefix holds.
fn content_digest(plaintext: &str) -> String {
    hex::encode(Sha256::digest(plaintext.as_bytes()))
}

fn robot_event_name(event: &RobotEvent) -> &'static str {
    match event {
        RobotEvent::EnterChat {} => "enter_chat",
        RobotEvent::TemplateCardEvent { .. } => "template_card_event",
        RobotEvent::FeedbackEvent { .. } => "feedback_event",
    }
}

fn serde_tag<T: Serialize>(value: &T, tag: &str) -> String {
    serde_json::to_value(value)
        .ok()
        .and_then(|v| v.get(tag).and_then(|t| t.as_str()).map(str::to_owned))
        .unwrap_or_default()
}

/// Keeps labels safe for metrics and URLs: WeCom types are identifiers, but
/// an attacker with the token could send anything.
fn label_part(raw: &str) -> String {
    let cleaned: String = raw
        .trim()
        .chars()
        .take(48)
        .map(|c| if c.is_ascii_alphanumeric() || c == '_' { c } else { '_' })
        .collect();
    if cleaned.is_empty() { "unknown".to_owned() } else { cleaned }
}

fn non_empty(text: &str) -> Option<String> {
    (!text.is_empty()).then(|| text.to_owned())
}

#[cfg(test)]
mod tests;
