//! Which customers' 微信客服 sessions were closed, and when: a
//! `session_status_change` that ends a session (`change_type` 3) marks it
//! closed; one that takes it up again (1, 2, 4) opens it. A send into a
//! session closed after it was accepted is not retried any more (WeCom
//! would refuse it: the customer must write first).

use sea_orm::{
    ActiveValue::Set, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict,
};
use serde_json::Value;

/// A row of `kf_sessions`.
pub mod session {
    use sea_orm::entity::prelude::*;

    /// One customer's session with one customer-service account.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "kf_sessions")]
    pub struct Model {
        /// `{open_kfid}|{external_userid}`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// When it was last closed (Unix ms); 0 while open.
        pub closed_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn name(open_kfid: &str, customer: &str) -> String {
    format!("{open_kfid}|{customer}")
}

/// The sessions of the tracking store.
#[derive(Clone)]
pub struct KfSessions {
    db: DatabaseConnection,
}

impl KfSessions {
    /// Over the tracking store.
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Applies a pulled `session_status_change` item, if it is one.
    pub async fn observe(&self, open_kfid: &str, item: &Value) -> Result<(), DbErr> {
        if item.pointer("/event/event_type").and_then(Value::as_str) != Some("session_status_change") {
            return Ok(());
        }
        let Some(customer) = item.pointer("/event/external_userid").and_then(Value::as_str) else {
            return Ok(());
        };
        let change = item.pointer("/event/change_type").and_then(Value::as_i64).unwrap_or_default();
        let at = item
            .get("send_time")
            .and_then(Value::as_i64)
            .map_or_else(|| chrono::Utc::now().timestamp_millis(), |s| s * 1000);
        let closed_at_ms = if change == 3 { at.max(1) } else { 0 };
        set(&self.db, &name(open_kfid, customer), closed_at_ms).await
    }

    /// Whether `customer`'s session with `open_kfid` was closed after `since_ms`.
    pub async fn closed_since(&self, open_kfid: &str, customer: &str, since_ms: i64) -> Result<bool, DbErr> {
        let row = session::Entity::find_by_id(name(open_kfid, customer)).one(&self.db).await?;
        // WeCom gives the time in seconds: a closure in the same second counts.
        Ok(row.is_some_and(|row| row.closed_at_ms > 0 && row.closed_at_ms + 999 >= since_ms))
    }
}

async fn set(db: &impl ConnectionTrait, name: &str, closed_at_ms: i64) -> Result<(), DbErr> {
    session::Entity::insert(session::ActiveModel {
        name: Set(name.to_owned()),
        closed_at_ms: Set(closed_at_ms),
    })
    .on_conflict(
        OnConflict::column(session::Column::Name).update_column(session::Column::ClosedAtMs).to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(drop)
}
