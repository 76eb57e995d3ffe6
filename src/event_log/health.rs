//! Counters and health of the event log, written by the committer and read
//! by `/health` and `/api/v1/status`.

use std::{
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering},
    },
    time::Duration,
};

use serde::Serialize;

/// Shared between the committer (writer) and the HTTP layer (readers).
#[derive(Debug, Default)]
pub struct EventLogHealth {
    committer_running: AtomicBool,
    /// An fsync failed: nothing is acknowledged until restart.
    poisoned: AtomicBool,
    head: AtomicI64,
    /// Every event up to this id has its entry in the catalog.
    catalog_head: AtomicI64,
    batches: AtomicU64,
    requests: AtomicU64,
    events_stored: AtomicU64,
    largest_batch: AtomicU64,
    last_commit_micros: AtomicU64,
    failed_batches: AtomicU64,
    last_error: Mutex<Option<String>>,
    wal_frames: AtomicI64,
    forced_checkpoints: AtomicU64,
    forced_checkpoints_busy: AtomicU64,
    writer_checkpoints: AtomicU64,
    writer_checkpoint_micros: AtomicU64,
}

/// A snapshot for the API.
#[derive(Debug, Clone, Serialize)]
pub struct EventLogHealthSnapshot {
    /// Whether the committer task is running.
    pub committer_running: bool,
    /// Committed transactions.
    pub batches: u64,
    /// Requests acknowledged (events, duplicates, quarantine).
    pub requests: u64,
    /// New events stored.
    pub events_stored: u64,
    /// Largest batch committed.
    pub largest_batch: u64,
    /// Duration of the last commit, microseconds.
    pub last_commit_micros: u64,
    /// Failed transactions.
    pub failed_batches: u64,
    /// The last failure, if the most recent commit failed.
    pub last_error: Option<String>,
}

impl EventLogHealth {
    pub(super) fn set_running(&self, running: bool) {
        self.committer_running.store(running, Ordering::SeqCst);
    }

    pub(super) fn set_head(&self, id: i64) {
        self.head.fetch_max(id, Ordering::SeqCst);
    }

    /// The id of the last committed event.
    pub fn head(&self) -> i64 {
        self.head.load(Ordering::SeqCst)
    }

    pub(super) fn set_catalog_head(&self, id: i64) {
        self.catalog_head.store(id, Ordering::SeqCst);
    }

    /// Committed events not yet in the catalog (listed meanwhile by
    /// scanning the log above the catalog's head).
    pub fn catalog_lag(&self) -> i64 {
        (self.head() - self.catalog_head.load(Ordering::SeqCst)).max(0)
    }

    pub(super) fn record_commit(&self, requests: usize, stored: usize, took: Duration) {
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.requests.fetch_add(requests as u64, Ordering::Relaxed);
        self.events_stored.fetch_add(stored as u64, Ordering::Relaxed);
        self.largest_batch.fetch_max(requests as u64, Ordering::Relaxed);
        self.last_commit_micros.store(took.as_micros() as u64, Ordering::Relaxed);
        *self.last_error.lock().expect("health lock") = None;
    }

    pub(super) fn set_poisoned(&self) {
        self.poisoned.store(true, Ordering::SeqCst);
    }

    /// Whether an fsync failed (the log refuses every callback until restart).
    pub fn is_poisoned(&self) -> bool {
        self.poisoned.load(Ordering::SeqCst)
    }

    pub(super) fn record_failure(&self, error: &dyn std::fmt::Display) {
        self.failed_batches.fetch_add(1, Ordering::Relaxed);
        *self.last_error.lock().expect("health lock") = Some(error.to_string());
    }

    pub(super) fn set_wal_frames(&self, frames: i64) {
        self.wal_frames.store(frames, Ordering::Relaxed);
    }

    pub(super) fn record_forced_checkpoint(&self, completed: bool) {
        self.forced_checkpoints.fetch_add(1, Ordering::Relaxed);
        if !completed {
            self.forced_checkpoints_busy.fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(super) fn record_writer_checkpoint(&self, finished: bool, took: Duration) {
        if finished {
            self.writer_checkpoints.fetch_add(1, Ordering::Relaxed);
        }
        self.writer_checkpoint_micros.fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    /// Checkpoints the writer finished between batches, and the time its
    /// attempts took in all, finished or not (callbacks arriving meanwhile
    /// waited for the next batch).
    pub fn writer_checkpoints(&self) -> (u64, Duration) {
        (
            self.writer_checkpoints.load(Ordering::Relaxed),
            Duration::from_micros(self.writer_checkpoint_micros.load(Ordering::Relaxed)),
        )
    }

    /// WAL frames after the last checkpoint, forced checkpoints, and how many
    /// of those readers kept from completing (the checkpoint not keeping up).
    pub fn wal(&self) -> (i64, u64, u64) {
        (
            self.wal_frames.load(Ordering::Relaxed),
            self.forced_checkpoints.load(Ordering::Relaxed),
            self.forced_checkpoints_busy.load(Ordering::Relaxed),
        )
    }

    /// Ready to acknowledge callbacks: the committer runs and its last commit succeeded.
    pub fn is_ready(&self) -> bool {
        self.committer_running.load(Ordering::SeqCst)
            && !self.is_poisoned()
            && self.last_error.lock().expect("health lock").is_none()
    }

    /// A consistent-enough snapshot of the counters.
    pub fn snapshot(&self) -> EventLogHealthSnapshot {
        EventLogHealthSnapshot {
            committer_running: self.committer_running.load(Ordering::SeqCst),
            batches: self.batches.load(Ordering::Relaxed),
            requests: self.requests.load(Ordering::Relaxed),
            events_stored: self.events_stored.load(Ordering::Relaxed),
            largest_batch: self.largest_batch.load(Ordering::Relaxed),
            last_commit_micros: self.last_commit_micros.load(Ordering::Relaxed),
            failed_batches: self.failed_batches.load(Ordering::Relaxed),
            last_error: self.last_error.lock().expect("health lock").clone(),
        }
    }
}
