//! Pruning the event log (called by `crate::retention`): old callbacks that
//! every consumer has processed, old quarantine, then the freed pages given
//! back to the filesystem.

use sea_orm::{ConnectionTrait, DbBackend, Statement};

use super::{EventLog, EventLogError};

/// Rows deleted per statement: each holds SQLite's write lock briefly, so the
/// committer (busy timeout 5 s) never waits long behind a prune.
const CHUNK: i64 = 500;

impl EventLog {
    /// Deletes events received before `cutoff_ms` with an id at or below
    /// `floor` (what every consumer has processed). The newest event is
    /// always kept: it carries the id high-water mark across restarts, so
    /// ids are never reused. Returns how many were deleted.
    pub async fn prune_events(&self, cutoff_ms: i64, floor: i64) -> Result<u64, EventLogError> {
        let mut total = 0;
        loop {
            let deleted = self
                .reader
                .execute_raw(Statement::from_sql_and_values(
                    DbBackend::Sqlite,
                    "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at_ms < ? AND id <= ? \
                     AND id < (SELECT MAX(id) FROM events) ORDER BY id LIMIT ?)",
                    [cutoff_ms.into(), floor.into(), CHUNK.into()],
                ))
                .await?
                .rows_affected();
            total += deleted;
            if deleted < CHUNK as u64 {
                return Ok(total);
            }
        }
    }

    /// Deletes quarantined callbacks received before `cutoff_ms`.
    pub async fn prune_quarantine(&self, cutoff_ms: i64) -> Result<u64, EventLogError> {
        Ok(self
            .reader
            .execute_raw(Statement::from_sql_and_values(
                DbBackend::Sqlite,
                "DELETE FROM quarantine WHERE received_at_ms < ?",
                [cutoff_ms.into()],
            ))
            .await?
            .rows_affected())
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

    /// Gives the pages freed by pruning back to the filesystem.
    pub async fn give_back_space(&self) {
        crate::sqlite_pool::give_back_space(&self.reader).await;
    }

    /// Refuses (or accepts again) new callbacks for lack of disk space.
    pub fn set_disk_low(&self, low: bool) {
        self.disk_low.store(low, std::sync::atomic::Ordering::Relaxed);
    }
}
