//! The accounts the service serves: self-built apps, third-party suites and
//! robots, each with its own credentials, routes, storage namespace, tokens
//! and pacing.
//!
//! Built once from [`Settings`] (and again on SIGHUP) into [`Accounts`]:
//! the seed's `channels.wechat_api` / `channels.wechat_bot` (its
//! `WECHAT_*` variables) define the `default` app and the `default` robot —
//! and `channels.wechat_api.suite` the `default_suite` — and `accounts:`
//! adds any number of others. Apps and suites share one id space (their
//! routes are `/api/v1/webhooks/wechat/api/{id}`), robots another
//! (`/api/v1/webhooks/wechat/bot/{id}`), so `default` can be both the seed's
//! app and its robot.

mod build;
mod id;
pub mod migration;
pub mod reload;
mod routes;

use std::{collections::BTreeMap, sync::Arc};

use secrecy::SecretString;

pub use self::{id::AccountId, routes::AccountRoutes};
use crate::{
    configuration::{
        AccountKind, AccountSettings, ConfigError, PacingSettings, RobotConnectionMode, RobotReplyMode,
        Settings,
    },
    replies::ReplyRules,
    wecom::{CallbackCrypto, EncodingAesKey},
};

/// The id of the accounts the seed's settings define.
pub const DEFAULT_ACCOUNT: &str = "default";
/// The id of the suite `channels.wechat_api.suite` defines.
pub const DEFAULT_SUITE_ACCOUNT: &str = "default_suite";

/// Which route family an account is served on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `/api/v1/webhooks/wechat/api…`: apps and suites.
    Api,
    /// `/api/v1/webhooks/wechat/bot…`: robots.
    Bot,
}

impl Family {
    /// The family of a kind.
    pub fn of(kind: AccountKind) -> Self {
        match kind {
            AccountKind::App | AccountKind::Suite => Family::Api,
            AccountKind::Robot => Family::Bot,
        }
    }

    /// The route prefix.
    pub fn route(self) -> &'static str {
        match self {
            Family::Api => "/api/v1/webhooks/wechat/api",
            Family::Bot => "/api/v1/webhooks/wechat/bot",
        }
    }
}

/// One validated account.
#[derive(Debug)]
pub struct Account {
    /// Its id.
    pub id: AccountId,
    /// App, suite or robot.
    pub kind: AccountKind,
    /// Defined by the seed's `channels:` settings (its dedupe keys keep
    /// their bare form, so data written before accounts existed still
    /// recognises retries).
    pub legacy: bool,
    /// Served (a disabled account's routes answer 503, its data stays).
    pub enabled: bool,
    /// The callback crypto, or why callbacks cannot be served.
    pub callback: Result<CallbackCrypto, String>,
    /// App: corp id; suite: none (its corps are learned at run time).
    pub corp_id: Option<String>,
    /// App: agent id.
    pub agent_id: Option<i64>,
    /// App: secret.
    pub secret: Option<SecretString>,
    /// Suite: suite id.
    pub suite_id: Option<String>,
    /// Suite: suite secret.
    pub suite_secret: Option<SecretString>,
    /// Robot: the group-robot key (from its webhook URL).
    pub robot_key: Option<SecretString>,
    /// Robot: the smart robot's id.
    pub bot_id: Option<String>,
    /// API host.
    pub base_url: String,
    /// App: passive reply text.
    pub auto_reply_text: Option<String>,
    /// Robot: welcome text.
    pub welcome_text: Option<String>,
    /// Robot: how a user's message is answered.
    pub reply: RobotReplyMode,
    /// Robot: callback URL or long connection.
    pub mode: RobotConnectionMode,
    /// Robot: a new stream's first text.
    pub thinking_text: Option<String>,
    /// App and robot: passive reply rules.
    pub replies: ReplyRules,
    /// Send pacing.
    pub pacing: PacingSettings,
}

impl Account {
    /// The route family.
    pub fn family(&self) -> Family {
        Family::of(self.kind)
    }

    /// Its own callback route (the default accounts also answer on the
    /// seed's fixed routes).
    pub fn route(&self) -> String {
        format!("{}/{}", self.family().route(), self.id)
    }

    /// The prefix of its dedupe keys: none for the seed's accounts (their
    /// keys are as before accounts existed), `account:{id}` for the others,
    /// so the same MsgId in two apps is two callbacks.
    pub fn dedupe_namespace(&self) -> Option<String> {
        (!self.legacy).then(|| format!("account:{}", self.id))
    }

    /// Which credentials are set, by name (never a value).
    pub fn credentials_set(&self) -> Vec<&'static str> {
        let mut set = Vec::new();
        if self.callback.is_ok() {
            set.extend(["token", "encoding_aes_key"]);
        }
        for (present, name) in [
            (self.corp_id.is_some(), "corp_id"),
            (self.agent_id.is_some(), "agent_id"),
            (self.secret.is_some(), "secret"),
            (self.suite_id.is_some(), "suite_id"),
            (self.suite_secret.is_some(), "suite_secret"),
            (self.robot_key.is_some(), "webhook_url"),
            (self.bot_id.is_some(), "bot_id"),
        ] {
            if present {
                set.push(name);
            }
        }
        set
    }

    /// Whether it can send, or what is missing.
    pub fn can_send(&self) -> Result<(), String> {
        let missing: Vec<&str> = match self.kind {
            AccountKind::App => [
                (self.corp_id.is_none(), "corp_id"),
                (self.secret.is_none(), "secret"),
                (self.agent_id.is_none(), "agent_id"),
            ]
            .into_iter()
            .filter_map(|(absent, name)| absent.then_some(name))
            .collect(),
            AccountKind::Suite => {
                [(self.suite_id.is_none(), "suite_id"), (self.suite_secret.is_none(), "suite_secret")]
                    .into_iter()
                    .filter_map(|(absent, name)| absent.then_some(name))
                    .collect()
            }
            AccountKind::Robot => {
                if self.robot_key.is_none() {
                    vec!["webhook_url"]
                } else {
                    Vec::new()
                }
            }
        };
        if missing.is_empty() {
            return Ok(());
        }
        let names = if self.legacy { legacy_names(self.kind, &missing) } else { missing.join(", ") };
        Err(format!("sending through {} account {} needs {names}", self.kind.as_str(), self.id))
    }
}

/// The seed's variable names for missing credentials of a legacy account.
fn legacy_names(kind: AccountKind, missing: &[&str]) -> String {
    missing
        .iter()
        .map(|name| match (kind, *name) {
            (AccountKind::App, "corp_id") => "WECHAT_CORP_ID",
            (AccountKind::App, "secret") => "WECHAT_CORP_SECRET",
            (AccountKind::App, "agent_id") => "WECHAT_AGENT_ID",
            (AccountKind::Robot, "webhook_url") => "WECHAT_BOT_WEBHOOK_URL",
            (_, other) => other,
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Every configured account, by route family and id.
#[derive(Debug, Default)]
pub struct Accounts {
    by_key: BTreeMap<(Family, AccountId), Arc<Account>>,
}

impl Accounts {
    /// Validates the seed's channels and `accounts:`. An invalid key, a
    /// duplicate id or a credential that does not belong to the kind is an
    /// error naming the account; missing callback credentials only make its
    /// routes answer 503.
    pub fn from_settings(settings: &Settings) -> Result<Self, ConfigError> {
        let mut accounts = Accounts::default();
        for account in build::legacy_accounts(settings)? {
            accounts.insert(account)?;
        }
        for configured in &settings.accounts {
            accounts
                .insert(build::configured_account(configured, &settings.channels.wechat_api.base_url)?)?;
        }
        Ok(accounts)
    }

    fn insert(&mut self, account: Account) -> Result<(), ConfigError> {
        let key = (account.family(), account.id.clone());
        if self.by_key.contains_key(&key) {
            let reason = if account.id.as_str() == DEFAULT_ACCOUNT
                || account.id.as_str() == DEFAULT_SUITE_ACCOUNT
            {
                "defined twice (the seed's channels settings already define it: leave them empty or pick another id)"
            } else {
                "defined twice"
            };
            return Err(ConfigError::Account { id: account.id.to_string(), reason: reason.to_owned() });
        }
        self.by_key.insert(key, Arc::new(account));
        Ok(())
    }

    /// The account served at `{family}/{id}`.
    pub fn get(&self, family: Family, id: &str) -> Option<&Arc<Account>> {
        let id = AccountId::parse(id).ok()?;
        self.by_key.get(&(family, id))
    }

    /// Every account, apps and suites first, then robots, each by id.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Account>> {
        self.by_key.values()
    }

    /// How many.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// What the seed's fixed app route tries, in order: the default app,
    /// then the default suite (they share the URL, as before accounts).
    pub fn default_api_route(&self) -> Vec<Arc<Account>> {
        [DEFAULT_ACCOUNT, DEFAULT_SUITE_ACCOUNT]
            .iter()
            .filter_map(|id| self.get(Family::Api, id).cloned())
            .collect()
    }

    /// What the seed's fixed robot route serves.
    pub fn default_bot_route(&self) -> Vec<Arc<Account>> {
        self.get(Family::Bot, DEFAULT_ACCOUNT).cloned().into_iter().collect()
    }
}

#[cfg(test)]
mod tests;
