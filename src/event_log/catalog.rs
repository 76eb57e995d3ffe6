//! The event log's catalog: the columns the events API filters on (type,
//! member, channel, account, arrival time) and their indexes, in
//! `catalog.db` beside `events.db`, written behind the log by its own
//! thread in large batches.
//!
//! Why not indexes on `events`: each of them puts a page at a random place
//! of its b-tree into every commit (the member's, the type's), so a batch
//! of 60 callbacks wrote ~60 index pages to the WAL and fsynced them on the
//! ack path. Here a batch of thousands of entries touches each index page
//! once, off the ack path, and a lost catalog write costs nothing: the
//! catalog is derived from the log and rebuilt from it (delete the file and
//! it is).
//!
//! Invariants: every event with an id at or below the catalog's `head` has
//! its entry (unless retention already pruned the event); `head` moves in
//! the transaction that inserts the entries below it. Readers therefore list
//! the catalog up to its `head` and scan the log itself above it (the few
//! events committed since the last catalog batch), so a page is never
//! missing a committed event however far the catalog lags.

use std::{
    path::{Path, PathBuf},
    sync::{Arc, mpsc},
    time::{Duration, Instant},
};

use rusqlite::{Connection, OptionalExtension, params};
use sea_orm::sqlx::sqlite::SqlitePoolOptions;

use super::{
    EventLogHealth,
    recent::{Recent, RecentEvents},
};

/// The catalog's file in the data directory.
pub(super) const FILE: &str = "catalog.db";
/// Entries inserted per transaction at most.
const BATCH: usize = 4096;
/// How long new events wait for their catalog entries at most (under load a
/// batch then holds ~100 ms of callbacks, whose index pages coalesce).
const INTERVAL: Duration = Duration::from_millis(100);
/// How often entries of pruned events are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(30);
/// How long the thread waits after a failed write (a full disk) before trying again.
const RETRY_AFTER: Duration = Duration::from_secs(1);

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS catalog_entries (
    id INTEGER PRIMARY KEY,
    received_at_ms INTEGER NOT NULL,
    channel TEXT NOT NULL,
    account TEXT NOT NULL,
    callback_type TEXT NOT NULL,
    user_id TEXT
);
CREATE INDEX IF NOT EXISTS idx_catalog_type ON catalog_entries (callback_type, id);
CREATE INDEX IF NOT EXISTS idx_catalog_user ON catalog_entries (user_id, id);
CREATE INDEX IF NOT EXISTS idx_catalog_channel ON catalog_entries (channel, id);
CREATE INDEX IF NOT EXISTS idx_catalog_account ON catalog_entries (account, id);
CREATE TABLE IF NOT EXISTS catalog_head (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 0),
    head INTEGER NOT NULL
);
INSERT OR IGNORE INTO catalog_head (singleton, head) VALUES (0, 0);
";

/// How long shutdown waits for the catalog to catch up.
const CLOSE_DEADLINE: Duration = Duration::from_secs(10);

/// One event's entry: `(id, received_at_ms, channel, account, callback_type, user_id)`.
type Entry = (i64, i64, String, String, String, Option<String>);

/// The catalog's writer: its own connection, on its own thread.
pub(super) struct CatalogWriter {
    connection: Connection,
    recent: Arc<RecentEvents>,
    health: Arc<EventLogHealth>,
    head: i64,
    last_prune: Instant,
    /// Whether the last attempt failed (logged once per streak).
    failing: bool,
}

/// The running catalog thread: its stop signal, and what resolves when it has stopped.
pub(super) struct CatalogThread {
    stop: mpsc::Sender<()>,
    stopped: tokio::sync::oneshot::Receiver<()>,
}

/// Starts `writer` on a thread of its own (`event-catalog`).
pub(super) fn start(writer: CatalogWriter) -> std::io::Result<CatalogThread> {
    let (stop, stop_receiver) = mpsc::channel();
    let (done, stopped) = tokio::sync::oneshot::channel();
    std::thread::Builder::new().name("event-catalog".to_owned()).spawn(move || {
        // Dropped on return or panic: `finish` never waits forever.
        let _done = done;
        writer.run(&stop_receiver);
    })?;
    Ok(CatalogThread { stop, stopped })
}

impl CatalogThread {
    /// Catalogues everything committed so far, then stops. The catalog is
    /// derived data, so a slow disk does not hold shutdown past the deadline.
    pub async fn finish(self) {
        let _ = self.stop.send(());
        if tokio::time::timeout(CLOSE_DEADLINE, self.stopped).await.is_err() {
            tracing::warn!(
                "The event catalog was not finished before shutdown; the next start catches it up."
            );
        }
    }
}

/// `pool` whose connections see the catalog at `data_dir` as `catalog.*`,
/// so that one read transaction spans the log and its catalog.
pub(super) fn attached(pool: SqlitePoolOptions, data_dir: &Path) -> SqlitePoolOptions {
    let catalog_path = data_dir.join(FILE).to_string_lossy().into_owned();
    pool.after_connect(move |connection, _| {
        let catalog_path = catalog_path.clone();
        Box::pin(async move {
            sea_orm::sqlx::query("ATTACH DATABASE ?1 AS catalog")
                .bind(catalog_path)
                .execute(connection)
                .await
                .map(drop)
        })
    })
}

/// The catalog at `data_dir`, opened (created, or rebuilt when it cannot be
/// read or belongs to another log) and attached to the log read-only.
pub(super) fn open(data_dir: &Path, log: &Path) -> rusqlite::Result<Connection> {
    let path = data_dir.join(FILE);
    match open_checked(&path, log) {
        Ok(connection) => Ok(connection),
        Err(error) => {
            // Derived data: start again from the log rather than refuse to start.
            tracing::warn!(%error, path = %path.display(), "The event catalog is rebuilt from the event log.");
            for suffix in ["", "-wal", "-shm"] {
                let mut file = path.clone().into_os_string();
                file.push(suffix);
                let _ = std::fs::remove_file(PathBuf::from(file));
            }
            open_checked(&path, log)
        }
    }
}

fn open_checked(path: &Path, log: &Path) -> rusqlite::Result<Connection> {
    let connection = Connection::open(path)?;
    // Before the first table exists, so that pruned entries give pages back.
    connection.pragma_update(None, "auto_vacuum", "INCREMENTAL")?;
    connection.pragma_update(None, "journal_mode", "WAL")?;
    // A write lost in a crash is caught up from the log: no fsync per batch.
    connection.pragma_update(None, "synchronous", "NORMAL")?;
    connection.pragma_update(None, "journal_size_limit", 16_777_216)?;
    connection.busy_timeout(Duration::from_secs(5))?;
    connection.execute_batch(SCHEMA)?;
    connection.execute("ATTACH DATABASE ?1 AS log", [log.to_string_lossy()])?;
    connection.set_prepared_statement_cache_capacity(8);
    if !belongs_to_log(&connection)? {
        tracing::info!("The event catalog does not match the event log; it is rebuilt from the log.");
        connection.execute_batch("DELETE FROM catalog_entries; UPDATE catalog_head SET head = 0;")?;
    }
    Ok(connection)
}

/// Whether the catalog describes this log: its head is not past the log's
/// newest event (which is never pruned), and the head's entry, where the log
/// still holds that event, agrees with it.
fn belongs_to_log(connection: &Connection) -> rusqlite::Result<bool> {
    let head: i64 = connection.query_row("SELECT head FROM catalog_head", [], |row| row.get(0))?;
    let log_head: i64 =
        connection.query_row("SELECT COALESCE(MAX(id), 0) FROM log.events", [], |row| row.get(0))?;
    if head > log_head {
        return Ok(false);
    }
    let differs: Option<i64> = connection
        .query_row(
            "SELECT 1 FROM catalog_entries c JOIN log.events e ON e.id = c.id WHERE c.id = ?1 \
             AND (e.callback_type <> c.callback_type OR e.received_at_ms <> c.received_at_ms)",
            [head],
            |row| row.get(0),
        )
        .optional()?;
    Ok(differs.is_none())
}

impl CatalogWriter {
    /// A writer on `connection` (see [`open`]), fed from `recent`.
    pub fn new(
        connection: Connection,
        recent: Arc<RecentEvents>,
        health: Arc<EventLogHealth>,
    ) -> rusqlite::Result<Self> {
        let head = connection.query_row("SELECT head FROM catalog_head", [], |row| row.get(0))?;
        health.set_catalog_head(head);
        Ok(Self { connection, recent, health, head, last_prune: Instant::now(), failing: false })
    }

    /// Catalogues what the log commits until `stop` is dropped or sent to,
    /// then everything committed by then.
    pub fn run(mut self, stop: &mpsc::Receiver<()>) {
        loop {
            let stopping = !matches!(stop.recv_timeout(INTERVAL), Err(mpsc::RecvTimeoutError::Timeout));
            match self.catch_up() {
                Ok(()) => {
                    if self.failing {
                        tracing::info!("The event catalog is written again.");
                    }
                    self.failing = false;
                }
                Err(error) => {
                    if !self.failing {
                        tracing::warn!(%error, "The event catalog could not be written; listing by type or member scans the log meanwhile.");
                    }
                    self.failing = true;
                    if stopping {
                        return;
                    }
                    if matches!(stop.recv_timeout(RETRY_AFTER), Err(mpsc::RecvTimeoutError::Timeout)) {
                        continue;
                    }
                    return;
                }
            }
            if stopping {
                return;
            }
        }
    }

    /// Writes entries up to the log's head, and prunes now and then.
    fn catch_up(&mut self) -> rusqlite::Result<()> {
        while self.head < self.health.head() {
            let entries = self.next_entries()?;
            let Some(last) = entries.last().map(|entry| entry.0) else { break };
            self.write(&entries, last)?;
            self.head = last;
            self.health.set_catalog_head(last);
        }
        if self.last_prune.elapsed() >= PRUNE_INTERVAL {
            self.prune()?;
            self.last_prune = Instant::now();
        }
        Ok(())
    }

    /// The next entries after the head: from memory while the log's recent
    /// commits are there, else read from the log (at start, after a lag).
    fn next_entries(&self) -> rusqlite::Result<Vec<Entry>> {
        if let Recent::Events(events) = self.recent.after_uncounted(self.head, BATCH) {
            return Ok(events
                .iter()
                .map(|event| {
                    (
                        event.id,
                        event.received_at_ms,
                        event.channel.clone(),
                        event.account.clone(),
                        event.callback_type.clone(),
                        event.user_id.clone(),
                    )
                })
                .collect());
        }
        let mut statement = self.connection.prepare_cached(
            "SELECT id, received_at_ms, channel, account, callback_type, user_id FROM log.events \
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = statement.query_map(params![self.head, BATCH as i64], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?, row.get(4)?, row.get(5)?))
        })?;
        rows.collect()
    }

    fn write(&mut self, entries: &[Entry], head: i64) -> rusqlite::Result<()> {
        let transaction = self.connection.transaction()?;
        {
            let mut insert = transaction.prepare_cached(
                "INSERT OR REPLACE INTO catalog_entries (id, received_at_ms, channel, account, callback_type, \
                 user_id) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (id, received_at_ms, channel, account, callback_type, user_id) in entries {
                insert.execute(params![id, received_at_ms, channel, account, callback_type, user_id])?;
            }
            transaction.prepare_cached("UPDATE catalog_head SET head = ?1")?.execute([head])?;
        }
        transaction.commit()
    }

    /// Deletes the entries of events retention pruned, and gives their pages back.
    fn prune(&self) -> rusqlite::Result<()> {
        let deleted = self.connection.execute(
            "DELETE FROM catalog_entries WHERE id < (SELECT COALESCE(MIN(id), 0) FROM log.events)",
            [],
        )?;
        if deleted > 0 {
            self.connection.execute_batch("PRAGMA main.incremental_vacuum")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
