//! sea-orm entities of forwarding.

/// Subscriptions.
pub mod subscription {
    use sea_orm::entity::prelude::*;

    /// A row of `subscriptions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "subscriptions")]
    pub struct Model {
        /// `sub_…`, or the id given in the configuration.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// Where deliveries are POSTed.
        pub url: String,
        /// Comma-separated kinds: `status`, `interaction`, `member`, `callback`.
        pub kinds: String,
        /// The accounts whose events it receives, a JSON list of ids; `None`:
        /// every account ([`crate::forwarding::accounts`]).
        #[sea_orm(column_type = "Text", nullable)]
        pub accounts: Option<String>,
        /// Standard Webhooks secret (`whsec_…`).
        pub secret: String,
        /// The secret being rotated out: deliveries carry its signature too
        /// until `previous_secret_expires_at_ms`.
        pub previous_secret: Option<String>,
        /// When the previous secret stops signing, Unix ms.
        pub previous_secret_expires_at_ms: Option<i64>,
        /// `api` or `config`.
        pub source: String,
        /// Created, Unix ms.
        pub created_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Deliveries.
pub mod delivery {
    use sea_orm::entity::prelude::*;

    /// A row of `deliveries`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "deliveries")]
    pub struct Model {
        /// Delivery id (also the `webhook-id`, as `dlv_{id}`).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The subscription.
        pub subscription_id: String,
        /// The replica that delivers it.
        pub origin: String,
        /// What it was made from (unique per subscription).
        pub source_key: String,
        /// Deliveries with one key go out in order (a message id, a user id).
        pub order_key: String,
        /// `message.status`, `interaction`, `member`, `callback`.
        pub event_type: String,
        /// The JSON event.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        /// `pending`, `delivered` or `dead`.
        pub state: String,
        /// Tries so far.
        pub attempts: i32,
        /// Next try, Unix ms.
        pub next_attempt_ms: i64,
        /// The receiver's last HTTP status.
        pub last_status: Option<i32>,
        /// The last failure.
        pub last_error: Option<String>,
        /// Created, Unix ms.
        pub created_at_ms: i64,
        /// Delivered, Unix ms.
        pub delivered_at_ms: Option<i64>,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
