//! [`SqlTrackingStore`]: the actors' [`TrackingStore`] over sea-orm, one
//! code path for both backends. In the embedded default it is a SQLite file
//! beside the event log (`tracking.db`); everything in it can be rebuilt
//! from the event log by replay, which is why it commits without fsync
//! (`synchronous=NORMAL`). In external mode it is MySQL (or MariaDB), with
//! the same migrations and statements, and may be shared by several
//! replicas: their rows are keyed by origin (instance id), message states
//! are compare-and-set by revision ([`write`]), and each callback is applied
//! by the one replica that claims its dedupe key first ([`claims`]).

mod claims;
mod prune;
mod write;

use std::{path::Path, time::Duration};

use pmc_actors::StoreError;
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DbBackend, EntityTrait, SqlxSqliteConnector,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};

pub use self::claims::{ClaimCache, Claimed};
use super::{entity::checkpoint, migration::Migrator};

/// Prepared statements cached per connection: every insert shape
/// (5 tables × 9 chunk sizes, see [`crate::sql_chunks`]) and the queries.
const STATEMENT_CACHE: usize = 64;

/// The tracking store.
#[derive(Clone)]
pub struct SqlTrackingStore {
    db: DatabaseConnection,
    /// This service's instance id: the origin of the rows it writes.
    origin: String,
    /// Names the database (host, port, name; no credentials) in keys cached
    /// elsewhere, so deployments sharing one Redis never mix their claims.
    scope: String,
    /// The row of `checkpoints` this service's event log is tracked by.
    checkpoint_name: String,
    /// Told the ids of the messages each committed write changed (the
    /// cache forgets their answers).
    on_write: Option<WriteHook>,
    /// Where the store is, for errors and the status: the MySQL URL with
    /// its password redacted, or the SQLite file.
    endpoint: String,
}

/// Called after each committed write with the ids of the messages it changed.
pub type WriteHook = std::sync::Arc<dyn Fn(Vec<String>) + Send + Sync>;

/// Cuts a value to its column's length (in characters, as MySQL counts):
/// an over-long value from a custom source must not make a batch fail
/// forever in MySQL (SQLite would store it whole).
pub(super) fn clamp(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

/// A short stable name of a database URL without its credentials.
fn database_scope(url: &str) -> String {
    use sha1::Digest;
    let place = match url::Url::parse(url) {
        Ok(url) => format!("{}:{}{}", url.host_str().unwrap_or(""), url.port().unwrap_or(3306), url.path()),
        Err(_) => String::new(),
    };
    hex::encode(&sha1::Sha1::digest(place.as_bytes())[..6])
}

pub(super) fn store_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::transient(error.to_string())
}

/// MySQL error codes for values a column cannot hold: the same write fails
/// forever (`Failure::Rejected`). Everything else (connections, locks,
/// deadlocks) is worth retrying.
const MYSQL_DATA_ERRORS: [&str; 7] = ["1048", "1264", "1292", "1366", "1406", "3140", "4025"];

pub(super) fn write_error(error: sea_orm::DbErr) -> StoreError {
    let rejected = match &error {
        sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(sqlx_error))
        | sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(sqlx_error)) => sqlx_error
            .as_database_error()
            .and_then(|database| database.code())
            .is_some_and(|code| MYSQL_DATA_ERRORS.contains(&code.as_ref())),
        _ => false,
    };
    if rejected { StoreError::rejected(error.to_string()) } else { StoreError::transient(error.to_string()) }
}

impl SqlTrackingStore {
    /// Opens (creating and migrating) `tracking.db` in `data_dir`; `instance`
    /// is the event log's instance id.
    pub async fn open_sqlite(data_dir: &Path, instance: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join("tracking.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            // Multi-row INSERTs come in few shapes (`sql_chunks`), so all stay
            // cached; unbounded batch sizes once cost 90 MB here (heaptrack).
            .statement_cache_capacity(STATEMENT_CACHE);
        let pool = crate::sqlite_pool::guarded(SqlitePoolOptions::new())
            .max_connections(4)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        crate::sqlite_pool::ensure_incremental_vacuum(&db).await.map_err(store_error)?;
        Migrator::up(&db, None).await.map_err(store_error)?;
        Ok(Self {
            db,
            origin: instance.to_owned(),
            scope: format!("sqlite-{instance}"),
            checkpoint_name: "tracking".to_owned(),
            on_write: None,
            endpoint: data_dir.join("tracking.db").display().to_string(),
        })
    }

    /// Connects to MySQL and creates or upgrades the tables.
    pub async fn open_mysql(url: &SecretString, instance: &str) -> Result<Self, StoreError> {
        let store = Self::mysql(url, instance).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A MySQL store whose connections are made on first use, so that it
    /// can be created while MySQL is down. `instance` names this service's
    /// event log: its rows carry it as their origin and its checkpoint is
    /// kept under `tracking:{instance}`, so replicas sharing the database
    /// never take each other's events for their own.
    pub async fn mysql(url: &SecretString, instance: &str) -> Result<Self, StoreError> {
        let mut options = ConnectOptions::new(url.expose_secret().to_owned());
        options
            .max_connections(8)
            .min_connections(0)
            .connect_timeout(Duration::from_secs(5))
            .acquire_timeout(Duration::from_secs(3))
            .connect_lazy(true)
            .sqlx_logging(false);
        let db = Database::connect(options).await.map_err(store_error)?;
        Ok(Self {
            db,
            origin: instance.to_owned(),
            scope: database_scope(url.expose_secret()),
            checkpoint_name: format!("tracking:{instance}"),
            on_write: None,
            endpoint: crate::configuration::redact_uri(url.expose_secret()),
        })
    }

    /// Creates or upgrades the tables (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await.map_err(store_error)
    }

    /// Calls `hook` after every committed write (set before the store is shared).
    pub fn with_write_hook(mut self, hook: WriteHook) -> Self {
        self.on_write = Some(hook);
        self
    }

    /// `sqlite` or `mysql`.
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::MySql => "mysql",
            DbBackend::Sqlite => "sqlite",
            _ => "sql",
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> bool {
        self.db.ping().await.is_ok()
    }

    /// Like [`ping`](Self::ping), with the reason when the store does not
    /// answer, naming the endpoint (a refused certificate, bad credentials).
    pub async fn check(&self) -> Result<(), String> {
        self.db
            .ping()
            .await
            .map_err(|error| format!("{}: {}", self.endpoint, crate::telemetry::error_chain(&error)))
    }

    /// Where the store is (no credentials).
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The connection, for the API's reads.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Names the database (no credentials): keys shared through Redis by
    /// the replicas of one deployment carry it.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Whether several replicas may share this store (MySQL): then
    /// callbacks are claimed before they are applied.
    pub fn is_shared(&self) -> bool {
        self.db.get_database_backend() == DbBackend::MySql
    }

    /// The stored checkpoint (0 when nothing was ever applied).
    pub async fn checkpoint(&self) -> Result<i64, StoreError> {
        Ok(checkpoint::Entity::find_by_id(self.checkpoint_name.as_str())
            .one(&self.db)
            .await
            .map_err(store_error)?
            .map(|row| row.event_id)
            .unwrap_or(0))
    }
}
