//! `t0006_create_suites` (a tracking-store migration, SQLite and MySQL):
//! the newest `suite_ticket` of each suite account, and the corps that
//! authorised it with their permanent codes.
//!
//! Corp ids (and account ids, which key them) are opaque and
//! **case-sensitive**: `wwAbc` and `wwABC` are two corps. SQLite compares
//! text byte by byte already; the tracking tables in MySQL are
//! `utf8mb4_unicode_ci`, which would take them for one row, so these
//! columns are `utf8mb4_bin` there.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::table;

/// `t0006_create_suites`.
pub struct CreateSuites;

impl MigrationName for CreateSuites {
    fn name(&self) -> &str {
        "t0006_create_suites"
    }
}

/// A `varchar(len)` compared byte for byte in either backend.
fn binary_string(manager: &SchemaManager<'_>, name: &'static str, len: u32) -> ColumnDef {
    match manager.get_database_backend() {
        sea_orm::DbBackend::MySql => {
            ColumnDef::new(name).custom(format!("varchar({len}) COLLATE utf8mb4_bin")).not_null().take()
        }
        _ => string_len(name, len),
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateSuites {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("suite_tickets")
                    .if_not_exists()
                    .col(binary_string(manager, "account", 40).primary_key())
                    .col(text("ticket"))
                    .col(big_integer("received_at_ms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(manager)
                    .table("suite_corps")
                    .if_not_exists()
                    .col(binary_string(manager, "account", 40))
                    .col(binary_string(manager, "corp_id", 64))
                    .col(string_len("corp_name", 255))
                    .col(text("permanent_code"))
                    .col(big_integer_null("agent_id"))
                    .col(string_len("state", 16))
                    .col(big_integer("authorised_at_ms"))
                    .col(big_integer("updated_at_ms"))
                    .primary_key(Index::create().col("account").col("corp_id"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }
}
