//! The JSON bodies WeCom expects for each kind of send, built from a
//! validated [`SendRequest`].

use serde_json::{Map, Value};

use super::request::SendRequest;

impl SendRequest {
    /// The body of `externalcontact/add_msg_template`: a mass send to
    /// these customers, by whichever members they belong to.
    pub fn external_body(&self) -> Value {
        serde_json::json!({
            "chat_type": "single",
            "external_userid": self.recipients,
            "text": self.content,
        })
    }

    /// The body of `kf/send_msg` (or, with a welcome code,
    /// `kf/send_msg_on_event`), with `content`: the message id is WeCom's
    /// `msgid`, so `msg_send_fail` names it.
    pub fn kf_body(&self, content: &Map<String, Value>) -> Value {
        let mut body = Map::new();
        match &self.welcome_code {
            Some(code) => {
                body.insert("code".into(), Value::String(code.clone()));
            }
            None => {
                body.insert(
                    "touser".into(),
                    Value::String(self.recipients.first().cloned().unwrap_or_default()),
                );
                body.insert("open_kfid".into(), Value::String(self.open_kfid.clone().unwrap_or_default()));
            }
        }
        body.insert("msgid".into(), Value::String(self.message_id.clone()));
        body.insert("msgtype".into(), Value::String(self.msgtype.clone()));
        body.insert(self.msgtype.clone(), Value::Object(content.clone()));
        Value::Object(body)
    }

    /// The body of `aibot_send_msg`: `{chatid, msgtype, <msgtype>}`.
    pub fn aibot_body(&self) -> Value {
        let mut body = Map::new();
        body.insert("chatid".into(), Value::String(self.chatid.clone().unwrap_or_default()));
        body.insert("msgtype".into(), Value::String(self.msgtype.clone()));
        body.insert(self.msgtype.clone(), Value::Object(self.content.clone()));
        Value::Object(body)
    }

    /// The body of `message/send` for the app `agent_id`, with `content`
    /// (the request's, its uploads replaced by their media ids).
    pub fn app_body(&self, agent_id: i64, content: &Map<String, Value>) -> Value {
        let mut body = Map::new();
        if !self.recipients.is_empty() {
            body.insert("touser".into(), Value::String(self.recipients.join("|")));
        }
        if !self.parties.is_empty() {
            body.insert("toparty".into(), Value::String(self.parties.join("|")));
        }
        if !self.tags.is_empty() {
            body.insert("totag".into(), Value::String(self.tags.join("|")));
        }
        body.insert("msgtype".into(), Value::String(self.msgtype.clone()));
        body.insert("agentid".into(), Value::from(agent_id));
        body.insert(self.msgtype.clone(), Value::Object(content.clone()));
        if self.safe {
            body.insert("safe".into(), Value::from(1));
        }
        if self.enable_duplicate_check {
            body.insert("enable_duplicate_check".into(), Value::from(1));
            if let Some(interval) = self.duplicate_check_interval {
                body.insert("duplicate_check_interval".into(), Value::from(interval));
            }
        }
        Value::Object(body)
    }

    /// The body of the robot's `webhook/send`; `media_id` replaces a file
    /// or voice uploaded first.
    pub fn bot_body(&self, media_id: Option<&str>) -> Value {
        let mut body = Map::new();
        body.insert("msgtype".into(), Value::String(self.msgtype.clone()));
        let content = match media_id {
            Some(media_id) => serde_json::json!({"media_id": media_id}),
            None => Value::Object(self.content.clone()),
        };
        body.insert(self.msgtype.clone(), content);
        Value::Object(body)
    }

    /// The body of `appchat/send` for the group chat, with `content`.
    pub fn chat_body(&self, content: &Map<String, Value>) -> Value {
        let mut body = Map::new();
        body.insert("chatid".into(), Value::String(self.chatid.clone().unwrap_or_default()));
        body.insert("msgtype".into(), Value::String(self.msgtype.clone()));
        body.insert(self.msgtype.clone(), Value::Object(content.clone()));
        body.insert("safe".into(), Value::from(u8::from(self.safe)));
        Value::Object(body)
    }
}
