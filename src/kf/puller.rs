//! The puller: tails the event log (checkpoint `kf:{instance}`) for
//! `kf_msg_or_event` callbacks and pulls each one's customer-service
//! account; every `kf.poll_secs` it pulls every account seen.

use std::{sync::Arc, time::Duration};

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};
use tokio::{sync::watch, task::JoinHandle, time::Instant};

use super::{message, store};
use crate::{
    event_log::{EventLog, StoredEvent},
    outbound::Outbound,
    robot::longconn::Lease,
    suite::SuiteStore,
};

/// The callback that says "pull".
const NOTICE: &str = "event.kf_msg_or_event";
/// Notices read per query.
const BATCH: u64 = 100;
/// Moving the checkpoint past other callbacks is written at most this often.
const SAVE_INTERVAL: Duration = Duration::from_secs(5);
/// The callback's token lasts 10 minutes; used while surely valid.
const TOKEN_FOR_MS: i64 = 9 * 60 * 1000;
/// Pages of one pull, at most (the next pull goes on from the cursor).
const MAX_PAGES: usize = 200;
/// The pull lease's time to live (renewed every page).
const LEASE_MS: u64 = 60_000;
/// How long a pull waits for another replica's pull of the same account.
const LEASE_WAIT: Duration = Duration::from_secs(20);
/// The first wait after a failed pull; doubled up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// Tries of one notice's pull before the periodic pull is left to it.
const NOTICE_ATTEMPTS: u32 = 6;

/// What the puller is started with.
pub struct Parts {
    /// Calls WeCom with each account's app token.
    pub outbound: Arc<Outbound>,
    /// Where notices are read and messages stored.
    pub event_log: EventLog,
    /// The tracking store: the checkpoint and the cursors.
    pub db: DatabaseConnection,
    /// One replica pulls an account at a time.
    pub lease: Lease,
    /// Woken by commits.
    pub commits: watch::Receiver<i64>,
    /// This replica (names the checkpoint).
    pub instance: String,
    /// `kf.poll_secs`.
    pub poll_every: Duration,
}

/// The running puller.
pub struct KfPuller {
    progress: watch::Receiver<i64>,
    closing: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl KfPuller {
    /// Starts pulling.
    pub fn start(parts: Parts) -> Self {
        let (progress_tx, progress) = watch::channel(0);
        let (closing, closing_rx) = watch::channel(false);
        let Parts { outbound, event_log, db, lease, commits, instance, poll_every } = parts;
        let puller = Puller {
            outbound,
            event_log,
            checkpoints: SuiteStore::new(db.clone()),
            sessions: super::KfSessions::new(db.clone()),
            db,
            lease,
            name: format!("kf:{instance}"),
            progress: progress_tx,
            poll_every,
        };
        let task = tokio::spawn(puller.run(commits, closing_rx));
        Self { progress, closing, task }
    }

    /// The last event id read (retention keeps what comes after it).
    pub fn watch(&self) -> watch::Receiver<i64> {
        self.progress.clone()
    }

    /// Stops after the pull under way (at most `timeout`).
    pub async fn close(self, timeout: Duration) {
        let _ = self.closing.send(true);
        let mut task = self.task;
        if tokio::time::timeout(timeout, &mut task).await.is_err() {
            task.abort();
        }
    }
}

struct Puller {
    outbound: Arc<Outbound>,
    event_log: EventLog,
    /// Checkpoints live in the tracking store's `checkpoints`.
    checkpoints: SuiteStore,
    db: DatabaseConnection,
    lease: Lease,
    sessions: super::KfSessions,
    name: String,
    progress: watch::Sender<i64>,
    poll_every: Duration,
}

/// What a notice asks to pull.
struct Notice {
    account: String,
    open_kfid: String,
    token: Option<String>,
}

impl Puller {
    async fn run(self, mut commits: watch::Receiver<i64>, mut closing: watch::Receiver<bool>) {
        let mut cursor = loop {
            match self.checkpoints.checkpoint(&self.name).await {
                Ok(cursor) => break cursor,
                Err(error) => {
                    tracing::warn!(error = %error, "The 微信客服 checkpoint cannot be read; retrying.");
                    if wait(&mut closing, FIRST_RETRY).await {
                        return;
                    }
                }
            }
        };
        let _ = self.progress.send(cursor);
        let mut saved_at = Instant::now();
        let mut next_poll = Instant::now() + self.poll_every;
        loop {
            match self.event_log.events_of_types_after(cursor, &[NOTICE], BATCH).await {
                Ok((notices, looked_at)) => {
                    for event in &notices {
                        if let Some(notice) = notice_of(event) {
                            self.pull_notice(&notice, &mut closing).await;
                        }
                        if *closing.borrow() {
                            return;
                        }
                    }
                    if looked_at > cursor {
                        // Moving past other callbacks only is saved at most every
                        // SAVE_INTERVAL (under load that is every commit); after a
                        // crash those are looked at again and still need nothing.
                        if notices.is_empty() && saved_at.elapsed() < SAVE_INTERVAL {
                            cursor = looked_at;
                            let _ = self.progress.send(cursor);
                            continue;
                        }
                        if let Err(error) = self.checkpoints.save_checkpoint(&self.name, looked_at).await {
                            tracing::warn!(error = %error, "The 微信客服 checkpoint cannot be saved; pulling again later.");
                        } else {
                            cursor = looked_at;
                            saved_at = Instant::now();
                            let _ = self.progress.send(cursor);
                        }
                        continue;
                    }
                }
                Err(error) => tracing::warn!(error = %error, "Reading 微信客服 notices failed; retrying."),
            }
            if Instant::now() >= next_poll {
                self.pull_known().await;
                next_poll = Instant::now() + self.poll_every;
            }
            if *closing.borrow() {
                return;
            }
            tokio::select! {
                changed = commits.changed() => if changed.is_err() { return },
                _ = tokio::time::sleep_until(next_poll) => {}
                _ = closing.changed() => {}
            }
        }
    }

    /// Pulls for a notice, retrying with backoff; after
    /// [`NOTICE_ATTEMPTS`] the account is left to the periodic pull.
    async fn pull_notice(&self, notice: &Notice, closing: &mut watch::Receiver<bool>) {
        if let Err(error) = store::remember(&self.db, &notice.account, &notice.open_kfid).await {
            tracing::warn!(error = %error, "A 微信客服 account cannot be remembered for the periodic pull.");
        }
        let mut delay = FIRST_RETRY;
        for attempt in 1..=NOTICE_ATTEMPTS {
            match self.pull(&notice.account, &notice.open_kfid, notice.token.as_deref()).await {
                Ok(()) => return,
                Err(reason) => {
                    tracing::warn!(
                        account = notice.account,
                        open_kfid = notice.open_kfid,
                        attempt,
                        reason,
                        "Pulling 微信客服 messages failed; retrying."
                    );
                }
            }
            if wait(closing, delay).await {
                return;
            }
            delay = (delay * 2).min(MAX_RETRY);
        }
    }

    async fn pull_known(&self) {
        let known = match store::known(&self.db).await {
            Ok(known) => known,
            Err(error) => {
                tracing::warn!(error = %error, "The 微信客服 accounts cannot be listed.");
                return;
            }
        };
        for (account, open_kfid) in known {
            if let Err(reason) = self.pull(&account, &open_kfid, None).await {
                tracing::warn!(account, open_kfid, reason, "The periodic 微信客服 pull failed.");
            }
        }
    }

    /// One pull of `open_kfid` by `account`, under its lease: pages from
    /// the cursor while `has_more`, each page's messages stored before the
    /// cursor moves past them.
    async fn pull(&self, account: &str, open_kfid: &str, token: Option<&str>) -> Result<(), String> {
        let lease = format!("kf:{account}:{open_kfid}");
        let started = Instant::now();
        let fence = loop {
            match self.lease.acquire(&lease, LEASE_MS).await {
                Ok(Some(fence)) => break fence,
                Ok(None) if started.elapsed() < LEASE_WAIT => tokio::time::sleep(FIRST_RETRY).await,
                Ok(None) => return Err("another replica keeps pulling this account".to_owned()),
                Err(error) => return Err(error.to_string()),
            }
        };
        let pulled = self.pages(account, open_kfid, token, &lease, fence).await;
        self.lease.release(&lease, fence).await;
        pulled
    }

    async fn pages(
        &self,
        account: &str,
        open_kfid: &str,
        token: Option<&str>,
        lease: &str,
        fence: u64,
    ) -> Result<(), String> {
        let mut cursor =
            store::load(&self.db, account, open_kfid).await.map_err(|error| error.to_string())?;
        for _ in 0..MAX_PAGES {
            let mut body = json!({"cursor": cursor, "limit": 1000, "open_kfid": open_kfid});
            if let Some(token) = token {
                body["token"] = json!(token);
            }
            let answer = self.outbound.call_app(account, None, "kf/sync_msg", body).await?;
            let items = answer.get("msg_list").and_then(Value::as_array).cloned().unwrap_or_default();
            let appends = items
                .iter()
                .filter_map(|item| message::event_of(account, open_kfid, item))
                .map(|event| self.event_log.append(event));
            for appended in futures::future::join_all(appends).await {
                appended.map_err(|error| format!("storing a 微信客服 message: {error}"))?;
            }
            for item in &items {
                self.sessions.observe(open_kfid, item).await.map_err(|error| error.to_string())?;
            }
            let next = answer.get("next_cursor").and_then(Value::as_str).unwrap_or_default();
            if !next.is_empty() && next != cursor {
                store::save(&self.db, account, open_kfid, next).await.map_err(|error| error.to_string())?;
                next.clone_into(&mut cursor);
            }
            tracing::debug!(account, open_kfid, messages = items.len(), "Pulled a 微信客服 page.");
            if answer.get("has_more").and_then(Value::as_i64) != Some(1) {
                return Ok(());
            }
            if !matches!(self.lease.renew(lease, fence, LEASE_MS).await, Ok(true)) {
                return Err("the pull's lease was lost".to_owned());
            }
        }
        Ok(())
    }
}

/// The account, open_kfid and (while valid) token of a stored notice.
fn notice_of(event: &StoredEvent) -> Option<Notice> {
    let payload: Value = serde_json::from_str(&event.payload).ok()?;
    let open_kfid = find(&payload, "open_kf_id")?;
    let fresh = chrono::Utc::now().timestamp_millis() - event.received_at_ms < TOKEN_FOR_MS;
    let token = find(&payload, "token").filter(|_| fresh);
    Some(Notice { account: event.account.clone(), open_kfid, token })
}

/// The first string field `key` in `value`, at any depth.
fn find(value: &Value, key: &str) -> Option<String> {
    match value {
        Value::Object(map) => map
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| map.values().find_map(|value| find(value, key))),
        Value::Array(items) => items.iter().find_map(|value| find(value, key)),
        _ => None,
    }
}

/// Waits `delay`; `true` when closing.
async fn wait(closing: &mut watch::Receiver<bool>, delay: Duration) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(delay) => *closing.borrow(),
        _ = closing.changed() => true,
    }
}
