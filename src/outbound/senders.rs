//! One sending identity per account: its API host, its access token
//! (apps: corp id + secret), its robot key, its pacing. Rebuilt when the
//! accounts are reloaded; an account whose sending credentials did not
//! change keeps its identity, so its cached token survives the reload.

use std::{collections::BTreeMap, sync::Arc};

use secrecy::{ExposeSecret, SecretString};
use sha1::{Digest, Sha1};

use super::{client::WeComApi, pacing::Limit, request::SendChannel, token::TokenSource};
use crate::{
    accounts::{Account, Accounts, Family},
    cache::StatusCache,
    configuration::AccountKind,
};

/// How one account sends.
pub struct Sender {
    /// The account.
    pub account: Arc<Account>,
    /// Its API host.
    pub api: WeComApi,
    /// Apps: the access token.
    pub tokens: Option<TokenSource>,
    /// Names the robot in pacing keys without revealing its key.
    robot_name: String,
    /// What the identity is made of (not the secrets themselves).
    fingerprint: String,
}

impl Sender {
    fn new(account: &Arc<Account>, api: &WeComApi, shared: &StatusCache) -> Self {
        let api = api.with_base_url(&account.base_url);
        let tokens = match (account.kind, &account.corp_id, &account.secret) {
            (AccountKind::App, Some(corp_id), Some(secret)) => {
                Some(TokenSource::new(api.clone(), corp_id.clone(), secret.clone(), shared.clone()))
            }
            _ => None,
        };
        // As before accounts existed, so that pacing windows in Redis carry over.
        let robot_name = account
            .robot_key
            .as_ref()
            .map_or_else(String::new, |key| hex::encode(&Sha1::digest(key.expose_secret().as_bytes())[..6]));
        Self { fingerprint: fingerprint(account), account: Arc::clone(account), api, tokens, robot_name }
    }

    /// The pacing windows a send to `recipients` takes (a suite's members
    /// are paced per corp, `corp_id`). The seed's accounts keep their window
    /// names, so windows shared in Redis carry over.
    pub fn limits(&self, channel: SendChannel, corp_id: Option<&str>, recipients: &[String]) -> Vec<Limit> {
        let pacing = self.account.pacing;
        match channel {
            SendChannel::WecomBot => Limit::robot(&self.robot_name, pacing.robot_per_minute),
            // One answer per callback, through its own URL: nothing to pace.
            SendChannel::WecomRobotReply => Vec::new(),
            // WeCom limits what each customer receives (its status 3), and
            // a member confirms the send: nothing to pace here.
            SendChannel::WecomExternal => Vec::new(),
            // WeCom's own rule (5 messages per customer message, 48 h) is
            // reported by msg_send_fail; nothing to pace by time.
            SendChannel::WecomKf => Vec::new(),
            // WeCom's limits per conversation: 30 a minute, 1 000 an hour.
            SendChannel::WecomAibot => recipients
                .iter()
                .flat_map(|chat| Limit::member(&format!("aibot:{}:{chat}", self.account.id), 30, 1000))
                .collect(),
            SendChannel::WecomApp => {
                let scope = match (self.account.legacy, corp_id) {
                    (_, Some(corp)) => format!("{}:{corp}:", self.account.id),
                    (true, None) => String::new(),
                    (false, None) => format!("{}:", self.account.id),
                };
                recipients
                    .iter()
                    .flat_map(|user| {
                        Limit::member(
                            &format!("{scope}{user}"),
                            pacing.member_per_minute,
                            pacing.member_per_hour,
                        )
                    })
                    .collect()
            }
        }
    }

    /// The robot key, for robots.
    pub fn robot_key(&self) -> Option<&SecretString> {
        self.account.robot_key.as_ref()
    }
}

/// Every account's sender, by route family and id.
#[derive(Default)]
pub struct Senders {
    by_key: BTreeMap<(Family, String), Arc<Sender>>,
}

impl Senders {
    /// Senders for `accounts`, reusing those of `previous` whose account's
    /// sending credentials are unchanged.
    pub fn build(
        accounts: &Accounts,
        api: &WeComApi,
        shared: &StatusCache,
        previous: Option<&Senders>,
    ) -> Self {
        let by_key = accounts
            .iter()
            .map(|account| {
                let key = (account.family(), account.id.to_string());
                let reused = previous
                    .and_then(|previous| previous.by_key.get(&key))
                    .filter(|sender| sender.fingerprint == fingerprint(account))
                    .cloned();
                (key, reused.unwrap_or_else(|| Arc::new(Sender::new(account, api, shared))))
            })
            .collect();
        Self { by_key }
    }

    /// The sender of `account` on `channel` (apps and suites send on
    /// `wecom_app`, robots on `wecom_bot`).
    pub fn get(&self, channel: SendChannel, account: &str) -> Option<&Arc<Sender>> {
        let family = match channel {
            SendChannel::WecomApp | SendChannel::WecomExternal | SendChannel::WecomKf => Family::Api,
            SendChannel::WecomBot | SendChannel::WecomRobotReply | SendChannel::WecomAibot => Family::Bot,
        };
        self.by_key.get(&(family, account.to_owned()))
    }

    /// `gettoken` calls this process made, all accounts together.
    pub fn token_fetches(&self) -> u64 {
        self.by_key.values().filter_map(|sender| sender.tokens.as_ref()).map(TokenSource::fetched).sum()
    }
}

/// A digest of everything that makes an account's sending identity.
fn fingerprint(account: &Account) -> String {
    let agent = account.agent_id.map(|id| id.to_string()).unwrap_or_default();
    digest(&[
        account.kind.as_str(),
        &account.base_url,
        account.corp_id.as_deref().unwrap_or(""),
        account.secret.as_ref().map_or("", |secret| secret.expose_secret()),
        &agent,
        account.suite_id.as_deref().unwrap_or(""),
        account.suite_secret.as_ref().map_or("", |secret| secret.expose_secret()),
        account.robot_key.as_ref().map_or("", |key| key.expose_secret()),
        &format!("{:?}", account.pacing),
    ])
}

fn digest(parts: &[&str]) -> String {
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..6])
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::configuration::{CliOverrides, load_from};

    const KEY: &str = "pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio";

    fn senders(yaml: &str) -> Senders {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("notification.yaml");
        std::fs::write(&file, yaml).unwrap();
        let env: HashMap<String, String> =
            [("WECHAT_CORP_ID", "ww1"), ("WECHAT_CORP_SECRET", "s"), ("WECHAT_AGENT_ID", "1")]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
        let settings =
            load_from(&env, &CliOverrides { config_file: Some(file), ..Default::default() }).unwrap();
        let accounts = Accounts::from_settings(&settings).unwrap();
        Senders::build(&accounts, &WeComApi::new("http://127.0.0.1:9"), &StatusCache::disabled(), None)
    }

    fn names(limits: &[Limit]) -> Vec<&str> {
        let mut names: Vec<&str> = limits.iter().map(|limit| limit.name.as_str()).collect();
        names.dedup();
        names
    }

    #[test]
    fn members_are_paced_per_account_and_a_suites_per_corp() {
        let senders = senders(&format!(
            "accounts:\n  - {{id: hr, kind: app, corp_id: ww1, agent_id: '2', secret: s2, token: t, \
             encoding_aes_key: '{KEY}'}}\n  - {{id: isv, kind: suite, suite_id: wws, suite_secret: ss, \
             token: t, encoding_aes_key: '{KEY}'}}\n"
        ));
        let users = vec!["lisi".to_owned()];
        let limits = |account: &str, corp: Option<&str>| {
            senders.get(SendChannel::WecomApp, account).unwrap().limits(SendChannel::WecomApp, corp, &users)
        };
        // The seed's app keeps its window names (shared in Redis across an upgrade).
        assert_eq!(names(&limits("default", None)), ["member:lisi"]);
        assert_eq!(names(&limits("hr", None)), ["member:hr:lisi"]);
        // The same user id in two corps of a suite is two people, two windows.
        assert_eq!(names(&limits("isv", Some("wwA"))), ["member:isv:wwA:lisi"]);
        assert_eq!(names(&limits("isv", Some("wwa"))), ["member:isv:wwa:lisi"]);
        // Per minute and per hour, each.
        assert_eq!(limits("isv", Some("wwA")).len(), 2);
    }
}
