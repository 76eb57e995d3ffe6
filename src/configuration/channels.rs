//! The two WeCom channels and their credentials, validated into ready-to-use
//! [`CallbackCrypto`] values at start.

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::{ConfigError, empty_as_none, secret_empty_as_none};
use crate::wecom::{CallbackCrypto, EncodingAesKey};

/// `channels.wechat_api`: a self-built app's callback settings, optionally
/// a third-party suite's too (both arrive on the same route).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WeChatApiSettings {
    /// Serve this channel.
    pub enabled: bool,
    /// CorpID (`WECHAT_CORP_ID`): the receiveid of app callbacks.
    #[serde(deserialize_with = "empty_as_none")]
    pub corp_id: Option<String>,
    /// App secret (`WECHAT_CORP_SECRET`), for sending.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub secret: Option<SecretString>,
    /// Agent id (`WECHAT_AGENT_ID`).
    #[serde(deserialize_with = "empty_as_none")]
    pub agent_id: Option<String>,
    /// API host (`WECHAT_BASE_URL`).
    pub base_url: String,
    /// Callback Token (`WECHAT_TOKEN`).
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub token: Option<SecretString>,
    /// Callback EncodingAESKey (`WECHAT_ENCODING_AES_KEY`), 43 characters.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub encoding_aes_key: Option<SecretString>,
    /// A third-party suite whose instruction callbacks share this route.
    pub suite: Option<SuiteSettings>,
    /// If set, user messages get this text as a passive reply.
    #[serde(deserialize_with = "empty_as_none")]
    pub auto_reply_text: Option<String>,
    /// Passive reply rules of the default app (YAML only).
    #[serde(default)]
    pub replies: Vec<crate::replies::ReplyRuleSettings>,
}

impl Default for WeChatApiSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            corp_id: None,
            secret: None,
            agent_id: None,
            base_url: "https://qyapi.weixin.qq.com".to_owned(),
            token: None,
            encoding_aes_key: None,
            suite: None,
            auto_reply_text: None,
            replies: Vec::new(),
        }
    }
}

/// `channels.wechat_api.suite`.
#[derive(Debug, Clone, Deserialize)]
pub struct SuiteSettings {
    /// SuiteID: the receiveid of suite callbacks.
    pub suite_id: String,
    /// The suite's callback Token.
    pub token: SecretString,
    /// The suite's EncodingAESKey.
    pub encoding_aes_key: SecretString,
    /// The suite secret, for `get_suite_token` (sending on behalf of the
    /// corps that authorise it).
    #[serde(default, deserialize_with = "secret_empty_as_none")]
    pub suite_secret: Option<SecretString>,
}

/// `channels.wechat_bot`: robot callbacks (smart robot JSON and legacy
/// group robot XML; receiveid is empty) and the group-robot send URL.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WeChatBotSettings {
    /// Serve this channel.
    pub enabled: bool,
    /// Group-robot send URL with its key (`WECHAT_BOT_WEBHOOK_URL`); a secret.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub webhook_url: Option<SecretString>,
    /// The long-connection endpoint of robot accounts in `websocket` mode
    /// (`WECHAT_BOT_WS_URL`).
    pub ws_url: String,
    /// Robot secret (`WECHAT_BOT_SECRET`).
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub secret: Option<SecretString>,
    /// Callback Token (`WECHAT_BOT_TOKEN`).
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub token: Option<SecretString>,
    /// Callback EncodingAESKey (`WECHAT_BOT_ENCODING_AES_KEY`).
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub encoding_aes_key: Option<SecretString>,
    /// If set, a smart robot's `enter_chat` gets this welcome text.
    #[serde(deserialize_with = "empty_as_none")]
    pub welcome_text: Option<String>,
    /// How a user's message is answered: `none` or `stream` (`WECHAT_BOT_REPLY`).
    pub reply: super::RobotReplyMode,
    /// The text a new stream shows first (`WECHAT_BOT_THINKING_TEXT`).
    #[serde(deserialize_with = "empty_as_none")]
    pub thinking_text: Option<String>,
    /// Passive reply rules of the default robot (YAML only).
    #[serde(default)]
    pub replies: Vec<crate::replies::ReplyRuleSettings>,
}

impl Default for WeChatBotSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            webhook_url: None,
            ws_url: "wss://openws.work.weixin.qq.com".to_owned(),
            secret: None,
            token: None,
            encoding_aes_key: None,
            welcome_text: None,
            reply: super::RobotReplyMode::None,
            thinking_text: None,
            replies: Vec::new(),
        }
    }
}

/// A channel's state after validation.
#[derive(Debug, Clone)]
pub enum ChannelCredentials {
    /// Ready: the candidates to try, in order (app first, then suite).
    Ready(Vec<CallbackCrypto>),
    /// Switched off in config.
    Disabled,
    /// Enabled but credentials are missing; the reason names them.
    Unconfigured(String),
}

impl ChannelCredentials {
    /// Whether callbacks can be served.
    pub fn is_ready(&self) -> bool {
        matches!(self, ChannelCredentials::Ready(_))
    }
}

impl WeChatApiSettings {
    /// Validates the credentials; an invalid EncodingAESKey is an error that
    /// names the key, missing credentials only make the channel unavailable.
    pub fn credentials(&self) -> Result<ChannelCredentials, ConfigError> {
        if !self.enabled {
            return Ok(ChannelCredentials::Disabled);
        }
        let mut candidates = Vec::new();
        let mut missing = Vec::new();
        match (&self.token, &self.encoding_aes_key, &self.corp_id) {
            (Some(token), Some(key), Some(corp_id)) => candidates.push(CallbackCrypto::new(
                token.clone(),
                parse_key(key, "channels.wechat_api.encoding_aes_key", "WECHAT_ENCODING_AES_KEY")?,
                corp_id.clone(),
            )),
            (token, key, corp_id) => {
                for (absent, name) in [
                    (token.is_none(), "WECHAT_TOKEN"),
                    (key.is_none(), "WECHAT_ENCODING_AES_KEY"),
                    (corp_id.is_none(), "WECHAT_CORP_ID"),
                ] {
                    if absent {
                        missing.push(name);
                    }
                }
            }
        }
        if let Some(suite) = &self.suite {
            candidates.push(CallbackCrypto::new(
                suite.token.clone(),
                parse_key(&suite.encoding_aes_key, "channels.wechat_api.suite.encoding_aes_key", "-")?,
                suite.suite_id.clone(),
            ));
        }
        if candidates.is_empty() {
            return Ok(ChannelCredentials::Unconfigured(format!("missing {}", missing.join(", "))));
        }
        Ok(ChannelCredentials::Ready(candidates))
    }
}

impl WeChatBotSettings {
    /// Validates the credentials (receiveid is always empty for robots).
    pub fn credentials(&self) -> Result<ChannelCredentials, ConfigError> {
        if !self.enabled {
            return Ok(ChannelCredentials::Disabled);
        }
        match (&self.token, &self.encoding_aes_key) {
            (Some(token), Some(key)) => Ok(ChannelCredentials::Ready(vec![CallbackCrypto::new(
                token.clone(),
                parse_key(key, "channels.wechat_bot.encoding_aes_key", "WECHAT_BOT_ENCODING_AES_KEY")?,
                "",
            )])),
            (token, _) => Ok(ChannelCredentials::Unconfigured(format!(
                "missing {}",
                if token.is_none() { "WECHAT_BOT_TOKEN" } else { "WECHAT_BOT_ENCODING_AES_KEY" }
            ))),
        }
    }
}

fn parse_key(
    value: &SecretString,
    key: &'static str,
    env: &'static str,
) -> Result<EncodingAesKey, ConfigError> {
    EncodingAesKey::parse(value.expose_secret().trim()).map_err(|error| ConfigError::Invalid {
        key,
        env,
        reason: error.to_string(),
    })
}
