//! Schema of the shared events view (a migration of the tracking store).

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::{index, long_text, table};

/// `t0004_create_shared_events`.
pub struct CreateSharedEvents;

impl MigrationName for CreateSharedEvents {
    fn name(&self) -> &str {
        "t0004_create_shared_events"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateSharedEvents {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("shared_events")
                    .if_not_exists()
                    .col(string_len("origin", 32))
                    .col(big_integer("event_id"))
                    .col(big_integer("received_at_ms"))
                    .col(string_len("channel", 48))
                    .col(string_len("callback_type", 128))
                    .col(string_len("dedupe_key", 255))
                    .col(string_len_null("user_id", 128))
                    .col(string_len_null("source_ip", 64))
                    .col(string_len("envelope_format", 8))
                    .col(string_len("msg_signature", 128))
                    .col(string_len("timestamp", 32))
                    .col(string_len("nonce", 64))
                    .col(long_text("plaintext"))
                    .col(long_text("payload"))
                    .primary_key(Index::create().col("origin").col("event_id"))
                    .to_owned(),
            )
            .await?;
        // The API lists newest first across replicas, and filters by type and member.
        index(
            manager,
            "shared_events",
            "idx_shared_events_received",
            &["received_at_ms", "origin", "event_id"],
        )
        .await?;
        index(manager, "shared_events", "idx_shared_events_type", &["callback_type", "received_at_ms"])
            .await?;
        index(manager, "shared_events", "idx_shared_events_user", &["user_id", "received_at_ms"]).await
    }
}
