//! The group-commit writer: one dedicated thread (`event-log-writer`) that
//! owns the event log's only writing connection.
//!
//! Handlers send their callback and wait on a oneshot. The writer takes
//! everything queued — no timer by default: the batch is whatever arrived
//! during the last commit's fsync — decides duplicates against its
//! in-memory [`DedupeIndex`] (the disk only for keys older than the index
//! holds), writes the whole batch in one transaction, and answers every
//! waiter. Only after the commit does anyone hear "stored".

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::{Notify, mpsc, oneshot};

use super::{
    AppendOutcome, EventLogError, LoggedEvent, NewEvent, NewQuarantine,
    checkpoint::RESTART_FRAMES,
    dedupe_index::{DedupeIndex, Lookup},
    health::EventLogHealth,
    recent::RecentEvents,
    writer_db::{WriteError, WriterDb},
};
use crate::configuration::SqliteSynchronous;

/// How often expired dedupe keys are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Called with every committed batch, in commit order (the hand-off to the
/// actor supervisor), on the writer thread, after the batch is in
/// [`RecentEvents`] and the head moved. Must not block.
pub type CommitHook = Arc<dyn Fn(&[Arc<LoggedEvent>]) + Send + Sync>;

/// A request to the writer.
pub(super) enum Request {
    Event(Box<NewEvent>, oneshot::Sender<Result<AppendOutcome, EventLogError>>),
    Quarantine(Box<NewQuarantine>, oneshot::Sender<Result<(), EventLogError>>),
    /// Retention's deletes, run by the one writer between batches: a second
    /// writing connection would contend for SQLite's write lock with every batch.
    Maintenance(Maintenance, oneshot::Sender<Result<u64, EventLogError>>),
    /// Stop accepting; commit everything already queued; stop.
    Close,
}

/// Work on the log other than storing callbacks.
pub(super) enum Maintenance {
    /// Delete events before `cutoff_ms` at or below `floor` (never the newest).
    PruneEvents { cutoff_ms: i64, floor: i64 },
    /// Delete quarantine before `cutoff_ms`.
    PruneQuarantine { cutoff_ms: i64 },
    /// Give freed pages back to the filesystem.
    Vacuum,
}

pub(super) struct Committer {
    /// `None` after a failed batch, until reopened: a connection whose
    /// transaction state is unknown is never written on again.
    pub db: Option<WriterDb>,
    pub path: PathBuf,
    pub synchronous: SqliteSynchronous,
    pub requests: mpsc::Receiver<Request>,
    pub next_id: i64,
    pub dedupe_window_ms: i64,
    pub max_batch: usize,
    pub max_wait: Duration,
    pub on_commit: CommitHook,
    pub health: Arc<EventLogHealth>,
    pub recent: Arc<RecentEvents>,
    pub index: DedupeIndex,
    pub index_capacity: usize,
    /// Set by a failed batch: what is on disk must be read back before the
    /// next batch may be acknowledged (see [`Committer::resync`]).
    pub resync_needed: bool,
    /// Wakes the background checkpointer early (see `checkpoint.rs`).
    pub checkpoint_nudge: Arc<Notify>,
    /// Whether it was woken since the WAL last restarted.
    pub nudged: bool,
    /// When the writer last tried to finish a checkpoint itself.
    pub last_checkpoint: Instant,
}

type EventReply = oneshot::Sender<Result<AppendOutcome, EventLogError>>;
type QuarantineReply = oneshot::Sender<Result<(), EventLogError>>;

impl Committer {
    /// Runs on its own thread until the log is closed (or every handle is
    /// dropped) and the queue is drained: nothing accepted is ever dropped.
    pub fn run(mut self) {
        let mut last_prune = Instant::now();
        while let Some(first) = self.requests.blocking_recv() {
            let batch = self.gather(first);
            self.commit(batch);
            if last_prune.elapsed() >= PRUNE_INTERVAL {
                self.prune_expired_keys();
                last_prune = Instant::now();
            }
        }
        tracing::info!("Event log writer drained and stopped.");
    }

    /// Everything queued, up to `max_batch`; with a `max_wait` configured,
    /// also what arrives within it.
    fn gather(&mut self, first: Request) -> Vec<Request> {
        let mut batch = Vec::new();
        self.take(first, &mut batch);
        self.drain(&mut batch);
        if !self.max_wait.is_zero() && batch.len() < self.max_batch && !self.requests.is_closed() {
            std::thread::sleep(self.max_wait);
            self.drain(&mut batch);
        }
        batch
    }

    fn drain(&mut self, batch: &mut Vec<Request>) {
        while batch.len() < self.max_batch {
            match self.requests.try_recv() {
                Ok(request) => self.take(request, batch),
                Err(_) => break,
            }
        }
    }

    fn take(&mut self, request: Request, batch: &mut Vec<Request>) {
        match request {
            // No new requests from now on; the buffered ones are still received.
            Request::Close => self.requests.close(),
            request => batch.push(request),
        }
    }

    fn commit(&mut self, batch: Vec<Request>) {
        let started = Instant::now();
        let mut events = Vec::new();
        let mut quarantined = Vec::new();
        for request in batch {
            match request {
                Request::Event(new_event, reply) => events.push((*new_event, reply)),
                Request::Quarantine(item, reply) => quarantined.push((*item, reply)),
                Request::Maintenance(work, reply) => {
                    let _ = reply.send(self.maintain(work));
                }
                Request::Close => unreachable!("taken out by gather"),
            }
        }
        if events.is_empty() && quarantined.is_empty() {
            return;
        }
        let (new_events, event_replies): (Vec<NewEvent>, Vec<EventReply>) = events.into_iter().unzip();
        let (items, quarantine_replies): (Vec<NewQuarantine>, Vec<QuarantineReply>) =
            quarantined.into_iter().unzip();
        if self.health.is_poisoned() {
            refuse(event_replies, quarantine_replies);
            return;
        }
        let requests = new_events.len() + items.len();
        if let Err(error) = self.resync() {
            self.fail(&error.into(), requests);
            refuse(event_replies, quarantine_replies);
            return;
        }
        match self.write(new_events, &items) {
            Ok((stored, outcomes)) => {
                if let Some(last) = stored.last() {
                    // Into memory before the head moves, and both before any
                    // waiter is answered: whoever saw its append stored, or
                    // sees the new head, finds the events there.
                    self.recent.push(&stored);
                    self.health.set_head(last.id);
                }
                for (reply, outcome) in event_replies.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
                for reply in quarantine_replies {
                    let _ = reply.send(Ok(()));
                }
                self.health.record_commit(requests, stored.len(), started.elapsed());
                if !stored.is_empty() {
                    (self.on_commit)(&stored);
                }
                self.keep_wal_short();
            }
            Err(error) => {
                self.fail(&error, requests);
                refuse(event_replies, quarantine_replies);
            }
        }
    }

    /// Restarts the WAL once it passes [`RESTART_FRAMES`], between batches
    /// (its waiters already answered). A checkpoint running beside a busy
    /// writer never catches up with it, so the WAL would never restart and
    /// grow to its forced bound, whose `TRUNCATE` holds the write lock for
    /// tens of milliseconds. The background checkpointer, woken halfway,
    /// copies the bulk; this copies what was committed since, with nothing
    /// committing meanwhile, so the checkpoint completes and the next batch
    /// writes the WAL from its beginning.
    fn keep_wal_short(&mut self) {
        /// Attempts are at least this far apart (one that cannot complete,
        /// for a reader's snapshot, is not retried after every batch).
        const SPACING: Duration = Duration::from_millis(20);
        let Some(db) = self.db.as_ref() else { return };
        let frames = db.wal_frames();
        self.health.set_wal_frames(frames);
        if frames >= RESTART_FRAMES / 2 && !self.nudged {
            self.checkpoint_nudge.notify_one();
            self.nudged = true;
        }
        if frames < RESTART_FRAMES || self.last_checkpoint.elapsed() < SPACING {
            return;
        }
        let started = Instant::now();
        self.last_checkpoint = started;
        let finished = db.checkpoint();
        // An attempt that cannot finish pauses the writer too: its time counts.
        self.health.record_writer_checkpoint(matches!(finished, Ok(true)), started.elapsed());
        match finished {
            Ok(true) => {
                self.nudged = false;
                self.health.set_wal_frames(0);
            }
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(error = %error, frames, "The writer's WAL checkpoint failed; tried again later.")
            }
        }
    }

    fn fail(&mut self, error: &WriteError, batch: usize) {
        match error {
            WriteError::Sync(_) => {
                tracing::error!(error = %error, batch, "The event log's fsync failed: whether the data is on disk is unknown. No callback is acknowledged until the service restarts.");
                self.health.set_poisoned();
            }
            WriteError::Retryable(_) => {
                tracing::error!(error = %error, batch, "Event log commit failed; callbacks are refused so WeCom retries.");
            }
        }
        self.health.record_failure(error);
        self.db = None;
        self.resync_needed = true;
    }

    /// The writer's connection, reopened after a failure.
    fn db(&mut self) -> rusqlite::Result<&mut WriterDb> {
        if self.db.is_none() {
            self.db = Some(WriterDb::open(&self.path, self.synchronous)?);
        }
        Ok(self.db.as_mut().expect("just opened"))
    }

    /// After a failed batch, proves the log's state before writing again.
    ///
    /// A failed `COMMIT` may still have reached the disk, so the next ids
    /// are taken past the highest one actually stored, never reused, and the
    /// dedupe index is rebuilt from the disk (it only ever learns committed
    /// keys). Until this succeeds every batch is refused (503).
    fn resync(&mut self) -> rusqlite::Result<()> {
        if !self.resync_needed {
            return Ok(());
        }
        let window_start = now_ms() - self.dedupe_window_ms;
        let capacity = self.index_capacity;
        let db = self.db()?;
        let last_id = db.max_id()?;
        let keys = db.recent_keys(window_start, capacity)?;
        if last_id >= self.next_id {
            tracing::warn!(
                last_id,
                "A batch reported as failed had reached the disk; its callbacks count as stored and WeCom's retries as duplicates."
            );
        }
        self.index = DedupeIndex::rebuilt(capacity, window_start, keys);
        self.next_id = self.next_id.max(last_id + 1);
        // A batch reported as failed may be on disk but was never pushed to
        // memory: from here on, everything up to the disk's head is read there.
        self.recent.reset(last_id);
        self.health.set_head(last_id);
        self.resync_needed = false;
        tracing::info!(
            next_id = self.next_id,
            "Event log state read back after a failed commit; acknowledging again."
        );
        Ok(())
    }

    /// Decides duplicates and writes the new events and the quarantine in
    /// one transaction. Returns the rows stored and one outcome per event.
    fn write(
        &mut self,
        events: Vec<NewEvent>,
        quarantined: &[NewQuarantine],
    ) -> Result<(Vec<Arc<LoggedEvent>>, Vec<AppendOutcome>), WriteError> {
        let now_ms = now_ms();
        let window_start = now_ms - self.dedupe_window_ms;
        let mut outcomes = Vec::with_capacity(events.len());
        let mut taken_in_batch: HashMap<&str, i64> = HashMap::new();
        let mut next_id = self.next_id;
        for new_event in &events {
            let key = new_event.dedupe_key.as_str();
            let first = match taken_in_batch.get(key) {
                Some(&first_event_id) => Some(first_event_id),
                None => self.seen_within_window(key, window_start)?,
            };
            match first {
                Some(first_event_id) => outcomes.push(AppendOutcome::Duplicate { first_event_id }),
                None => {
                    taken_in_batch.insert(key, next_id);
                    outcomes.push(AppendOutcome::Stored { id: next_id });
                    next_id += 1;
                }
            }
        }
        drop(taken_in_batch);
        let stored: Vec<Arc<LoggedEvent>> = events
            .into_iter()
            .zip(&outcomes)
            .filter_map(|(new_event, outcome)| match *outcome {
                AppendOutcome::Stored { id } => Some(Arc::new(new_event.into_logged(id))),
                AppendOutcome::Duplicate { .. } => None,
            })
            .collect();
        self.db()?.write(&stored, quarantined, now_ms)?;
        // Ids of a failed batch are never reused: only advance after the commit.
        self.next_id = next_id;
        for row in &stored {
            self.index.insert(&row.dedupe_key, now_ms, row.id);
        }
        Ok((stored, outcomes))
    }

    /// The event that first carried `key` within the window, if any.
    fn seen_within_window(&mut self, key: &str, window_start: i64) -> rusqlite::Result<Option<i64>> {
        let seen = match self.index.lookup(key, window_start) {
            Lookup::Seen { first_seen_ms, event_id } => Some((first_seen_ms, event_id)),
            Lookup::New => None,
            Lookup::Unknown => self.db()?.find_key(key)?,
        };
        Ok(seen.filter(|&(first_seen_ms, _)| first_seen_ms >= window_start).map(|(_, event_id)| event_id))
    }

    fn maintain(&mut self, work: Maintenance) -> Result<u64, EventLogError> {
        let db = self.db()?;
        let done = match work {
            Maintenance::PruneEvents { cutoff_ms, floor } => db.prune_events(cutoff_ms, floor),
            Maintenance::PruneQuarantine { cutoff_ms } => db.prune_quarantine(cutoff_ms),
            Maintenance::Vacuum => {
                if let Err(error) = db.give_back_space() {
                    tracing::warn!(error = %error, "Giving back freed SQLite pages failed; retried at the next prune.");
                }
                Ok(0)
            }
        };
        done.map_err(EventLogError::from)
    }

    fn prune_expired_keys(&mut self) {
        let cutoff = now_ms() - self.dedupe_window_ms;
        self.index.prune(cutoff);
        let pruned = self.db().and_then(|db| db.prune_keys(cutoff));
        match pruned {
            Ok(removed) if removed > 0 => tracing::debug!(removed, "Pruned expired dedupe keys."),
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "Pruning expired dedupe keys failed; will retry."),
        }
    }
}

fn refuse(events: Vec<EventReply>, quarantined: Vec<QuarantineReply>) {
    for reply in events {
        let _ = reply.send(Err(EventLogError::Commit));
    }
    for reply in quarantined {
        let _ = reply.send(Err(EventLogError::Commit));
    }
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

#[cfg(test)]
mod tests;
