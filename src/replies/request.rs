//! The facts of a callback that rules match on and handlers read.

use crate::{
    configuration::AccountKind,
    wecom::payload::{AppContent, AppMessage, Callback, RobotEvent, SmartRobotBody},
};

/// A callback that may get a passive reply, as rules and handlers see it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplyRequest {
    /// The account it came to.
    pub account: String,
    /// App or robot.
    pub kind: AccountKind,
    /// The message type (`text`, `image`, … — `event` for events).
    pub msg_type: String,
    /// A message's text (text and voice messages, a mixed message's texts).
    pub text: Option<String>,
    /// An event's name, lower case (`click`, `enter_chat`, `template_card_event`, …).
    pub event: Option<String>,
    /// The event key (menu key, card button key).
    pub event_key: Option<String>,
    /// A card event's task id.
    pub task_id: Option<String>,
    /// Who sent it.
    pub user_id: Option<String>,
    /// The whole callback.
    pub callback: Callback,
}

impl ReplyRequest {
    /// The facts of `callback`; `None` for callbacks no passive reply is
    /// built for (suite notices, group robots, stream refresh polls, unknown
    /// documents).
    pub fn from_callback(account: &str, callback: &Callback) -> Option<Self> {
        let mut request = ReplyRequest {
            account: account.to_owned(),
            kind: AccountKind::App,
            msg_type: String::new(),
            text: None,
            event: None,
            event_key: None,
            task_id: None,
            user_id: None,
            callback: callback.clone(),
        };
        match callback {
            Callback::App { header, content } => {
                request.user_id = Some(header.from_user_name.clone());
                match content {
                    AppContent::Message { message } => {
                        request.msg_type = app_message_type(message).to_owned();
                        if let AppMessage::Text(text) = message {
                            request.text = Some(text.content.clone());
                        }
                    }
                    AppContent::Event { event } => {
                        request.msg_type = "event".to_owned();
                        // The typed events serialise with `event` and their fields in snake_case.
                        let fields = serde_json::to_value(event.as_ref()).unwrap_or_default();
                        let field =
                            |name: &str| fields.get(name).and_then(|value| value.as_str()).map(str::to_owned);
                        request.event = field("event").map(|event| event.to_lowercase());
                        request.event_key = field("event_key");
                        request.task_id = field("task_id");
                    }
                    AppContent::UnknownMessage { raw_msg_type, .. } => {
                        request.msg_type = raw_msg_type.to_lowercase();
                    }
                    AppContent::UnknownEvent { raw_event, .. } => {
                        request.msg_type = "event".to_owned();
                        request.event = Some(raw_event.to_lowercase());
                    }
                }
            }
            Callback::SmartRobot(robot) => {
                request.kind = AccountKind::Robot;
                request.user_id = Some(robot.from.userid.clone());
                match &robot.body {
                    SmartRobotBody::Stream { .. } => return None,
                    SmartRobotBody::Text { text } | SmartRobotBody::Voice { voice: text } => {
                        request.text = Some(text.content.clone());
                    }
                    SmartRobotBody::Mixed { mixed } => {
                        let texts: Vec<&str> = mixed
                            .msg_item
                            .iter()
                            .filter_map(|item| item.text.as_ref().map(|text| text.content.as_str()))
                            .collect();
                        request.text = (!texts.is_empty()).then(|| texts.join("\n"));
                    }
                    SmartRobotBody::Event { event } => match event {
                        RobotEvent::EnterChat {} => request.event = Some("enter_chat".to_owned()),
                        RobotEvent::TemplateCardEvent { template_card_event } => {
                            request.event = Some("template_card_event".to_owned());
                            request.event_key = Some(template_card_event.event_key.clone());
                            request.task_id = Some(template_card_event.task_id.clone());
                        }
                        RobotEvent::FeedbackEvent { .. } => request.event = Some("feedback_event".to_owned()),
                    },
                    _ => {}
                }
                request.msg_type = robot_message_type(&robot.body).to_owned();
            }
            _ => return None,
        }
        Some(request)
    }
}

fn app_message_type(message: &AppMessage) -> &'static str {
    match message {
        AppMessage::Text(_) => "text",
        AppMessage::Image(_) => "image",
        AppMessage::Voice(_) => "voice",
        AppMessage::Video(_) => "video",
        AppMessage::Location(_) => "location",
        AppMessage::Link(_) => "link",
    }
}

fn robot_message_type(body: &SmartRobotBody) -> &'static str {
    match body {
        SmartRobotBody::Text { .. } => "text",
        SmartRobotBody::Image { .. } => "image",
        SmartRobotBody::Mixed { .. } => "mixed",
        SmartRobotBody::Voice { .. } => "voice",
        SmartRobotBody::File { .. } => "file",
        SmartRobotBody::Video { .. } => "video",
        SmartRobotBody::Stream { .. } => "stream",
        SmartRobotBody::Event { .. } => "event",
        SmartRobotBody::Unknown { .. } => "unknown",
    }
}
