//! Long-connection mode of robot accounts (`mode: websocket`, doc 101463):
//! instead of WeCom calling a URL, the service holds one WebSocket to
//! `WECHAT_BOT_WS_URL` per bot, subscribes with its bot id and secret, and
//! receives `aibot_msg_callback` / `aibot_event_callback` frames on it.
//!
//! WeCom allows one connection per bot (a new subscription kicks the old
//! one with `disconnected_event`), so with several replicas exactly one
//! holds it: the holder of the bot's [`lease`] (Redis in external mode, or
//! MySQL without Redis; in-process embedded). The holder renews it while healthy and closes its
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
pub mod migration;
mod outbox;
pub mod pushes;
pub mod relay;
mod respond;
mod source;
mod sql_lease;
mod sql_relay;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

use self::frame::Frame;
pub use self::{
    connection::{ConnectionState, Settings as ConnectionSettings},
    lease::Lease,
    outbox::{NotAnswered, Outbox},
    relay::{Relay, RelayError},
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
#[derive(Clone)]
pub struct LongConnections {
    connections: Arc<BTreeMap<String, Connection>>,
    lease: Lease,
    relay: Relay,
    keepers: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

/// One account's connection, as the rest of the service reaches it.
struct Connection {
    lease_name: String,
    state: watch::Receiver<ConnectionState>,
    outbox: Outbox,
    reconnect: Arc<Notify>,
}

/// What `/api/v1/accounts` shows of an account's connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionView {
    /// The replica holding the lease (this one or another), if known.
    pub holder: Option<String>,
    /// This replica's view: its own status while it holds the lease, else
    /// `standby` (another holds it) or its waiting status.
    pub state: String,
    /// Since when (Unix ms), as this replica saw it.
    pub since_ms: i64,
}

/// Why a send on a long connection got no answer.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// Not a `websocket` robot account of this process.
    #[error("account {0} has no long connection")]
    NoConnection(String),
    /// This replica's connection did not answer.
    #[error("aibot_send_msg: {0}")]
    Connection(#[from] NotAnswered),
    /// The holder, through the relay, did not answer.
    #[error("aibot_send_msg relayed to the holder: {0}")]
    Relay(#[from] RelayError),
}

/// Why a reconnect was refused.
#[derive(Debug, thiserror::Error)]
pub enum ReconnectError {
    /// Not a `websocket` robot account of this process.
    #[error("account {0} has no long connection")]
    NoConnection(String),
    /// The shared flag could not be cleared.
    #[error(transparent)]
    Store(#[from] crate::cache::LeaseStoreError),
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
        let (mut connections, mut keepers) = (BTreeMap::new(), Vec::new());
        let relay = Relay::new(lease.clone());
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
                reconnect: Arc::new(Notify::new()),
                relay: relay.clone(),
            };
            let reconnect = Arc::clone(&parts.reconnect);
            let (keeper, outbox) = connection::Keeper::new(parts, sender);
            keepers.push(tokio::spawn(keeper.run()));
            let lease_name = connection::lease_name(account);
            connections.insert(
                account.id.to_string(),
                Connection { lease_name, state: receiver, outbox, reconnect },
            );
        }
        Self { connections: Arc::new(connections), lease, relay, keepers: Arc::new(Mutex::new(keepers)) }
    }

    /// The outbox of an account's connection while this process holds it.
    pub fn holding(&self, account: &str) -> Option<&Outbox> {
        let connection = self.connections.get(account)?;
        connection.state.borrow().holder.then_some(&connection.outbox)
    }

    /// Sends an `aibot_send_msg` body (send `id`) on an account's
    /// connection and waits up to `timeout` for WeCom's answer: on this
    /// replica's connection while it holds it, else relayed to the replica
    /// that does.
    pub async fn send(
        &self,
        account: &str,
        id: &str,
        body: Value,
        timeout: Duration,
    ) -> Result<Frame, SendError> {
        let connection =
            self.connections.get(account).ok_or_else(|| SendError::NoConnection(account.to_owned()))?;
        if let Some(outbox) = self.holding(account) {
            let frame = Frame::request(frame::SEND_MSG, frame::req_id(frame::SEND_MSG), Some(body));
            return Ok(outbox.request(frame, timeout).await?);
        }
        Ok(self.relay.request(&connection.lease_name, id, &body, timeout).await?)
    }

    /// What `/api/v1/accounts` shows of an account's connection.
    pub async fn view(&self, account: &str) -> Option<ConnectionView> {
        let connection = self.connections.get(account)?;
        let state = connection.state.borrow().clone();
        if state.holder {
            return Some(ConnectionView {
                holder: Some(self.lease.holder().to_owned()),
                state: state.status,
                since_ms: state.since_ms,
            });
        }
        let holder = self.lease.holder_of(&connection.lease_name).await.ok().flatten();
        let status = match (&holder, state.status.as_str()) {
            (Some(_), "waiting") => "standby".to_owned(),
            _ => state.status,
        };
        Some(ConnectionView { holder, state: status, since_ms: state.since_ms })
    }

    /// Clears a kick for every replica, so the bot's holder connects again.
    pub async fn reconnect(&self, account: &str) -> Result<(), ReconnectError> {
        let connection =
            self.connections.get(account).ok_or_else(|| ReconnectError::NoConnection(account.to_owned()))?;
        self.lease.set_kicked(&connection.lease_name, false).await?;
        connection.reconnect.notify_one();
        Ok(())
    }

    /// Graceful shutdown: closes every connection, then releases the leases
    /// held, so another replica takes over at once (not after the lease
    /// time).
    pub async fn close(&self, timeout: Duration) {
        let keepers: Vec<JoinHandle<()>> = std::mem::take(&mut *self.keepers.lock().expect("not poisoned"));
        for keeper in keepers {
            keeper.abort();
            // Its socket is dropped (closed) before the lease is given up.
            let _ended = tokio::time::timeout(timeout, keeper).await;
        }
        for connection in self.connections.values() {
            let fence = connection.state.borrow().fence;
            if let Some(fence) = fence {
                self.lease.release(&connection.lease_name, fence).await;
                tracing::info!(
                    lease = connection.lease_name,
                    fence,
                    "Long connection closed and its lease released."
                );
            }
        }
    }

    /// The state of an account's connection, if it has one.
    pub fn state(&self, account: &str) -> Option<ConnectionState> {
        self.connections.get(account).map(|connection| connection.state.borrow().clone())
    }
}

/// Whether an account is served over a long connection.
pub fn uses_long_connection(account: &Account) -> bool {
    account.kind == AccountKind::Robot && account.enabled && account.mode == RobotConnectionMode::Websocket
}
