//! Reading the shared events view for the API: newest first across
//! replicas, with a cursor on (arrival, origin, id) so pages never skip or
//! repeat an event when several share a millisecond.

use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};

use super::entity::shared_event;
use crate::event_log::{EventFilter, StoredEvent};

/// The shared view's reader (a handle on the tracking store's database).
#[derive(Clone)]
pub struct SharedEvents {
    db: DatabaseConnection,
}

/// One page read from the shared view.
#[derive(Debug, Clone)]
pub struct SharedEventPage {
    /// `(origin, event)`, newest first. The events carry no ciphertext.
    pub events: Vec<(String, StoredEvent)>,
    /// Where the next page starts, if there is one: `(received_ms, origin, id)`.
    pub next: Option<(i64, String, i64)>,
}

impl SharedEvents {
    /// A reader over `db` (where [`super::EventsView`] writes).
    pub fn new(db: DatabaseConnection) -> Self {
        Self { db }
    }

    /// Lists events matching `filter` (its `before_id` is ignored), newest
    /// first, after the cursor `after`.
    pub async fn list(
        &self,
        filter: &EventFilter,
        after: Option<(i64, String, i64)>,
    ) -> Result<SharedEventPage, sea_orm::DbErr> {
        use shared_event::Column;
        let mut query = shared_event::Entity::find()
            .order_by_desc(Column::ReceivedAtMs)
            .order_by_desc(Column::Origin)
            .order_by_desc(Column::EventId);
        if let Some(callback_type) = &filter.callback_type {
            query = match callback_type.strip_suffix('*') {
                Some(prefix) => query.filter(Column::CallbackType.starts_with(prefix)),
                None => query.filter(Column::CallbackType.eq(callback_type.as_str())),
            };
        }
        if let Some(user_id) = &filter.user_id {
            query = query.filter(Column::UserId.eq(user_id.as_str()));
        }
        if let Some(channel) = &filter.channel {
            query = query.filter(Column::Channel.eq(channel.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(Column::Account.eq(account.as_str()));
        }
        if let Some(since) = filter.since_ms {
            query = query.filter(Column::ReceivedAtMs.gte(since));
        }
        if let Some(until) = filter.until_ms {
            query = query.filter(Column::ReceivedAtMs.lt(until));
        }
        if let Some((received_ms, origin, id)) = after {
            query = query.filter(Condition::any().add(Column::ReceivedAtMs.lt(received_ms)).add(
                Condition::all().add(Column::ReceivedAtMs.eq(received_ms)).add(
                    Condition::any().add(Column::Origin.lt(origin.as_str())).add(
                        Condition::all().add(Column::Origin.eq(origin.as_str())).add(Column::EventId.lt(id)),
                    ),
                ),
            ));
        }
        let mut rows = query.limit(filter.limit + 1).all(&self.db).await?;
        let next = if rows.len() as u64 > filter.limit {
            rows.truncate(filter.limit as usize);
            rows.last().map(|row| (row.received_at_ms, row.origin.clone(), row.event_id))
        } else {
            None
        };
        Ok(SharedEventPage { events: rows.into_iter().map(split).collect(), next })
    }

    /// One event of `origin`'s event log, by id.
    pub async fn get(&self, origin: &str, id: i64) -> Result<Option<(String, StoredEvent)>, sea_orm::DbErr> {
        Ok(shared_event::Entity::find_by_id((origin.to_owned(), id)).one(&self.db).await?.map(split))
    }
}

/// A view row as the event log's row type, without the ciphertext.
fn split(row: shared_event::Model) -> (String, StoredEvent) {
    let event = StoredEvent {
        id: row.event_id,
        received_at_ms: row.received_at_ms,
        channel: row.channel,
        account: row.account,
        callback_type: row.callback_type,
        dedupe_key: row.dedupe_key,
        user_id: row.user_id,
        source_ip: row.source_ip,
        envelope_format: row.envelope_format,
        msg_signature: row.msg_signature,
        timestamp: row.timestamp,
        nonce: row.nonce,
        ciphertext: String::new(),
        plaintext: row.plaintext,
        payload: row.payload,
    };
    (row.origin, event)
}
