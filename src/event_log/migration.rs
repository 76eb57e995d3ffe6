//! Schema migrations (sea-orm-migration), written with the portable schema
//! builder so the same steps serve SQLite and MySQL.

use sea_orm_migration::{prelude::*, schema::*};

/// All migrations, in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(CreateEventLog),
            Box::new(AddAccounts),
            Box::new(DedupeKeysWithoutRowid),
            Box::new(IndexesToCatalog),
        ]
    }
}

/// The event log: events, dedupe keys and quarantine.
struct CreateEventLog;

impl MigrationName for CreateEventLog {
    fn name(&self) -> &str {
        "m0001_create_event_log"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateEventLog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("events")
                    .if_not_exists()
                    .col(big_integer("id").primary_key())
                    .col(big_integer("received_at_ms"))
                    .col(string_len("channel", 32))
                    .col(string_len("callback_type", 96))
                    .col(string_len("dedupe_key", 255))
                    .col(string_len_null("user_id", 128))
                    .col(string_len_null("source_ip", 64))
                    .col(string_len("envelope_format", 8))
                    .col(string_len("msg_signature", 64))
                    .col(string_len("timestamp", 32))
                    .col(string_len("nonce", 64))
                    .col(text("ciphertext"))
                    .col(text("plaintext"))
                    .col(text("payload"))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_events_type", &["callback_type", "id"][..]),
            ("idx_events_user", &["user_id", "id"][..]),
            ("idx_events_received", &["received_at_ms"][..]),
            ("idx_events_channel", &["channel", "id"][..]),
        ] {
            let mut index = Index::create();
            index.name(name).table("events").if_not_exists();
            for column in columns {
                index.col(*column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table("dedupe_keys")
                    .if_not_exists()
                    .col(string_len("dedupe_key", 255).primary_key())
                    .col(big_integer("first_seen_ms"))
                    .col(big_integer("event_id"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_dedupe_first_seen")
                    .table("dedupe_keys")
                    .col("first_seen_ms")
                    .if_not_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table("quarantine")
                    .if_not_exists()
                    .col(pk_auto("id").big_integer())
                    .col(big_integer("received_at_ms"))
                    .col(string_len("channel", 32))
                    .col(integer("error_code"))
                    .col(string_len("reason", 255))
                    .col(string_len("content_hash", 64).unique_key())
                    .col(text("ciphertext"))
                    .col(text("plaintext"))
                    .col(string_len_null("source_ip", 64))
                    .to_owned(),
            )
            .await
    }
}

/// Every event carries its account. Rows written before accounts existed
/// were the seed's single app and robot: they become `default`, in place.
struct AddAccounts;

impl MigrationName for AddAccounts {
    fn name(&self) -> &str {
        "m0002_add_accounts"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for AddAccounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table("events")
                    .add_column(string_len("account", 40).default("default"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table("quarantine")
                    .add_column(string_len("account", 40).default("default"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_account")
                    .table("events")
                    .col("account")
                    .col("id")
                    .if_not_exists()
                    .to_owned(),
            )
            .await
    }
}

/// `dedupe_keys` as a `WITHOUT ROWID` table: the key is the table's own
/// b-tree, not a rowid table plus a unique index holding every key twice.
/// The event log is always SQLite, so this step is SQLite's own SQL.
struct DedupeKeysWithoutRowid;

impl MigrationName for DedupeKeysWithoutRowid {
    fn name(&self) -> &str {
        "m0003_dedupe_keys_without_rowid"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for DedupeKeysWithoutRowid {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE TABLE dedupe_keys_compact (dedupe_key varchar(255) NOT NULL PRIMARY KEY, \
                 first_seen_ms bigint NOT NULL, event_id bigint NOT NULL) WITHOUT ROWID; \
                 INSERT INTO dedupe_keys_compact SELECT dedupe_key, first_seen_ms, event_id FROM dedupe_keys; \
                 DROP TABLE dedupe_keys; \
                 ALTER TABLE dedupe_keys_compact RENAME TO dedupe_keys; \
                 CREATE INDEX idx_dedupe_first_seen ON dedupe_keys (first_seen_ms);",
            )
            .await?;
        Ok(())
    }
}

/// The indexes the events API filters with (type, member, channel, account)
/// move to the catalog (`super::catalog`), written behind the log: on
/// `events` each put a random page of its b-tree into every commit. The
/// arrival-time index stays: it only ever grows at its end, and retention
/// deletes by it.
struct IndexesToCatalog;

impl MigrationName for IndexesToCatalog {
    fn name(&self) -> &str {
        "m0004_indexes_to_catalog"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for IndexesToCatalog {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(
                "DROP INDEX IF EXISTS idx_events_type; DROP INDEX IF EXISTS idx_events_user; \
                 DROP INDEX IF EXISTS idx_events_channel; DROP INDEX IF EXISTS idx_events_account;",
            )
            .await?;
        Ok(())
    }
}
