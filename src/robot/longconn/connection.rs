//! One bot's connection keeper: take the lease, connect, subscribe, store
//! frames, heartbeat, renew; reconnect with backoff and jitter; after a
//! kick (`disconnected_event`), stay off until told otherwise.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use futures::{SinkExt, StreamExt};
use secrecy::ExposeSecret;
use serde::Serialize;
use tokio::sync::{Mutex as AsyncMutex, mpsc, oneshot, watch};
use tokio_tungstenite::tungstenite::Message;

mod frames;

use super::{
    frame::{self, Frame},
    lease::Lease,
    outbox::{Outbox, Outgoing},
    pushes::Pushes,
    relay::{self, Relay},
    source::FrameSource,
};
use crate::{
    accounts::Account, event_log::EventLog, replies::Replier, robot::Conversations,
    webhooks::CallbackCounters,
};

/// How long connecting and subscribing may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The first reconnection delay (doubled per failure, up to the maximum).
const RECONNECT_BASE: Duration = Duration::from_millis(500);
/// Heartbeats without an answer before the connection counts as dead.
const MAX_MISSED_PONGS: u32 = 2;

/// The connection's settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `WECHAT_BOT_WS_URL`.
    pub url: String,
    /// The lease's time to live.
    pub lease: Duration,
    /// The heartbeat interval.
    pub heartbeat: Duration,
    /// The longest reconnection delay.
    pub reconnect_max: Duration,
}

/// What `/api/v1/accounts` shows of a connection.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConnectionState {
    /// `waiting` (another replica holds it, or the lease store does not
    /// answer), `connecting`, `connected`, `reconnecting`, `kicked`,
    /// `stopped`.
    pub status: String,
    /// Whether this process holds the lease.
    pub holder: bool,
    /// The lease's fence while held.
    pub fence: Option<u64>,
    /// Since when (Unix ms) it is in this status.
    pub since_ms: i64,
}

/// How a session ended.
enum SessionEnd {
    /// `disconnected_event`: another subscription replaced ours.
    Kicked,
    /// The lease is no longer ours (or could have expired).
    LeaseLost,
    /// The connection failed or closed.
    Failed(String),
}

pub(super) struct Keeper {
    account: Arc<Account>,
    settings: Settings,
    lease: Lease,
    event_log: EventLog,
    counters: Arc<CallbackCounters>,
    source: FrameSource,
    state: watch::Sender<ConnectionState>,
    conversations: Arc<Conversations>,
    outbox: Outbox,
    outgoing: AsyncMutex<mpsc::Receiver<Outgoing>>,
    /// Streams being pushed (one pusher each, whatever WeCom re-sends).
    pushing: Arc<Mutex<HashSet<String>>>,
    /// Told when a kick is cleared.
    reconnect: Arc<tokio::sync::Notify>,
    /// Sends other replicas queued for this bot's holder.
    relay: Relay,
    /// The streams this bot's holder (whichever replica) is pushing.
    pushes: Pushes,
}

/// What a keeper is started with.
pub(super) struct Parts {
    pub(super) account: Arc<Account>,
    pub(super) settings: Settings,
    pub(super) lease: Lease,
    pub(super) event_log: EventLog,
    pub(super) counters: Arc<CallbackCounters>,
    pub(super) conversations: Arc<Conversations>,
    pub(super) replier: Arc<Replier>,
    pub(super) reconnect: Arc<tokio::sync::Notify>,
    pub(super) relay: Relay,
}

impl Keeper {
    /// A keeper, and the outbox that sends on its connection.
    pub(super) fn new(parts: Parts, state: watch::Sender<ConnectionState>) -> (Self, Outbox) {
        let Parts { account, settings, lease, event_log, counters, conversations, replier, reconnect, relay } =
            parts;
        let source = FrameSource::new(Arc::clone(&account), Arc::clone(&conversations), replier);
        let pushes = Pushes::new(conversations.store().clone());
        let (outbox, outgoing) = Outbox::new();
        let keeper = Self {
            account,
            settings,
            lease,
            event_log,
            counters,
            source,
            state,
            conversations,
            outbox: outbox.clone(),
            outgoing: AsyncMutex::new(outgoing),
            pushing: Arc::default(),
            reconnect,
            relay,
            pushes,
        };
        (keeper, outbox)
    }

    fn lease_name(&self) -> String {
        lease_name(&self.account)
    }

    fn set_state(&self, status: &str, fence: Option<u64>) {
        self.state.send_if_modified(|state| {
            if state.status == status && state.fence == fence {
                return false;
            }
            *state = ConnectionState {
                status: status.to_owned(),
                holder: fence.is_some(),
                fence,
                since_ms: chrono::Utc::now().timestamp_millis(),
            };
            true
        });
    }

    pub(super) async fn run(self) {
        let name = self.lease_name();
        let ttl_ms = u64::try_from(self.settings.lease.as_millis()).unwrap_or(u64::MAX);
        // A standby asks for the free lease often, so it takes over soon after it expires.
        let poll = self.settings.lease / 5;
        let mut failures: u32 = 0;
        loop {
            match self.lease.kicked(&name).await {
                Ok(false) => {}
                Ok(true) => {
                    self.set_state("kicked", None);
                    // Cleared by `POST /api/v1/accounts/{id}/reconnect` (on any replica).
                    let _either = tokio::time::timeout(jittered(poll), self.reconnect.notified()).await;
                    continue;
                }
                Err(error) => {
                    tracing::debug!(account = %self.account.id, error = %error, "Lease store unavailable; not connecting.");
                    self.set_state("waiting", None);
                    tokio::time::sleep(jittered(poll)).await;
                    continue;
                }
            }
            let fence = match self.lease.acquire(&name, ttl_ms).await {
                Ok(Some(fence)) => fence,
                Ok(None) => {
                    self.set_state("waiting", None);
                    tokio::time::sleep(jittered(poll)).await;
                    continue;
                }
                Err(error) => {
                    tracing::debug!(account = %self.account.id, error = %error, "Lease store unavailable; not connecting.");
                    self.set_state("waiting", None);
                    tokio::time::sleep(jittered(poll)).await;
                    continue;
                }
            };
            tracing::info!(account = %self.account.id, fence, "Holding the robot's long connection.");
            self.set_state("connecting", Some(fence));
            match self.session(&name, fence, ttl_ms).await {
                SessionEnd::Kicked => {
                    tracing::warn!(account = %self.account.id, "Kicked off the long connection (disconnected_event): another subscription replaced it; not reconnecting.");
                    if let Err(error) = self.lease.set_kicked(&name, true).await {
                        tracing::warn!(account = %self.account.id, error = %error, "The kick could not be shared with other replicas.");
                    }
                    self.lease.release(&name, fence).await;
                    self.set_state("kicked", None);
                    if matches!(self.lease, Lease::InProcess { .. }) {
                        // No shared flag: this process waits to be told to reconnect.
                        self.reconnect.notified().await;
                    }
                }
                SessionEnd::LeaseLost => {
                    tracing::warn!(account = %self.account.id, fence, "Lost the lease; the connection is closed.");
                    self.set_state("waiting", None);
                }
                SessionEnd::Failed(reason) => {
                    failures = failures.saturating_add(1);
                    let delay = backoff(failures, self.settings.reconnect_max);
                    tracing::warn!(account = %self.account.id, reason, delay_ms = delay.as_millis() as u64, "Long connection failed; reconnecting.");
                    self.set_state("reconnecting", Some(fence));
                    // Keep the lease while waiting, so that no other replica connects meanwhile.
                    if !self.wait_holding(&name, fence, ttl_ms, delay).await {
                        self.set_state("waiting", None);
                    }
                    continue;
                }
            }
            failures = 0;
        }
    }

    /// Waits `delay` while renewing the lease; `false` if it was lost.
    async fn wait_holding(&self, name: &str, fence: u64, ttl_ms: u64, delay: Duration) -> bool {
        let until = Instant::now() + delay;
        loop {
            let now = Instant::now();
            if now >= until {
                return true;
            }
            tokio::time::sleep((until - now).min(self.settings.lease / 3)).await;
            if !matches!(self.lease.renew(name, fence, ttl_ms).await, Ok(true)) {
                return false;
            }
        }
    }

    async fn session(&self, name: &str, fence: u64, ttl_ms: u64) -> SessionEnd {
        let held_since = Instant::now();
        let connected =
            tokio::time::timeout(CONNECT_TIMEOUT, tokio_tungstenite::connect_async(&self.settings.url)).await;
        let mut socket = match connected {
            Ok(Ok((socket, _))) => socket,
            Ok(Err(error)) => return SessionEnd::Failed(format!("connect: {error}")),
            Err(_) => return SessionEnd::Failed("connect: timed out".to_owned()),
        };
        let subscribe_id = frame::req_id(frame::SUBSCRIBE);
        let subscribe = Frame::request(
            frame::SUBSCRIBE,
            subscribe_id.clone(),
            Some(serde_json::json!({
                "bot_id": self.account.bot_id.as_deref().unwrap_or_default(),
                "secret": self.account.secret.as_ref().map(|secret| secret.expose_secret().to_owned()).unwrap_or_default(),
            })),
        );
        if let Err(error) = socket.send(Message::text(to_text(&subscribe))).await {
            return SessionEnd::Failed(format!("subscribe: {error}"));
        }
        let mut lease_ok_at = held_since;
        let mut renew = tokio::time::interval(self.settings.lease / 3);
        renew.tick().await;
        let mut heartbeat = tokio::time::interval(self.settings.heartbeat);
        heartbeat.tick().await;
        let mut relayed = tokio::time::interval(relay::POLL);
        relayed.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let relaying = self.relay.is_shared();
        let subscribe_deadline = tokio::time::sleep(CONNECT_TIMEOUT);
        tokio::pin!(subscribe_deadline);
        let mut subscribed = false;
        let mut missed_pongs = 0u32;
        let mut outgoing = self.outgoing.lock().await;
        // Who waits for WeCom's answer, by req_id, in the order sent.
        let mut waiting: HashMap<String, VecDeque<oneshot::Sender<Frame>>> = HashMap::new();
        let end = loop {
            tokio::select! {
                Some(Outgoing { frame, answer }) = outgoing.recv(), if subscribed => {
                    if let Some(answer) = answer {
                        waiting.entry(frame.headers.req_id.clone()).or_default().push_back(answer);
                    }
                    if let Err(error) = socket.send(Message::text(to_text(&frame))).await {
                        break SessionEnd::Failed(format!("send: {error}"));
                    }
                }
                _ = relayed.tick(), if subscribed && relaying => self.send_relayed(name).await,
                _ = &mut subscribe_deadline, if !subscribed => break SessionEnd::Failed("subscribe: no answer".to_owned()),
                _ = renew.tick() => {
                    match self.lease.renew(name, fence, ttl_ms).await {
                        Ok(true) => lease_ok_at = Instant::now(),
                        Ok(false) => break SessionEnd::LeaseLost,
                        Err(error) => {
                            // Fencing: off before the lease can have expired elsewhere.
                            if lease_ok_at.elapsed() >= self.settings.lease * 2 / 3 {
                                tracing::warn!(account = %self.account.id, error = %error, "The lease cannot be renewed.");
                                break SessionEnd::LeaseLost;
                            }
                        }
                    }
                }
                _ = heartbeat.tick(), if subscribed => {
                    if missed_pongs >= MAX_MISSED_PONGS {
                        break SessionEnd::Failed("no heartbeat answers".to_owned());
                    }
                    missed_pongs += 1;
                    let ping = Frame::request(frame::PING, frame::req_id(frame::PING), None);
                    if let Err(error) = socket.send(Message::text(to_text(&ping))).await {
                        break SessionEnd::Failed(format!("ping: {error}"));
                    }
                }
                message = socket.next() => {
                    let text = match message {
                        None => break SessionEnd::Failed("closed".to_owned()),
                        Some(Err(error)) => break SessionEnd::Failed(error.to_string()),
                        Some(Ok(Message::Text(text))) => text,
                        Some(Ok(Message::Close(close))) => break SessionEnd::Failed(format!("closed by WeCom: {close:?}")),
                        // Protocol pings are answered by tungstenite itself.
                        Some(Ok(_)) => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<Frame>(text.as_str()) else {
                        tracing::warn!(account = %self.account.id, "An unreadable frame; ignored.");
                        continue;
                    };
                    match frame.cmd.as_deref() {
                        None if frame.headers.req_id == subscribe_id => {
                            if frame.errcode != Some(0) {
                                break SessionEnd::Failed(format!(
                                    "subscribe refused: {} {}",
                                    frame.errcode.unwrap_or(-1),
                                    frame.errmsg.unwrap_or_default()
                                ));
                            }
                            subscribed = true;
                            missed_pongs = 0;
                            tracing::info!(account = %self.account.id, fence, "Subscribed.");
                            self.set_state("connected", Some(fence));
                            self.resume_pushes(name).await;
                        }
                        None => {
                            if frame.headers.req_id.starts_with(frame::PING) {
                                missed_pongs = 0;
                            }
                            let req_id = frame.headers.req_id.clone();
                            if let Some(queue) = waiting.get_mut(&req_id) {
                                if let Some(answer) = queue.pop_front() {
                                    let _gone = answer.send(frame);
                                }
                                if queue.is_empty() {
                                    waiting.remove(&req_id);
                                }
                            }
                        }
                        Some(frame::PING) => {
                            let answer = Frame::ok_answer(&frame.headers.req_id);
                            if let Err(error) = socket.send(Message::text(to_text(&answer))).await {
                                break SessionEnd::Failed(format!("pong: {error}"));
                            }
                        }
                        Some(frame::MSG_CALLBACK | frame::EVENT_CALLBACK) => {
                            if frame.is_kick() {
                                self.store(&frame).await;
                                break SessionEnd::Kicked;
                            }
                            if let Some(answer) = self.store(&frame).await
                                && let Err(error) = socket.send(Message::text(to_text(&answer))).await
                            {
                                break SessionEnd::Failed(format!("answer: {error}"));
                            }
                        }
                        Some(frame::DISCONNECTED_EVENT) => break SessionEnd::Kicked,
                        Some(other) => tracing::debug!(account = %self.account.id, cmd = other, "A frame of an unknown command; ignored."),
                    }
                }
            }
        };
        let _closed = tokio::time::timeout(Duration::from_secs(1), socket.close(None)).await;
        end
    }
}

/// The lease (and kick flag) of an account's bot.
pub(super) fn lease_name(account: &Account) -> String {
    format!("aibot:{}", account.bot_id.as_deref().unwrap_or_default())
}

fn to_text(frame: &Frame) -> String {
    serde_json::to_string(frame).expect("frames serialise")
}

/// Exponential backoff with full jitter over its upper half.
fn backoff(failures: u32, max: Duration) -> Duration {
    let exponential = RECONNECT_BASE.saturating_mul(1u32 << failures.saturating_sub(1).min(16));
    jittered(exponential.min(max))
}

/// Between half and all of `delay`, at random.
fn jittered(delay: Duration) -> Duration {
    delay.mul_f64(0.5 + rand::random::<f64>() * 0.5)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_up_to_its_cap_with_jitter() {
        let max = Duration::from_secs(30);
        assert!(backoff(1, max) <= RECONNECT_BASE && backoff(1, max) >= RECONNECT_BASE / 2);
        assert!(backoff(4, max) >= Duration::from_secs(2));
        assert!(backoff(30, max) <= max && backoff(30, max) >= max / 2);
    }
}
