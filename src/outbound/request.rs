//! A message to send, parsed at the edge: the API's body becomes a
//! [`SendRequest`] (or a clear error), and a `SendRequest` becomes exactly
//! the JSON WeCom expects. Stored as the payload of a `message.send` event,
//! so the queue can be rebuilt from the event log.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::checks::{check_chat, check_content, check_ids};

/// How a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SendChannel {
    /// The self-built app: `message/send` with an access token.
    WecomApp,
    /// The group robot: `webhook/send` with its key.
    WecomBot,
    /// A smart robot's answer to one callback, posted once to the
    /// callback's `response_url` (`POST /api/v1/robot/replies`).
    WecomRobotReply,
    /// A smart robot in long-connection mode: `aibot_send_msg` on the
    /// holder's connection, into a chat (`chatid`) or a user's single chat.
    WecomAibot,
    /// A mass send to customers (external contacts) through an app:
    /// `externalcontact/add_msg_template`; each customer's outcome comes
    /// later, from `get_groupmsg_send_result` ([`super::external`]).
    WecomExternal,
    /// 微信客服: `kf/send_msg` to a customer of a customer-service account
    /// (or `kf/send_msg_on_event` with an `enter_session`'s welcome code);
    /// WeCom's later `msg_send_fail` names the message by its id.
    WecomKf,
}

impl SendChannel {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SendChannel::WecomApp => "wecom_app",
            SendChannel::WecomBot => "wecom_bot",
            SendChannel::WecomRobotReply => "wecom_robot_reply",
            SendChannel::WecomAibot => "wecom_aibot",
            SendChannel::WecomExternal => "wecom_external",
            SendChannel::WecomKf => "wecom_kf",
        }
    }

    /// Parses a wire name (`external` is not a send channel; robot replies
    /// are made through `/api/v1/robot/replies`, not by name).
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "wecom_app" => Some(SendChannel::WecomApp),
            "wecom_bot" => Some(SendChannel::WecomBot),
            "wecom_aibot" => Some(SendChannel::WecomAibot),
            "wecom_external" => Some(SendChannel::WecomExternal),
            "wecom_kf" => Some(SendChannel::WecomKf),
            _ => None,
        }
    }

    /// The message types WeCom accepts on this channel.
    pub fn msgtypes(self) -> &'static [&'static str] {
        match self {
            SendChannel::WecomApp => &[
                "text",
                "markdown",
                "textcard",
                "news",
                "template_card",
                "image",
                "voice",
                "video",
                "file",
                "mpnews",
                "miniprogram_notice",
            ],
            SendChannel::WecomBot => {
                &["text", "markdown", "markdown_v2", "news", "image", "file", "voice", "template_card"]
            }
            SendChannel::WecomRobotReply | SendChannel::WecomAibot => &["markdown", "template_card"],
            SendChannel::WecomExternal => &["text"],
            SendChannel::WecomKf => &["text", "image", "voice", "video", "file"],
        }
    }
}

/// The message types `appchat/send` takes (an app's group chat).
pub const CHAT_MSGTYPES: [&str; 9] =
    ["text", "image", "voice", "video", "file", "textcard", "news", "mpnews", "markdown"];

/// Template card types each channel may send (group robots have no
/// callback, so no interactive cards).
pub(super) const APP_CARDS: [&str; 5] =
    ["text_notice", "news_notice", "button_interaction", "vote_interaction", "multiple_interaction"];
pub(super) const BOT_CARDS: [&str; 2] = ["text_notice", "news_notice"];

fn is_default_account(account: &str) -> bool {
    account == crate::accounts::DEFAULT_ACCOUNT
}

/// A validated send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendRequest {
    /// The tracked message id.
    pub message_id: String,
    /// App or robot.
    pub channel: SendChannel,
    /// The account sent through. Left out of the stored JSON when it is
    /// `default`, so requests (and their fingerprints) read as before
    /// accounts existed.
    #[serde(default = "pmc_actors::default_account", skip_serializing_if = "is_default_account")]
    pub account: String,
    /// Suites: the authorised corp sent to, on its behalf.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub corp_id: Option<String>,
    /// `text`, `markdown`, `template_card`, …
    pub msgtype: String,
    /// The object named after `msgtype`, as WeCom expects it.
    pub content: Map<String, Value>,
    /// User ids (app); `@all` allowed alone.
    pub recipients: Vec<String>,
    /// Department ids (app).
    pub parties: Vec<String>,
    /// Tag ids (app).
    pub tags: Vec<String>,
    /// An app group chat to send to (`appchat/send`) instead of users,
    /// parties or tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chatid: Option<String>,
    /// Confidential message (app).
    pub safe: bool,
    /// Let WeCom drop an identical body inside the interval (app).
    pub enable_duplicate_check: bool,
    /// Seconds (default 1800, at most 4 h).
    pub duplicate_check_interval: Option<u32>,
    /// 微信客服: the customer-service account sending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub open_kfid: Option<String>,
    /// 微信客服: an `enter_session` event's `welcome_code` (a welcome,
    /// through `kf/send_msg_on_event`, within 20 s of it, once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub welcome_code: Option<String>,
    /// Robot replies: the callback's one-time `response_url` (a credential;
    /// absent from every other send).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_url: Option<String>,
    /// A hash of the request, to tell a retry from a different request
    /// reusing its idempotency key.
    pub fingerprint: String,
}

/// The parts of an API body a send is made of.
#[derive(Debug, Clone, Default)]
pub struct SendInput {
    /// The tracked message id.
    pub message_id: String,
    /// `wecom_app` or `wecom_bot`.
    pub channel: String,
    /// The account (`default` when not given).
    pub account: Option<String>,
    /// Suites: the authorised corp.
    pub corp_id: Option<String>,
    /// The message type.
    pub msgtype: Option<String>,
    /// The object named after each type (only the one named by `msgtype` may be set).
    pub contents: Vec<(&'static str, Option<Value>)>,
    /// User ids.
    pub recipients: Vec<String>,
    /// Department ids.
    pub parties: Vec<String>,
    /// Tag ids.
    pub tags: Vec<String>,
    /// An app group chat (`appchat/send`).
    pub chatid: Option<String>,
    /// Confidential.
    pub safe: bool,
    /// WeCom's duplicate check.
    pub enable_duplicate_check: bool,
    /// Its interval, seconds.
    pub duplicate_check_interval: Option<u32>,
    /// 微信客服: the customer-service account.
    pub open_kfid: Option<String>,
    /// 微信客服: a welcome code.
    pub welcome_code: Option<String>,
}

impl SendRequest {
    /// Validates an API body into a send; the error says what is wrong.
    pub fn parse(mut input: SendInput) -> Result<Self, String> {
        let channel = SendChannel::parse(&input.channel).ok_or_else(|| {
            "channel must be external, wecom_app, wecom_bot, wecom_aibot, wecom_external or wecom_kf"
                .to_owned()
        })?;
        if channel == SendChannel::WecomKf {
            super::checks::check_kf(&input)?;
        } else if input.open_kfid.is_some() || input.welcome_code.is_some() {
            return Err("open_kfid and welcome_code are for channel wecom_kf".to_owned());
        }
        let msgtype = input.msgtype.ok_or_else(|| "msgtype is required to send".to_owned())?;
        if !channel.msgtypes().contains(&msgtype.as_str()) {
            return Err(format!(
                "msgtype {msgtype} cannot be sent on {}: one of {}",
                channel.as_str(),
                channel.msgtypes().join(", ")
            ));
        }
        let mut content = None;
        for (name, value) in input.contents {
            match (name == msgtype, value) {
                (true, Some(Value::Object(object))) => content = Some(object),
                (true, Some(_)) => return Err(format!("{name} must be an object")),
                (false, Some(_)) => return Err(format!("{name} is set but msgtype is {msgtype}")),
                (_, None) => {}
            }
        }
        let content =
            content.ok_or_else(|| format!("msgtype is {msgtype}: the {msgtype} object is required"))?;
        check_content(channel, &msgtype, &content)?;
        check_ids("recipients", &input.recipients, 1000)?;
        check_ids("parties", &input.parties, 100)?;
        check_ids("tags", &input.tags, 100)?;
        if channel == SendChannel::WecomExternal {
            if input.recipients.is_empty()
                || input.chatid.is_some()
                || !input.parties.is_empty()
                || !input.tags.is_empty()
            {
                return Err(
                    "wecom_external sends to customers: recipients are their external_userids (1 to 1000)"
                        .to_owned(),
                );
            }
            if input.safe || input.enable_duplicate_check || input.duplicate_check_interval.is_some() {
                return Err("add_msg_template has no safe mode or duplicate check".to_owned());
            }
        } else if channel == SendChannel::WecomAibot {
            // One conversation: a chat, or a user's single chat (its chatid is the user id).
            if input.chatid.is_none() && input.recipients.len() == 1 {
                input.chatid = input.recipients.pop();
            }
            if input.chatid.is_none()
                || !input.recipients.is_empty()
                || !input.parties.is_empty()
                || !input.tags.is_empty()
            {
                return Err("wecom_aibot sends into one conversation: chatid (a group chat), or recipients with one user id (a single chat)".to_owned());
            }
            if input.enable_duplicate_check || input.duplicate_check_interval.is_some() {
                return Err("aibot_send_msg has no duplicate check".to_owned());
            }
        } else if let Some(chatid) = &input.chatid {
            let addressed =
                !(input.recipients.is_empty() && input.parties.is_empty() && input.tags.is_empty());
            let duplicate_check = input.enable_duplicate_check || input.duplicate_check_interval.is_some();
            check_chat(channel, &msgtype, chatid, addressed, duplicate_check)?;
        } else if channel == SendChannel::WecomApp
            && input.recipients.is_empty()
            && input.parties.is_empty()
            && input.tags.is_empty()
        {
            return Err(
                "an app message needs recipients, parties or tags (recipients [\"@all\"] for everyone)"
                    .to_owned(),
            );
        }
        if channel == SendChannel::WecomBot
            && !(input.recipients.is_empty() && input.parties.is_empty() && input.tags.is_empty())
        {
            return Err("a robot message goes to its group: recipients, parties and tags do not apply                         (mention users in text.mentioned_list)"
                .to_owned());
        }
        if input.duplicate_check_interval.is_some_and(|seconds| seconds == 0 || seconds > 4 * 3600) {
            return Err("duplicate_check_interval must be 1 to 14400 seconds".to_owned());
        }
        let mut request = SendRequest {
            message_id: input.message_id,
            channel,
            account: input.account.unwrap_or_else(pmc_actors::default_account),
            corp_id: input.corp_id,
            msgtype,
            content,
            recipients: input.recipients,
            parties: input.parties,
            tags: input.tags,
            chatid: input.chatid,
            safe: input.safe,
            enable_duplicate_check: input.enable_duplicate_check,
            duplicate_check_interval: input.duplicate_check_interval,
            open_kfid: input.open_kfid,
            welcome_code: input.welcome_code,
            response_url: None,
            fingerprint: String::new(),
        };
        request.fingerprint = request.compute_fingerprint();
        Ok(request)
    }

    /// A smart robot's reply through `response_url`: `markdown` or
    /// `template_card` (its content already carries the `feedback` id).
    pub fn robot_reply(
        message_id: String,
        account: String,
        msgtype: &str,
        content: Map<String, Value>,
        response_url: String,
    ) -> Self {
        let mut request = SendRequest {
            message_id,
            channel: SendChannel::WecomRobotReply,
            account,
            corp_id: None,
            msgtype: msgtype.to_owned(),
            content,
            recipients: Vec::new(),
            parties: Vec::new(),
            tags: Vec::new(),
            chatid: None,
            safe: false,
            enable_duplicate_check: false,
            duplicate_check_interval: None,
            open_kfid: None,
            welcome_code: None,
            response_url: Some(response_url),
            fingerprint: String::new(),
        };
        request.fingerprint = request.compute_fingerprint();
        request
    }

    fn compute_fingerprint(&self) -> String {
        use sha1::{Digest, Sha1};
        let unsigned = SendRequest { fingerprint: String::new(), message_id: String::new(), ..self.clone() };
        let text = serde_json::to_string(&unsigned).expect("a request serialises");
        hex::encode(Sha1::digest(text.as_bytes()))
    }

    /// The template card's `task_id` (clicks on the card find the message by it).
    pub fn task_id(&self) -> Option<String> {
        (self.msgtype == "template_card")
            .then(|| self.content.get("task_id").and_then(Value::as_str).map(str::to_owned))
            .flatten()
    }

    /// The user ids tracked per recipient: the named users (parties, tags and
    /// `@all` expand on WeCom's side, so those messages are tracked as a
    /// whole); a group chat is one recipient, named by its chat id.
    pub fn tracked_recipients(&self) -> Vec<String> {
        if let Some(chatid) = &self.chatid {
            return vec![chatid.clone()];
        }
        if matches!(self.channel, SendChannel::WecomExternal | SendChannel::WecomKf) {
            return self.recipients.clone();
        }
        if self.channel != SendChannel::WecomApp
            || self.recipients.iter().any(|user| user == "@all")
            || !self.parties.is_empty()
            || !self.tags.is_empty()
        {
            return Vec::new();
        }
        self.recipients.clone()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn input(channel: &str, msgtype: &str, content: Value) -> SendInput {
        SendInput {
            message_id: "m1".into(),
            channel: channel.into(),
            msgtype: Some(msgtype.into()),
            contents: vec![("text", None), ("markdown", None), ("template_card", None), ("news", None)]
                .into_iter()
                .map(|(name, value)| (name, if name == msgtype { Some(content.clone()) } else { value }))
                .collect(),
            recipients: vec!["zhangsan".into(), "lisi".into()],
            ..SendInput::default()
        }
    }

    #[test]
    fn an_app_text_becomes_wecoms_body() {
        let mut send = input("wecom_app", "text", json!({"content": "你好"}));
        send.enable_duplicate_check = true;
        let request = SendRequest::parse(send).unwrap();
        assert_eq!(
            request.app_body(1000002, &request.content),
            json!({"touser": "zhangsan|lisi", "msgtype": "text", "agentid": 1000002,
                   "text": {"content": "你好"}, "enable_duplicate_check": 1})
        );
        assert_eq!(request.tracked_recipients(), ["zhangsan", "lisi"]);
    }

    #[test]
    fn bad_sends_are_refused_with_the_reason() {
        let cases = [
            (input("wecom_app", "text", json!({"content": ""})), "text.content is required"),
            (input("wecom_app", "markdown_v2", json!({"content": "x"})), "cannot be sent on wecom_app"),
            (
                input("wecom_bot", "template_card", json!({"card_type": "button_interaction"})),
                "card_type must be",
            ),
            (
                input("wecom_app", "template_card", json!({"card_type": "vote_interaction"})),
                "task_id is required",
            ),
            (input("wecom_app", "news", json!({"articles": []})), "1 to 8 articles"),
        ];
        for (send, reason) in cases {
            let error = SendRequest::parse(send).unwrap_err();
            assert!(error.contains(reason), "{error}");
        }
        let mut two = input("wecom_app", "text", json!({"content": "x"}));
        two.contents[1].1 = Some(json!({"content": "y"}));
        assert!(SendRequest::parse(two).unwrap_err().contains("markdown is set"));
    }

    #[test]
    fn a_retry_has_the_same_fingerprint_and_a_changed_body_does_not() {
        let first = SendRequest::parse(input("wecom_app", "text", json!({"content": "a"}))).unwrap();
        let again = SendRequest::parse(input("wecom_app", "text", json!({"content": "a"}))).unwrap();
        let other = SendRequest::parse(input("wecom_app", "text", json!({"content": "b"}))).unwrap();
        assert_eq!(first.fingerprint, again.fingerprint);
        assert_ne!(first.fingerprint, other.fingerprint);
    }
}
