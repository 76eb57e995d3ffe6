//! Long-connection mode of robot accounts (`mode: websocket`, doc 101463):
//! instead of WeCom calling a URL, the service holds one WebSocket to
//! `WECHAT_BOT_WS_URL` per bot, subscribes with its bot id and secret, and
//! receives `aibot_msg_callback` / `aibot_event_callback` frames on it.
//!
//! WeCom allows one connection per bot (a new subscription kicks the old
//! one with `disconnected_event`), so with several replicas exactly one
//! holds it: the holder of the bot's [`lease`] (Redis in external mode,
//! in-process embedded). The holder renews it while healthy and closes its
//! connection as soon as a renewal is refused or the lease could have
//! expired; a replica that finds it free takes over.
//!
//! Frames are stored through the same pipeline as URL callbacks
//! ([`crate::webhooks::serve`]), typed by the same parser and deduplicated
//! by the same keys (`msgid:…` in the account's namespace), so a frame
//! WeCom re-sends, or one that arrives on a URL and a connection, is stored
//! once.

mod connection;
pub mod frame;
pub mod lease;
mod source;

use std::{collections::BTreeMap, sync::Arc};

use tokio::sync::watch;

pub use self::{
    connection::{ConnectionState, Settings as ConnectionSettings},
    lease::Lease,
};
use crate::{
    accounts::{Account, Accounts},
    configuration::{AccountKind, RobotConnectionMode},
    event_log::EventLog,
    webhooks::CallbackCounters,
};

/// The long connections of every `websocket` robot account of this process.
#[derive(Clone, Default)]
pub struct LongConnections {
    states: Arc<BTreeMap<String, watch::Receiver<ConnectionState>>>,
}

impl LongConnections {
    /// Starts one connection keeper per enabled `websocket` robot account.
    pub fn start(
        accounts: &Accounts,
        settings: ConnectionSettings,
        lease: Lease,
        event_log: EventLog,
        counters: Arc<CallbackCounters>,
    ) -> Self {
        let mut states = BTreeMap::new();
        for account in accounts.iter().filter(|account| uses_long_connection(account)) {
            let (sender, receiver) = watch::channel(ConnectionState::default());
            let keeper = connection::Keeper::new(
                Arc::clone(account),
                settings.clone(),
                lease.clone(),
                event_log.clone(),
                Arc::clone(&counters),
                sender,
            );
            tokio::spawn(keeper.run());
            states.insert(account.id.to_string(), receiver);
        }
        Self { states: Arc::new(states) }
    }

    /// The state of an account's connection, if it has one.
    pub fn state(&self, account: &str) -> Option<ConnectionState> {
        self.states.get(account).map(|state| state.borrow().clone())
    }
}

/// Whether an account is served over a long connection.
pub fn uses_long_connection(account: &Account) -> bool {
    account.kind == AccountKind::Robot && account.enabled && account.mode == RobotConnectionMode::Websocket
}
