//! `t0005_add_accounts` (a tracking-store migration, SQLite and MySQL):
//! tracked messages, interactions, member events and the shared events view
//! carry their account; subscriptions may be limited to some accounts.
//! Rows written before accounts existed belong to the seed's single app and
//! robot and become `default`, in place.

use sea_orm_migration::{prelude::*, schema::*};

use crate::tracking::migration::{add_column_once, index};

/// `t0005_add_accounts`.
pub struct AddAccounts;

impl MigrationName for AddAccounts {
    fn name(&self) -> &str {
        "t0005_add_accounts"
    }
}

// The trait's signature elides SchemaManager's lifetime; the impl must match it.
#[allow(elided_lifetimes_in_paths)]
#[async_trait::async_trait]
impl MigrationTrait for AddAccounts {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in ["messages", "interactions", "member_events", "shared_events"] {
            add_column_once(
                manager,
                table,
                "account",
                string_len("account", 40).default(super::DEFAULT_ACCOUNT).take(),
            )
            .await?;
        }
        // A JSON list of account ids; NULL: every account.
        add_column_once(manager, "subscriptions", "accounts", text_null("accounts")).await?;
        index(manager, "interactions", "idx_interactions_account", &["account", "id"]).await?;
        index(manager, "member_events", "idx_member_events_account", &["account", "id"]).await?;
        index(manager, "messages", "idx_messages_account", &["account", "created_at_ms"]).await?;
        index(manager, "shared_events", "idx_shared_events_account", &["account", "received_at_ms"]).await
    }
}
