//! The cursors of `kf/sync_msg`, one per (app account, customer-service
//! account), in the tracking store; a row is also the list of accounts the
//! periodic pull visits.

use sea_orm::{ActiveValue::Set, DatabaseConnection, DbErr, EntityTrait, sea_query::OnConflict};

/// A row of `kf_cursors`.
pub mod cursor {
    use sea_orm::entity::prelude::*;

    /// One customer-service account's cursor.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "kf_cursors")]
    pub struct Model {
        /// `{account}|{open_kfid}`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// The app account that pulls.
        pub account: String,
        /// The customer-service account.
        pub open_kfid: String,
        /// `next_cursor` of the last page stored (empty: from the start).
        #[sea_orm(column_type = "Text")]
        pub cursor: String,
        /// When it moved (Unix ms).
        pub updated_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

fn name(account: &str, open_kfid: &str) -> String {
    format!("{account}|{open_kfid}")
}

/// The cursor of `open_kfid` pulled by `account` (empty when new).
pub async fn load(db: &DatabaseConnection, account: &str, open_kfid: &str) -> Result<String, DbErr> {
    Ok(cursor::Entity::find_by_id(name(account, open_kfid))
        .one(db)
        .await?
        .map(|row| row.cursor)
        .unwrap_or_default())
}

/// Stores the cursor (creating the row: the account is pulled from now on).
pub async fn save(db: &DatabaseConnection, account: &str, open_kfid: &str, next: &str) -> Result<(), DbErr> {
    cursor::Entity::insert(cursor::ActiveModel {
        name: Set(name(account, open_kfid)),
        account: Set(account.to_owned()),
        open_kfid: Set(open_kfid.to_owned()),
        cursor: Set(next.to_owned()),
        updated_at_ms: Set(chrono::Utc::now().timestamp_millis()),
    })
    .on_conflict(
        OnConflict::column(cursor::Column::Name)
            .update_columns([cursor::Column::Cursor, cursor::Column::UpdatedAtMs])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await
    .map(drop)
}

/// Registers `open_kfid` for the periodic pull, keeping its cursor.
pub async fn remember(db: &DatabaseConnection, account: &str, open_kfid: &str) -> Result<(), DbErr> {
    cursor::Entity::insert(cursor::ActiveModel {
        name: Set(name(account, open_kfid)),
        account: Set(account.to_owned()),
        open_kfid: Set(open_kfid.to_owned()),
        cursor: Set(String::new()),
        updated_at_ms: Set(chrono::Utc::now().timestamp_millis()),
    })
    // A no-op update on conflict: portable, and the cursor stays.
    .on_conflict(OnConflict::column(cursor::Column::Name).update_column(cursor::Column::Name).to_owned())
    .exec_without_returning(db)
    .await
    .map(drop)
}

/// Every (account, open_kfid) seen.
pub async fn known(db: &DatabaseConnection) -> Result<Vec<(String, String)>, DbErr> {
    Ok(cursor::Entity::find().all(db).await?.into_iter().map(|row| (row.account, row.open_kfid)).collect())
}
