//! A decided [`Reply`] as the plaintext WeCom accepts for the callback it
//! answers (app XML, doc 90241; robot JSON, doc 101031).

use super::Reply;
use crate::wecom::{
    payload::{AppContent, AppEvent, Callback, RobotEvent, SmartRobotBody},
    reply::{AppReply, NewsArticle, RobotReply},
};

/// A reply that WeCom would not accept for the callback it answers.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a {reply} reply does not answer {callback}")]
pub struct RenderError {
    /// The reply's kind.
    pub reply: &'static str,
    /// What the callback was.
    pub callback: &'static str,
}

/// The plaintext of `reply` to `callback`; `corp_id` is the app's (the
/// reply's sender).
pub fn render(reply: &Reply, callback: &Callback, corp_id: &str) -> Result<String, RenderError> {
    match callback {
        Callback::App { header, content } => {
            let card_event = matches!(content, AppContent::Event { event } if matches!(event.as_ref(), AppEvent::TemplateCardEvent(_)));
            let unfit = |what| RenderError { reply: reply.kind(), callback: what };
            let app = match (reply, card_event) {
                (Reply::Text(text), false) => AppReply::Text { content: text.clone() },
                (Reply::News(items), false) => {
                    AppReply::News { articles: items.iter().map(NewsArticle::from).collect() }
                }
                (Reply::UpdateButton(name), true) => AppReply::UpdateButton { replace_name: name.clone() },
                (Reply::UpdateCard(card), true) => {
                    AppReply::UpdateTemplateCard { template_card: card.clone() }
                }
                (_, true) => return Err(unfit("an app template_card_event")),
                (_, false) => return Err(unfit("an app message or event")),
            };
            Ok(app.to_xml(&header.from_user_name, corp_id, chrono::Utc::now().timestamp()))
        }
        Callback::SmartRobot(robot) => {
            let unfit = |what| RenderError { reply: reply.kind(), callback: what };
            let robot_reply = match &robot.body {
                SmartRobotBody::Event { event: RobotEvent::EnterChat {} } => match reply {
                    Reply::Text(text) | Reply::Markdown(text) => RobotReply::text(text.clone()),
                    Reply::TemplateCard(card) => {
                        RobotReply::TemplateCard { msgtype: "template_card", template_card: card.clone() }
                    }
                    _ => return Err(unfit("a robot enter_chat")),
                },
                SmartRobotBody::Event { event: RobotEvent::TemplateCardEvent { template_card_event } } => {
                    match reply {
                        Reply::UpdateCard(card) => {
                            let mut card = card.clone();
                            if let Some(fields) = card.as_object_mut() {
                                fields
                                    .entry("task_id")
                                    .or_insert_with(|| template_card_event.task_id.clone().into());
                            }
                            RobotReply::UpdateTemplateCard {
                                response_type: "update_template_card",
                                userids: vec![robot.from.userid.clone()],
                                template_card: card,
                            }
                        }
                        _ => return Err(unfit("a robot template_card_event")),
                    }
                }
                body if body.is_user_message() => match reply {
                    // A finished stream: the one answer to a message that carries text.
                    Reply::Text(text) | Reply::Markdown(text) => {
                        let id: [u8; 8] = rand::random();
                        RobotReply::stream(format!("rule-{}", hex::encode(id)), true, text.clone())
                    }
                    Reply::TemplateCard(card) => {
                        RobotReply::TemplateCard { msgtype: "template_card", template_card: card.clone() }
                    }
                    _ => return Err(unfit("a robot user message")),
                },
                _ => return Err(unfit("this robot callback")),
            };
            Ok(robot_reply.to_json())
        }
        _ => Err(RenderError { reply: reply.kind(), callback: "a suite, group-robot or unknown callback" }),
    }
}
