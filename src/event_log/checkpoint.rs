//! Checkpoints of the event log's WAL, off the commit path.
//!
//! SQLite's default checkpoints the WAL inside the commit that pushes it past
//! 1000 pages: that commit copies ~4 MB into the database file and fsyncs
//! it while every callback of its batch waits for its 200. Under load that
//! happens several times a second, and those stalls were the tail of the
//! acknowledgement latency. The committer's connection therefore has
//! automatic checkpoints off (`wal_autocheckpoint=0`), and this task runs
//! PASSIVE checkpoints through its own connection instead: they never block
//! the writer, and the writer still restarts the WAL from its beginning once
//! a checkpoint has caught up, so the file does not grow without bound.
//!
//! Under sustained load a background checkpoint never catches up, though:
//! the writer commits while it copies, so the WAL is never wholly in the
//! file when the writer begins its next batch, the WAL never restarts, and
//! it grew to the forced bound (64 MB) every 1.3 s at 3 400 callbacks/s. The
//! forced `TRUNCATE` then held SQLite's write lock for 35–150 ms, and every
//! callback arriving meanwhile waited: that was the p99 at half load. So the
//! writer wakes this task when the WAL is half of [`RESTART_FRAMES`], and
//! once it passes them the writer finishes the checkpoint itself between two
//! batches (the frames committed since this one copied the bulk; nothing
//! commits meanwhile, so it completes) and its next batch starts the WAL from
//! its beginning. The forced `TRUNCATE` stays for a reader holding an old
//! snapshot, which no checkpoint may overtake.

use std::{path::PathBuf, sync::Arc, time::Duration};

use rusqlite::Connection;
use tokio::sync::{Notify, watch};

use super::EventLogHealth;

/// How often the WAL is checkpointed when something was committed since.
pub(super) const CHECKPOINT_INTERVAL: Duration = Duration::from_millis(250);

/// WAL frames (pages) past which a checkpoint that readers keep from
/// finishing is forced (`TRUNCATE`): about 64 MB of 4 KiB pages. Without it
/// the WAL grew without bound under sustained load (196 MB after 27 000
/// callbacks), and every read slowed with it.
const WAL_FRAMES_LIMIT: i64 = 16_384;

/// WAL frames (about 16 MB) past which the writer finishes the checkpoint
/// and the WAL restarts. Lower means a smaller WAL and more pauses of the
/// writer (each the copy of what was committed since this task's checkpoint
/// and two fsyncs).
pub(super) const RESTART_FRAMES: i64 = 4_096;

/// How long a forced checkpoint waits for readers to move on.
const FORCED_WAIT: Duration = Duration::from_secs(5);

/// Checkpoints while the event log is open; one last time when it closes.
///
/// Its own rusqlite connection, used on a blocking thread: a pooled sqlx
/// connection would hop to its worker thread per statement, and nothing
/// here may hold a read snapshot between checkpoints (one would keep every
/// checkpoint from finishing and the WAL from restarting).
pub(super) async fn run(
    path: PathBuf,
    health: Arc<EventLogHealth>,
    mut closing: watch::Receiver<bool>,
    nudge: Arc<Notify>,
) {
    let mut connection = match open(&path) {
        Ok(connection) => connection,
        Err(error) => {
            tracing::error!(error = %error, "Cannot open the event log for checkpoints; the WAL is checkpointed only when it passes its bound.");
            return;
        }
    };
    let mut checkpointed = health.head();
    loop {
        let closed = tokio::select! {
            _ = tokio::time::sleep(CHECKPOINT_INTERVAL) => false,
            _ = nudge.notified() => false,
            _ = closing.wait_for(|closed| *closed) => true,
        };
        if closed {
            checkpoint(connection, &health).await;
            return;
        }
        let current = health.head();
        // Also while the WAL still holds frames: a prune writes without
        // moving the head, and its pages must reach the file (and the WAL be
        // reset) even when no callback arrives.
        if current != checkpointed || health.wal().0 > 0 {
            match checkpoint(connection, &health).await {
                Some(kept) => connection = kept,
                None => return,
            }
            checkpointed = current;
        }
    }
}

fn open(path: &std::path::Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    connection.busy_timeout(FORCED_WAIT)?;
    Ok(connection)
}

/// Runs `pragma` on the connection on a blocking thread; returns the
/// connection back (`None` if the thread panicked) and the pragma's row.
async fn pragma(
    connection: Connection,
    pragma: &'static str,
) -> Option<(Connection, rusqlite::Result<[i64; 3]>)> {
    tokio::task::spawn_blocking(move || {
        let row = connection.query_row(pragma, [], |row| Ok([row.get(0)?, row.get(1)?, row.get(2)?]));
        (connection, row)
    })
    .await
    .inspect_err(|error| tracing::error!(error = %error, "The event log's checkpointer stopped; the writer still restarts the WAL."))
    .ok()
}

async fn checkpoint(connection: Connection, health: &EventLogHealth) -> Option<Connection> {
    let (connection, row) = pragma(connection, "PRAGMA wal_checkpoint(PASSIVE)").await?;
    let frames = match row {
        Ok([_, frames, _]) => frames,
        Err(error) => {
            tracing::warn!(error = %error, "WAL checkpoint of the event log failed.");
            return Some(connection);
        }
    };
    health.set_wal_frames(frames);
    if frames <= WAL_FRAMES_LIMIT {
        return Some(connection);
    }
    // Waits (busy timeout) for readers to move to the newest snapshot, then
    // copies everything back and truncates the WAL to zero.
    let (connection, row) = pragma(connection, "PRAGMA wal_checkpoint(TRUNCATE)").await?;
    match row {
        Ok([busy, _, _]) => {
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
    Some(connection)
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

    fn wal_len(dir: &std::path::Path) -> u64 {
        std::fs::metadata(dir.join("events.db-wal")).map_or(0, |meta| meta.len())
    }

    /// 48 MB written without a pause: without the writer finishing the
    /// checkpoint the WAL never restarts (a background checkpoint never
    /// catches up with a busy writer) and grows to the forced bound; with
    /// it the WAL file stays near `RESTART_FRAMES` pages.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn under_constant_writes_the_wal_restarts_instead_of_growing() {
        let dir = tempfile::tempdir().unwrap();
        let settings = StorageSettings { data_dir: dir.path().to_owned(), ..StorageSettings::default() };
        let log =
            EventLog::open(&settings, Arc::new(|_: &[Arc<crate::event_log::LoggedEvent>]| {})).await.unwrap();
        let written = 12_000;
        let appenders: Vec<_> = (0..16)
            .map(|appender| {
                let log = log.clone();
                tokio::spawn(async move {
                    for n in (appender..written).step_by(16) {
                        let event = NewEvent::internal(
                            "status",
                            "status.sent",
                            format!("key-{n}"),
                            None,
                            "x".repeat(4096),
                        );
                        log.append(event).await.unwrap();
                    }
                })
            })
            .collect();
        let deadline = tokio::time::Duration::from_secs(120);
        tokio::time::timeout(deadline, futures::future::try_join_all(appenders)).await.unwrap().unwrap();
        let (restarts, paused) = log.health().writer_checkpoints();
        let (_, forced, _) = log.health().wal();
        let limit = (super::RESTART_FRAMES as u64) * 4096 * 2;
        assert!(
            wal_len(dir.path()) < limit,
            "WAL {} bytes after {written} events of 4 KiB (writer checkpoints: {restarts}, forced: {forced})",
            wal_len(dir.path())
        );
        assert!(restarts >= 1 && forced == 0, "writer checkpoints {restarts} ({paused:?}), forced {forced}");
        log.close().await;
    }
}
