//! The local durable event log: SQLite in WAL mode, written only by the
//! group-commit writer thread ([`committer`], on its own rusqlite
//! connection) and read through sea-orm. A callback is acknowledged to WeCom
//! only after [`EventLog::append`] returns, i.e. after its transaction
//! committed. Duplicates (same dedupe key within the window, remembered
//! across restarts) are recognised here, by the single writer, so there is no
//! race between two deliveries of one callback. Consumers of the log read
//! the recent commits from memory ([`recent`]), the rest from SQLite.

mod catalog;
mod checkpoint;
mod committer;
mod dedupe_index;
pub mod entity;
mod health;
pub mod migration;
mod query;
mod recent;
mod retention;
mod writer_db;

use std::{fs::File, path::PathBuf, sync::Arc, time::Duration};

use sea_orm::{
    DatabaseConnection, SqlxSqliteConnector,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous as Sync},
};
use sea_orm_migration::MigratorTrait;
use sha1::{Digest, Sha1};
use tokio::sync::{Mutex, mpsc, oneshot};

pub use self::{
    committer::CommitHook,
    health::{EventLogHealth, EventLogHealthSnapshot},
    query::{EventFilter, EventPage},
    recent::LoggedEvent,
};
use self::{
    committer::{Committer, Request},
    dedupe_index::DedupeIndex,
    entity::event,
    migration::Migrator,
    recent::RecentEvents,
    writer_db::WriterDb,
};
use crate::{
    configuration::{SqliteSynchronous, StorageSettings},
    wecom::payload::Callback,
};

/// A stored event: a row of `events`.
pub type StoredEvent = event::Model;

/// How many callbacks may wait for the committer before handlers feel backpressure.
const QUEUE_CAPACITY: usize = 16 * 1024;

/// Dedupe keys the writer keeps in memory (a few tens of MB at most); older
/// keys within the window are looked up on disk.
const DEDUPE_INDEX_KEYS: usize = 200_000;

/// Errors of the event log. Their text is for logs, never for HTTP bodies.
#[derive(Debug, thiserror::Error)]
pub enum EventLogError {
    /// Creating the data directory or its lock failed.
    #[error("data directory {path}: {reason}")]
    DataDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The database could not be opened, migrated or queried.
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    /// The writer's own connection failed.
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The batch holding this callback failed to commit.
    #[error("the event log could not commit")]
    Commit,
    /// The committer has stopped (shutting down).
    #[error("the event log is closed")]
    Closed,
}

/// A callback to store.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Arrival time, Unix milliseconds.
    pub received_at_ms: i64,
    /// `wechat_api` or `wechat_bot`.
    pub channel: String,
    /// The account (`default` unless set).
    pub account: String,
    /// Dotted type label.
    pub callback_type: String,
    /// Dedupe key.
    pub dedupe_key: String,
    /// The member, if any.
    pub user_id: Option<String>,
    /// The peer address.
    pub source_ip: Option<String>,
    /// `xml` or `json`.
    pub envelope_format: String,
    /// Query `msg_signature`.
    pub msg_signature: String,
    /// Query `timestamp`.
    pub timestamp: String,
    /// Query `nonce`.
    pub nonce: String,
    /// The ciphertext as received.
    pub ciphertext: String,
    /// The decrypted document.
    pub plaintext: String,
    /// The typed payload as JSON.
    pub payload: String,
    /// The typed callback (WeCom callbacks), handed to consumers from memory
    /// with the committed row; not stored (the plaintext is).
    pub callback: Option<Arc<Callback>>,
}

impl NewEvent {
    /// An event that did not come from WeCom (a registration, a signed
    /// status callback): no ciphertext and no WeCom signature, JSON payload,
    /// account `default` (see [`NewEvent::for_account`]).
    pub fn internal(
        channel: &str,
        callback_type: &str,
        dedupe_key: String,
        source_ip: Option<String>,
        payload: String,
    ) -> Self {
        Self {
            received_at_ms: chrono::Utc::now().timestamp_millis(),
            channel: channel.to_owned(),
            account: crate::accounts::DEFAULT_ACCOUNT.to_owned(),
            callback_type: callback_type.to_owned(),
            dedupe_key,
            user_id: None,
            source_ip,
            envelope_format: "json".to_owned(),
            msg_signature: String::new(),
            timestamp: String::new(),
            nonce: String::new(),
            ciphertext: String::new(),
            plaintext: String::new(),
            payload,
            callback: None,
        }
    }

    /// The same event, carried by `account`.
    pub fn for_account(mut self, account: &str) -> Self {
        account.clone_into(&mut self.account);
        self
    }

    pub(super) fn into_logged(self, id: i64) -> LoggedEvent {
        let row = event::Model {
            id,
            received_at_ms: self.received_at_ms,
            channel: self.channel,
            account: self.account,
            callback_type: self.callback_type,
            dedupe_key: self.dedupe_key,
            user_id: self.user_id,
            source_ip: self.source_ip,
            envelope_format: self.envelope_format,
            msg_signature: self.msg_signature,
            timestamp: self.timestamp,
            nonce: self.nonce,
            ciphertext: self.ciphertext,
            plaintext: self.plaintext,
            payload: self.payload,
        };
        LoggedEvent { row, callback: self.callback }
    }
}

/// An authenticated callback that could not be parsed, kept for inspection.
#[derive(Debug, Clone)]
pub struct NewQuarantine {
    /// Arrival time, Unix milliseconds.
    pub received_at_ms: i64,
    /// `wechat_api` or `wechat_bot`.
    pub channel: String,
    /// The account whose credentials verified it.
    pub account: String,
    /// The -400xx code it was refused with.
    pub error_code: i32,
    /// Why.
    pub reason: String,
    /// The ciphertext as received.
    pub ciphertext: String,
    /// The decrypted document.
    pub plaintext: String,
    /// The peer address.
    pub source_ip: Option<String>,
}

impl NewQuarantine {
    /// Identifies a quarantined callback: WeCom's retries are kept once.
    fn content_hash(&self) -> String {
        hex::encode(Sha1::digest(self.ciphertext.as_bytes()))
    }

    /// The reason, cut to its column's 255 characters.
    fn bounded_reason(&self) -> String {
        self.reason.chars().take(255).collect()
    }
}

/// Longest dedupe key stored as is (the column holds 255).
const MAX_PLAIN_DEDUPE_KEY: usize = 160;

/// A dedupe key that fits its column without merging distinct keys: a long
/// one (a WeCom `view` event carries its URL) keeps a readable prefix and a
/// hash of the whole key, so keys that differ only after the prefix stay distinct.
fn bounded_dedupe_key(key: String) -> String {
    if key.len() <= MAX_PLAIN_DEDUPE_KEY {
        return key;
    }
    let prefix: String = key.chars().take(MAX_PLAIN_DEDUPE_KEY / 2).collect();
    format!("{prefix}…{}", hex::encode(Sha1::digest(key.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_dedupe_keys_fit_the_column_and_stay_distinct() {
        let long = "evt:u:1:view:https://example.com/".to_owned() + &"p".repeat(300);
        let (first, second) =
            (bounded_dedupe_key(format!("{long}1")), bounded_dedupe_key(format!("{long}2")));
        assert_ne!(first, second);
        assert!(first.len() < 255);
        assert_eq!(bounded_dedupe_key("msgid:1".into()), "msgid:1", "short keys are unchanged");
    }
}

/// What [`EventLog::append`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppendOutcome {
    /// Committed as a new event.
    Stored {
        /// Its id.
        id: i64,
    },
    /// A retry of an event already stored within the window.
    Duplicate {
        /// The id of the event stored the first time.
        first_event_id: i64,
    },
}

/// A cheap, cloneable handle on the event log.
#[derive(Clone)]
pub struct EventLog {
    requests: mpsc::Sender<Request>,
    reader: DatabaseConnection,
    health: Arc<EventLogHealth>,
    /// The latest commits, handed to consumers without reading SQLite.
    recent: Arc<RecentEvents>,
    /// Resolves when the writer thread has drained and stopped.
    stopped: Arc<Mutex<Option<oneshot::Receiver<()>>>>,
    /// Stops the catalog's thread, and resolves when it has.
    catalog: Arc<Mutex<Option<catalog::CatalogThread>>>,
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    /// Set by the disk sampler below half of `storage.min_free_bytes`.
    disk_low: Arc<std::sync::atomic::AtomicBool>,
    // Held for the life of the process: a second service on the same data
    // directory would assign colliding ids.
    _lock: Arc<File>,
}

/// This data directory's event log identity: a random name created once and
/// kept in `instance_id`. Event ids are unique only within one event log, so
/// anything shared between replicas (a MySQL checkpoint) is keyed by it.
pub fn instance_id(data_dir: &std::path::Path) -> Result<String, EventLogError> {
    let path = data_dir.join("instance_id");
    let data_dir_error = |reason: String| EventLogError::DataDir { path: data_dir.to_owned(), reason };
    match std::fs::read_to_string(&path) {
        Ok(id) if !id.trim().is_empty() => return Ok(id.trim().to_owned()),
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(error) => return Err(data_dir_error(error.to_string())),
    }
    std::fs::create_dir_all(data_dir).map_err(|error| data_dir_error(error.to_string()))?;
    let id = hex::encode(rand::random::<[u8; 8]>());
    std::fs::write(&path, format!("{id}\n")).map_err(|error| data_dir_error(error.to_string()))?;
    Ok(id)
}

impl EventLog {
    /// Opens (creating and migrating) the event log in `settings.data_dir` and
    /// starts its writer thread. `on_commit` receives every committed batch.
    pub async fn open(settings: &StorageSettings, on_commit: CommitHook) -> Result<Self, EventLogError> {
        Self::open_with(settings, on_commit, DEDUPE_INDEX_KEYS).await
    }

    /// [`EventLog::open`] with at most `index_keys` dedupe keys in memory.
    pub(crate) async fn open_with(
        settings: &StorageSettings,
        on_commit: CommitHook,
        index_keys: usize,
    ) -> Result<Self, EventLogError> {
        let data_dir = &settings.data_dir;
        let data_dir_error = |reason: String| EventLogError::DataDir { path: data_dir.clone(), reason };
        std::fs::create_dir_all(data_dir).map_err(|error| data_dir_error(error.to_string()))?;
        let lock = File::create(data_dir.join("pmc-webhook.lock"))
            .map_err(|error| data_dir_error(error.to_string()))?;
        lock.try_lock().map_err(|_| data_dir_error("is in use by another pmc-webhook process".to_owned()))?;

        let path = data_dir.join("events.db");
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(match settings.sqlite_synchronous {
                SqliteSynchronous::Full => Sync::Full,
                SqliteSynchronous::Normal => Sync::Normal,
            })
            .busy_timeout(Duration::from_secs(5))
            .statement_cache_capacity(48)
            .pragma("journal_size_limit", "67108864");
        let connect = |connections: u32, options: SqliteConnectOptions, pool: SqlitePoolOptions| async move {
            crate::sqlite_pool::guarded(pool)
                .max_connections(connections)
                .min_connections(1)
                .connect_with(options)
                .await
                .map_err(|error| {
                    EventLogError::Database(sea_orm::DbErr::Conn(sea_orm::RuntimeErr::SqlxError(
                        error.into(),
                    )))
                })
        };
        // Schema changes go through sea-orm once, at start; from then on the
        // writer thread's own connection is the only one that writes.
        let migrator = SqlxSqliteConnector::from_sqlx_sqlite_pool(
            connect(1, options.clone().pragma("wal_autocheckpoint", "0"), SqlitePoolOptions::new()).await?,
        );
        crate::sqlite_pool::ensure_incremental_vacuum(&migrator).await?;
        Migrator::up(&migrator, None).await?;
        migrator.close().await?;
        let catalog_connection = catalog::open(data_dir, &path)?;
        let reader = SqlxSqliteConnector::from_sqlx_sqlite_pool(
            connect(4, options, catalog::attached(SqlitePoolOptions::new(), data_dir)).await?,
        );

        let db = WriterDb::open(&path, settings.sqlite_synchronous)?;
        let last_id = db.max_id()?;
        let dedupe_window_ms = (settings.dedupe_window_secs as i64).saturating_mul(1000);
        let window_start = chrono::Utc::now().timestamp_millis() - dedupe_window_ms;
        let index = DedupeIndex::rebuilt(index_keys, window_start, db.recent_keys(window_start, index_keys)?);
        let health = Arc::new(EventLogHealth::default());
        health.set_head(last_id);
        let recent = Arc::new(RecentEvents::new(last_id, recent::RECENT_BYTES, recent::RECENT_EVENTS));
        let catalog_writer =
            catalog::CatalogWriter::new(catalog_connection, Arc::clone(&recent), Arc::clone(&health))?;
        let catalog_thread = catalog::start(catalog_writer)
            .map_err(|error| data_dir_error(format!("cannot start the catalog thread: {error}")))?;
        let (sender, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let (closing, closing_receiver) = tokio::sync::watch::channel(false);
        let checkpoint_nudge = Arc::new(tokio::sync::Notify::new());
        tokio::spawn(checkpoint::run(
            path.clone(),
            Arc::clone(&health),
            closing_receiver,
            Arc::clone(&checkpoint_nudge),
        ));
        let committer = Committer {
            db: Some(db),
            path,
            synchronous: settings.sqlite_synchronous,
            requests: receiver,
            next_id: last_id + 1,
            dedupe_window_ms,
            max_batch: settings.group_commit_max_batch.max(1),
            max_wait: Duration::from_micros(settings.group_commit_max_wait_micros),
            on_commit,
            health: Arc::clone(&health),
            recent: Arc::clone(&recent),
            index,
            index_capacity: index_keys,
            resync_needed: false,
            checkpoint_nudge,
            nudged: false,
            last_checkpoint: std::time::Instant::now(),
        };
        health.set_running(true);
        let (stopped_sender, stopped) = oneshot::channel();
        let thread_health = Arc::clone(&health);
        std::thread::Builder::new()
            .name("event-log-writer".to_owned())
            .spawn(move || {
                // Dropped on return or panic: `close` never waits forever.
                let _stopped = stopped_sender;
                committer.run();
                thread_health.set_running(false);
            })
            .map_err(|error| data_dir_error(format!("cannot start the writer thread: {error}")))?;
        Ok(Self {
            requests: sender,
            reader,
            health,
            recent,
            stopped: Arc::new(Mutex::new(Some(stopped))),
            catalog: Arc::new(Mutex::new(Some(catalog_thread))),
            closing: Arc::new(closing),
            disk_low: Arc::default(),
            _lock: Arc::new(lock),
        })
    }

    /// Stores a callback; returns once its batch has committed.
    pub async fn append(&self, mut new_event: NewEvent) -> Result<AppendOutcome, EventLogError> {
        new_event.dedupe_key = bounded_dedupe_key(new_event.dedupe_key);
        let (reply, outcome) = oneshot::channel();
        self.requests
            .send(Request::Event(Box::new(new_event), reply))
            .await
            .map_err(|_| EventLogError::Closed)?;
        outcome.await.map_err(|_| EventLogError::Closed)?
    }

    /// Keeps an authenticated but unparseable callback; returns once committed.
    pub async fn quarantine(&self, item: NewQuarantine) -> Result<(), EventLogError> {
        let (reply, outcome) = oneshot::channel();
        self.requests
            .send(Request::Quarantine(Box::new(item), reply))
            .await
            .map_err(|_| EventLogError::Closed)?;
        outcome.await.map_err(|_| EventLogError::Closed)?
    }

    /// The id of the last committed event (0 when empty).
    pub fn head(&self) -> i64 {
        self.health.head()
    }

    /// Health and counters.
    pub fn health(&self) -> &EventLogHealth {
        &self.health
    }

    /// Stops accepting callbacks (later appends get [`EventLogError::Closed`]),
    /// commits everything already queued, and waits for the committer.
    pub async fn close(&self) {
        let _ = self.closing.send(true);
        // Queued behind everything already accepted; fails once the writer stopped.
        let _ = self.requests.send(Request::Close).await;
        let stopped = self.stopped.lock().await.take();
        if let Some(stopped) = stopped {
            let _ = stopped.await;
        }
        // After the writer: the catalog then holds everything committed.
        let catalog = self.catalog.lock().await.take();
        if let Some(catalog) = catalog {
            catalog.finish().await;
        }
    }
}
