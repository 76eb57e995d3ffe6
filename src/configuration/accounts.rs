//! `accounts:` — every WeCom app, third-party suite and robot the service
//! serves, as written in the configuration. Validated into
//! [`crate::accounts::Accounts`] at start (and on SIGHUP).

use secrecy::SecretString;
use serde::Deserialize;

use super::{RobotReplyMode, empty_as_none, secret_empty_as_none};

/// What an account is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AccountKind {
    /// A self-built app (自建应用): corp id, agent id, secret.
    App,
    /// A third-party suite (第三方应用) serving many authorising corps.
    Suite,
    /// A smart robot or group robot.
    Robot,
}

impl AccountKind {
    /// `app`, `suite` or `robot`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountKind::App => "app",
            AccountKind::Suite => "suite",
            AccountKind::Robot => "robot",
        }
    }
}

/// One entry of `accounts:`. Which fields apply depends on `kind`; the
/// others must be left out (a robot with an `agent_id` is refused, so a
/// misplaced credential is caught at start).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountSettings {
    /// Slug `[a-z0-9_-]{1,40}`: the route segment, metrics label and the
    /// `account` stored with everything it receives or sends.
    pub id: String,
    /// `app`, `suite` or `robot`.
    pub kind: AccountKind,
    /// Serve it (default true). A disabled account's data stays queryable.
    #[serde(default = "enabled")]
    pub enabled: bool,
    /// App: the corp id (the receiveid of its callbacks).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub corp_id: Option<String>,
    /// App: the agent id, for sending.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub agent_id: Option<String>,
    /// App: the app secret, for sending.
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub secret: Option<SecretString>,
    /// Callback Token.
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub token: Option<SecretString>,
    /// Callback EncodingAESKey (43 characters).
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub encoding_aes_key: Option<SecretString>,
    /// Suite: the SuiteID (receiveid of its instruction callbacks).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub suite_id: Option<String>,
    /// Suite: the suite secret, for `get_suite_token`.
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub suite_secret: Option<SecretString>,
    /// Robot: the group-robot send URL with its key (a secret).
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub webhook_url: Option<SecretString>,
    /// Robot: the smart robot's bot id (aibotid), when known.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub bot_id: Option<String>,
    /// App and suite: the API host (default `channels.wechat_api.base_url`).
    #[serde(default, deserialize_with = "empty_as_none")]
    pub base_url: Option<String>,
    /// App: passive reply text to every user message.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub auto_reply_text: Option<String>,
    /// Robot: welcome text for a smart robot's `enter_chat`.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub welcome_text: Option<String>,
    /// Robot: `callback` (WeCom calls the callback URL, the default) or
    /// `websocket` (a long connection with `bot_id` and `secret`).
    #[serde(default)]
    pub mode: super::RobotConnectionMode,
    /// Robot: how a user's message is answered (`none` or `stream`).
    #[serde(default)]
    pub reply: RobotReplyMode,
    /// Robot: the text a new stream shows until the business system writes.
    #[serde(default, deserialize_with = "empty_as_none")]
    pub thinking_text: Option<String>,
    /// App and robot: passive reply rules, first match wins (see
    /// [`crate::replies`]).
    #[serde(default)]
    pub replies: Vec<crate::replies::ReplyRuleSettings>,
    /// Send pacing under WeCom's limits.
    #[serde(default)]
    pub pacing: PacingSettings,
}

fn enabled() -> bool {
    true
}

/// `accounts[].pacing`: how fast sends go out. WeCom discards, without an
/// error, what goes beyond its limits; the defaults are its documented ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PacingSettings {
    /// App: messages per member per minute.
    pub member_per_minute: u32,
    /// App: messages per member per hour.
    pub member_per_hour: u32,
    /// Robot: messages per minute.
    pub robot_per_minute: u32,
}

impl Default for PacingSettings {
    fn default() -> Self {
        Self { member_per_minute: 30, member_per_hour: 1000, robot_per_minute: 20 }
    }
}
