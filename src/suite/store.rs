//! The suite tables of the tracking store (SQLite beside the event log, or
//! the MySQL the replicas share): tickets, authorised corps, and the
//! keeper's checkpoint. Every change a callback causes is written in one
//! transaction with the checkpoint that says it was applied, so a crash
//! between the two cannot apply it twice or lose it.

use std::collections::{BTreeMap, BTreeSet};

use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
    sea_query::{Expr, OnConflict},
};

use super::entity::{suite_corp, suite_ticket};
use crate::tracking::entity::checkpoint;

/// `suite_corps.state` of an authorised corp.
pub const ACTIVE: &str = "active";
/// `suite_corps.state` after `cancel_auth`.
pub const CANCELLED: &str = "cancelled";

/// A corp's authorisation, as `get_permanent_code` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authorisation {
    /// `auth_corp_info.corpid`.
    pub corp_id: String,
    /// `auth_corp_info.corp_name`.
    pub corp_name: String,
    /// `permanent_code` (a credential).
    pub permanent_code: String,
    /// `auth_info.agent[0].agentid`.
    pub agent_id: Option<i64>,
}

/// What one suite callback changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Nothing (a notice the keeper does not act on, or one skipped).
    Nothing,
    /// A `suite_ticket`: kept unless a newer one is stored.
    Ticket {
        /// The suite account.
        account: String,
        /// The ticket.
        ticket: String,
    },
    /// `create_auth`: the corp and its permanent code, active.
    Authorise {
        /// The suite account.
        account: String,
        /// What WeCom answered.
        authorisation: Authorisation,
    },
    /// `change_auth`: active again, with a refreshed name and agent if known.
    Reauthorise {
        /// The suite account.
        account: String,
        /// The corp.
        corp_id: String,
        /// From `get_auth_info`, when it answered.
        refreshed: Option<(String, Option<i64>)>,
    },
    /// `cancel_auth`.
    Cancel {
        /// The suite account.
        account: String,
        /// The corp.
        corp_id: String,
    },
}

impl Effect {
    /// The corp whose authorisation it changes.
    pub fn corp(&self) -> Option<(&str, &str)> {
        match self {
            Effect::Authorise { account, authorisation } => Some((account, &authorisation.corp_id)),
            Effect::Reauthorise { account, corp_id, .. } | Effect::Cancel { account, corp_id } => {
                Some((account, corp_id))
            }
            Effect::Nothing | Effect::Ticket { .. } => None,
        }
    }
}

/// The suite tables.
#[derive(Clone)]
pub struct SuiteStore {
    db: DatabaseConnection,
}

impl SuiteStore {
    /// Over the tracking store's connection.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// The newest ticket of `account`.
    pub async fn ticket(&self, account: &str) -> Result<Option<String>, DbErr> {
        Ok(suite_ticket::Entity::find_by_id(account).one(&self.db).await?.map(|row| row.ticket))
    }

    /// One corp's row, whatever its state.
    pub async fn corp(&self, account: &str, corp_id: &str) -> Result<Option<suite_corp::Model>, DbErr> {
        suite_corp::Entity::find_by_id((account.to_owned(), corp_id.to_owned())).one(&self.db).await
    }

    /// Every active corp, by account.
    pub async fn active_corps(&self) -> Result<BTreeMap<String, BTreeSet<String>>, DbErr> {
        let rows: Vec<(String, String)> = suite_corp::Entity::find()
            .select_only()
            .column(suite_corp::Column::Account)
            .column(suite_corp::Column::CorpId)
            .filter(suite_corp::Column::State.eq(ACTIVE))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut corps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (account, corp_id) in rows {
            corps.entry(account).or_default().insert(corp_id);
        }
        Ok(corps)
    }

    /// The event id the keeper named `name` has applied up to (0: none).
    pub async fn checkpoint(&self, name: &str) -> Result<i64, DbErr> {
        Ok(checkpoint::Entity::find_by_id(name).one(&self.db).await?.map_or(0, |row| row.event_id))
    }

    /// Moves checkpoint `name` to `event_id` (nothing to apply before it).
    pub async fn save_checkpoint(&self, name: &str, event_id: i64) -> Result<(), DbErr> {
        save_checkpoint(&self.db, name, event_id).await
    }

    /// Applies `effect` of the event `event_id` received at `at_ms`, and
    /// moves checkpoint `name` to it, in one transaction.
    pub async fn apply(&self, effect: &Effect, at_ms: i64, name: &str, event_id: i64) -> Result<(), DbErr> {
        let transaction = self.db.begin().await?;
        apply(&transaction, effect, at_ms).await?;
        save_checkpoint(&transaction, name, event_id).await?;
        transaction.commit().await
    }

    /// Makes what was committed survive a power cut. The tracking store's
    /// SQLite commits without fsync (its tracking rows can be rebuilt from
    /// the event log); a permanent code cannot be (an auth code works
    /// once), so after storing one the WAL is checkpointed, which syncs it.
    /// MySQL commits durably already.
    pub async fn make_durable(&self) {
        if self.db.get_database_backend() != sea_orm::DbBackend::Sqlite {
            return;
        }
        if let Err(error) = self.db.execute_unprepared("PRAGMA wal_checkpoint(PASSIVE)").await {
            tracing::warn!(error = %error, "Checkpointing the tracking store after a suite authorisation failed.");
        }
    }

    /// Stores a ticket seen ahead of the checkpoint (the keeper is blocked
    /// on an earlier callback that needs it); the checkpoint stays.
    pub async fn store_ticket(&self, account: &str, ticket: &str, at_ms: i64) -> Result<(), DbErr> {
        store_ticket(&self.db, account, ticket, at_ms).await
    }
}

async fn apply(db: &impl ConnectionTrait, effect: &Effect, at_ms: i64) -> Result<(), DbErr> {
    match effect {
        Effect::Nothing => Ok(()),
        Effect::Ticket { account, ticket } => store_ticket(db, account, ticket, at_ms).await,
        Effect::Authorise { account, authorisation } => {
            let row = suite_corp::ActiveModel {
                account: Set(account.clone()),
                corp_id: Set(authorisation.corp_id.clone()),
                corp_name: Set(authorisation.corp_name.chars().take(255).collect()),
                permanent_code: Set(authorisation.permanent_code.clone()),
                agent_id: Set(authorisation.agent_id),
                state: Set(ACTIVE.to_owned()),
                authorised_at_ms: Set(at_ms),
                updated_at_ms: Set(at_ms),
            };
            use suite_corp::Column;
            suite_corp::Entity::insert(row)
                .on_conflict(
                    OnConflict::columns([Column::Account, Column::CorpId])
                        .update_columns([
                            Column::CorpName,
                            Column::PermanentCode,
                            Column::AgentId,
                            Column::State,
                            Column::AuthorisedAtMs,
                            Column::UpdatedAtMs,
                        ])
                        .to_owned(),
                )
                .exec_without_returning(db)
                .await
                .map(drop)
        }
        Effect::Reauthorise { account, corp_id, refreshed } => {
            let mut update =
                newer_than(account, corp_id, at_ms).col_expr(suite_corp::Column::State, Expr::value(ACTIVE));
            if let Some((corp_name, agent_id)) = refreshed {
                let corp_name: String = corp_name.chars().take(255).collect();
                update = update
                    .col_expr(suite_corp::Column::CorpName, Expr::value(corp_name))
                    .col_expr(suite_corp::Column::AgentId, Expr::value(*agent_id));
            }
            update.exec(db).await.map(drop)
        }
        Effect::Cancel { account, corp_id } => newer_than(account, corp_id, at_ms)
            .col_expr(suite_corp::Column::State, Expr::value(CANCELLED))
            .exec(db)
            .await
            .map(drop),
    }
}

/// An update of the corp's row, unless a callback received after `at_ms`
/// changed it already (then the older one must not undo it).
fn newer_than(account: &str, corp_id: &str, at_ms: i64) -> sea_orm::UpdateMany<suite_corp::Entity> {
    suite_corp::Entity::update_many()
        .col_expr(suite_corp::Column::UpdatedAtMs, Expr::value(at_ms))
        .filter(suite_corp::Column::Account.eq(account))
        .filter(suite_corp::Column::CorpId.eq(corp_id))
        .filter(suite_corp::Column::UpdatedAtMs.lte(at_ms))
}

/// Newest wins: an update where the stored ticket is not newer, else an
/// insert if there is none (a newer one stays).
async fn store_ticket(
    db: &impl ConnectionTrait,
    account: &str,
    ticket: &str,
    at_ms: i64,
) -> Result<(), DbErr> {
    use suite_ticket::Column;
    let updated = suite_ticket::Entity::update_many()
        .col_expr(Column::Ticket, Expr::value(ticket))
        .col_expr(Column::ReceivedAtMs, Expr::value(at_ms))
        .filter(Column::Account.eq(account))
        .filter(Column::ReceivedAtMs.lte(at_ms))
        .exec(db)
        .await?;
    if updated.rows_affected > 0 {
        return Ok(());
    }
    let row = suite_ticket::ActiveModel {
        account: Set(account.to_owned()),
        ticket: Set(ticket.to_owned()),
        received_at_ms: Set(at_ms),
    };
    suite_ticket::Entity::insert(row)
        // MySQL has no DO NOTHING: this becomes `UPDATE account = account`.
        .on_conflict(OnConflict::column(Column::Account).do_nothing_on([Column::Account]).to_owned())
        .exec_without_returning(db)
        .await
        .map(drop)
}

async fn save_checkpoint(db: &impl ConnectionTrait, name: &str, event_id: i64) -> Result<(), DbErr> {
    checkpoint::Entity::insert(checkpoint::ActiveModel {
        name: Set(name.to_owned()),
        event_id: Set(event_id),
    })
    .on_conflict(
        OnConflict::column(checkpoint::Column::Name).update_column(checkpoint::Column::EventId).to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(drop)
}
