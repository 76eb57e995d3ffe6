//! The shared events table (in the tracking store: MySQL in external mode).

/// One stored callback as every replica sees it.
pub mod shared_event {
    use sea_orm::entity::prelude::*;

    /// A row of `shared_events`: an event log row without its ciphertext.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shared_events")]
    pub struct Model {
        /// The instance (replica) whose event log stored it.
        #[sea_orm(primary_key, auto_increment = false)]
        pub origin: String,
        /// Its id in that event log.
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: i64,
        /// Arrival time, Unix milliseconds.
        pub received_at_ms: i64,
        /// The account.
        pub account: String,
        /// `wechat_api`, `wechat_bot`, …
        pub channel: String,
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
        /// The decrypted document.
        pub plaintext: String,
        /// The typed payload as JSON.
        pub payload: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
