//! The frames of the long connection (`WecomTeam/aibot-node-sdk`
//! `src/types/api.ts`): `{cmd, headers: {req_id}, body}` both ways; an
//! answer to a request echoes its `req_id` with `errcode`/`errmsg`.

use serde::{Deserialize, Serialize};

/// Subscribe with bot id and secret (the first frame).
pub const SUBSCRIBE: &str = "aibot_subscribe";
/// Heartbeat.
pub const PING: &str = "ping";
/// A user's message.
pub const MSG_CALLBACK: &str = "aibot_msg_callback";
/// An event (enter_chat, card events, feedback, disconnected_event).
pub const EVENT_CALLBACK: &str = "aibot_event_callback";
/// Answers a user's message (a stream, a card).
pub const RESPOND_MSG: &str = "aibot_respond_msg";
/// Answers `enter_chat` with a welcome (text or card).
pub const RESPOND_WELCOME: &str = "aibot_respond_welcome_msg";
/// Answers a card event by replacing the card.
pub const RESPOND_UPDATE: &str = "aibot_respond_update_msg";
/// Sends proactively into a chat that messaged the bot.
pub const SEND_MSG: &str = "aibot_send_msg";
/// The connection was replaced by a newer subscription.
pub const DISCONNECTED_EVENT: &str = "disconnected_event";

/// A frame's headers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Headers {
    /// Ties an answer to its request (and a reply to its callback).
    #[serde(default)]
    pub req_id: String,
}

/// One frame.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Frame {
    /// The command; absent on answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<String>,
    /// `req_id`.
    #[serde(default)]
    pub headers: Headers,
    /// The content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<serde_json::Value>,
    /// Answers: `0` for success.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errcode: Option<i64>,
    /// Answers: WeCom's message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errmsg: Option<String>,
}

impl Frame {
    /// A request frame.
    pub fn request(cmd: &str, req_id: String, body: Option<serde_json::Value>) -> Self {
        Self { cmd: Some(cmd.to_owned()), headers: Headers { req_id }, body, ..Self::default() }
    }

    /// The success answer to a request.
    pub fn ok_answer(req_id: &str) -> Self {
        Self {
            headers: Headers { req_id: req_id.to_owned() },
            errcode: Some(0),
            errmsg: Some("ok".to_owned()),
            ..Self::default()
        }
    }

    /// Whether it tells this connection it was replaced (a
    /// `disconnected_event`, as a command or as an event callback).
    pub fn is_kick(&self) -> bool {
        self.cmd.as_deref() == Some(DISCONNECTED_EVENT)
            || (self.cmd.as_deref() == Some(EVENT_CALLBACK)
                && self
                    .body
                    .as_ref()
                    .and_then(|body| body.pointer("/event/eventtype"))
                    .and_then(|v| v.as_str())
                    == Some(DISCONNECTED_EVENT))
    }
}

/// A fresh `req_id` for a request of ours (prefixed by its command, as the SDK does).
pub fn req_id(cmd: &str) -> String {
    format!("{cmd}_{}", uuid_like())
}

fn uuid_like() -> String {
    let random: u128 = rand::random();
    format!("{random:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_and_kicks_read_as_the_sdk_writes_them() {
        let answer: Frame =
            serde_json::from_str(r#"{"headers":{"req_id":"ping_1"},"errcode":0,"errmsg":"ok"}"#).unwrap();
        assert_eq!((answer.cmd, answer.errcode), (None, Some(0)));
        let kick: Frame = serde_json::from_str(
            r#"{"cmd":"aibot_event_callback","headers":{"req_id":"r"},"body":{"msgid":"m","msgtype":"event","event":{"eventtype":"disconnected_event"}}}"#,
        )
        .unwrap();
        assert!(kick.is_kick());
        let message: Frame = serde_json::from_str(
            r#"{"cmd":"aibot_msg_callback","headers":{"req_id":"r"},"body":{"msgid":"m","msgtype":"text","text":{"content":"hi"}}}"#,
        )
        .unwrap();
        assert!(!message.is_kick());
    }
}
