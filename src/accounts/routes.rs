//! The callback routes of every account, rebuilt as a whole when the
//! accounts change (SIGHUP) and swapped in atomically: a request in flight
//! keeps the routes it started with.

use std::{collections::BTreeMap, sync::Arc};

use super::{Accounts, Family};
use crate::{
    replies::Replier,
    robot::Conversations,
    suite::AuthorisedCorps,
    webhooks::wecom::{Channel, WeComSource},
};

/// Every WeCom callback source, by route.
pub struct AccountRoutes {
    /// The accounts they serve.
    pub accounts: Arc<Accounts>,
    /// The seed's `/api/v1/webhooks/wechat/api`: the default app, then the default suite.
    pub default_api: Arc<WeComSource>,
    /// The seed's `/api/v1/webhooks/wechat/bot`: the default robot.
    pub default_bot: Arc<WeComSource>,
    by_account: BTreeMap<(Family, String), Arc<WeComSource>>,
}

impl AccountRoutes {
    /// One source per account, plus the seed's two fixed routes.
    pub fn new(
        accounts: Arc<Accounts>,
        corps: &AuthorisedCorps,
        timestamp_window_secs: u64,
        conversations: &Arc<Conversations>,
        replier: &Arc<Replier>,
    ) -> Self {
        let source = |channel, route_account, members| {
            Arc::new(
                WeComSource::new(channel, route_account, members, corps.clone())
                    .with_timestamp_window(timestamp_window_secs)
                    .with_conversations(Arc::clone(conversations))
                    .with_replier(Arc::clone(replier)),
            )
        };
        let by_account = accounts
            .iter()
            .map(|account| {
                let channel = match account.family() {
                    Family::Api => Channel::WeChatApi,
                    Family::Bot => Channel::WeChatBot,
                };
                (
                    (account.family(), account.id.to_string()),
                    source(channel, Some(account.id.to_string()), vec![Arc::clone(account)]),
                )
            })
            .collect();
        Self {
            default_api: source(Channel::WeChatApi, None, accounts.default_api_route()),
            default_bot: source(Channel::WeChatBot, None, accounts.default_bot_route()),
            by_account,
            accounts,
        }
    }

    /// The source of `…/{account}`.
    pub fn account(&self, family: Family, account: &str) -> Option<&Arc<WeComSource>> {
        self.by_account.get(&(family, account.to_owned()))
    }

    /// Every source: the fixed routes (which also list the seed's
    /// accounts' own routes), then one per other account.
    pub fn sources(&self) -> impl Iterator<Item = &Arc<WeComSource>> {
        let others =
            self.by_account.values().filter(|source| source.accounts().iter().all(|account| !account.legacy));
        [&self.default_api, &self.default_bot].into_iter().chain(others)
    }
}
