//! An in-memory TrackingStore with the same semantics the SQL store has:
//! states upserted, history/interaction/member rows inserted once per key.

use std::{
    collections::{BTreeMap, HashSet},
    sync::Mutex,
};

use async_trait::async_trait;
use pmc_actors::{
    MessageId, MessageState, StoreError, TrackingStore,
    rows::{HistoryRow, InteractionRow, WriteBatch},
};

#[derive(Default)]
pub struct MemoryStore {
    pub inner: Mutex<Inner>,
}

#[derive(Default)]
pub struct Inner {
    pub messages: BTreeMap<MessageId, MessageState>,
    /// Keyed by (origin, event id, seq, recipient).
    pub history: BTreeMap<(u8, i64, u32, String), HistoryRow>,
    pub interactions: BTreeMap<(u8, i64, u32), InteractionRow>,
    pub member_events: HashSet<(u8, i64, u32)>,
    /// Message writes refused as superseded.
    pub superseded: u64,
    pub checkpoint: i64,
    pub writes: u64,
    /// Loads of these ids fail once (to crash their actor).
    /// Loads of these ids panic once (a bug).
    pub panic_load_once: HashSet<MessageId>,
    /// This many loads fail (an outage).
    pub fail_loads: u32,
    /// Rows of these messages are refused (bad data), in any batch.
    pub refuse: HashSet<MessageId>,
}

#[async_trait]
impl TrackingStore for MemoryStore {
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        if inner.panic_load_once.remove(id) {
            drop(inner);
            panic!("injected bug while loading {id}");
        }
        if inner.fail_loads > 0 {
            inner.fail_loads -= 1;
            return Err(StoreError::transient("injected outage"));
        }
        Ok(inner.messages.get(id).cloned())
    }

    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .messages
            .iter()
            .find(|(_, state)| state.task_id.as_deref() == Some(task_id))
            .map(|(id, _)| id.clone()))
    }

    async fn write(&self, batch: &WriteBatch) -> Result<Vec<MessageId>, StoreError> {
        self.write_as(0, batch)
    }
}

impl MemoryStore {
    /// One transaction from the replica `origin`, with the SQL store's
    /// compare-and-set of message states.
    pub fn write_as(&self, origin: u8, batch: &WriteBatch) -> Result<Vec<MessageId>, StoreError> {
        let mut inner = self.inner.lock().unwrap();
        inner.writes += 1;
        // A transaction: a refused row refuses the whole batch.
        let refused = |id: &MessageId| inner.refuse.contains(id);
        if batch.messages.iter().any(|row| refused(&row.message_id))
            || batch.recipients.iter().any(|row| refused(&row.message_id))
            || batch.history.iter().any(|row| refused(&row.message_id))
        {
            return Err(StoreError::rejected("injected: a value the store cannot hold"));
        }
        let mut superseded = HashSet::new();
        let mut checked = HashSet::new();
        for row in &batch.messages {
            if checked.insert(row.message_id.clone()) {
                let stored = inner.messages.get(&row.message_id).map_or(0, |state| state.revision);
                if stored != row.base_revision {
                    superseded.insert(row.message_id.clone());
                }
            }
        }
        let mut batch = batch.clone();
        batch.remove_messages(&superseded);
        for row in &batch.messages {
            inner.messages.insert(row.message_id.clone(), row.state.clone());
        }
        for row in &batch.history {
            inner
                .history
                .entry((origin, row.event_id, row.seq, row.recipient.clone()))
                .or_insert_with(|| row.clone());
        }
        for row in &batch.interactions {
            inner.interactions.entry((origin, row.event_id, row.seq)).or_insert_with(|| row.clone());
        }
        for row in &batch.member_events {
            inner.member_events.insert((origin, row.event_id, row.seq));
        }
        if let Some(checkpoint) = batch.checkpoint {
            inner.checkpoint = inner.checkpoint.max(checkpoint);
        }
        inner.superseded += superseded.len() as u64;
        Ok(superseded.into_iter().collect())
    }
}

/// A replica's view of a shared [`MemoryStore`]: its rows are keyed by its
/// origin, as the SQL store keys them by instance.
pub struct Replica(pub std::sync::Arc<MemoryStore>, pub u8);

#[async_trait]
impl TrackingStore for Replica {
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError> {
        self.0.load_message(id).await
    }

    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError> {
        self.0.message_for_task(task_id).await
    }

    async fn write(&self, batch: &WriteBatch) -> Result<Vec<MessageId>, StoreError> {
        self.0.write_as(self.1, batch)
    }
}
