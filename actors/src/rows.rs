//! Rows the actors hand to the storage writer, batched into one write.

use serde::{Deserialize, Serialize};

use crate::{
    model::{MessageId, MessageState},
    status::{Outcome, Status, StatusSet},
};

/// A unit of work: (event id, position in the event). Flushing a batch
/// completes the units it carries; the checkpoint advances past an event
/// once all of its units are complete. Completing a unit twice is harmless.
pub type UnitId = (i64, u32);

/// A message's current state, upserted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageRow {
    /// The message.
    pub message_id: MessageId,
    /// Its full state.
    pub state: MessageState,
    /// The last event applied to it.
    pub last_event_id: i64,
    /// The revision this state was derived from: the write applies only if
    /// the store still holds it (else the write is *superseded*).
    pub base_revision: i64,
    /// The actor lineage that produced it: rows of a lineage the store
    /// refused as stale are dropped, the message is reloaded and replayed.
    pub lineage: u64,
}

/// One recipient's state, upserted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecipientRow {
    /// The message.
    pub message_id: MessageId,
    /// The recipient (`""` for the whole message).
    pub recipient: String,
    /// Current status.
    pub status: Status,
    /// Statuses reached.
    pub seen: StatusSet,
    /// Last change, Unix ms.
    pub updated_at_ms: i64,
}

/// One observation (or implied step) in a message's history; inserted once,
/// keyed by (event id, seq), so a replay never doubles it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryRow {
    /// The event it came from.
    pub event_id: i64,
    /// Position within the event's rows.
    pub seq: u32,
    /// The message.
    pub message_id: MessageId,
    /// The recipient.
    pub recipient: String,
    /// The status observed or implied.
    pub status: Status,
    /// What it did.
    pub outcome: Outcome,
    /// The status before.
    pub from_status: Option<Status>,
    /// Where it came from.
    pub source: String,
    /// When it says it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// When it arrived, Unix ms.
    pub received_at_ms: i64,
    /// Free text from the source.
    pub detail: Option<String>,
    /// The message's version once this row applied: orders a message's
    /// history across replicas.
    pub version: i64,
}

/// A stored interaction, keyed by (event id, seq).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InteractionRow {
    /// The event it came from.
    pub event_id: i64,
    /// Position within the event.
    pub seq: u32,
    /// The interaction.
    pub record: crate::model::InteractionRecord,
}

/// A stored member event, keyed by (event id, seq).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberEventRow {
    /// The event it came from.
    pub event_id: i64,
    /// Position within the event.
    pub seq: u32,
    /// The member event.
    pub record: crate::model::MemberEventRecord,
}

/// Rows to write together.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WriteBatch {
    /// Message states (last one per message wins).
    pub messages: Vec<MessageRow>,
    /// Recipient states (last one per recipient wins).
    pub recipients: Vec<RecipientRow>,
    /// History rows.
    pub history: Vec<HistoryRow>,
    /// Interactions.
    pub interactions: Vec<InteractionRow>,
    /// Member events.
    pub member_events: Vec<MemberEventRow>,
    /// Every event id at or below this one is fully written: persist it.
    pub checkpoint: Option<i64>,
}

impl WriteBatch {
    /// Removes every row of these messages (their writes were superseded).
    pub fn remove_messages(&mut self, ids: &std::collections::HashSet<MessageId>) {
        self.messages.retain(|row| !ids.contains(&row.message_id));
        self.recipients.retain(|row| !ids.contains(&row.message_id));
        self.history.retain(|row| !ids.contains(&row.message_id));
    }

    /// Rows in the batch.
    pub fn len(&self) -> usize {
        self.messages.len()
            + self.recipients.len()
            + self.history.len()
            + self.interactions.len()
            + self.member_events.len()
    }

    /// Whether there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.len() == 0 && self.checkpoint.is_none()
    }

    /// Splits the rows into two batches of half the rows each (the first
    /// takes the first half in the order messages, recipients, history,
    /// interactions, member events; the checkpoint stays with the second),
    /// to find rows a store refuses. Both halves are smaller when `len() > 1`.
    pub fn split(self) -> (WriteBatch, WriteBatch) {
        /// Moves up to `*quota` rows from the front of `rows` into the first half.
        fn take_front<T>(mut rows: Vec<T>, quota: &mut usize) -> (Vec<T>, Vec<T>) {
            let taken = (*quota).min(rows.len());
            *quota -= taken;
            let back = rows.split_off(taken);
            (rows, back)
        }
        let mut quota = self.len() / 2;
        let (messages, messages_back) = take_front(self.messages, &mut quota);
        let (recipients, recipients_back) = take_front(self.recipients, &mut quota);
        let (history, history_back) = take_front(self.history, &mut quota);
        let (interactions, interactions_back) = take_front(self.interactions, &mut quota);
        let (member_events, member_events_back) = take_front(self.member_events, &mut quota);
        (
            WriteBatch { messages, recipients, history, interactions, member_events, checkpoint: None },
            WriteBatch {
                messages: messages_back,
                recipients: recipients_back,
                history: history_back,
                interactions: interactions_back,
                member_events: member_events_back,
                checkpoint: self.checkpoint,
            },
        )
    }

    /// Appends another batch.
    pub fn extend(&mut self, other: WriteBatch) {
        self.messages.extend(other.messages);
        self.recipients.extend(other.recipients);
        self.history.extend(other.history);
        self.interactions.extend(other.interactions);
        self.member_events.extend(other.member_events);
        if other.checkpoint.is_some() {
            self.checkpoint = other.checkpoint.max(self.checkpoint);
        }
    }
}
