//! Reading the event log: the API's pages (newest first, cursor-paginated)
//! and the consumers' tails (oldest first, recent commits from memory).

use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionTrait,
};

use std::sync::Arc;

use super::{
    EventLog, EventLogError, LoggedEvent, StoredEvent,
    entity::{catalog_entry, dedupe_key, event, quarantine},
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
    /// Lists events matching `filter`, newest first. Filters by type,
    /// member, channel or account go through the catalog up to its head,
    /// and scan the log above it, in one snapshot of both.
    pub async fn list(&self, filter: &EventFilter) -> Result<EventPage, EventLogError> {
        let wanted = filter.limit + 1;
        let mut events = if filter.needs_catalog() {
            let snapshot = self.reader.begin().await?;
            let catalogued = catalog_head(&snapshot).await?;
            let mut events = event::Entity::find()
                .filter(filter.condition(EVENT_COLUMNS))
                .filter(event::Column::Id.gt(catalogued))
                .order_by_desc(event::Column::Id)
                .limit(wanted)
                .all(&snapshot)
                .await?;
            if (events.len() as u64) < wanted {
                let ids: Vec<i64> = catalog_entry::Entity::find()
                    .select_only()
                    .column(catalog_entry::Column::Id)
                    .filter(filter.condition(CATALOG_COLUMNS))
                    .filter(catalog_entry::Column::Id.lte(catalogued))
                    .order_by_desc(catalog_entry::Column::Id)
                    .limit(wanted - events.len() as u64)
                    .into_tuple()
                    .all(&snapshot)
                    .await?;
                if !ids.is_empty() {
                    let older = event::Entity::find()
                        .filter(event::Column::Id.is_in(ids))
                        .order_by_desc(event::Column::Id)
                        .all(&snapshot)
                        .await?;
                    events.extend(older);
                }
            }
            snapshot.commit().await?;
            events
        } else {
            event::Entity::find()
                .filter(filter.condition(EVENT_COLUMNS))
                .order_by_desc(event::Column::Id)
                .limit(wanted)
                .all(&self.reader)
                .await?
        };
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
        let snapshot = self.reader.begin().await?;
        let catalogued = catalog_head(&snapshot).await?.min(head);
        // The catalog's entries up to its head, then the log's rows above it.
        let ids: Vec<i64> = catalog_entry::Entity::find()
            .select_only()
            .column(catalog_entry::Column::Id)
            .filter(catalog_entry::Column::Id.gt(after_id))
            .filter(catalog_entry::Column::Id.lte(catalogued))
            .filter(catalog_entry::Column::CallbackType.is_in(types.iter().copied()))
            .order_by_asc(catalog_entry::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&snapshot)
            .await?;
        let found = ids.len() as u64;
        let last_catalogued = ids.last().copied();
        let mut events = if ids.is_empty() {
            Vec::new()
        } else {
            event::Entity::find()
                .filter(event::Column::Id.is_in(ids))
                .order_by_asc(event::Column::Id)
                .all(&snapshot)
                .await?
        };
        let looked_at = if found == limit {
            last_catalogued.unwrap_or(head)
        } else {
            let newer = event::Entity::find()
                .filter(event::Column::Id.gt(after_id.max(catalogued)))
                .filter(event::Column::Id.lte(head))
                .filter(event::Column::CallbackType.is_in(types.iter().copied()))
                .order_by_asc(event::Column::Id)
                .limit(limit - found)
                .all(&snapshot)
                .await?;
            let looked_at =
                if newer.len() as u64 == limit - found { newer.last().map_or(head, |e| e.id) } else { head };
            events.extend(newer);
            looked_at
        };
        snapshot.commit().await?;
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

/// The columns a filter applies to, in the log's table or the catalog's.
#[derive(Clone, Copy)]
struct FilterColumns<C> {
    id: C,
    received_at_ms: C,
    channel: C,
    account: C,
    callback_type: C,
    user_id: C,
}

const EVENT_COLUMNS: FilterColumns<event::Column> = FilterColumns {
    id: event::Column::Id,
    received_at_ms: event::Column::ReceivedAtMs,
    channel: event::Column::Channel,
    account: event::Column::Account,
    callback_type: event::Column::CallbackType,
    user_id: event::Column::UserId,
};

const CATALOG_COLUMNS: FilterColumns<catalog_entry::Column> = FilterColumns {
    id: catalog_entry::Column::Id,
    received_at_ms: catalog_entry::Column::ReceivedAtMs,
    channel: catalog_entry::Column::Channel,
    account: catalog_entry::Column::Account,
    callback_type: catalog_entry::Column::CallbackType,
    user_id: catalog_entry::Column::UserId,
};

impl EventFilter {
    /// Whether a filter needs an index only the catalog has.
    fn needs_catalog(&self) -> bool {
        self.callback_type.is_some()
            || self.user_id.is_some()
            || self.channel.is_some()
            || self.account.is_some()
    }

    /// The filter as a condition on `columns`.
    fn condition<C: ColumnTrait>(&self, columns: FilterColumns<C>) -> Condition {
        let mut condition = Condition::all();
        if let Some(callback_type) = &self.callback_type {
            condition = condition.add(match callback_type.strip_suffix('*') {
                Some(prefix) => columns.callback_type.starts_with(prefix),
                None => columns.callback_type.eq(callback_type.as_str()),
            });
        }
        if let Some(user_id) = &self.user_id {
            condition = condition.add(columns.user_id.eq(user_id.as_str()));
        }
        if let Some(channel) = &self.channel {
            condition = condition.add(columns.channel.eq(channel.as_str()));
        }
        if let Some(account) = &self.account {
            condition = condition.add(columns.account.eq(account.as_str()));
        }
        if let Some(since) = self.since_ms {
            condition = condition.add(columns.received_at_ms.gte(since));
        }
        if let Some(until) = self.until_ms {
            condition = condition.add(columns.received_at_ms.lt(until));
        }
        if let Some(before) = self.before_id {
            condition = condition.add(columns.id.lt(before));
        }
        condition
    }
}

/// The catalog's head, read in `snapshot`: every event up to it has its entry.
async fn catalog_head(snapshot: &impl ConnectionTrait) -> Result<i64, EventLogError> {
    let row = snapshot
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Sqlite,
            "SELECT head FROM catalog.catalog_head",
        ))
        .await?;
    Ok(row.and_then(|row| row.try_get_by_index::<i64>(0).ok()).unwrap_or(0))
}
