//! Tracking: what happened to every notification, and what users did.
//!
//! The event log stays the single acknowledgement point. Committed events
//! are turned into signals ([`derive`]) and handed to the actor system by
//! the [`Feeder`], which tails the event log from the tracking checkpoint —
//! so replay after a crash and live feeding are one loop — as fast as the
//! actors store; the actors persist into the [`SqlTrackingStore`].

pub mod derive;
pub mod entity;
pub mod migration;
pub mod pipeline;
pub mod query;
mod store;

use std::{collections::HashSet, sync::Arc, time::Duration};

use pmc_actors::{CommittedEvent, Signal, SupervisorHandle};
use tokio::{sync::watch, task::JoinHandle};

pub use self::{
    pipeline::{PipelineParts, TrackingPipeline},
    store::{ClaimCache, Claimed, SqlTrackingStore, WriteHook},
};
use crate::event_log::{CommitHook, EventLog, LoggedEvent};

/// Events read from the log per page.
const PAGE: u64 = 100;
/// Signals handed to the supervisor between two backpressure checks (one
/// status callback can carry a thousand).
const SIGNALS_PER_CHUNK: usize = 1_000;
/// Dispatch more only while fewer units than this wait to be stored: the
/// bound on the actors' mailboxes and the writer's queue.
const MAX_PENDING_UNITS: u64 = 4_000;

/// Claiming callbacks in a database shared with other replicas, so each is
/// applied by one of them ([`SqlTrackingStore::claim`]).
#[derive(Clone)]
pub struct ReplicaClaims {
    /// The shared store.
    pub store: SqlTrackingStore,
    /// Caches decided claims (Redis), when configured.
    pub cache: ClaimCache,
    /// Claims older than this are pruned (the dedupe window).
    pub window: Duration,
}

/// How often old claims are pruned.
const PRUNE_CLAIMS_EVERY: Duration = Duration::from_secs(600);

impl ReplicaClaims {
    /// The events of `page` another replica applies, retrying while the
    /// database is down (nothing can be applied meanwhile anyway).
    pub async fn duplicates_in(&self, page: &[Arc<LoggedEvent>]) -> HashSet<i64> {
        let keys: Vec<(i64, &str)> = page.iter().map(|event| (event.id, event.dedupe_key.as_str())).collect();
        let mut delay = Duration::from_millis(100);
        loop {
            match self.store.claim(&keys, &self.cache).await {
                Ok(claimed) => {
                    if !claimed.duplicates.is_empty() {
                        tracing::debug!(
                            skipped = claimed.duplicates.len(),
                            "Callbacks another replica applies are skipped here."
                        );
                    }
                    return claimed.duplicates;
                }
                Err(error) => {
                    tracing::warn!(error = %error, "Claiming callbacks in the shared database failed; retrying.");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn prune(&self) {
        let max_age_ms = i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX);
        match self.store.prune_claims(max_age_ms).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(pruned, "Pruned dedupe claims older than the dedupe window."),
            Err(error) => tracing::warn!(error = %error, "Pruning dedupe claims failed; trying again later."),
        }
    }
}

/// Tails the event log from the tracking checkpoint and feeds the supervisor,
/// in commit order, as fast as the actors store (backpressure). The same
/// loop replays after a crash and follows live commits.
pub struct Feeder {
    closing: watch::Sender<bool>,
    fed: watch::Receiver<i64>,
    task: JoinHandle<()>,
}

impl Feeder {
    /// Starts tailing after `checkpoint`; `committed_rx` comes from
    /// [`commit_notifier`]; with `claims`, events another replica claimed
    /// are passed on without their signals.
    pub fn start(
        event_log: EventLog,
        supervisor: SupervisorHandle,
        checkpoint: i64,
        mut committed_rx: watch::Receiver<i64>,
        claims: Option<ReplicaClaims>,
    ) -> Self {
        let head = event_log.head();
        let (closing, closing_rx) = watch::channel(false);
        let (fed_tx, fed) = watch::channel(checkpoint);
        let task = tokio::spawn(async move {
            let mut fed_up_to = checkpoint;
            let mut pruned_at: Option<std::time::Instant> = None;
            if head > checkpoint {
                tracing::info!(
                    from = checkpoint,
                    to = head,
                    "Replaying events committed but not yet tracked."
                );
            }
            loop {
                let target = (*committed_rx.borrow_and_update()).max(event_log.head());
                if fed_up_to >= target {
                    if *closing_rx.borrow() {
                        break;
                    }
                    tokio::select! {
                        changed = committed_rx.changed() => if changed.is_err() { break },
                        _ = wait_closing(closing_rx.clone()) => {}
                    }
                    continue;
                }
                let page = match event_log.events_after(fed_up_to, PAGE).await {
                    Ok(page) => page,
                    Err(error) => {
                        tracing::error!(error = %error, "Reading the event log for tracking failed; retrying.");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                        continue;
                    }
                };
                let Some(last) = page.last().map(|event| event.id) else {
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    continue;
                };
                let duplicates = match &claims {
                    Some(claims) => {
                        if pruned_at.is_none_or(|at| at.elapsed() >= PRUNE_CLAIMS_EVERY) {
                            pruned_at = Some(std::time::Instant::now());
                            claims.prune().await;
                        }
                        claims.duplicates_in(&page).await
                    }
                    None => HashSet::new(),
                };
                if !feed_in_chunks(&supervisor, &page, &duplicates, &event_log).await {
                    tracing::error!("The supervisor is gone; the rest is replayed at the next start.");
                    break;
                }
                fed_up_to = last;
                let _ = fed_tx.send(fed_up_to);
            }
        });
        Self { closing, fed, task }
    }

    /// The highest event id handed to the supervisor.
    pub fn fed_up_to(&self) -> i64 {
        *self.fed.borrow()
    }

    /// Feeds everything committed so far, then stops; gives up after
    /// `timeout` (the actors may be stuck waiting for their store, and the
    /// feeder for them): what was not fed is replayed from the checkpoint at
    /// the next start. Call after the event log is closed.
    pub async fn close(self, timeout: Duration) {
        let _ = self.closing.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(timeout, self.task).await.is_err() {
            abort.abort();
            tracing::warn!(
                "Not everything committed was fed to the actors before shutdown; the next start replays it."
            );
        }
    }
}

/// The event log's commit hook, publishing the last committed id, and the
/// receiver a [`Feeder`] waits on. The hook only notifies: the feeder takes
/// the committed rows from the log's memory (or, behind it, from disk), so
/// nothing is copied or queued per event.
pub fn commit_notifier() -> (CommitHook, watch::Receiver<i64>) {
    let (committed, receiver) = watch::channel(0);
    let hook: CommitHook = Arc::new(move |stored: &[Arc<LoggedEvent>]| {
        if let Some(last) = stored.last() {
            committed.send_modify(|head| *head = (*head).max(last.id));
        }
    });
    (hook, receiver)
}

async fn wait_closing(mut closing: watch::Receiver<bool>) {
    let _ = closing.wait_for(|closing| *closing).await;
}

/// Hands a page over in chunks of about [`SIGNALS_PER_CHUNK`] signals,
/// waiting for capacity after each. `false` when the supervisor is gone.
async fn feed_in_chunks(
    supervisor: &SupervisorHandle,
    page: &[Arc<LoggedEvent>],
    skip: &HashSet<i64>,
    event_log: &EventLog,
) -> bool {
    let mut chunk = Vec::new();
    let mut signals = 0;
    // Derived one event at a time: a page of batch status callbacks holds
    // tens of thousands of signals, which would all wait in memory at once.
    for event in page.iter().map(|event| committed(event, skip.contains(&event.id), event_log)) {
        signals += event.signals.len();
        chunk.push(event);
        if signals >= SIGNALS_PER_CHUNK {
            if supervisor.apply_committed(std::mem::take(&mut chunk)).is_err() {
                return false;
            }
            signals = 0;
            wait_for_capacity(supervisor).await;
        }
    }
    if !chunk.is_empty() {
        if supervisor.apply_committed(chunk).is_err() {
            return false;
        }
        wait_for_capacity(supervisor).await;
    }
    true
}

/// Waits while the actors' backlog is above [`MAX_PENDING_UNITS`].
async fn wait_for_capacity(supervisor: &SupervisorHandle) {
    loop {
        match supervisor.stats(Duration::from_secs(30)).await {
            Ok(stats) if stats.pending_units >= MAX_PENDING_UNITS => {
                tokio::time::sleep(Duration::from_millis(2)).await
            }
            _ => return,
        }
    }
}

/// The event for the actors; a `duplicate` (applied by another replica)
/// keeps its place in commit order but contributes nothing.
fn committed(event: &LoggedEvent, duplicate: bool, event_log: &EventLog) -> CommittedEvent {
    let signals = if duplicate {
        Vec::new()
    } else {
        let live = derive::signals_of(event);
        if event.callback.is_some() && replay_checked(event.id) {
            checked_against_replay(event, live, event_log)
        } else {
            live
        }
    };
    CommittedEvent { id: event.id, callback_type: event.callback_type.clone(), signals }
}

/// One event in this many that came with its typed callback is also derived
/// the way replay derives it (every one in debug builds, so the whole test
/// suite is the corpus), and the two compared.
const REPLAY_CHECK_EVERY: i64 = 1024;

fn replay_checked(event_id: i64) -> bool {
    cfg!(debug_assertions) || event_id % REPLAY_CHECK_EVERY == 0
}

/// `live`, or replay's signals when they differ (logged and counted): what
/// is stored is what a replay after a crash will apply.
fn checked_against_replay(event: &LoggedEvent, live: Vec<Signal>, event_log: &EventLog) -> Vec<Signal> {
    match derive::replay_agrees(event, &live) {
        Ok(()) => {
            event_log.record_replay_check(true);
            live
        }
        Err(replayed) => {
            event_log.record_replay_check(false);
            tracing::error!(
                event_id = event.id,
                callback_type = %event.callback_type,
                "The callback handed over in memory and its stored plaintext give different signals; the stored one is applied."
            );
            replayed
        }
    }
}
