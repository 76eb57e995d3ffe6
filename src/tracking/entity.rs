//! sea-orm entities of the tracking store (messages, recipients, history,
//! interactions, member events, checkpoints). Schema: [`super::migration`].

/// Tracked messages.
pub mod message {
    use sea_orm::entity::prelude::*;

    /// A row of `messages`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "messages")]
    pub struct Model {
        /// Message id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        /// `external`, `wecom_app`, `wecom_bot`.
        pub channel: String,
        /// The account it is sent through.
        pub account: String,
        /// Current status (most advanced recipient).
        pub status: Option<String>,
        /// Registered through the API (else created by its first observation).
        pub registered: bool,
        /// WeCom msgid.
        pub wecom_msgid: Option<String>,
        /// Template card task id.
        pub task_id: Option<String>,
        /// Number of recipients.
        pub recipient_count: i32,
        /// First seen, Unix ms.
        pub created_at_ms: i64,
        /// Last change, Unix ms.
        pub updated_at_ms: i64,
        /// Last event applied.
        pub last_event_id: i64,
        /// Changes stored so far: orders the history across replicas.
        pub version: i64,
        /// Random token of the stored state, compared-and-set by writers.
        pub revision: i64,
        /// The full actor state as JSON, reloaded exactly on reactivation.
        #[sea_orm(column_type = "Text")]
        pub state: String,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Per-recipient states.
pub mod recipient {
    use sea_orm::entity::prelude::*;

    /// A row of `recipients`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "recipients")]
    pub struct Model {
        /// Message id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub message_id: String,
        /// Recipient (`""` for the whole message).
        #[sea_orm(primary_key, auto_increment = false)]
        pub recipient: String,
        /// Current status.
        pub status: String,
        /// Statuses reached, as a bitmask.
        pub seen: i32,
        /// Last change, Unix ms.
        pub updated_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Every observation and implied step.
pub mod history {
    use sea_orm::entity::prelude::*;

    /// A row of `status_history`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "status_history")]
    pub struct Model {
        /// Insertion order (forwarding tails it per origin).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The instance (event log) the source event was committed in.
        pub origin: String,
        /// Source event.
        pub event_id: i64,
        /// Position in the event.
        pub seq: i64,
        /// Recipient.
        pub recipient: String,
        /// Message id.
        pub message_id: String,
        /// Status observed or implied.
        pub status: String,
        /// applied, implied, duplicate, stale, conflict.
        pub outcome: String,
        /// Status before.
        pub from_status: Option<String>,
        /// Where it came from.
        pub source: String,
        /// When it says it happened, Unix ms.
        pub occurred_at_ms: Option<i64>,
        /// When it arrived, Unix ms.
        pub received_at_ms: i64,
        /// Free text.
        pub detail: Option<String>,
        /// The message's version once this row applied.
        pub version: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// User interactions.
pub mod interaction {
    use sea_orm::entity::prelude::*;

    /// A row of `interactions`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "interactions")]
    pub struct Model {
        /// Insertion order across replicas (the API's cursor).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The instance (event log) the source event was committed in.
        pub origin: String,
        /// Source event, in its origin's event log.
        pub event_id: i64,
        /// Position in the event.
        pub seq: i64,
        /// Who.
        pub user_id: String,
        /// What kind.
        pub kind: String,
        /// Linked message.
        pub message_id: Option<String>,
        /// Callback type.
        pub callback_type: String,
        /// Channel.
        pub channel: String,
        /// The account it came in for.
        pub account: String,
        /// Typed callback JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        /// When it happened, Unix ms.
        pub occurred_at_ms: Option<i64>,
        /// When it arrived, Unix ms.
        pub received_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Member events.
pub mod member_event {
    use sea_orm::entity::prelude::*;

    /// A row of `member_events`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "member_events")]
    pub struct Model {
        /// Insertion order across replicas (the API's cursor).
        #[sea_orm(primary_key)]
        pub id: i64,
        /// The instance (event log) the source event was committed in.
        pub origin: String,
        /// Source event, in its origin's event log.
        pub event_id: i64,
        /// Position in the event.
        pub seq: i64,
        /// The member, if named.
        pub user_id: Option<String>,
        /// subscribe, unsubscribe, create_user, …
        pub kind: String,
        /// The account it came in for.
        pub account: String,
        /// Typed callback JSON.
        #[sea_orm(column_type = "Text")]
        pub payload: String,
        /// When it happened, Unix ms.
        pub occurred_at_ms: Option<i64>,
        /// When it arrived, Unix ms.
        pub received_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which replica applies each callback (dedupe across replicas).
pub mod dedupe_claim {
    use sea_orm::entity::prelude::*;

    /// A row of `dedupe_claims`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "dedupe_claims")]
    pub struct Model {
        /// SHA-1 (hex) of the callback's dedupe key.
        #[sea_orm(primary_key, auto_increment = false)]
        pub key_hash: String,
        /// The instance that applies it.
        pub origin: String,
        /// Its event id there.
        pub event_id: i64,
        /// When it was claimed, Unix ms.
        pub claimed_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Named checkpoints.
pub mod checkpoint {
    use sea_orm::entity::prelude::*;

    /// A row of `checkpoints`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "checkpoints")]
    pub struct Model {
        /// `tracking`.
        #[sea_orm(primary_key, auto_increment = false)]
        pub name: String,
        /// Every event at or below it is applied and stored.
        pub event_id: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
