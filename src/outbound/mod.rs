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

pub mod client;
pub mod pacing;
pub mod queue;
pub mod request;
pub mod result;
pub mod signals;
pub mod token;
mod worker;

use std::{sync::Arc, time::Duration};

use secrecy::SecretString;
use serde_json::Value;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

pub use self::{
    client::{ApiAnswer, WeComApi},
    request::{SendChannel, SendInput, SendRequest},
    result::{RECALL_TYPE, SEND_RESULT_TYPE, SEND_TYPE, SendResult},
};
use self::{pacing::Pacer, queue::SendQueue, token::TokenSource};
use crate::{cache::StatusCache, configuration::Settings, event_log::EventLog, tracking::ReplicaClaims};

/// The sending side of the service.
pub struct Outbound {
    queue: SendQueue,
    event_log: EventLog,
    api: WeComApi,
    tokens: Option<TokenSource>,
    agent_id: Option<i64>,
    robot_key: Option<SecretString>,
    /// Names the robot in pacing keys without revealing its key.
    robot_name: String,
    pacer: Pacer,
    claims: Option<ReplicaClaims>,
    retries: crate::configuration::SendingSettings,
    closing: watch::Sender<bool>,
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
    /// (a retried POST) goes out once.
    pub async fn start(
        settings: &Settings,
        event_log: EventLog,
        commits: watch::Receiver<i64>,
        shared: StatusCache,
        scope: &str,
        claims: Option<ReplicaClaims>,
    ) -> Result<OutboundHandle, OutboundError> {
        let queue = SendQueue::open(&settings.storage.data_dir).await?;
        let app = &settings.channels.wechat_api;
        let api = WeComApi::new(&app.base_url);
        let tokens = match (&app.corp_id, &app.secret) {
            (Some(corp_id), Some(secret)) => {
                Some(TokenSource::new(api.clone(), corp_id.clone(), secret.clone(), shared.clone()))
            }
            _ => None,
        };
        let robot_key = settings.channels.wechat_bot.webhook_url.as_ref().and_then(client::robot_key);
        let robot_name = robot_key.as_ref().map_or_else(String::new, |key| {
            use secrecy::ExposeSecret;
            use sha1::Digest;
            hex::encode(&sha1::Sha1::digest(key.expose_secret().as_bytes())[..6])
        });
        let (closing, _) = watch::channel(false);
        let outbound = Arc::new(Outbound {
            queue,
            event_log,
            api,
            tokens,
            agent_id: app.agent_id.as_deref().and_then(|id| id.trim().parse().ok()),
            robot_key,
            robot_name,
            pacer: Pacer::new(shared, scope),
            claims,
            retries: settings.sending.clone(),
            closing,
        });
        let notify = Arc::new(Notify::new());
        let tasks = vec![
            tokio::spawn(worker::tail(Arc::clone(&outbound), Arc::clone(&notify), commits)),
            tokio::spawn(worker::work(Arc::clone(&outbound), notify)),
        ];
        Ok(OutboundHandle { outbound, tasks })
    }

    /// Whether `channel` is configured for sending; else what is missing.
    pub fn ready(&self, channel: SendChannel) -> Result<(), String> {
        match channel {
            SendChannel::WecomApp if self.tokens.is_none() || self.agent_id.is_none() => {
                Err("sending through wecom_app needs WECHAT_CORP_ID, WECHAT_CORP_SECRET and WECHAT_AGENT_ID"
                    .to_owned())
            }
            SendChannel::WecomBot if self.robot_key.is_none() => {
                Err("sending through wecom_bot needs WECHAT_BOT_WEBHOOK_URL".to_owned())
            }
            _ => Ok(()),
        }
    }

    /// `gettoken` calls this process made.
    pub fn token_fetches(&self) -> u64 {
        self.tokens.as_ref().map_or(0, TokenSource::fetched)
    }

    /// The last event id the send queue has taken from the event log.
    pub async fn cursor(&self) -> Result<i64, sea_orm::DbErr> {
        self.queue.cursor().await
    }

    /// Deletes finished jobs of send events below `event_id` (see [`queue::SendQueue::prune_finished_before`]).
    pub async fn prune_finished_before(&self, event_id: i64) -> Result<u64, sea_orm::DbErr> {
        self.queue.prune_finished_before(event_id).await
    }

    /// Sends waiting in the queue.
    pub async fn queued(&self) -> Option<u64> {
        self.queue.queued().await.ok()
    }

    /// `message/recall` of WeCom's `msgid` (synchronous: the caller learns
    /// at once whether WeCom recalled it).
    pub async fn recall(&self, wecom_msgid: &str) -> Result<ApiAnswer, String> {
        self.call_with_token("message/recall", &serde_json::json!({"msgid": wecom_msgid})).await.into_answer()
    }

    /// `message/update_template_card` with `body` (the agent id is added).
    pub async fn update_card(&self, mut body: Value) -> Result<ApiAnswer, String> {
        body["agentid"] = Value::from(self.agent_id.unwrap_or_default());
        self.call_with_token("message/update_template_card", &body).await.into_answer()
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
