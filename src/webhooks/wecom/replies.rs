//! Which callbacks get a passive reply, and with what. Configured in
//! `channels.wechat_api.auto_reply_text` and `channels.wechat_bot.welcome_text`;
//! only callback types WeCom accepts a reply for (PROTOCOL.md §4.4, §7.3).

use crate::wecom::{
    payload::{AppContent, Callback, RobotEvent, SmartRobotBody},
    reply::{AppReply, RobotReply},
};

/// The configured replies.
#[derive(Debug, Clone, Default)]
pub struct ReplyPolicy {
    /// Text sent back to every user message to the app.
    pub app_auto_reply_text: Option<String>,
    /// Welcome text for a smart robot's `enter_chat`.
    pub bot_welcome_text: Option<String>,
}

impl ReplyPolicy {
    /// The reply plaintext for `callback`, if any. `corp_id` is the
    /// channel's receiveid (the reply's sender).
    pub fn reply_for(&self, callback: &Callback, corp_id: &str) -> Option<String> {
        match callback {
            Callback::App { header, content: AppContent::Message { .. } } => {
                let text = self.app_auto_reply_text.as_ref()?;
                let now = chrono::Utc::now().timestamp();
                Some(AppReply::Text { content: text.clone() }.to_xml(&header.from_user_name, corp_id, now))
            }
            Callback::SmartRobot(robot) => match &robot.body {
                SmartRobotBody::Event { event: RobotEvent::EnterChat {} } => {
                    Some(RobotReply::text(self.bot_welcome_text.as_ref()?.clone()).to_json())
                }
                _ => None,
            },
            _ => None,
        }
    }
}
