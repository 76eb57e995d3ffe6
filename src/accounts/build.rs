//! Building [`Account`]s from the settings: the seed's `channels:` (the
//! `default` app, `default_suite` and `default` robot) and each entry of
//! `accounts:`, with their credentials parsed into types once.

use secrecy::{ExposeSecret, SecretString};

use super::*;

/// The accounts the seed's `channels:` define. The default app and robot
/// always exist (without credentials their routes answer 503, as before).
pub(super) fn legacy_accounts(settings: &Settings) -> Result<Vec<Account>, ConfigError> {
    let app = &settings.channels.wechat_api;
    let bot = &settings.channels.wechat_bot;
    let default = AccountId::parse(DEFAULT_ACCOUNT).expect("a valid id");
    let mut accounts = vec![Account {
        id: default.clone(),
        kind: AccountKind::App,
        legacy: true,
        enabled: app.enabled,
        callback: match (&app.token, &app.encoding_aes_key, &app.corp_id) {
            (Some(token), Some(key), Some(corp_id)) => Ok(CallbackCrypto::new(
                token.clone(),
                parse_key(key, "channels.wechat_api.encoding_aes_key", "WECHAT_ENCODING_AES_KEY")?,
                corp_id.clone(),
            )),
            (token, key, corp_id) => Err(missing(&[
                (token.is_none(), "WECHAT_TOKEN"),
                (key.is_none(), "WECHAT_ENCODING_AES_KEY"),
                (corp_id.is_none(), "WECHAT_CORP_ID"),
            ])),
        },
        corp_id: app.corp_id.clone(),
        agent_id: parse_agent_id(app.agent_id.as_deref(), DEFAULT_ACCOUNT)?,
        secret: app.secret.clone(),
        suite_id: None,
        suite_secret: None,
        robot_key: None,
        bot_id: None,
        base_url: app.base_url.clone(),
        auto_reply_text: app.auto_reply_text.clone(),
        welcome_text: None,
        reply: RobotReplyMode::None,
        mode: RobotConnectionMode::Callback,
        thinking_text: None,
        replies: seed_rules(&app.replies, AccountKind::App)?,
        pacing: PacingSettings::default(),
    }];
    if let Some(suite) = &app.suite {
        accounts.push(Account {
            id: AccountId::parse(DEFAULT_SUITE_ACCOUNT).expect("a valid id"),
            kind: AccountKind::Suite,
            legacy: true,
            enabled: app.enabled,
            callback: Ok(CallbackCrypto::new(
                suite.token.clone(),
                parse_key(&suite.encoding_aes_key, "channels.wechat_api.suite.encoding_aes_key", "-")?,
                suite.suite_id.clone(),
            )),
            corp_id: None,
            agent_id: None,
            secret: None,
            suite_id: Some(suite.suite_id.clone()),
            suite_secret: suite.suite_secret.clone(),
            robot_key: None,
            bot_id: None,
            base_url: app.base_url.clone(),
            auto_reply_text: None,
            welcome_text: None,
            reply: RobotReplyMode::None,
            mode: RobotConnectionMode::Callback,
            thinking_text: None,
            replies: ReplyRules::default(),
            pacing: PacingSettings::default(),
        });
    }
    accounts.push(Account {
        id: default,
        kind: AccountKind::Robot,
        legacy: true,
        enabled: bot.enabled,
        callback: match (&bot.token, &bot.encoding_aes_key) {
            (Some(token), Some(key)) => Ok(CallbackCrypto::new(
                token.clone(),
                parse_key(key, "channels.wechat_bot.encoding_aes_key", "WECHAT_BOT_ENCODING_AES_KEY")?,
                "",
            )),
            (token, key) => Err(missing(&[
                (token.is_none(), "WECHAT_BOT_TOKEN"),
                (key.is_none(), "WECHAT_BOT_ENCODING_AES_KEY"),
            ])),
        },
        corp_id: None,
        agent_id: None,
        secret: bot.secret.clone(),
        suite_id: None,
        suite_secret: None,
        robot_key: bot.webhook_url.as_ref().and_then(crate::outbound::client::robot_key),
        bot_id: None,
        base_url: app.base_url.clone(),
        auto_reply_text: None,
        welcome_text: bot.welcome_text.clone(),
        reply: bot.reply,
        mode: RobotConnectionMode::Callback,
        thinking_text: bot.thinking_text.clone(),
        replies: seed_rules(&bot.replies, AccountKind::Robot)?,
        pacing: PacingSettings::default(),
    });
    Ok(accounts)
}

pub(super) fn configured_account(
    settings: &AccountSettings,
    default_base_url: &str,
) -> Result<Account, ConfigError> {
    let id = AccountId::parse(&settings.id)
        .map_err(|reason| ConfigError::Account { id: settings.id.clone(), reason })?;
    let refuse = |reason: String| ConfigError::Account { id: settings.id.clone(), reason };
    // A credential of another kind is a mistake worth stopping for: it
    // would otherwise be silently ignored.
    let foreign: &[(bool, &str)] = match settings.kind {
        AccountKind::App => &[
            (settings.suite_id.is_some(), "suite_id"),
            (settings.suite_secret.is_some(), "suite_secret"),
            (settings.webhook_url.is_some(), "webhook_url"),
            (settings.bot_id.is_some(), "bot_id"),
            (settings.welcome_text.is_some(), "welcome_text"),
            (settings.reply != RobotReplyMode::None, "reply"),
            (settings.thinking_text.is_some(), "thinking_text"),
        ],
        AccountKind::Suite => &[
            (settings.corp_id.is_some(), "corp_id (a suite's corps are the ones that authorise it)"),
            (settings.agent_id.is_some(), "agent_id (learned per corp from create_auth)"),
            (settings.secret.is_some(), "secret (a suite has suite_secret)"),
            (settings.webhook_url.is_some(), "webhook_url"),
            (settings.bot_id.is_some(), "bot_id"),
            (settings.auto_reply_text.is_some(), "auto_reply_text"),
            (settings.welcome_text.is_some(), "welcome_text"),
            (settings.reply != RobotReplyMode::None, "reply"),
            (settings.thinking_text.is_some(), "thinking_text"),
            (!settings.replies.is_empty(), "replies (suite callbacks are answered `success`)"),
        ],
        AccountKind::Robot => &[
            (settings.corp_id.is_some(), "corp_id"),
            (settings.agent_id.is_some(), "agent_id"),
            (settings.suite_id.is_some(), "suite_id"),
            (settings.suite_secret.is_some(), "suite_secret"),
            (settings.base_url.is_some(), "base_url"),
            (settings.auto_reply_text.is_some(), "auto_reply_text (robots have welcome_text)"),
        ],
    };
    if let Some((_, name)) = foreign.iter().find(|(present, _)| *present) {
        return Err(refuse(format!("{name} does not apply to a {} account", settings.kind.as_str())));
    }
    if settings.kind != AccountKind::Robot && settings.mode != RobotConnectionMode::Callback {
        return Err(refuse(format!("mode does not apply to a {} account", settings.kind.as_str())));
    }
    if settings.mode == RobotConnectionMode::Websocket
        && (settings.bot_id.is_none() || settings.secret.is_none())
    {
        return Err(refuse("mode websocket needs bot_id and secret".to_owned()));
    }
    let receive_id = match settings.kind {
        AccountKind::App => settings.corp_id.clone(),
        AccountKind::Suite => settings.suite_id.clone(),
        AccountKind::Robot => Some(String::new()),
    };
    // A key that is given must be valid, whatever else is missing.
    let key = settings
        .encoding_aes_key
        .as_ref()
        .map(|key| EncodingAesKey::parse(key.expose_secret().trim()))
        .transpose()
        .map_err(|error| refuse(format!("encoding_aes_key: {error}")))?;
    let callback = match (&settings.token, key, receive_id) {
        (Some(token), Some(key), Some(receive_id)) => Ok(CallbackCrypto::new(token.clone(), key, receive_id)),
        (token, _, receive_id) => Err(missing(&[
            (token.is_none(), "token"),
            (settings.encoding_aes_key.is_none(), "encoding_aes_key"),
            (receive_id.is_none(), if settings.kind == AccountKind::Suite { "suite_id" } else { "corp_id" }),
        ])),
    };
    if let Some(url) = &settings.base_url {
        url::Url::parse(url).map_err(|error| refuse(format!("base_url: {error}")))?;
    }
    let robot_key = settings.webhook_url.as_ref().and_then(crate::outbound::client::robot_key);
    Ok(Account {
        kind: settings.kind,
        legacy: false,
        enabled: settings.enabled,
        callback,
        corp_id: settings.corp_id.clone(),
        agent_id: parse_agent_id(settings.agent_id.as_deref(), &settings.id)?,
        secret: settings.secret.clone(),
        suite_id: settings.suite_id.clone(),
        suite_secret: settings.suite_secret.clone(),
        robot_key,
        bot_id: settings.bot_id.clone(),
        base_url: settings.base_url.clone().unwrap_or_else(|| default_base_url.to_owned()),
        auto_reply_text: settings.auto_reply_text.clone(),
        welcome_text: settings.welcome_text.clone(),
        reply: settings.reply,
        mode: settings.mode,
        thinking_text: settings.thinking_text.clone(),
        replies: ReplyRules::compile(&settings.replies, settings.kind).map_err(refuse)?,
        pacing: settings.pacing,
        id,
    })
}

/// The seed's accounts' rules; an error names the default account.
fn seed_rules(
    settings: &[crate::replies::ReplyRuleSettings],
    kind: AccountKind,
) -> Result<ReplyRules, ConfigError> {
    ReplyRules::compile(settings, kind).map_err(|reason| ConfigError::Account {
        id: format!("{DEFAULT_ACCOUNT} ({})", kind.as_str()),
        reason,
    })
}

fn parse_agent_id(text: Option<&str>, account: &str) -> Result<Option<i64>, ConfigError> {
    text.map(|text| {
        text.trim().parse::<i64>().map_err(|_| ConfigError::Account {
            id: account.to_owned(),
            reason: "agent_id must be a number (WECHAT_AGENT_ID for the default app)".to_owned(),
        })
    })
    .transpose()
}

fn missing(names: &[(bool, &str)]) -> String {
    let names: Vec<&str> = names.iter().filter_map(|(absent, name)| absent.then_some(*name)).collect();
    format!("missing {}", names.join(", "))
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
