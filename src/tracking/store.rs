//! [`SqlTrackingStore`]: the actors' [`TrackingStore`] over sea-orm, one
//! code path for both backends. In the embedded default it is a SQLite file
//! beside the event log (`tracking.db`); everything in it can be rebuilt
//! from the event log by replay, which is why it commits without fsync
//! (`synchronous=NORMAL`). In external mode it is MySQL (or MariaDB), with
//! the same migrations and statements.

use std::{collections::HashMap, path::Path, time::Duration};

use async_trait::async_trait;
use pmc_actors::{MessageId, MessageState, StoreError, TrackingStore, rows::WriteBatch};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend, EntityTrait,
    QueryFilter, SqlxSqliteConnector, TransactionTrait,
    sea_query::OnConflict,
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous},
};
use sea_orm_migration::MigratorTrait;
use secrecy::{ExposeSecret, SecretString};

use super::{
    entity::{checkpoint, history, interaction, member_event, message, recipient},
    migration::Migrator,
};

/// Prepared statements cached per connection: every insert shape
/// (5 tables × 9 chunk sizes, see [`crate::sql_chunks`]) and the queries.
const STATEMENT_CACHE: usize = 64;

/// The tracking store.
#[derive(Clone)]
pub struct SqlTrackingStore {
    db: DatabaseConnection,
    /// The row of `checkpoints` this service's event log is tracked by.
    checkpoint_name: String,
    /// Told the ids of the messages each committed write changed (the
    /// cache forgets their answers).
    on_write: Option<WriteHook>,
}

/// Called after each committed write with the ids of the messages it changed.
pub type WriteHook = std::sync::Arc<dyn Fn(Vec<String>) + Send + Sync>;

/// Cuts a value to its column's length (in characters, as MySQL counts):
/// an over-long value from a custom source must not make a batch fail
/// forever in MySQL (SQLite would store it whole).
fn clamp(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

fn store_error(error: impl std::fmt::Display) -> StoreError {
    StoreError::transient(error.to_string())
}

/// MySQL error codes for values a column cannot hold: the same write fails
/// forever (`Failure::Rejected`). Everything else (connections, locks,
/// deadlocks) is worth retrying.
const MYSQL_DATA_ERRORS: [&str; 7] = ["1048", "1264", "1292", "1366", "1406", "3140", "4025"];

fn write_error(error: sea_orm::DbErr) -> StoreError {
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
    /// Opens (creating and migrating) `tracking.db` in `data_dir`.
    pub async fn open_sqlite(data_dir: &Path) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join("tracking.db"))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            // Multi-row INSERTs come in few shapes (`sql_chunks`), so all stay
            // cached; unbounded batch sizes once cost 90 MB here (heaptrack).
            .statement_cache_capacity(STATEMENT_CACHE);
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .min_connections(1)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(pool);
        Migrator::up(&db, None).await.map_err(store_error)?;
        Ok(Self { db, checkpoint_name: "tracking".to_owned(), on_write: None })
    }

    /// Connects to MySQL and creates or upgrades the tables.
    pub async fn open_mysql(url: &SecretString, instance: &str) -> Result<Self, StoreError> {
        let store = Self::mysql(url, instance).await?;
        store.migrate().await?;
        Ok(store)
    }

    /// A MySQL store whose connections are made on first use, so that it
    /// can be created while MySQL is down. `instance` names this service's
    /// event log: its checkpoint is kept under `tracking:{instance}`, so a
    /// database shared with other event logs never skips or replays
    /// another's events.
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
        Ok(Self { db, checkpoint_name: format!("tracking:{instance}"), on_write: None })
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

    /// The connection, for the API's reads.
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    /// Claims a MySQL database for this event log, refusing one that already
    /// tracks another: event ids are only unique within one event log, so
    /// two logs in one database would take each other's rows for their own
    /// (one replica per database until replicas share one; see the README).
    pub async fn claim(&self) -> Result<(), StoreError> {
        if self.db.get_database_backend() != DbBackend::MySql {
            return Ok(());
        }
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            name: Set(self.checkpoint_name.clone()),
            event_id: Set(0),
        })
        .on_conflict(
            OnConflict::column(checkpoint::Column::Name).do_nothing_on([checkpoint::Column::Name]).to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(store_error)?;
        let other = checkpoint::Entity::find()
            .filter(checkpoint::Column::Name.starts_with("tracking:"))
            .filter(checkpoint::Column::Name.ne(self.checkpoint_name.as_str()))
            .one(&self.db)
            .await
            .map_err(store_error)?;
        match other {
            None => Ok(()),
            Some(row) => Err(StoreError::transient(format!(
                "this MySQL database already tracks another event log ({}); give each service data directory \
                 its own MYSQL_DATABASE (several replicas sharing one database are not supported yet)",
                row.name
            ))),
        }
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

/// Inserts rows in statements of few shapes ([`crate::sql_chunks`]); `on_conflict`
/// decides what a key conflict does (update the state, or keep the first row).
async fn insert_in_chunks<A>(
    transaction: &DatabaseTransaction,
    rows: Vec<A>,
    on_conflict: OnConflict,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Clone + Send,
{
    for chunk in crate::sql_chunks::chunks(&rows) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(transaction)
            .await
            .map_err(write_error)?;
    }
    Ok(())
}

#[async_trait]
impl TrackingStore for SqlTrackingStore {
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError> {
        let Some(row) = message::Entity::find_by_id(id.as_str()).one(&self.db).await.map_err(store_error)?
        else {
            return Ok(None);
        };
        serde_json::from_str(&row.state).map(Some).map_err(store_error)
    }

    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError> {
        let row = message::Entity::find()
            .filter(message::Column::TaskId.eq(task_id))
            .one(&self.db)
            .await
            .map_err(store_error)?;
        Ok(row.and_then(|row| MessageId::parse(&row.id).ok()))
    }

    async fn write(&self, batch: &WriteBatch) -> Result<(), StoreError> {
        let transaction = self.db.begin().await.map_err(write_error)?;
        // Upserts: the last state of each message/recipient in the batch wins
        // (SQLite refuses to upsert one row twice in a statement).
        let mut messages: HashMap<&MessageId, message::ActiveModel> = HashMap::new();
        for row in &batch.messages {
            let state = &row.state;
            messages.insert(
                &row.message_id,
                message::ActiveModel {
                    id: Set(row.message_id.to_string()),
                    channel: Set(clamp(state.channel.as_deref().unwrap_or("external"), 48)),
                    status: Set(state.status().map(|status| status.as_str().to_owned())),
                    registered: Set(state.registered),
                    wecom_msgid: Set(state.wecom_msgid.clone()),
                    task_id: Set(state.task_id.clone()),
                    recipient_count: Set(state.recipients.len() as i32),
                    created_at_ms: Set(state.created_at_ms),
                    updated_at_ms: Set(state.updated_at_ms),
                    last_event_id: Set(row.last_event_id),
                    state: Set(serde_json::to_string(state).map_err(store_error)?),
                },
            );
        }
        let messages: Vec<message::ActiveModel> = messages.into_values().collect();
        insert_in_chunks(
            &transaction,
            messages,
            OnConflict::column(message::Column::Id)
                .update_columns([
                    message::Column::Channel,
                    message::Column::Status,
                    message::Column::Registered,
                    message::Column::WecomMsgid,
                    message::Column::TaskId,
                    message::Column::RecipientCount,
                    message::Column::CreatedAtMs,
                    message::Column::UpdatedAtMs,
                    message::Column::LastEventId,
                    message::Column::State,
                ])
                .to_owned(),
        )
        .await?;
        let mut recipients: HashMap<(&MessageId, &str), recipient::ActiveModel> = HashMap::new();
        for row in &batch.recipients {
            recipients.insert(
                (&row.message_id, row.recipient.as_str()),
                recipient::ActiveModel {
                    message_id: Set(row.message_id.to_string()),
                    recipient: Set(clamp(&row.recipient, 128)),
                    status: Set(row.status.as_str().to_owned()),
                    seen: Set(i32::from(row.seen.bits())),
                    updated_at_ms: Set(row.updated_at_ms),
                },
            );
        }
        let recipients: Vec<recipient::ActiveModel> = recipients.into_values().collect();
        insert_in_chunks(
            &transaction,
            recipients,
            OnConflict::columns([recipient::Column::MessageId, recipient::Column::Recipient])
                .update_columns([
                    recipient::Column::Status,
                    recipient::Column::Seen,
                    recipient::Column::UpdatedAtMs,
                ])
                .to_owned(),
        )
        .await?;
        // Keyed rows: inserted once, so a replay never doubles them.
        let history_rows: Vec<history::ActiveModel> = batch
            .history
            .iter()
            .map(|row| history::ActiveModel {
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                recipient: Set(clamp(&row.recipient, 128)),
                message_id: Set(row.message_id.to_string()),
                status: Set(row.status.as_str().to_owned()),
                outcome: Set(row.outcome.as_str().to_owned()),
                from_status: Set(row.from_status.map(|status| status.as_str().to_owned())),
                source: Set(row.source.chars().take(64).collect()),
                occurred_at_ms: Set(row.occurred_at_ms),
                received_at_ms: Set(row.received_at_ms),
                detail: Set(row.detail.clone()),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            history_rows,
            OnConflict::columns([history::Column::EventId, history::Column::Seq, history::Column::Recipient])
                .do_nothing_on([history::Column::EventId])
                .to_owned(),
        )
        .await?;
        let interactions: Vec<interaction::ActiveModel> = batch
            .interactions
            .iter()
            .map(|row| interaction::ActiveModel {
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                user_id: Set(clamp(&row.record.user_id, 128)),
                kind: Set(clamp(&row.record.kind, 48)),
                message_id: Set(row.record.message_id.as_ref().map(ToString::to_string)),
                callback_type: Set(clamp(&row.record.callback_type, 96)),
                channel: Set(clamp(&row.record.channel, 48)),
                payload: Set(row.record.payload.to_string()),
                occurred_at_ms: Set(row.record.occurred_at_ms),
                received_at_ms: Set(row.record.received_at_ms),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            interactions,
            OnConflict::columns([interaction::Column::EventId, interaction::Column::Seq])
                .do_nothing_on([interaction::Column::EventId])
                .to_owned(),
        )
        .await?;
        let members: Vec<member_event::ActiveModel> = batch
            .member_events
            .iter()
            .map(|row| member_event::ActiveModel {
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                user_id: Set(row.record.user_id.as_deref().map(|user| clamp(user, 128))),
                kind: Set(clamp(&row.record.kind, 48)),
                payload: Set(row.record.payload.to_string()),
                occurred_at_ms: Set(row.record.occurred_at_ms),
                received_at_ms: Set(row.record.received_at_ms),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            members,
            OnConflict::columns([member_event::Column::EventId, member_event::Column::Seq])
                .do_nothing_on([member_event::Column::EventId])
                .to_owned(),
        )
        .await?;
        if let Some(event_id) = batch.checkpoint {
            checkpoint::Entity::insert(checkpoint::ActiveModel {
                name: Set(self.checkpoint_name.clone()),
                event_id: Set(event_id),
            })
            .on_conflict(
                OnConflict::column(checkpoint::Column::Name)
                    .update_column(checkpoint::Column::EventId)
                    .to_owned(),
            )
            .exec_without_returning(&transaction)
            .await
            .map_err(write_error)?;
        }
        transaction.commit().await.map_err(write_error)?;
        if let Some(hook) = &self.on_write {
            let mut changed: Vec<String> =
                batch.messages.iter().map(|row| row.message_id.to_string()).collect();
            changed.extend(batch.recipients.iter().map(|row| row.message_id.to_string()));
            changed.sort_unstable();
            changed.dedup();
            hook(changed);
        }
        Ok(())
    }
}
