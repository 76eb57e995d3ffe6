//! Sending through WeCom, tracked from the first moment.
//!
//! `POST /api/v1/messages` with channel `wecom_app` or `wecom_bot` stores a
//! `message.send` event (its 202 means "queued durably") whose registration
//! puts every recipient at `queued`. The [`worker`] queues it in
//! `outbound.db`, waits for pacing ([`pacing`]), sends it with the shared
//! access token ([`token`]) and stores the outcome as a
//! `message.send_result` event, which the tracking actors apply: `sent` for
//! accepted recipients, `failed` with the reason for the others, and
//! WeCom's `msgid`/`response_code` for recall and card updates. Everything
//! goes through the event log, so a crash loses no send and replicas agree.

mod bodies;
mod calls;
mod checks;
pub mod client;
pub mod external;
pub mod media;
pub mod pacing;
pub mod queue;
pub mod request;
pub mod result;
pub mod senders;
pub mod signals;
pub mod token;
mod worker;

use std::{sync::Arc, time::Duration};

use serde_json::Value;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

pub use self::{
    client::{ApiAnswer, WeComApi},
    request::{SendChannel, SendInput, SendRequest},
    result::{EXTERNAL_RESULT_TYPE, RECALL_TYPE, SEND_RESULT_TYPE, SEND_TYPE, SendResult},
};
use self::{
    pacing::Pacer,
    queue::SendQueue,
    senders::{Sender, Senders},
};
use crate::{
    accounts::Accounts,
    cache::StatusCache,
    configuration::{AccountKind, Settings},
    event_log::EventLog,
    suite::SuiteDirectory,
    tracking::ReplicaClaims,
};

/// The sending side of the service.
pub struct Outbound {
    queue: SendQueue,
    event_log: EventLog,
    /// The HTTP client every account's API host shares.
    api: WeComApi,
    /// Each account's sending identity; swapped whole on reload.
    senders: arc_swap::ArcSwap<Senders>,
    shared: StatusCache,
    /// Suite accounts send with the token of the corp sent to.
    suites: Arc<SuiteDirectory>,
    pacer: Pacer,
    claims: Option<ReplicaClaims>,
    retries: crate::configuration::SendingSettings,
    closing: watch::Sender<bool>,
    /// How far the tailer has looked (at or past the stored cursor, which
    /// is written lazily past events that hold no send).
    tailed: watch::Sender<i64>,
    /// Mass sends to customers whose outcomes are still asked for.
    watches: external::Watches,
    /// 微信客服 sessions: a send into one closed since is not retried.
    kf_sessions: std::sync::OnceLock<crate::kf::KfSessions>,
    /// `wecom_aibot` sends go out on these (started after sending is).
    long_connections: std::sync::OnceLock<crate::robot::longconn::LongConnections>,
}

/// The running loops.
pub struct OutboundHandle {
    outbound: Arc<Outbound>,
    tasks: Vec<JoinHandle<()>>,
}

/// Why sending could not start.
#[derive(Debug, thiserror::Error)]
#[error("send queue: {0}")]
pub struct OutboundError(#[from] sea_orm::DbErr);

impl Outbound {
    /// Opens the queue and starts tailing and sending. `claims`: the
    /// replicas' claims (a shared MySQL), so a send accepted by two replicas
    /// (a retried POST) goes out once. `suites` hands out the corp tokens
    /// suite accounts send with.
    #[allow(clippy::too_many_arguments)]
    pub async fn start(
        settings: &Settings,
        accounts: &Accounts,
        event_log: EventLog,
        commits: watch::Receiver<i64>,
        shared: StatusCache,
        scope: &str,
        claims: Option<ReplicaClaims>,
        suites: Arc<SuiteDirectory>,
    ) -> Result<OutboundHandle, OutboundError> {
        let queue = SendQueue::open(&settings.storage.data_dir).await?;
        let api = WeComApi::new(&settings.channels.wechat_api.base_url);
        let senders = Senders::build(accounts, &api, &shared, None);
        let (closing, _) = watch::channel(false);
        let watches = external::Watches::new(queue.db().clone(), &settings.sending);
        let outbound = Arc::new(Outbound {
            watches,
            queue,
            event_log,
            api,
            senders: arc_swap::ArcSwap::from_pointee(senders),
            shared: shared.clone(),
            suites,
            pacer: Pacer::new(shared, scope),
            claims,
            retries: settings.sending.clone(),
            closing,
            tailed: watch::channel(0).0,
            long_connections: std::sync::OnceLock::new(),
            kf_sessions: std::sync::OnceLock::new(),
        });
        let notify = Arc::new(Notify::new());
        let tasks = vec![
            tokio::spawn(worker::tail(Arc::clone(&outbound), Arc::clone(&notify), commits)),
            tokio::spawn(worker::work(Arc::clone(&outbound), notify)),
            tokio::spawn(external::poll(Arc::clone(&outbound))),
        ];
        Ok(OutboundHandle { outbound, tasks })
    }

    /// Gives `wecom_kf` sends the 微信客服 sessions.
    pub fn attach_kf_sessions(&self, sessions: crate::kf::KfSessions) {
        let _once = self.kf_sessions.set(sessions);
    }

    /// Gives `wecom_aibot` sends the robots' long connections.
    pub fn attach_long_connections(&self, connections: crate::robot::longconn::LongConnections) {
        let _once = self.long_connections.set(connections);
    }

    /// Whether `account` can send on `channel` (suites: to `corp_id`, which
    /// must have authorised it); else why not.
    pub fn ready(&self, channel: SendChannel, account: &str, corp_id: Option<&str>) -> Result<(), String> {
        let senders = self.senders.load();
        let sender = senders.get(channel, account).ok_or_else(|| {
            let kind = match channel {
                SendChannel::WecomApp | SendChannel::WecomExternal | SendChannel::WecomKf => "app or suite",
                SendChannel::WecomBot | SendChannel::WecomRobotReply | SendChannel::WecomAibot => "robot",
            };
            format!(
                "no {kind} account {account:?} is configured for {} (GET /api/v1/accounts)",
                channel.as_str()
            )
        })?;
        if !sender.account.enabled {
            return Err(format!("account {account} is disabled"));
        }
        // A robot reply needs only the callback's response_url; a
        // long-connection robot only its connection.
        match channel {
            SendChannel::WecomRobotReply => {}
            SendChannel::WecomAibot => {
                if !crate::robot::longconn::uses_long_connection(&sender.account) {
                    return Err(format!("account {account} is not a robot in mode websocket"));
                }
            }
            _ => sender.account.can_send()?,
        }
        match (sender.account.kind, corp_id) {
            (AccountKind::Suite, None) => Err(format!(
                "suite account {account} sends on behalf of a corp: give corp_id (one that authorised it)"
            )),
            (AccountKind::Suite, Some(corp)) if !self.suites.authorised().contains(account, corp) => {
                Err(format!("corp {corp} has not authorised suite account {account}"))
            }
            (AccountKind::Suite, Some(_)) | (_, None) => Ok(()),
            (_, Some(_)) => Err(format!("corp_id is for suite accounts; {account} is not one")),
        }
    }

    /// Takes the accounts of a reload: senders of unchanged accounts (and
    /// their cached tokens) are kept.
    pub fn reload(&self, accounts: &Accounts) {
        let previous = self.senders.load();
        self.senders.store(Arc::new(Senders::build(accounts, &self.api, &self.shared, Some(&previous))));
    }

    /// The sender of an account.
    pub(crate) fn sender(&self, channel: SendChannel, account: &str) -> Option<Arc<Sender>> {
        self.senders.load().get(channel, account).cloned()
    }

    /// `gettoken` calls this process made.
    pub fn token_fetches(&self) -> u64 {
        self.senders.load().token_fetches()
    }

    /// The last event id the send queue has taken from the event log:
    /// everything up to it is queued (or held no send).
    pub async fn cursor(&self) -> Result<i64, sea_orm::DbErr> {
        Ok(self.queue.cursor().await?.max(*self.tailed.borrow()))
    }

    /// Deletes finished jobs of send events below `event_id` (see [`queue::SendQueue::prune_finished_before`]).
    pub async fn prune_finished_before(&self, event_id: i64) -> Result<u64, sea_orm::DbErr> {
        self.queue.prune_finished_before(event_id).await
    }

    /// Sends waiting in the queue.
    pub async fn queued(&self) -> Option<u64> {
        self.queue.queued().await.ok()
    }

    /// `message/recall` of WeCom's `msgid` through the app `account` (a
    /// suite: in `corp_id`), synchronous: the caller learns at once whether
    /// WeCom recalled it.
    pub async fn recall(
        &self,
        account: &str,
        corp_id: Option<&str>,
        wecom_msgid: &str,
    ) -> Result<ApiAnswer, String> {
        let sender = self.app_sender(account)?;
        let body = serde_json::json!({"msgid": wecom_msgid});
        self.call_as_app(&sender, corp_id, "message/recall", |_| body.clone()).await.into_answer()
    }

    /// `message/update_template_card` with `body` through the app
    /// `account` (a suite: in `corp_id`); its agent id is added.
    pub async fn update_card(
        &self,
        account: &str,
        corp_id: Option<&str>,
        body: Value,
    ) -> Result<ApiAnswer, String> {
        let sender = self.app_sender(account)?;
        let with_agent = |agent: i64| {
            let mut body = body.clone();
            body["agentid"] = Value::from(agent);
            body
        };
        self.call_as_app(&sender, corp_id, "message/update_template_card", with_agent).await.into_answer()
    }

    fn app_sender(&self, account: &str) -> Result<Arc<Sender>, String> {
        self.sender(SendChannel::WecomApp, account)
            .ok_or_else(|| format!("account {account} is no longer configured"))
    }
}

impl OutboundHandle {
    /// The sending side, for the API.
    pub fn outbound(&self) -> Arc<Outbound> {
        Arc::clone(&self.outbound)
    }

    /// Stops after the sends in flight (at most `timeout`); queued ones wait
    /// in `outbound.db` for the next start.
    pub async fn close(self, timeout: Duration) {
        let _ = self.outbound.closing.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(timeout, task).await.is_err() {
                abort.abort();
            }
        }
    }
}
