//! Checkpoints of the event log's WAL, off the commit path.
//!
//! SQLite's default checkpoints the WAL inside the commit that pushes it past
//! 1000 pages: that commit copies ~4 MB into the database file and fsyncs
//! it while every callback of its batch waits for its 200. Under load that
//! happens several times a second, and those stalls were the tail of the
//! acknowledgement latency. The committer's connection therefore has
//! automatic checkpoints off (`wal_autocheckpoint=0`), and this task runs
//! PASSIVE checkpoints through a reader connection instead: they never block
//! the writer, and the writer still restarts the WAL from its beginning once
//! a checkpoint has caught up, so the file does not grow without bound.

use std::{sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use tokio::sync::watch;

use super::EventLogHealth;

/// How often the WAL is checkpointed when something was committed since.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// Checkpoints while the event log is open; one last time when it closes.
pub(super) async fn run(
    db: DatabaseConnection,
    health: Arc<EventLogHealth>,
    mut closing: watch::Receiver<bool>,
) {
    let mut checkpointed = health.head();
    loop {
        let closed = tokio::select! {
            _ = tokio::time::sleep(CHECKPOINT_INTERVAL) => false,
            _ = closing.wait_for(|closed| *closed) => true,
        };
        if closed {
            checkpoint(&db, &health).await;
            return;
        }
        let current = health.head();
        // Also while the WAL still holds frames: a prune writes without
        // moving the head, and its pages must reach the file (and the WAL be
        // reset) even when no callback arrives.
        if current != checkpointed || health.wal().0 > 0 {
            checkpoint(&db, &health).await;
            checkpointed = current;
        }
    }
}

/// WAL frames (pages) past which a checkpoint that readers keep from
/// finishing is forced (`TRUNCATE`): about 64 MB of 4 KiB pages. Without it
/// the WAL grew without bound under sustained load (196 MB after 27 000
/// callbacks), and every read slowed with it.
const WAL_FRAMES_LIMIT: i64 = 16_384;

async fn checkpoint(db: &DatabaseConnection, health: &EventLogHealth) {
    let passive = Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(PASSIVE)");
    let frames = match db.query_one_raw(passive).await {
        Ok(row) => row.and_then(|row| row.try_get_by_index::<i64>(1).ok()).unwrap_or(0),
        Err(error) => {
            tracing::warn!(error = %error, "WAL checkpoint of the event log failed.");
            return;
        }
    };
    health.set_wal_frames(frames);
    if frames > WAL_FRAMES_LIMIT {
        // Waits (busy timeout) for readers to move to the newest snapshot, then
        // copies everything back and truncates the WAL to zero.
        let truncate = Statement::from_string(db.get_database_backend(), "PRAGMA wal_checkpoint(TRUNCATE)");
        match db.query_one_raw(truncate).await {
            Ok(row) => {
                let busy = row.and_then(|row| row.try_get_by_index::<i64>(0).ok()).unwrap_or(1);
                health.record_forced_checkpoint(busy == 0);
                if busy == 0 {
                    health.set_wal_frames(0);
                }
            }
            Err(error) => {
                health.record_forced_checkpoint(false);
                tracing::warn!(error = %error, frames, "Forced WAL checkpoint of the event log failed.");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::CHECKPOINT_INTERVAL;
    use crate::{
        configuration::StorageSettings,
        event_log::{EventLog, NewEvent},
    };

    fn main_file_len(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("events.db")).unwrap().len()
    }

    /// 300 events of 1 KB stay far below SQLite's own 1000-page threshold,
    /// so only this task can have moved them into the database file.
    #[tokio::test]
    async fn committed_events_reach_the_database_file_without_a_commit_checkpointing() {
        let dir = tempfile::tempdir().unwrap();
        let settings = StorageSettings { data_dir: dir.path().to_owned(), ..StorageSettings::default() };
        let log =
            EventLog::open(&settings, Arc::new(|_: &[Arc<crate::event_log::LoggedEvent>]| {})).await.unwrap();
        // Let the checkpointer copy the schema first, then measure.
        tokio::time::sleep(CHECKPOINT_INTERVAL * 3).await;
        let before = main_file_len(dir.path());
        for n in 0..300 {
            let event =
                NewEvent::internal("status", "status.sent", format!("key-{n}"), None, "x".repeat(1024));
            log.append(event).await.unwrap();
        }
        let deadline = tokio::time::Instant::now() + CHECKPOINT_INTERVAL * 20;
        while main_file_len(dir.path()) < before + 300 * 1024 {
            assert!(tokio::time::Instant::now() < deadline, "the WAL was not checkpointed");
            tokio::time::sleep(CHECKPOINT_INTERVAL / 2).await;
        }
        log.close().await;
    }
}
