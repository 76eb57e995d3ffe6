//! The writer thread's own SQLite connection (rusqlite): the event log's
//! only writing connection. Every statement runs on the thread that calls
//! it (no pool, no hop to a worker thread per statement or per row), and the
//! few statements there are stay prepared in the connection's cache.

use std::{cell::Cell, ffi::c_int, path::Path, time::Duration};

/// How long the writer waits for a lock another connection holds (a
/// forced checkpoint) before the batch fails and is refused (503).
const LOCK_WAIT: Duration = Duration::from_secs(5);
/// How often it looks again meanwhile.
const LOCK_RETRY: Duration = Duration::from_micros(250);

use rusqlite::{Connection, ErrorCode, OptionalExtension, TransactionBehavior, hooks::Wal, params};

use super::{LoggedEvent, NewQuarantine};
use crate::configuration::SqliteSynchronous;

/// Rows deleted per prune step (see `retention.rs`).
pub(super) const PRUNE_CHUNK: i64 = 500;

/// Why a write failed, and what that means for acknowledging.
#[derive(Debug, thiserror::Error)]
pub(super) enum WriteError {
    /// Nothing of the batch is known to be durable, and the log can go on
    /// (a full disk, a lock held too long): the batch is refused (503) and
    /// WeCom retries; the next batch first reads back what is on disk.
    #[error("{0}")]
    Retryable(rusqlite::Error),
    /// The data may or may not be on disk: an fsync failed. After a failed
    /// fsync the kernel may have dropped the dirty pages, so a later
    /// successful fsync proves nothing about them (the PostgreSQL "fsyncgate"
    /// lesson). The log stops acknowledging until the process restarts and
    /// reads the file back.
    #[error("fsync failed: {0}")]
    Sync(rusqlite::Error),
}

impl From<rusqlite::Error> for WriteError {
    fn from(error: rusqlite::Error) -> Self {
        // SQLITE_IOERR_FSYNC (1034) and SQLITE_IOERR_DIR_FSYNC (1290).
        const FSYNC: [i32; 2] = [1034, 1290];
        match &error {
            rusqlite::Error::SqliteFailure(failure, _)
                if failure.code == ErrorCode::SystemIoFailure && FSYNC.contains(&failure.extended_code) =>
            {
                Self::Sync(error)
            }
            _ => Self::Retryable(error),
        }
    }
}

/// The writer's connection.
pub(super) struct WriterDb {
    connection: Connection,
}

const INSERT_EVENT: &str = "INSERT INTO events (id, received_at_ms, channel, account, callback_type, dedupe_key, \
     user_id, source_ip, envelope_format, msg_signature, timestamp, nonce, ciphertext, plaintext, payload) \
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)";
const UPSERT_KEY: &str = "INSERT INTO dedupe_keys (dedupe_key, first_seen_ms, event_id) VALUES (?1, ?2, ?3) \
     ON CONFLICT (dedupe_key) DO UPDATE SET first_seen_ms = excluded.first_seen_ms, event_id = excluded.event_id";
const INSERT_QUARANTINE: &str = "INSERT INTO quarantine (received_at_ms, channel, account, error_code, reason, \
     content_hash, ciphertext, plaintext, source_ip) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) \
     ON CONFLICT (content_hash) DO NOTHING";

impl WriterDb {
    /// Opens the (already migrated) database at `path` for writing.
    pub fn open(path: &Path, synchronous: SqliteSynchronous) -> rusqlite::Result<Self> {
        let connection = Connection::open(path)?;
        connection.busy_handler(Some(retry_soon))?;
        connection.pragma_update(None, "journal_mode", "WAL")?;
        connection.pragma_update(
            None,
            "synchronous",
            match synchronous {
                SqliteSynchronous::Full => "FULL",
                SqliteSynchronous::Normal => "NORMAL",
            },
        )?;
        // The writer never checkpoints: `checkpoint.rs` does, off the commit path.
        connection.pragma_update(None, "wal_autocheckpoint", 0)?;
        // After the pragma, which would replace it: counts the WAL's frames.
        connection.wal_hook(Some(note_wal_frames));
        // After a checkpoint resets it, the WAL file is cut back to 64 MB.
        connection.pragma_update(None, "journal_size_limit", 67_108_864)?;
        connection.set_prepared_statement_cache_capacity(16);
        Ok(Self { connection })
    }

    /// Checkpoints whatever the WAL holds beyond what the background
    /// checkpointer already copied (see `checkpoint.rs`). Called between
    /// batches, so nothing commits meanwhile and the checkpoint can complete;
    /// then the next batch starts the WAL from its beginning. `false` when it
    /// could not complete (the background checkpoint holds the checkpoint
    /// lock, or a reader's snapshot needs older frames): tried again later.
    pub fn checkpoint(&self) -> rusqlite::Result<bool> {
        let (busy, frames, copied): (i64, i64, i64) =
            self.connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| {
                Ok((row.get(0)?, row.get(1)?, row.get(2)?))
            })?;
        let complete = busy == 0 && frames == copied;
        if complete {
            WAL_FRAMES.set(0);
        }
        Ok(complete)
    }

    /// Frames in the WAL after the last commit on this thread (the writer's).
    pub fn wal_frames(&self) -> i64 {
        WAL_FRAMES.get()
    }

    /// The highest event id stored (0 when empty).
    pub fn max_id(&self) -> rusqlite::Result<i64> {
        self.connection.query_row("SELECT COALESCE(MAX(id), 0) FROM events", [], |row| row.get(0))
    }

    /// The newest `limit` dedupe keys first seen at or after `since_ms`,
    /// newest first: `(key, first_seen_ms, event_id)`.
    pub fn recent_keys(&self, since_ms: i64, limit: usize) -> rusqlite::Result<Vec<(String, i64, i64)>> {
        let mut statement = self.connection.prepare(
            "SELECT dedupe_key, first_seen_ms, event_id FROM dedupe_keys WHERE first_seen_ms >= ?1 \
             ORDER BY first_seen_ms DESC LIMIT ?2",
        )?;
        let rows = statement
            .query_map(params![since_ms, limit as i64], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?;
        rows.collect()
    }

    /// One key's `(first_seen_ms, event_id)`, read from disk.
    pub fn find_key(&self, key: &str) -> rusqlite::Result<Option<(i64, i64)>> {
        let mut statement = self
            .connection
            .prepare_cached("SELECT first_seen_ms, event_id FROM dedupe_keys WHERE dedupe_key = ?1")?;
        statement.query_row([key], |row| Ok((row.get(0)?, row.get(1)?))).optional()
    }

    /// Writes `stored` (with their dedupe keys, first seen at `now_ms`) and
    /// `quarantined` in one transaction, and commits it: durable when this
    /// returns `Ok` (the WAL fsynced, `synchronous` permitting).
    pub fn write(
        &mut self,
        stored: &[std::sync::Arc<LoggedEvent>],
        quarantined: &[NewQuarantine],
        now_ms: i64,
    ) -> Result<(), WriteError> {
        // IMMEDIATE: take the write lock first (waiting the busy timeout for
        // a checkpoint or another connection to let go) instead of failing
        // at the first write of a read transaction.
        let transaction = self.connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut insert_event = transaction.prepare_cached(INSERT_EVENT)?;
            let mut upsert_key = transaction.prepare_cached(UPSERT_KEY)?;
            for event in stored {
                insert_event.execute(params![
                    event.id,
                    event.received_at_ms,
                    event.channel,
                    event.account,
                    event.callback_type,
                    event.dedupe_key,
                    event.user_id,
                    event.source_ip,
                    event.envelope_format,
                    event.msg_signature,
                    event.timestamp,
                    event.nonce,
                    event.ciphertext,
                    event.plaintext,
                    event.payload,
                ])?;
                upsert_key.execute(params![event.dedupe_key, now_ms, event.id])?;
            }
            if !quarantined.is_empty() {
                let mut insert_quarantine = transaction.prepare_cached(INSERT_QUARANTINE)?;
                for item in quarantined {
                    insert_quarantine.execute(params![
                        item.received_at_ms,
                        item.channel,
                        item.account,
                        item.error_code,
                        item.bounded_reason(),
                        item.content_hash(),
                        item.ciphertext,
                        item.plaintext,
                        item.source_ip,
                    ])?;
                }
            }
        }
        transaction.commit()?;
        Ok(())
    }

    /// Deletes one chunk of events received before `cutoff_ms` with an id at
    /// or below `floor`, never the newest (it carries the id high-water mark
    /// across restarts). Returns the rows deleted.
    pub fn prune_events(&self, cutoff_ms: i64, floor: i64) -> rusqlite::Result<u64> {
        let deleted = self.connection.prepare_cached(
            "DELETE FROM events WHERE id IN (SELECT id FROM events WHERE received_at_ms < ?1 AND id <= ?2 \
             AND id < (SELECT MAX(id) FROM events) ORDER BY id LIMIT ?3)",
        )?
        .execute(params![cutoff_ms, floor, PRUNE_CHUNK])?;
        Ok(deleted as u64)
    }

    /// Deletes quarantined callbacks received before `cutoff_ms`.
    pub fn prune_quarantine(&self, cutoff_ms: i64) -> rusqlite::Result<u64> {
        let deleted =
            self.connection.execute("DELETE FROM quarantine WHERE received_at_ms < ?1", [cutoff_ms])?;
        Ok(deleted as u64)
    }

    /// Deletes dedupe keys first seen before `cutoff_ms`.
    pub fn prune_keys(&self, cutoff_ms: i64) -> rusqlite::Result<u64> {
        let deleted =
            self.connection.execute("DELETE FROM dedupe_keys WHERE first_seen_ms < ?1", [cutoff_ms])?;
        Ok(deleted as u64)
    }

    /// Gives pages freed by deletes back to the filesystem.
    pub fn give_back_space(&self) -> rusqlite::Result<()> {
        // The pragma returns no rows; `execute_batch` steps it to the end.
        self.connection.execute_batch("PRAGMA incremental_vacuum")
    }
}

/// SQLite's busy handler for the writer: look again every [`LOCK_RETRY`]
/// for up to [`LOCK_WAIT`]. SQLite's own `busy_timeout` sleeps 1, 2, 5, 10,
/// 15, 20, 25, … ms between attempts, so a lock let go after 35 ms was
/// waited for 53 ms; every callback of the batch waited with it.
fn retry_soon(attempts: i32) -> bool {
    let waited = LOCK_RETRY * u32::try_from(attempts).unwrap_or(u32::MAX);
    if waited >= LOCK_WAIT {
        return false;
    }
    std::thread::sleep(LOCK_RETRY);
    true
}

thread_local! {
    /// Frames in the WAL after the last commit on this thread: the writer's
    /// connection is used on the writer thread alone, so this is its count.
    static WAL_FRAMES: Cell<i64> = const { Cell::new(0) };
}

/// SQLite's WAL hook, called on the committing thread after each commit.
fn note_wal_frames(_: &Wal, frames: c_int) -> rusqlite::Result<()> {
    WAL_FRAMES.set(i64::from(frames));
    Ok(())
}
