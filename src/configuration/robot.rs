//! `robot:` — how smart robots answer users (streams, `response_url`), and
//! the per-account `reply:` mode.

use serde::Deserialize;

/// How a robot account answers a user's message (`none`, `stream`; empty
/// is `none`, so `WECHAT_BOT_REPLY=` in a `.env` changes nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RobotReplyMode {
    /// An empty body; business systems may answer through `response_url`.
    #[default]
    None,
    /// A new stream per message (`finish: false`), which business systems
    /// fill through `PUT /api/v1/robot/streams/{id}` while WeCom polls it.
    Stream,
}

impl<'de> Deserialize<'de> for RobotReplyMode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        match text.trim() {
            "" | "none" => Ok(RobotReplyMode::None),
            "stream" => Ok(RobotReplyMode::Stream),
            other => Err(serde::de::Error::custom(format!("reply must be none or stream, not {other:?}"))),
        }
    }
}

/// How a robot account receives its callbacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RobotConnectionMode {
    /// WeCom calls the account's callback URL (the default).
    #[default]
    Callback,
    /// The service holds a long connection to WeCom (bot id + secret),
    /// one replica at a time.
    Websocket,
}

/// `robot:` in the YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RobotSettings {
    /// A stream not written for this long gets a keepalive update (s).
    pub stream_keepalive_secs: u64,
    /// A stream not finished this long after the user's message is
    /// force-finished with `stream_fallback_text` (s). WeCom stops polling
    /// 6 minutes after the message, so the default leaves its last polls
    /// time to carry the fallback.
    pub stream_deadline_secs: u64,
    /// What a force-finished stream says (after any content so far).
    pub stream_fallback_text: String,
    /// Long connections: how long a replica's hold on a bot's connection
    /// lasts without renewal (ms); another replica takes over after it.
    pub ws_lease_ms: u64,
    /// Long connections: the heartbeat (`ping`) interval (ms).
    pub ws_heartbeat_ms: u64,
    /// Long connections: the longest wait between reconnection attempts (ms).
    pub ws_reconnect_max_ms: u64,
}

impl Default for RobotSettings {
    fn default() -> Self {
        Self {
            stream_keepalive_secs: 240,
            stream_deadline_secs: 350,
            stream_fallback_text: "抱歉，回答超时了，完整的回复稍后发送给你。".to_owned(),
            ws_lease_ms: 10_000,
            ws_heartbeat_ms: 30_000,
            ws_reconnect_max_ms: 30_000,
        }
    }
}
