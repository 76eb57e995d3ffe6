//! Schema of forwarding (in the tracking store, so replicas share it):
//! subscriptions and their deliveries.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::{add_column_once, index, long_text, table, unique};

/// `t0002_create_forwarding`.
pub struct CreateForwarding;

impl MigrationName for CreateForwarding {
    fn name(&self) -> &str {
        "t0002_create_forwarding"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for CreateForwarding {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                table(manager)
                    .table("subscriptions")
                    .if_not_exists()
                    .col(string_len("id", 64).primary_key())
                    .col(string_len("url", 2048))
                    .col(string_len("kinds", 128))
                    .col(string_len("secret", 256))
                    .col(string_len("source", 16))
                    .col(big_integer("created_at_ms"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                table(manager)
                    .table("deliveries")
                    .if_not_exists()
                    .col(big_pk_auto("id"))
                    .col(string_len("subscription_id", 64))
                    .col(string_len("origin", 32))
                    .col(string_len("source_key", 160))
                    .col(string_len("order_key", 160))
                    .col(string_len("event_type", 48))
                    .col(long_text("payload"))
                    .col(string_len("state", 16))
                    .col(integer("attempts"))
                    .col(big_integer("next_attempt_ms"))
                    .col(integer_null("last_status"))
                    .col(string_len_null("last_error", 512))
                    .col(big_integer("created_at_ms"))
                    .col(big_integer_null("delivered_at_ms"))
                    .to_owned(),
            )
            .await?;
        unique(manager, "deliveries", "uq_deliveries_source", &["subscription_id", "source_key"]).await?;
        index(manager, "deliveries", "idx_deliveries_due", &["origin", "state", "next_attempt_ms"]).await?;
        index(
            manager,
            "deliveries",
            "idx_deliveries_order",
            &["subscription_id", "order_key", "state", "id"],
        )
        .await?;
        index(manager, "deliveries", "idx_deliveries_list", &["subscription_id", "state", "id"]).await
    }
}

/// `t0003_subscription_secret_rotation`: the secret being rotated out and
/// when it stops signing.
pub struct SecretRotation;

impl MigrationName for SecretRotation {
    fn name(&self) -> &str {
        "t0003_subscription_secret_rotation"
    }
}

#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for SecretRotation {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        add_column_once(manager, "subscriptions", "previous_secret", string_len_null("previous_secret", 256))
            .await?;
        add_column_once(
            manager,
            "subscriptions",
            "previous_secret_expires_at_ms",
            big_integer_null("previous_secret_expires_at_ms"),
        )
        .await
    }
}
