//! The actors' writes: one transaction per batch, bulk inserts in few
//! shapes, and the compare-and-set that keeps replicas from overwriting each
//! other's transitions.

use std::{
    borrow::Cow,
    collections::{HashMap, HashSet},
};

use async_trait::async_trait;
use pmc_actors::{MessageId, MessageState, StoreError, TrackingStore, rows::WriteBatch};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter, QuerySelect, TransactionTrait,
    sea_query::OnConflict,
};

use super::{SqlTrackingStore, clamp, store_error, write_error};
use crate::tracking::entity::{checkpoint, history, interaction, member_event, message, recipient};

/// Inserts rows in statements of few shapes ([`crate::sql_chunks`]); `on_conflict`
/// decides what a key conflict does (update the state, or keep the first row).
async fn insert_in_chunks<A>(
    transaction: &DatabaseTransaction,
    rows: Vec<A>,
    on_conflict: OnConflict,
) -> Result<(), StoreError>
where
    A: ActiveModelTrait + Clone + Send,
{
    for chunk in crate::sql_chunks::chunks(&rows) {
        <A::Entity as EntityTrait>::insert_many(chunk.to_vec())
            .on_conflict(on_conflict.clone())
            .exec_without_returning(transaction)
            .await
            .map_err(write_error)?;
    }
    Ok(())
}

#[async_trait]
impl TrackingStore for SqlTrackingStore {
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError> {
        let Some(row) = message::Entity::find_by_id(id.as_str()).one(&self.db).await.map_err(store_error)?
        else {
            return Ok(None);
        };
        let mut state: MessageState = serde_json::from_str(&row.state).map_err(store_error)?;
        state.version = row.version;
        state.revision = row.revision;
        Ok(Some(state))
    }

    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError> {
        let row = message::Entity::find()
            .filter(message::Column::TaskId.eq(task_id))
            .one(&self.db)
            .await
            .map_err(store_error)?;
        Ok(row.and_then(|row| MessageId::parse(&row.id).ok()))
    }

    async fn write(&self, batch: &WriteBatch) -> Result<Vec<MessageId>, StoreError> {
        let transaction = self.db.begin().await.map_err(write_error)?;
        let superseded = self.superseded(&transaction, batch).await?;
        let batch = if superseded.is_empty() {
            Cow::Borrowed(batch)
        } else {
            let mut kept = batch.clone();
            kept.remove_messages(&superseded);
            Cow::Owned(kept)
        };
        // Upserts: the last state of each message/recipient in the batch wins
        // (SQLite refuses to upsert one row twice in a statement).
        let mut messages: HashMap<&MessageId, message::ActiveModel> = HashMap::new();
        for row in &batch.messages {
            let state = &row.state;
            messages.insert(
                &row.message_id,
                message::ActiveModel {
                    id: Set(row.message_id.to_string()),
                    channel: Set(clamp(state.channel.as_deref().unwrap_or("external"), 48)),
                    account: Set(state.account.clone().unwrap_or_else(pmc_actors::default_account)),
                    status: Set(state.status().map(|status| status.as_str().to_owned())),
                    registered: Set(state.registered),
                    wecom_msgid: Set(state.wecom_msgid.clone()),
                    task_id: Set(state.task_id.clone()),
                    recipient_count: Set(state.recipients.len() as i32),
                    created_at_ms: Set(state.created_at_ms),
                    updated_at_ms: Set(state.updated_at_ms),
                    last_event_id: Set(row.last_event_id),
                    version: Set(state.version),
                    revision: Set(state.revision),
                    state: Set(serde_json::to_string(state).map_err(store_error)?),
                },
            );
        }
        let messages: Vec<message::ActiveModel> = messages.into_values().collect();
        insert_in_chunks(
            &transaction,
            messages,
            OnConflict::column(message::Column::Id)
                .update_columns([
                    message::Column::Channel,
                    message::Column::Account,
                    message::Column::Status,
                    message::Column::Registered,
                    message::Column::WecomMsgid,
                    message::Column::TaskId,
                    message::Column::RecipientCount,
                    message::Column::CreatedAtMs,
                    message::Column::UpdatedAtMs,
                    message::Column::LastEventId,
                    message::Column::Version,
                    message::Column::Revision,
                    message::Column::State,
                ])
                .to_owned(),
        )
        .await?;
        let mut recipients: HashMap<(&MessageId, &str), recipient::ActiveModel> = HashMap::new();
        for row in &batch.recipients {
            recipients.insert(
                (&row.message_id, row.recipient.as_str()),
                recipient::ActiveModel {
                    message_id: Set(row.message_id.to_string()),
                    recipient: Set(clamp(&row.recipient, 128)),
                    status: Set(row.status.as_str().to_owned()),
                    seen: Set(i32::from(row.seen.bits())),
                    updated_at_ms: Set(row.updated_at_ms),
                },
            );
        }
        let recipients: Vec<recipient::ActiveModel> = recipients.into_values().collect();
        insert_in_chunks(
            &transaction,
            recipients,
            OnConflict::columns([recipient::Column::MessageId, recipient::Column::Recipient])
                .update_columns([
                    recipient::Column::Status,
                    recipient::Column::Seen,
                    recipient::Column::UpdatedAtMs,
                ])
                .to_owned(),
        )
        .await?;
        // Keyed rows: inserted once, so a replay never doubles them.
        let history_rows: Vec<history::ActiveModel> = batch
            .history
            .iter()
            .map(|row| history::ActiveModel {
                id: NotSet,
                origin: Set(self.origin.clone()),
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                recipient: Set(clamp(&row.recipient, 128)),
                message_id: Set(row.message_id.to_string()),
                status: Set(row.status.as_str().to_owned()),
                outcome: Set(row.outcome.as_str().to_owned()),
                from_status: Set(row.from_status.map(|status| status.as_str().to_owned())),
                source: Set(row.source.chars().take(64).collect()),
                occurred_at_ms: Set(row.occurred_at_ms),
                received_at_ms: Set(row.received_at_ms),
                detail: Set(row.detail.clone()),
                version: Set(row.version),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            history_rows,
            OnConflict::columns([
                history::Column::Origin,
                history::Column::EventId,
                history::Column::Seq,
                history::Column::Recipient,
            ])
            .do_nothing_on([history::Column::EventId])
            .to_owned(),
        )
        .await?;
        let interactions: Vec<interaction::ActiveModel> = batch
            .interactions
            .iter()
            .map(|row| interaction::ActiveModel {
                id: NotSet,
                origin: Set(self.origin.clone()),
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                user_id: Set(clamp(&row.record.user_id, 128)),
                kind: Set(clamp(&row.record.kind, 48)),
                message_id: Set(row.record.message_id.as_ref().map(ToString::to_string)),
                callback_type: Set(clamp(&row.record.callback_type, 96)),
                channel: Set(clamp(&row.record.channel, 48)),
                account: Set(clamp(&row.record.account, 40)),
                payload: Set(row.record.payload.to_string()),
                occurred_at_ms: Set(row.record.occurred_at_ms),
                received_at_ms: Set(row.record.received_at_ms),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            interactions,
            OnConflict::columns([
                interaction::Column::Origin,
                interaction::Column::EventId,
                interaction::Column::Seq,
            ])
            .do_nothing_on([interaction::Column::EventId])
            .to_owned(),
        )
        .await?;
        let members: Vec<member_event::ActiveModel> = batch
            .member_events
            .iter()
            .map(|row| member_event::ActiveModel {
                id: NotSet,
                origin: Set(self.origin.clone()),
                event_id: Set(row.event_id),
                seq: Set(i64::from(row.seq)),
                user_id: Set(row.record.user_id.as_deref().map(|user| clamp(user, 128))),
                kind: Set(clamp(&row.record.kind, 48)),
                account: Set(clamp(&row.record.account, 40)),
                payload: Set(row.record.payload.to_string()),
                occurred_at_ms: Set(row.record.occurred_at_ms),
                received_at_ms: Set(row.record.received_at_ms),
            })
            .collect();
        insert_in_chunks(
            &transaction,
            members,
            OnConflict::columns([
                member_event::Column::Origin,
                member_event::Column::EventId,
                member_event::Column::Seq,
            ])
            .do_nothing_on([member_event::Column::EventId])
            .to_owned(),
        )
        .await?;
        if let Some(event_id) = batch.checkpoint {
            checkpoint::Entity::insert(checkpoint::ActiveModel {
                name: Set(self.checkpoint_name.clone()),
                event_id: Set(event_id),
            })
            .on_conflict(
                OnConflict::column(checkpoint::Column::Name)
                    .update_column(checkpoint::Column::EventId)
                    .to_owned(),
            )
            .exec_without_returning(&transaction)
            .await
            .map_err(write_error)?;
        }
        transaction.commit().await.map_err(write_error)?;
        if let Some(hook) = &self.on_write {
            let mut changed: Vec<String> =
                batch.messages.iter().map(|row| row.message_id.to_string()).collect();
            changed.extend(batch.recipients.iter().map(|row| row.message_id.to_string()));
            changed.sort_unstable();
            changed.dedup();
            hook(changed);
        }
        Ok(superseded.into_iter().collect())
    }
}

impl SqlTrackingStore {
    /// The messages of `batch` whose stored revision is no longer the one
    /// their first row derives from: another replica changed them. In MySQL
    /// their rows are locked (`FOR UPDATE`) until the transaction ends, so
    /// no replica can change them between this check and the write.
    async fn superseded(
        &self,
        transaction: &DatabaseTransaction,
        batch: &WriteBatch,
    ) -> Result<HashSet<MessageId>, StoreError> {
        let mut base: HashMap<&str, (&MessageId, i64)> = HashMap::new();
        for row in &batch.messages {
            base.entry(row.message_id.as_str()).or_insert((&row.message_id, row.base_revision));
        }
        let mut ids: Vec<&str> = base.keys().copied().collect();
        ids.sort_unstable();
        let mut stored: HashMap<String, i64> = HashMap::new();
        for chunk in crate::sql_chunks::chunks(&ids) {
            let mut query = message::Entity::find()
                .select_only()
                .column(message::Column::Id)
                .column(message::Column::Revision)
                .filter(message::Column::Id.is_in(chunk.iter().copied()));
            if self.db.get_database_backend() == DbBackend::MySql {
                query = query.lock_exclusive();
            }
            let rows: Vec<(String, i64)> = query.into_tuple().all(transaction).await.map_err(write_error)?;
            stored.extend(rows);
        }
        Ok(base
            .into_iter()
            .filter(|(id, (_, base_revision))| stored.get(*id).copied().unwrap_or(0) != *base_revision)
            .map(|(_, (message_id, _))| message_id.clone())
            .collect())
    }
}
