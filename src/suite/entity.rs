//! sea-orm entities of the suite tables. Schema: [`super::migration`].

/// The newest `suite_ticket` of each suite account.
pub mod suite_ticket {
    use sea_orm::entity::prelude::*;

    /// A row of `suite_tickets`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "suite_tickets")]
    pub struct Model {
        /// The suite account.
        #[sea_orm(primary_key, auto_increment = false)]
        pub account: String,
        /// The ticket `get_suite_token` takes (a credential: never logged).
        #[sea_orm(column_type = "Text")]
        pub ticket: String,
        /// When the callback carrying it was received, Unix ms (newest wins).
        pub received_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// The corps that authorised a suite account.
pub mod suite_corp {
    use sea_orm::entity::prelude::*;

    /// A row of `suite_corps`.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "suite_corps")]
    pub struct Model {
        /// The suite account.
        #[sea_orm(primary_key, auto_increment = false)]
        pub account: String,
        /// The authorising corp's id (case-sensitive).
        #[sea_orm(primary_key, auto_increment = false)]
        pub corp_id: String,
        /// Its name, as `get_permanent_code` gave it.
        pub corp_name: String,
        /// What `get_corp_token` takes (a credential: never logged).
        #[sea_orm(column_type = "Text")]
        pub permanent_code: String,
        /// The suite's app in that corp (`auth_info.agent[0].agentid`).
        pub agent_id: Option<i64>,
        /// `active` or `cancelled`.
        pub state: String,
        /// When the corp authorised the suite (its `create_auth`), Unix ms.
        pub authorised_at_ms: i64,
        /// When the callback that last changed the row was received, Unix ms:
        /// an older callback (replayed, or seen late by another replica)
        /// never undoes a newer one.
        pub updated_at_ms: i64,
    }

    /// No relations.
    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
