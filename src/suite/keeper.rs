//! The suite keeper: turns suite instruction callbacks into state.
//!
//! It tails the event log from its own checkpoint (`suites:{instance}` in
//! `checkpoints`) for the suite notices of suite accounts, after they were
//! acknowledged (WeCom wants `success` within seconds; exchanging an auth
//! code must not be on that path):
//!
//! * `suite_ticket` → the ticket is stored (newest wins);
//! * `create_auth` → `get_permanent_code` with its auth code; the corp, its
//!   permanent code and the suite's agent there are stored, active;
//! * `change_auth` → active again (name and agent refreshed with
//!   `get_auth_info` when WeCom answers);
//! * `cancel_auth` → cancelled.
//!
//! Each change is written with the checkpoint in one transaction, and the
//! in-memory [`AuthorisedCorps`](super::AuthorisedCorps) the callback
//! routes read is updated right after. Nothing is dropped: a WeCom call
//! that fails for a reason that can pass (no answer, busy, no ticket yet)
//! is retried with backoff without moving the checkpoint; only an answer
//! that can never change (the auth code itself refused, e.g. 40078) or a
//! suite without credentials is logged and skipped. Every few seconds, and
//! at start, every active corp is loaded from the store: with MySQL, other
//! replicas learn the authorisations one of them received.

use std::{sync::Arc, time::Duration};

use serde::Deserialize;
use tokio::{sync::watch, task::JoinHandle, time::Instant};

use super::{
    SuiteDirectory, SuiteError,
    store::{ACTIVE, Effect},
};
use crate::event_log::{EventLog, StoredEvent};

/// The callback types the keeper reads (see `wecom::payload`'s labels).
const TYPES: [&str; 4] =
    ["suite.suite_ticket", "suite.create_auth", "suite.change_auth", "suite.cancel_auth"];
/// Notices read per query.
const BATCH: u64 = 100;
/// How often every active corp is loaded from the store.
pub const RELOAD: Duration = Duration::from_secs(5);
/// The first wait after a failure; it doubles up to [`MAX_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(500);
const MAX_RETRY: Duration = Duration::from_secs(30);
/// Moving the checkpoint past other callbacks is written at most this
/// often (they need nothing; re-reading them after a crash costs an index scan).
const SAVE_INTERVAL: Duration = Duration::from_secs(5);
/// A wake-up on a commit waits this long, so a burst of callbacks is one query.
const DEBOUNCE: Duration = Duration::from_millis(50);

/// The running keeper.
pub struct SuiteKeeper {
    progress: watch::Receiver<i64>,
    closing: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl SuiteKeeper {
    /// Starts keeping `directory`'s suites from `event_log`, woken by
    /// `commits`; `instance` names its checkpoint.
    pub fn start(
        directory: Arc<SuiteDirectory>,
        event_log: EventLog,
        commits: watch::Receiver<i64>,
        instance: &str,
    ) -> Self {
        let (progress_tx, progress) = watch::channel(0);
        let (closing, closing_rx) = watch::channel(false);
        let keeper = Keeper {
            directory,
            event_log,
            name: format!("suites:{instance}"),
            progress: progress_tx,
            cursor: None,
            saved: 0,
            saved_at: Instant::now(),
            pending: None,
            reload_failing: false,
        };
        let task = tokio::spawn(keeper.run(commits, closing_rx));
        Self { progress, closing, task }
    }

    /// Every event up to this id needs nothing more from the keeper (for
    /// retention: an unprocessed `create_auth` must not be pruned).
    pub fn watch(&self) -> watch::Receiver<i64> {
        self.progress.clone()
    }

    /// Stops (waiting at most `timeout` for a WeCom call in flight).
    pub async fn close(self, timeout: Duration) {
        let _ = self.closing.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(timeout, self.task).await.is_err() {
            abort.abort();
        }
    }
}

/// Loads every active corp into memory; how many.
pub async fn load_authorised(directory: &SuiteDirectory) -> Result<usize, sea_orm::DbErr> {
    let corps = directory.store().active_corps().await?;
    let count = corps.values().map(|corps| corps.len()).sum();
    directory.authorised().replace_all(corps);
    Ok(count)
}

/// A suite notice as stored (the serialised `Callback::Suite`).
#[derive(Deserialize)]
struct StoredNotice {
    source: String,
    info_type: String,
    suite_ticket: Option<String>,
    auth_code: Option<String>,
    auth_corp_id: Option<String>,
}

struct Keeper {
    directory: Arc<SuiteDirectory>,
    event_log: EventLog,
    name: String,
    progress: watch::Sender<i64>,
    /// Everything up to it is applied (`None`: read the checkpoint).
    cursor: Option<i64>,
    /// The checkpoint as stored.
    saved: i64,
    saved_at: Instant,
    /// An effect WeCom already answered whose write failed: written on the
    /// next try without calling WeCom again (an auth code works once).
    pending: Option<(i64, Effect)>,
    reload_failing: bool,
}

impl Keeper {
    async fn run(mut self, mut commits: watch::Receiver<i64>, mut closing: watch::Receiver<bool>) {
        let mut retry = FIRST_RETRY;
        let mut next_reload = Instant::now();
        let mut blocked = false;
        loop {
            if Instant::now() >= next_reload {
                self.reload().await;
                next_reload = Instant::now() + RELOAD;
            }
            if blocked {
                self.absorb_tickets().await;
            }
            let result = self.step().await;
            blocked = result.is_err();
            let wait = match result {
                Ok(true) if !*closing.borrow() => {
                    retry = FIRST_RETRY;
                    continue;
                }
                Ok(_) => {
                    retry = FIRST_RETRY;
                    None
                }
                Err(reason) => {
                    tracing::warn!(error = %reason, retry_in_ms = retry.as_millis() as u64,
                        "Applying suite notices failed; retrying, nothing is dropped.");
                    let wait = retry;
                    retry = (retry * 2).min(MAX_RETRY);
                    Some(wait)
                }
            };
            if *closing.borrow() {
                break;
            }
            let until = wait.map_or(next_reload, |wait| (Instant::now() + wait).min(next_reload));
            tokio::select! {
                changed = commits.changed(), if wait.is_none() => {
                    // A closed channel (shutting down): fall back to the timer.
                    let pause = if changed.is_ok() { DEBOUNCE } else { Duration::from_secs(1) };
                    tokio::time::sleep(pause).await;
                }
                _ = tokio::time::sleep_until(until) => {}
                _ = closing.changed() => {}
            }
        }
        if let Some(cursor) = self.cursor.filter(|cursor| *cursor > self.saved) {
            let _ = self.directory.store().save_checkpoint(&self.name, cursor).await;
        }
    }

    /// Applies the next notices; `true` if there may be more right away (a
    /// full batch). Moving past other callbacks is not "more": under load
    /// the head moves all the time, and the keeper waits for the next
    /// commit rather than spin.
    async fn step(&mut self) -> Result<bool, String> {
        let store = self.directory.store().clone();
        let from = match self.cursor {
            Some(cursor) => cursor,
            None => {
                let stored = store.checkpoint(&self.name).await.map_err(|error| error.to_string())?;
                self.saved = stored;
                self.progress.send_replace(stored);
                stored
            }
        };
        self.cursor = Some(from);
        let (events, looked_at) = self
            .event_log
            .events_of_types_after(from, &TYPES, BATCH)
            .await
            .map_err(|error| error.to_string())?;
        for event in &events {
            let effect = match self.pending.take() {
                Some((id, effect)) if id == event.id => effect,
                _ => self.effect_of(event).await.map_err(|error| format!("event {}: {error}", event.id))?,
            };
            if let Err(error) = store.apply(&effect, event.received_at_ms, &self.name, event.id).await {
                self.pending = Some((event.id, effect));
                return Err(format!("event {}: suite store: {error}", event.id));
            }
            self.advance(event.id, true);
            self.publish(&effect).await;
        }
        if looked_at > self.cursor.unwrap_or(from) {
            let save = self.saved_at.elapsed() >= SAVE_INTERVAL;
            if save {
                store.save_checkpoint(&self.name, looked_at).await.map_err(|error| error.to_string())?;
            }
            self.advance(looked_at, save);
        }
        Ok(events.len() as u64 == BATCH)
    }

    fn advance(&mut self, to: i64, saved: bool) {
        self.cursor = Some(to);
        if saved {
            self.saved = to;
            self.saved_at = Instant::now();
        }
        self.progress.send_replace(to);
    }

    /// What one notice changes, asking WeCom where needed.
    async fn effect_of(&self, event: &StoredEvent) -> Result<Effect, SuiteError> {
        let Some(account) = self.directory.account(&event.account) else {
            return Ok(Effect::Nothing);
        };
        let account = account.id.to_string();
        let notice = match serde_json::from_str::<StoredNotice>(&event.payload) {
            Ok(notice) if notice.source == "suite" => notice,
            _ => {
                tracing::warn!(event_id = event.id, account, "A suite notice without its fields; skipped.");
                return Ok(Effect::Nothing);
            }
        };
        let given = |value: Option<String>| value.filter(|value| !value.is_empty());
        match notice.info_type.as_str() {
            "suite_ticket" => Ok(given(notice.suite_ticket)
                .map_or(Effect::Nothing, |ticket| Effect::Ticket { account, ticket })),
            "create_auth" => {
                let Some(auth_code) = given(notice.auth_code) else { return Ok(Effect::Nothing) };
                match self.directory.permanent_code(&account, &auth_code).await {
                    Ok(authorisation) => Ok(Effect::Authorise { account, authorisation }),
                    Err(error) if is_final(&error) => {
                        tracing::error!(event_id = event.id, account, error = %error,
                            "A create_auth cannot be completed; skipped (the corp must authorise again).");
                        Ok(Effect::Nothing)
                    }
                    Err(error) => Err(error),
                }
            }
            "change_auth" => {
                let Some(corp_id) = given(notice.auth_corp_id) else { return Ok(Effect::Nothing) };
                // The refresh is a nicety: only an outage worth waiting out holds the corp back.
                let refreshed = match self.directory.auth_info(&account, &corp_id).await {
                    Ok(refreshed) => Some(refreshed),
                    Err(error @ (SuiteError::Store(_) | SuiteError::Call(_))) if error.is_transient() => {
                        return Err(error);
                    }
                    Err(error) => {
                        tracing::warn!(account, corp_id, error = %error, "get_auth_info failed; corp kept as it was.");
                        None
                    }
                };
                Ok(Effect::Reauthorise { account, corp_id, refreshed })
            }
            "cancel_auth" => Ok(given(notice.auth_corp_id)
                .map_or(Effect::Nothing, |corp_id| Effect::Cancel { account, corp_id })),
            _ => Ok(Effect::Nothing),
        }
    }

    /// Makes a stored change visible to the callback routes and the send path.
    async fn publish(&self, effect: &Effect) {
        let Some((account, corp_id)) = effect.corp() else { return };
        self.directory.forget_corp(account, corp_id);
        let store = self.directory.store();
        if let Effect::Authorise { authorisation, .. } = effect {
            store.make_durable().await;
            tracing::info!(account, corp_id, corp_name = %authorisation.corp_name,
                agent_id = ?authorisation.agent_id, "A corp authorised the suite.");
        }
        // The row says what won (an older notice does not undo a newer one).
        match store.corp(account, corp_id).await {
            Ok(Some(row)) if row.state == ACTIVE => self.directory.authorised().insert(account, corp_id),
            Ok(_) => {
                if matches!(effect, Effect::Cancel { .. }) {
                    tracing::info!(account, corp_id, "A corp cancelled its authorisation of the suite.");
                }
                self.directory.authorised().remove(account, corp_id);
            }
            // The next reload catches up.
            Err(error) => tracing::warn!(account, corp_id, error = %error, "Reading a suite corp failed."),
        }
    }

    async fn reload(&mut self) {
        match load_authorised(&self.directory).await {
            Ok(_) => self.reload_failing = false,
            Err(error) => {
                // Once per outage, not every few seconds.
                if !self.reload_failing {
                    tracing::warn!(error = %error, "Loading the authorised corps failed; keeping the ones known.");
                }
                self.reload_failing = true;
            }
        }
    }

    /// Blocked on a notice that may need a newer ticket: store the tickets
    /// received after it now (newest wins, so applying them again later in
    /// order changes nothing).
    async fn absorb_tickets(&self) {
        let Some(from) = self.cursor else { return };
        let Ok((tickets, _)) = self.event_log.events_of_types_after(from, &[TYPES[0]], 1_000).await else {
            return;
        };
        for event in tickets {
            let Some(account) = self.directory.account(&event.account) else { continue };
            let Ok(notice) = serde_json::from_str::<StoredNotice>(&event.payload) else { continue };
            if let Some(ticket) = notice.suite_ticket.filter(|ticket| !ticket.is_empty()) {
                let stored =
                    self.directory.store().store_ticket(account.id.as_str(), &ticket, event.received_at_ms);
                if stored.await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Whether a failed `create_auth` can never succeed: WeCom refused the
/// auth code itself (40078 invalid or used, …), or the suite cannot call
/// WeCom at all. A refused suite token is not final: a newer ticket comes
/// every 10 minutes.
fn is_final(error: &SuiteError) -> bool {
    match error {
        SuiteError::Refused { api: "get_permanent_code", .. } => !error.is_transient(),
        SuiteError::NotASuite(_) | SuiteError::Credentials(_) => true,
        _ => false,
    }
}
