//! Reading the event log: the API's pages (newest first, cursor-paginated)
//! and the consumers' tails (oldest first, recent commits from memory).

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

use std::sync::Arc;

use super::{
    EventLog, EventLogError, LoggedEvent, StoredEvent,
    entity::{dedupe_key, event, quarantine},
    recent::Recent,
};

/// Filters for [`EventLog::list`]; all optional, combined with AND.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Exact type, or a prefix written `event.*`.
    pub callback_type: Option<String>,
    /// Exact member id.
    pub user_id: Option<String>,
    /// `wechat_api` or `wechat_bot`.
    pub channel: Option<String>,
    /// Exact account id.
    pub account: Option<String>,
    /// Received at or after, Unix milliseconds.
    pub since_ms: Option<i64>,
    /// Received before, Unix milliseconds.
    pub until_ms: Option<i64>,
    /// Cursor: only events with a smaller id.
    pub before_id: Option<i64>,
    /// Page size.
    pub limit: u64,
}

/// One page of events.
#[derive(Debug, Clone)]
pub struct EventPage {
    /// The events, newest first.
    pub events: Vec<StoredEvent>,
    /// The cursor for the next page, if there is one.
    pub next_before_id: Option<i64>,
}

impl EventLog {
    /// Lists events matching `filter`, newest first.
    pub async fn list(&self, filter: &EventFilter) -> Result<EventPage, EventLogError> {
        let mut query = event::Entity::find().order_by_desc(event::Column::Id);
        if let Some(callback_type) = &filter.callback_type {
            query = match callback_type.strip_suffix('*') {
                Some(prefix) => query.filter(event::Column::CallbackType.starts_with(prefix)),
                None => query.filter(event::Column::CallbackType.eq(callback_type.as_str())),
            };
        }
        if let Some(user_id) = &filter.user_id {
            query = query.filter(event::Column::UserId.eq(user_id.as_str()));
        }
        if let Some(channel) = &filter.channel {
            query = query.filter(event::Column::Channel.eq(channel.as_str()));
        }
        if let Some(account) = &filter.account {
            query = query.filter(event::Column::Account.eq(account.as_str()));
        }
        if let Some(since) = filter.since_ms {
            query = query.filter(event::Column::ReceivedAtMs.gte(since));
        }
        if let Some(until) = filter.until_ms {
            query = query.filter(event::Column::ReceivedAtMs.lt(until));
        }
        if let Some(before) = filter.before_id {
            query = query.filter(event::Column::Id.lt(before));
        }
        let mut events = query.limit(filter.limit + 1).all(&self.reader).await?;
        let next_before_id = if events.len() as u64 > filter.limit {
            events.truncate(filter.limit as usize);
            events.last().map(|event| event.id)
        } else {
            None
        };
        Ok(EventPage { events, next_before_id })
    }

    /// Events with an id above `after_id`, oldest first: from memory when
    /// the cursor is recent (the live hand-off), else from the log (replay,
    /// or a consumer that fell behind the buffer). Both give the same rows.
    pub async fn events_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<Arc<LoggedEvent>>, EventLogError> {
        if let Recent::Events(events) =
            self.recent.after(after_id, usize::try_from(limit).unwrap_or(usize::MAX))
        {
            return Ok(events);
        }
        self.stored_events_after(after_id, limit).await
    }

    /// [`EventLog::events_after`], always read from SQLite.
    pub async fn stored_events_after(
        &self,
        after_id: i64,
        limit: u64,
    ) -> Result<Vec<Arc<LoggedEvent>>, EventLogError> {
        let rows = event::Entity::find()
            .filter(event::Column::Id.gt(after_id))
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(&self.reader)
            .await?;
        Ok(rows.into_iter().map(|row| Arc::new(LoggedEvent::from_row(row))).collect())
    }

    /// Reads of consumers answered from memory, and those sent to SQLite.
    pub fn hand_off_counters(&self) -> (u64, u64) {
        self.recent.counters()
    }

    /// Counts whether what a consumer derived from an event handed over in
    /// memory agreed with what replay derives from its stored row.
    pub fn record_replay_check(&self, agreed: bool) {
        self.recent.record_replay_check(agreed);
    }

    /// Replay comparisons that agreed, and those that differed.
    pub fn replay_checks(&self) -> (u64, u64) {
        self.recent.replay_checks()
    }

    /// Events of these types after `after_id`, in commit order, and the
    /// last id looked at (so a caller skipping other types still advances).
    pub async fn events_of_types_after(
        &self,
        after_id: i64,
        types: &[&str],
        limit: u64,
    ) -> Result<(Vec<Arc<LoggedEvent>>, i64), EventLogError> {
        let wanted = usize::try_from(limit).unwrap_or(usize::MAX);
        if let (Recent::Events(events), looked_at) = self.recent.of_types_after(after_id, types, wanted) {
            return Ok((events, looked_at));
        }
        let head = self.head();
        let events = event::Entity::find()
            .filter(event::Column::Id.gt(after_id))
            .filter(event::Column::Id.lte(head))
            .filter(event::Column::CallbackType.is_in(types.iter().copied()))
            .order_by_asc(event::Column::Id)
            .limit(limit)
            .all(&self.reader)
            .await?;
        let looked_at =
            if events.len() as u64 == limit { events.last().map_or(head, |e| e.id) } else { head };
        Ok((
            events.into_iter().map(|row| Arc::new(LoggedEvent::from_row(row))).collect(),
            looked_at.max(after_id),
        ))
    }

    /// The event stored under `dedupe_key`, if it is still remembered.
    pub async fn event_for_dedupe_key(&self, dedupe_key: &str) -> Result<Option<i64>, EventLogError> {
        Ok(dedupe_key::Entity::find_by_id(dedupe_key).one(&self.reader).await?.map(|row| row.event_id))
    }

    /// One event by id.
    pub async fn get(&self, id: i64) -> Result<Option<StoredEvent>, EventLogError> {
        Ok(event::Entity::find_by_id(id).one(&self.reader).await?)
    }

    /// How many events are stored.
    pub async fn count(&self) -> Result<u64, EventLogError> {
        Ok(event::Entity::find().count(&self.reader).await?)
    }

    /// How many callbacks are in quarantine.
    pub async fn quarantined_count(&self) -> Result<u64, EventLogError> {
        Ok(quarantine::Entity::find().count(&self.reader).await?)
    }

    /// A read round-trip, for readiness checks.
    pub async fn ping(&self) -> Result<(), EventLogError> {
        event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .limit(1)
            .into_tuple::<i64>()
            .one(&self.reader)
            .await?;
        Ok(())
    }
}
