//! Schema of the tracking store (sea-orm-migration, portable builder).

use sea_orm_migration::{prelude::*, schema::*};

/// All tracking migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateTracking),
            Box::new(crate::forwarding::migration::CreateForwarding),
            Box::new(crate::forwarding::migration::SecretRotation),
            Box::new(crate::events_view::migration::CreateSharedEvents),
            Box::new(crate::accounts::migration::AddAccounts),
            Box::new(crate::suite::migration::CreateSuites),
            Box::new(crate::robot::longconn::migration::CreateRobotLeases),
            Box::new(crate::robot::longconn::migration::CreateRobotRelay),
            Box::new(crate::kf::migration::CreateKfCursors),
        ]
    }

    fn migration_table_name() -> sea_orm::DynIden {
        "tracking_migrations".into_iden()
    }
}

struct CreateTracking;

impl MigrationName for CreateTracking {
    fn name(&self) -> &str {
        "t0001_create_tracking"
    }
}

/// `CREATE INDEX IF NOT EXISTS name ON table (columns)`.
pub(crate) async fn index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    create_index(manager, table, name, columns, false).await
}

/// The same, `UNIQUE`.
pub(crate) async fn unique(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&'static str],
) -> Result<(), DbErr> {
    create_index(manager, table, name, columns, true).await
}

async fn create_index(
    manager: &SchemaManager<'_>,
    table: &str,
    name: &str,
    columns: &[&'static str],
    unique: bool,
) -> Result<(), DbErr> {
    // MySQL has no `CREATE INDEX IF NOT EXISTS`, and its DDL is not
    // transactional: a migration cut off by an outage leaves some indexes
    // behind and is run again whole, so look first.
    if manager.has_index(table, name).await? {
        return Ok(());
    }
    let mut index = Index::create();
    index.name(name).table(table.to_owned()).if_not_exists();
    if unique {
        index.unique();
    }
    for column in columns {
        index.col(*column);
    }
    manager.create_index(index.to_owned()).await
}

/// `ALTER TABLE table ADD COLUMN`, unless a run of the same migration cut
/// off by an outage (MySQL DDL is not transactional) already added it.
pub(crate) async fn add_column_once(
    manager: &SchemaManager<'_>,
    table: &str,
    column: &str,
    definition: ColumnDef,
) -> Result<(), DbErr> {
    if manager.has_column(table, column).await? {
        return Ok(());
    }
    let mut definition = definition;
    manager.alter_table(Table::alter().table(table.to_owned()).add_column(&mut definition).to_owned()).await
}

/// `CREATE TABLE`, in MySQL with utf8mb4 whatever the database's default
/// (MariaDB's is latin1, which refuses Chinese text).
pub(crate) fn table(manager: &SchemaManager<'_>) -> TableCreateStatement {
    let mut table = Table::create();
    if manager.get_database_backend() == sea_orm::DbBackend::MySql {
        table.engine("InnoDB").character_set("utf8mb4").collate("utf8mb4_unicode_ci");
    }
    table
}

/// Payloads and states can exceed MySQL's 64 KB `TEXT`; `LONGTEXT` (4 GB)
/// is TEXT to SQLite.
pub(crate) fn long_text(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).custom("longtext").not_null().take()
}

pub(crate) fn long_text_null(name: &'static str) -> ColumnDef {
    ColumnDef::new(name).custom("longtext").null().take()
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateTracking {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("messages")
                    .if_not_exists()
                    .col(string_len("id", 128).primary_key())
                    .col(string_len("channel", 48))
                    .col(string_len_null("status", 16))
                    .col(boolean("registered"))
                    .col(string_len_null("wecom_msgid", 128))
                    .col(string_len_null("task_id", 128))
                    .col(integer("recipient_count"))
                    .col(big_integer("created_at_ms"))
                    .col(big_integer("updated_at_ms"))
                    .col(big_integer("last_event_id"))
                    .col(big_integer("version"))
                    .col(big_integer("revision"))
                    .col(long_text("state"))
                    .to_owned(),
            )
            .await?;
        index(manager, "messages", "idx_messages_task", &["task_id"]).await?;
        index(manager, "messages", "idx_messages_status", &["status", "created_at_ms"]).await?;
        index(manager, "messages", "idx_messages_created", &["created_at_ms"]).await?;
        manager
            .create_table(
                table(manager)
                    .table("recipients")
                    .if_not_exists()
                    .col(string_len("message_id", 128))
                    .col(string_len("recipient", 128))
                    .col(string_len("status", 16))
                    .col(integer("seen"))
                    .col(big_integer("updated_at_ms"))
                    .primary_key(Index::create().col("message_id").col("recipient"))
                    .to_owned(),
            )
            .await?;
        index(manager, "recipients", "idx_recipients_recipient", &["recipient"]).await?;
        manager
            .create_table(
                table(manager)
                    .table("status_history")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("origin", 32))
                    .col(big_integer("event_id"))
                    .col(big_integer("seq"))
                    .col(string_len("recipient", 128))
                    .col(string_len("message_id", 128))
                    .col(string_len("status", 16))
                    .col(string_len("outcome", 16))
                    .col(string_len_null("from_status", 16))
                    .col(string_len("source", 64))
                    .col(big_integer_null("occurred_at_ms"))
                    .col(big_integer("received_at_ms"))
                    .col(long_text_null("detail"))
                    .col(big_integer("version"))
                    .to_owned(),
            )
            .await?;
        unique(manager, "status_history", "uq_history_row", &["origin", "event_id", "seq", "recipient"])
            .await?;
        index(manager, "status_history", "idx_history_message", &["message_id", "version", "seq"]).await?;
        index(manager, "status_history", "idx_history_origin", &["origin", "id"]).await?;
        manager
            .create_table(
                table(manager)
                    .table("interactions")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("origin", 32))
                    .col(big_integer("event_id"))
                    .col(big_integer("seq"))
                    .col(string_len("user_id", 128))
                    .col(string_len("kind", 48))
                    .col(string_len_null("message_id", 128))
                    .col(string_len("callback_type", 96))
                    .col(string_len("channel", 48))
                    .col(long_text("payload"))
                    .col(big_integer_null("occurred_at_ms"))
                    .col(big_integer("received_at_ms"))
                    .to_owned(),
            )
            .await?;
        unique(manager, "interactions", "uq_interactions_event", &["origin", "event_id", "seq"]).await?;
        index(manager, "interactions", "idx_interactions_user", &["user_id", "id"]).await?;
        index(manager, "interactions", "idx_interactions_kind", &["kind", "id"]).await?;
        index(manager, "interactions", "idx_interactions_message", &["message_id", "id"]).await?;
        index(manager, "interactions", "idx_interactions_origin", &["origin", "id"]).await?;
        manager
            .create_table(
                table(manager)
                    .table("member_events")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("origin", 32))
                    .col(big_integer("event_id"))
                    .col(big_integer("seq"))
                    .col(string_len_null("user_id", 128))
                    .col(string_len("kind", 48))
                    .col(long_text("payload"))
                    .col(big_integer_null("occurred_at_ms"))
                    .col(big_integer("received_at_ms"))
                    .to_owned(),
            )
            .await?;
        unique(manager, "member_events", "uq_members_event", &["origin", "event_id", "seq"]).await?;
        index(manager, "member_events", "idx_members_user", &["user_id", "id"]).await?;
        index(manager, "member_events", "idx_members_origin", &["origin", "id"]).await?;
        manager
            .create_table(
                table(manager)
                    .table("checkpoints")
                    .if_not_exists()
                    .col(string_len("name", 64).primary_key())
                    .col(big_integer("event_id"))
                    .to_owned(),
            )
            .await?;
        // Replicas sharing the database: the first to claim a callback's
        // dedupe key applies it; the others skip their copy.
        manager
            .create_table(
                table(manager)
                    .table("dedupe_claims")
                    .if_not_exists()
                    .col(char_len("key_hash", 40).primary_key())
                    .col(string_len("origin", 32))
                    .col(big_integer("event_id"))
                    .col(big_integer("claimed_at_ms"))
                    .to_owned(),
            )
            .await?;
        index(manager, "dedupe_claims", "idx_claims_age", &["claimed_at_ms"]).await
    }
}
