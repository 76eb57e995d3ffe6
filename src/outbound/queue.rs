//! The send queue: `outbound.db` in the data directory, beside the event
//! log. A job per `message.send` event, filled by tailing the event log from
//! a cursor, so the queue can always be rebuilt from what was acknowledged:
//! a send accepted (202) is never lost, across crashes included.

use std::{path::Path, time::Duration};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    SqlxSqliteConnector,
    sea_query::OnConflict,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};

/// Jobs.
pub mod job {
    use sea_orm::entity::prelude::*;

    /// A row of `outbound_jobs`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "outbound_jobs")]
    pub struct Model {
        /// The `message.send` event.
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: i64,
        /// The message.
        pub message_id: String,
        /// The [`SendRequest`](crate::outbound::SendRequest), as JSON.
        #[sea_orm(column_type = "Text")]
        pub request: String,
        /// `queued` or `done`.
        pub state: String,
        /// Tries so far.
        pub attempts: i32,
        /// Not before this time, Unix ms (pacing, backoff).
        pub not_before_ms: i64,
        /// The last failure, if any.
        pub last_error: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

const SCHEMA: [&str; 4] = [
    "CREATE TABLE IF NOT EXISTS outbound_jobs (event_id INTEGER PRIMARY KEY, message_id TEXT NOT NULL, \
     request TEXT NOT NULL, state TEXT NOT NULL, attempts INTEGER NOT NULL, not_before_ms INTEGER NOT NULL, \
     last_error TEXT)",
    "CREATE INDEX IF NOT EXISTS idx_jobs_due ON outbound_jobs (state, not_before_ms)",
    "CREATE TABLE IF NOT EXISTS outbound_cursor (name TEXT PRIMARY KEY, event_id INTEGER NOT NULL)",
    // Mass sends to customers whose outcomes are still asked for (`external.rs`).
    "CREATE TABLE IF NOT EXISTS external_watches (message_id TEXT PRIMARY KEY, account TEXT NOT NULL, \
     corp_id TEXT, wecom_msgid TEXT NOT NULL, pending TEXT NOT NULL, polls INTEGER NOT NULL, \
     next_poll_ms INTEGER NOT NULL, until_ms INTEGER NOT NULL)",
];

/// The queue.
#[derive(Clone)]
pub struct SendQueue {
    db: DatabaseConnection,
}

impl SendQueue {
    /// Opens (creating) `outbound.db` in `data_dir`.
    pub async fn open(data_dir: &Path) -> Result<Self, sea_orm::DbErr> {
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join("outbound.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // Rebuildable from the event log up to the cursor; a job marked
            // done but lost is re-checked against the result event.
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5));
        let pool = crate::sqlite_pool::guarded(SqlitePoolOptions::new())
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(|error| sea_orm::DbErr::Custom(error.to_string()))?;
        let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        crate::sqlite_pool::ensure_incremental_vacuum(&db).await?;
        for statement in SCHEMA {
            db.execute_unprepared(statement).await?;
        }
        Ok(Self { db })
    }

    /// The database (`outbound.db`), for the tables beside the queue.
    pub(super) fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The last event id the tailer looked at.
    pub async fn cursor(&self) -> Result<i64, sea_orm::DbErr> {
        let row = self.db.query_one_raw(sea_orm::Statement::from_string(
            self.db.get_database_backend(),
            "SELECT event_id FROM outbound_cursor WHERE name = 'sends'",
        ));
        Ok(row.await?.and_then(|row| row.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
    }

    /// Adds jobs (each once) and moves the cursor, in one transaction.
    pub async fn enqueue(&self, jobs: Vec<job::ActiveModel>, cursor: i64) -> Result<(), sea_orm::DbErr> {
        use sea_orm::TransactionTrait;
        let transaction = self.db.begin().await?;
        for job in jobs {
            job::Entity::insert(job)
                .on_conflict(OnConflict::column(job::Column::EventId).do_nothing().to_owned())
                .exec_without_returning(&transaction)
                .await?;
        }
        transaction
            .execute_raw(sea_orm::Statement::from_sql_and_values(
                transaction.get_database_backend(),
                "INSERT INTO outbound_cursor (name, event_id) VALUES ('sends', ?) \
                 ON CONFLICT (name) DO UPDATE SET event_id = excluded.event_id",
                [cursor.into()],
            ))
            .await?;
        transaction.commit().await
    }

    /// Jobs due now, oldest first.
    pub async fn due(&self, now_ms: i64, limit: u64) -> Result<Vec<job::Model>, sea_orm::DbErr> {
        job::Entity::find()
            .filter(job::Column::State.eq("queued"))
            .filter(job::Column::NotBeforeMs.lte(now_ms))
            .order_by_asc(job::Column::NotBeforeMs)
            .order_by_asc(job::Column::EventId)
            .limit(limit)
            .all(&self.db)
            .await
    }

    /// When the next queued job is due, if any.
    pub async fn next_due_ms(&self) -> Result<Option<i64>, sea_orm::DbErr> {
        Ok(job::Entity::find()
            .filter(job::Column::State.eq("queued"))
            .order_by_asc(job::Column::NotBeforeMs)
            .one(&self.db)
            .await?
            .map(|job| job.not_before_ms))
    }

    /// Jobs still queued.
    pub async fn queued(&self) -> Result<u64, sea_orm::DbErr> {
        use sea_orm::PaginatorTrait;
        job::Entity::find().filter(job::Column::State.eq("queued")).count(&self.db).await
    }

    /// Puts a job off until `not_before_ms`.
    pub async fn defer(
        &self,
        event_id: i64,
        not_before_ms: i64,
        attempts: i32,
        error: Option<String>,
    ) -> Result<(), sea_orm::DbErr> {
        job::Entity::update_many()
            .col_expr(job::Column::NotBeforeMs, not_before_ms.into())
            .col_expr(job::Column::Attempts, attempts.into())
            .col_expr(job::Column::LastError, error.into())
            .filter(job::Column::EventId.eq(event_id))
            .exec(&self.db)
            .await
            .map(|_| ())
    }

    /// Deletes finished jobs whose send event is below `event_id` (pruned
    /// from the event log: nothing can need them again). Returns how many.
    pub async fn prune_finished_before(&self, event_id: i64) -> Result<u64, sea_orm::DbErr> {
        let deleted = job::Entity::delete_many()
            .filter(job::Column::State.eq("done"))
            .filter(job::Column::EventId.lt(event_id))
            .exec(&self.db)
            .await?;
        crate::sqlite_pool::give_back_space(&self.db).await;
        Ok(deleted.rows_affected)
    }

    /// Marks a job finished (its result is in the event log).
    pub async fn finish(&self, event_id: i64) -> Result<(), sea_orm::DbErr> {
        job::Entity::update_many()
            .col_expr(job::Column::State, "done".into())
            .filter(job::Column::EventId.eq(event_id))
            .exec(&self.db)
            .await
            .map(|_| ())
    }
}

/// A new job for a `message.send` event.
pub fn new_job(event_id: i64, message_id: String, request: String, now_ms: i64) -> job::ActiveModel {
    job::ActiveModel {
        event_id: Set(event_id),
        message_id: Set(message_id),
        request: Set(request),
        state: Set("queued".to_owned()),
        attempts: Set(0),
        not_before_ms: Set(now_ms),
        last_error: Set(None),
    }
}
