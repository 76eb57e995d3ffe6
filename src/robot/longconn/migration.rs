//! Tracking-store migrations (SQLite and MySQL) of long connections when
//! the replicas share MySQL but no Redis: `t0007_create_robot_leases`, the
//! leases ([`super::sql_lease`]), one row per bot, never deleted, so its
//! fence only grows; `t0008_create_robot_relay`, the sends relayed to the
//! holder ([`super::sql_relay`]).

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

/// `t0008_create_robot_relay`: sends queued by replicas that do not hold a
/// bot's connection, for its holder ([`super::sql_relay`]), with WeCom's
/// answer once sent. Rows are deleted an hour after they were queued.
pub struct CreateRobotRelay;

impl MigrationName for CreateRobotRelay {
    fn name(&self) -> &str {
        "t0008_create_robot_relay"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateRobotRelay {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("robot_relay")
                    .if_not_exists()
                    .col(string_len("id", 191).primary_key())
                    .col(string_len("name", 191))
                    .col(text("body"))
                    .col(big_integer("created_at_ms"))
                    .col(string_len("claim", 64))
                    .col(big_integer("claimed_at_ms"))
                    .col(text_null("answer"))
                    .to_owned(),
            )
            .await?;
        crate::tracking::migration::index(
            manager,
            "robot_relay",
            "robot_relay_name",
            &["name", "created_at_ms"],
        )
        .await
    }
}
