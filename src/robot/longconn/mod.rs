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
mod outbox;
mod respond;
mod source;

use std::{collections::BTreeMap, sync::Arc};

use tokio::sync::watch;

pub use self::{
    connection::{ConnectionState, Settings as ConnectionSettings},
    lease::Lease,
    outbox::{NotAnswered, Outbox},
};
use crate::{
    accounts::{Account, Accounts},
    configuration::{AccountKind, RobotConnectionMode},
    event_log::EventLog,
    replies::Replier,
    robot::Conversations,
    webhooks::CallbackCounters,
};

/// The long connections of every `websocket` robot account of this process.
#[derive(Clone, Default)]
pub struct LongConnections {
    states: Arc<BTreeMap<String, watch::Receiver<ConnectionState>>>,
    outboxes: Arc<BTreeMap<String, Outbox>>,
}

impl LongConnections {
    /// Starts one connection keeper per enabled `websocket` robot account.
    pub fn start(
        accounts: &Accounts,
        settings: ConnectionSettings,
        lease: Lease,
        event_log: EventLog,
        counters: Arc<CallbackCounters>,
        conversations: &Arc<Conversations>,
        replier: &Arc<Replier>,
    ) -> Self {
        let (mut states, mut outboxes) = (BTreeMap::new(), BTreeMap::new());
        for account in accounts.iter().filter(|account| uses_long_connection(account)) {
            let (sender, receiver) = watch::channel(ConnectionState::default());
            let parts = connection::Parts {
                account: Arc::clone(account),
                settings: settings.clone(),
                lease: lease.clone(),
                event_log: event_log.clone(),
                counters: Arc::clone(&counters),
                conversations: Arc::clone(conversations),
                replier: Arc::clone(replier),
            };
            let (keeper, outbox) = connection::Keeper::new(parts, sender);
            tokio::spawn(keeper.run());
            states.insert(account.id.to_string(), receiver);
            outboxes.insert(account.id.to_string(), outbox);
        }
        Self { states: Arc::new(states), outboxes: Arc::new(outboxes) }
    }

    /// Sends on an account's connection (when this process holds it).
    pub fn outbox(&self, account: &str) -> Option<&Outbox> {
        self.outboxes.get(account)
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
