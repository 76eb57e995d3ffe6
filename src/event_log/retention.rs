//! Pruning the event log (called by `crate::retention`): old callbacks that
//! every consumer has processed, old quarantine, then the freed pages given
//! back to the filesystem.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{
    EventLog, EventLogError,
    committer::{Maintenance, Request},
    writer_db::PRUNE_CHUNK,
};

impl EventLog {
    /// Deletes events received before `cutoff_ms` with an id at or below
    /// `floor` (what every consumer has processed). The newest event is
    /// always kept: it carries the id high-water mark across restarts, so
    /// ids are never reused. Returns how many were deleted. Runs on the
    /// writer thread, between batches.
    pub async fn prune_events(&self, cutoff_ms: i64, floor: i64) -> Result<u64, EventLogError> {
        let mut total = 0;
        loop {
            let deleted = self.maintain(Maintenance::PruneEvents { cutoff_ms, floor }).await?;
            total += deleted;
            // A prune is cut into chunks, so that callbacks queued behind it wait
            // milliseconds, not the whole prune.
            if deleted < PRUNE_CHUNK as u64 {
                return Ok(total);
            }
        }
    }

    /// Deletes quarantined callbacks received before `cutoff_ms`.
    pub async fn prune_quarantine(&self, cutoff_ms: i64) -> Result<u64, EventLogError> {
        self.maintain(Maintenance::PruneQuarantine { cutoff_ms }).await
    }

    /// Gives the pages freed by pruning back to the filesystem.
    pub async fn give_back_space(&self) -> Result<u64, EventLogError> {
        self.maintain(Maintenance::Vacuum).await
    }

    async fn maintain(&self, work: Maintenance) -> Result<u64, EventLogError> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.requests.send(Request::Maintenance(work, reply)).await.map_err(|_| EventLogError::Closed)?;
        outcome.await.map_err(|_| EventLogError::Closed)?
    }

    /// The smallest event id still stored (0 when empty).
    pub async fn first_id(&self) -> Result<i64, EventLogError> {
        let row = self
            .reader
            .query_one_raw(Statement::from_string(
                DbBackend::Sqlite,
                "SELECT COALESCE(MIN(id), 0) FROM events",
            ))
            .await?;
        Ok(row.and_then(|row| row.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
    }

    /// Refuses (or accepts again) new callbacks for lack of disk space.
    pub fn set_disk_low(&self, low: bool) {
        self.disk_low.store(low, std::sync::atomic::Ordering::Relaxed);
    }

    /// Whether callbacks are refused for lack of disk space (see `crate::retention`).
    pub fn is_disk_low(&self) -> bool {
        self.disk_low.load(std::sync::atomic::Ordering::Relaxed)
    }
}
