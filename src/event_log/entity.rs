//! sea-orm entities of the event log. The schema itself lives in
//! [`super::migration`]; these mirror it.

/// One acknowledged callback.
pub mod event {
    use sea_orm::entity::prelude::*;

    /// A row of `events`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        /// Assigned by the committer, monotonic in commit order.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// Arrival time, Unix milliseconds.
        pub received_at_ms: i64,
        /// `wechat_api` or `wechat_bot`.
        pub channel: String,
        /// The account it came in for (or was sent through): `default` for
        /// the seed's app and robot, and for sources without accounts.
        pub account: String,
        /// Dotted type label.
        pub callback_type: String,
        /// The dedupe key.
        pub dedupe_key: String,
        /// The member, if any.
        pub user_id: Option<String>,
        /// The peer address.
        pub source_ip: Option<String>,
        /// `xml` or `json`.
        pub envelope_format: String,
        /// The query's `msg_signature`.
        pub msg_signature: String,
        /// The query's `timestamp`.
        pub timestamp: String,
        /// The query's `nonce`.
        pub nonce: String,
        /// The ciphertext as received.
        #[sea_orm(column_type = "Text")]
        pub ciphertext: String,
        /// The decrypted document.
        #[sea_orm(column_type = "Text")]
        pub plaintext: String,
        /// The typed payload as JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Dedupe keys seen within the window, kept across restarts.
pub mod dedupe_key {
    use sea_orm::entity::prelude::*;

    /// A row of `dedupe_keys`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "dedupe_keys")]
    pub struct Model {
        /// The key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub dedupe_key: String,
        /// When it was first stored, Unix milliseconds.
        pub first_seen_ms: i64,
        /// The event stored under it.
        pub event_id: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Authenticated callbacks we could not parse: kept, not processed.
pub mod quarantine {
    use sea_orm::entity::prelude::*;

    /// A row of `quarantine`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "quarantine")]
    pub struct Model {
        /// Row id.
        #[sea_orm(primary_key)]
        pub id: i64,
        /// Arrival time, Unix milliseconds.
        pub received_at_ms: i64,
        /// `wechat_api` or `wechat_bot`.
        pub channel: String,
        /// The account whose credentials verified it.
        pub account: String,
        /// The -400xx code it was refused with.
        pub error_code: i32,
        /// Why.
        pub reason: String,
        /// SHA-1 of the ciphertext: WeCom's retries of it are stored once.
        #[sea_orm(unique)]
        pub content_hash: String,
        /// The ciphertext as received.
        #[sea_orm(column_type = "Text")]
        pub ciphertext: String,
        /// The decrypted bytes (lossy UTF-8).
        #[sea_orm(column_type = "Text")]
        pub plaintext: String,
        /// The peer address.
        pub source_ip: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The catalog (`catalog.db`, attached to the log's readers as `catalog`):
/// the columns the events API filters on, indexed, written behind the log.
pub mod catalog_entry {
    use sea_orm::entity::prelude::*;

    /// A row of `catalog.catalog_entries`: one event's filterable columns.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(schema_name = "catalog", table_name = "catalog_entries")]
    pub struct Model {
        /// The event's id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        /// Arrival time, Unix milliseconds.
        pub received_at_ms: i64,
        /// `wechat_api` or `wechat_bot`.
        pub channel: String,
        /// The account.
        pub account: String,
        /// Dotted type label.
        pub callback_type: String,
        /// The member, if any.
        pub user_id: Option<String>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
