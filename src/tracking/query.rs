//! Reads for the API: messages, recipients, history, interactions and
//! member events, newest first with cursors.

use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect, sea_query::Query};

use super::{
    SqlTrackingStore,
    entity::{history, interaction, member_event, message, recipient},
};

/// Filters for [`SqlTrackingStore::list_messages`].
#[derive(Debug, Clone, Default)]
pub struct MessageFilter {
    /// Current status.
    pub status: Option<String>,
    /// Messages to this recipient.
    pub recipient: Option<String>,
    /// `external`, `wecom_app`, `wecom_bot`.
    pub channel: Option<String>,
    /// The account it is sent through (exact id).
    pub account: Option<String>,
    /// Created at or after, Unix ms.
    pub since_ms: Option<i64>,
    /// Created before, Unix ms.
    pub until_ms: Option<i64>,
    /// Cursor: (created_at_ms, id) of the last row of the previous page.
    pub after: Option<(i64, String)>,
    /// Page size.
    pub limit: u64,
}

/// Filters for interactions and member events.
#[derive(Debug, Clone, Default)]
pub struct ActivityFilter {
    /// The member.
    pub user_id: Option<String>,
    /// The kind (`card_click`, `subscribe`, …).
    pub kind: Option<String>,
    /// The linked message (interactions only).
    pub message_id: Option<String>,
    /// The account it came in for (exact id).
    pub account: Option<String>,
    /// Arrived at or after, Unix ms.
    pub since_ms: Option<i64>,
    /// Arrived before, Unix ms.
    pub until_ms: Option<i64>,
    /// Cursor: the row id of the last row of the previous page.
    pub after: Option<i64>,
    /// Page size.
    pub limit: u64,
}

/// A message with its recipients.
#[derive(Debug, Clone)]
pub struct MessageWithRecipients {
    /// The message row.
    pub message: message::Model,
    /// Its recipients.
    pub recipients: Vec<recipient::Model>,
}

impl SqlTrackingStore {
    /// A page of messages, newest first, and whether more follow.
    pub async fn list_messages(
        &self,
        filter: &MessageFilter,
    ) -> Result<(Vec<message::Model>, bool), sea_orm::DbErr> {
        let mut query = message::Entity::find()
            .order_by_desc(message::Column::CreatedAtMs)
            .order_by_desc(message::Column::Id)
            .limit(filter.limit + 1);
        if let Some(status) = &filter.status {
            query = query.filter(message::Column::Status.eq(status.as_str()));
        }
        if let Some(channel) = &filter.channel {
            query = query.filter(message::Column::Channel.eq(channel.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(message::Column::Account.eq(account.as_str()));
        }
        if let Some(since) = filter.since_ms {
            query = query.filter(message::Column::CreatedAtMs.gte(since));
        }
        if let Some(until) = filter.until_ms {
            query = query.filter(message::Column::CreatedAtMs.lt(until));
        }
        if let Some(recipient_id) = &filter.recipient {
            query = query.filter(
                message::Column::Id.in_subquery(
                    Query::select()
                        .column(recipient::Column::MessageId)
                        .from(recipient::Entity)
                        .and_where(recipient::Column::Recipient.eq(recipient_id.as_str()))
                        .to_owned(),
                ),
            );
        }
        if let Some((created, id)) = &filter.after {
            query = query.filter(
                Condition::any().add(message::Column::CreatedAtMs.lt(*created)).add(
                    Condition::all()
                        .add(message::Column::CreatedAtMs.eq(*created))
                        .add(message::Column::Id.lt(id.as_str())),
                ),
            );
        }
        let mut rows = query.all(self.connection()).await?;
        let more = rows.len() as u64 > filter.limit;
        rows.truncate(filter.limit as usize);
        Ok((rows, more))
    }

    /// One message with its recipients.
    pub async fn get_message(&self, id: &str) -> Result<Option<MessageWithRecipients>, sea_orm::DbErr> {
        let Some(row) = message::Entity::find_by_id(id).one(self.connection()).await? else {
            return Ok(None);
        };
        let recipients = recipient::Entity::find()
            .filter(recipient::Column::MessageId.eq(id))
            .order_by_asc(recipient::Column::Recipient)
            .all(self.connection())
            .await?;
        Ok(Some(MessageWithRecipients { message: row, recipients }))
    }

    /// A message's history in the order it was applied.
    pub async fn history(&self, id: &str) -> Result<Vec<history::Model>, sea_orm::DbErr> {
        history::Entity::find()
            .filter(history::Column::MessageId.eq(id))
            // The version orders the rows of all replicas (compare-and-set).
            .order_by_asc(history::Column::Version)
            .order_by_asc(history::Column::Seq)
            .order_by_asc(history::Column::Recipient)
            .all(self.connection())
            .await
    }

    /// A page of interactions, newest first.
    pub async fn list_interactions(
        &self,
        filter: &ActivityFilter,
    ) -> Result<(Vec<interaction::Model>, bool), sea_orm::DbErr> {
        let mut query =
            interaction::Entity::find().order_by_desc(interaction::Column::Id).limit(filter.limit + 1);
        if let Some(user) = &filter.user_id {
            query = query.filter(interaction::Column::UserId.eq(user.as_str()));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(interaction::Column::Kind.eq(kind.as_str()));
        }
        if let Some(message_id) = &filter.message_id {
            query = query.filter(interaction::Column::MessageId.eq(message_id.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(interaction::Column::Account.eq(account.as_str()));
        }
        if let Some(since) = filter.since_ms {
            query = query.filter(interaction::Column::ReceivedAtMs.gte(since));
        }
        if let Some(until) = filter.until_ms {
            query = query.filter(interaction::Column::ReceivedAtMs.lt(until));
        }
        if let Some(after) = filter.after {
            query = query.filter(interaction::Column::Id.lt(after));
        }
        let mut rows = query.all(self.connection()).await?;
        let more = rows.len() as u64 > filter.limit;
        rows.truncate(filter.limit as usize);
        Ok((rows, more))
    }

    /// A page of member events, newest first.
    pub async fn list_member_events(
        &self,
        filter: &ActivityFilter,
    ) -> Result<(Vec<member_event::Model>, bool), sea_orm::DbErr> {
        let mut query =
            member_event::Entity::find().order_by_desc(member_event::Column::Id).limit(filter.limit + 1);
        if let Some(user) = &filter.user_id {
            query = query.filter(member_event::Column::UserId.eq(user.as_str()));
        }
        if let Some(kind) = &filter.kind {
            query = query.filter(member_event::Column::Kind.eq(kind.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(member_event::Column::Account.eq(account.as_str()));
        }
        if let Some(since) = filter.since_ms {
            query = query.filter(member_event::Column::ReceivedAtMs.gte(since));
        }
        if let Some(until) = filter.until_ms {
            query = query.filter(member_event::Column::ReceivedAtMs.lt(until));
        }
        if let Some(after) = filter.after {
            query = query.filter(member_event::Column::Id.lt(after));
        }
        let mut rows = query.all(self.connection()).await?;
        let more = rows.len() as u64 > filter.limit;
        rows.truncate(filter.limit as usize);
        Ok((rows, more))
    }
}
