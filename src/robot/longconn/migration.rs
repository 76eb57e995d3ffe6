//! `t0007_create_robot_leases` (a tracking-store migration, SQLite and
//! MySQL): the long-connection leases when the replicas share MySQL but no
//! Redis ([`super::sql_lease`]). One row per bot, never deleted, so its
//! fence only grows.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::table;

/// `t0007_create_robot_leases`.
pub struct CreateRobotLeases;

impl MigrationName for CreateRobotLeases {
    fn name(&self) -> &str {
        "t0007_create_robot_leases"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateRobotLeases {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("robot_leases")
                    .if_not_exists()
                    .col(string_len("name", 191).primary_key())
                    .col(string_len("holder", 191))
                    .col(big_integer("fence"))
                    .col(big_integer("expires_at_ms"))
                    .col(small_integer("kicked"))
                    .to_owned(),
            )
            .await
    }
}
