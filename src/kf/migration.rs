//! `t0009_create_kf_cursors` (tracking store, SQLite and MySQL): each
//! customer-service account's `kf/sync_msg` cursor, shared by the replicas,
//! and `kf_sessions`: when each customer's session was last closed
//! (`session_status_change`), so sends into it stop being retried.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::table;

/// `t0009_create_kf_cursors`.
pub struct CreateKfCursors;

impl MigrationName for CreateKfCursors {
    fn name(&self) -> &str {
        "t0009_create_kf_cursors"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateKfCursors {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("kf_cursors")
                    .if_not_exists()
                    .col(string_len("name", 191).primary_key())
                    .col(string_len("account", 64))
                    .col(string_len("open_kfid", 128))
                    .col(text("cursor"))
                    .col(big_integer("updated_at_ms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(manager)
                    .table("kf_sessions")
                    .if_not_exists()
                    .col(string_len("name", 191).primary_key())
                    .col(big_integer("closed_at_ms"))
                    .to_owned(),
            )
            .await
    }
}
