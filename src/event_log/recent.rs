//! The in-memory hand-off: the most recently committed events, shared as
//! `Arc`s with every consumer of the log (tracking, forwarding, outbound,
//! the raw log, the shared view, the suite keeper, the kf puller).
//!
//! The writer pushes each committed batch here before it publishes the new
//! head, so a consumer that saw the head finds the events in memory. A
//! consumer reading from a cursor at or past [`RecentEvents`]'s floor is
//! answered from memory without touching SQLite (no statement, no thread
//! hop, no row decoding, no copy of the strings); one that lags further
//! behind — at start, after a restart, or after falling more than the buffer
//! behind — reads the log instead. Both give the same rows: the buffer only
//! ever holds committed events, in commit order, without gaps.

use std::{
    collections::VecDeque,
    ops::Deref,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

use super::StoredEvent;
use crate::wecom::payload::Callback;

/// A committed event as consumers get it: the stored row and, while it is
/// in memory, the typed callback its handler parsed (WeCom callbacks only),
/// so that no consumer parses the plaintext again. Read back from SQLite it
/// has the row alone; whatever a consumer derives must not depend on which.
#[derive(Debug, Clone, PartialEq)]
pub struct LoggedEvent {
    /// The row of `events`, as stored.
    pub row: StoredEvent,
    /// The callback as WeCom sent it (before any reply decision marked it).
    pub callback: Option<Arc<Callback>>,
}

impl LoggedEvent {
    /// A row read from the log.
    pub fn from_row(row: StoredEvent) -> Self {
        Self { row, callback: None }
    }
}

impl Deref for LoggedEvent {
    type Target = StoredEvent;

    fn deref(&self) -> &StoredEvent {
        &self.row
    }
}

/// At most this many bytes of events are kept (their strings counted).
pub(crate) const RECENT_BYTES: usize = 32 * 1024 * 1024;
/// At most this many events are kept, however small.
pub(crate) const RECENT_EVENTS: usize = 65_536;

/// Recently committed events, and how often readers were served from them.
#[derive(Debug)]
pub(crate) struct RecentEvents {
    inner: Mutex<Inner>,
    max_bytes: usize,
    max_events: usize,
    served_from_memory: AtomicU64,
    read_from_log: AtomicU64,
    replay_agreed: AtomicU64,
    replay_differed: AtomicU64,
}

#[derive(Debug)]
struct Inner {
    /// Ascending ids; every committed event with an id above `floor` is here.
    events: VecDeque<Arc<LoggedEvent>>,
    bytes: usize,
    floor: i64,
}

/// What the buffer answered.
pub(crate) enum Recent {
    /// The events after the cursor, from memory (possibly none yet).
    Events(Vec<Arc<LoggedEvent>>),
    /// The cursor is behind what memory holds: read the log.
    Behind,
}

impl RecentEvents {
    /// Empty, with everything up to `head` (already on disk) to be read from the log.
    pub(crate) fn new(head: i64, max_bytes: usize, max_events: usize) -> Self {
        Self {
            inner: Mutex::new(Inner { events: VecDeque::new(), bytes: 0, floor: head }),
            max_bytes,
            max_events: max_events.max(1),
            served_from_memory: AtomicU64::new(0),
            read_from_log: AtomicU64::new(0),
            replay_agreed: AtomicU64::new(0),
            replay_differed: AtomicU64::new(0),
        }
    }

    /// Appends a committed batch (ascending ids above everything held),
    /// dropping the oldest events beyond the budget.
    pub(crate) fn push(&self, batch: &[Arc<LoggedEvent>]) {
        let mut inner = self.lock();
        for event in batch {
            debug_assert!(inner.events.back().is_none_or(|last| last.id < event.id));
            inner.bytes += size_of(event);
            inner.events.push_back(Arc::clone(event));
        }
        while inner.events.len() > self.max_events || (inner.bytes > self.max_bytes && inner.events.len() > 1)
        {
            let Some(oldest) = inner.events.pop_front() else { break };
            inner.bytes -= size_of(&oldest);
            inner.floor = oldest.id;
        }
    }

    /// Forgets everything: events up to `head` are read from the log. Called
    /// when a failed commit may have reached the disk unseen by the buffer.
    pub(crate) fn reset(&self, head: i64) {
        let mut inner = self.lock();
        inner.events.clear();
        inner.bytes = 0;
        inner.floor = inner.floor.max(head);
    }

    /// Up to `limit` events after `after_id`, from memory, or [`Recent::Behind`].
    pub(crate) fn after(&self, after_id: i64, limit: usize) -> Recent {
        self.select(after_id, limit, |_| true, true).0
    }

    /// [`RecentEvents::after`] for the log's own catalog, which is not one
    /// of the consumers the hand-off counters describe.
    pub(crate) fn after_uncounted(&self, after_id: i64, limit: usize) -> Recent {
        self.select(after_id, limit, |_| true, false).0
    }

    /// Up to `limit` events of `types` after `after_id`, and the last id
    /// looked at (the cursor a caller moves to, past other types).
    pub(crate) fn of_types_after(&self, after_id: i64, types: &[&str], limit: usize) -> (Recent, i64) {
        self.select(after_id, limit, |event| types.contains(&event.callback_type.as_str()), true)
    }

    fn select(
        &self,
        after_id: i64,
        limit: usize,
        wanted: impl Fn(&LoggedEvent) -> bool,
        counted: bool,
    ) -> (Recent, i64) {
        let inner = self.lock();
        if after_id < inner.floor {
            drop(inner);
            if counted {
                self.read_from_log.fetch_add(1, Ordering::Relaxed);
            }
            return (Recent::Behind, after_id);
        }
        let start = inner.events.partition_point(|event| event.id <= after_id);
        let mut selected = Vec::new();
        let mut looked_at = inner.events.back().map_or(inner.floor, |last| last.id).max(after_id);
        for event in inner.events.range(start..) {
            if selected.len() == limit {
                break;
            }
            if wanted(event) {
                selected.push(Arc::clone(event));
                if selected.len() == limit {
                    looked_at = event.id;
                }
            }
        }
        drop(inner);
        if counted {
            self.served_from_memory.fetch_add(1, Ordering::Relaxed);
        }
        (Recent::Events(selected), looked_at)
    }

    /// Reads answered from memory and reads sent to the log, since start.
    pub(crate) fn counters(&self) -> (u64, u64) {
        (self.served_from_memory.load(Ordering::Relaxed), self.read_from_log.load(Ordering::Relaxed))
    }

    /// Counts a consumer's comparison of what it derived from a handed-over
    /// event with what it derives from the stored row.
    pub(crate) fn record_replay_check(&self, agreed: bool) {
        let counter = if agreed { &self.replay_agreed } else { &self.replay_differed };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Comparisons that agreed, and those that differed.
    pub(crate) fn replay_checks(&self) -> (u64, u64) {
        (self.replay_agreed.load(Ordering::Relaxed), self.replay_differed.load(Ordering::Relaxed))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding this lock cannot leave it half-updated in a
        // way readers could misuse (push and reset keep `floor` consistent
        // with `events` at each step), so poisoning is ignored.
        self.inner.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The memory an event holds, roughly: its strings and the row itself (its
/// typed callback, when carried, is about the size of its plaintext again).
fn size_of(event: &LoggedEvent) -> usize {
    let optional = |value: &Option<String>| value.as_ref().map_or(0, String::len);
    let callback = if event.callback.is_some() { event.plaintext.len() } else { 0 };
    std::mem::size_of::<LoggedEvent>()
        + callback
        + event.channel.len()
        + event.account.len()
        + event.callback_type.len()
        + event.dedupe_key.len()
        + optional(&event.user_id)
        + optional(&event.source_ip)
        + event.envelope_format.len()
        + event.msg_signature.len()
        + event.timestamp.len()
        + event.nonce.len()
        + event.ciphertext.len()
        + event.plaintext.len()
        + event.payload.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, callback_type: &str, body: usize) -> Arc<LoggedEvent> {
        Arc::new(LoggedEvent::from_row(StoredEvent {
            id,
            received_at_ms: 0,
            channel: "wechat_api".into(),
            account: "default".into(),
            callback_type: callback_type.into(),
            dedupe_key: format!("k{id}"),
            user_id: None,
            source_ip: None,
            envelope_format: "xml".into(),
            msg_signature: String::new(),
            timestamp: String::new(),
            nonce: String::new(),
            ciphertext: String::new(),
            plaintext: "x".repeat(body),
            payload: String::new(),
        }))
    }

    fn ids(recent: Recent) -> Option<Vec<i64>> {
        match recent {
            Recent::Events(events) => Some(events.iter().map(|event| event.id).collect()),
            Recent::Behind => None,
        }
    }

    #[test]
    fn serves_what_was_committed_after_the_cursor_and_sends_older_cursors_to_the_log() {
        let recent = RecentEvents::new(10, usize::MAX, 4);
        assert_eq!(ids(recent.after(10, 100)), Some(vec![]));
        assert_eq!(ids(recent.after(9, 100)), None, "event 10 is only on disk");
        recent.push(&[event(11, "a", 1), event(12, "b", 1), event(13, "a", 1)]);
        assert_eq!(ids(recent.after(10, 100)), Some(vec![11, 12, 13]));
        assert_eq!(ids(recent.after(11, 1)), Some(vec![12]));
        assert_eq!(ids(recent.after(13, 100)), Some(vec![]));
        // Over the count budget: 11 and 12 leave, so a cursor at 10 or 11 reads the log.
        recent.push(&[event(14, "b", 1), event(15, "a", 1)]);
        assert_eq!(ids(recent.after(10, 100)), None);
        assert_eq!(ids(recent.after(11, 100)), Some(vec![12, 13, 14, 15]));
        let (memory, log) = recent.counters();
        assert_eq!((memory, log), (5, 2));
    }

    #[test]
    fn keeps_within_its_byte_budget_but_always_the_newest() {
        let one = size_of(&event(1, "a", 1000));
        let recent = RecentEvents::new(0, one * 2, usize::MAX);
        recent.push(&[event(1, "a", 1000), event(2, "a", 1000), event(3, "a", 1000)]);
        assert_eq!(ids(recent.after(1, 100)), Some(vec![2, 3]));
        assert_eq!(ids(recent.after(0, 100)), None);
        recent.push(&[event(4, "a", 100_000)]);
        assert_eq!(ids(recent.after(3, 100)), Some(vec![4]), "one event larger than the budget stays");
    }

    #[test]
    fn filters_by_type_and_reports_how_far_it_looked() {
        let recent = RecentEvents::new(0, usize::MAX, usize::MAX);
        recent.push(&[event(1, "a", 1), event(2, "b", 1), event(3, "a", 1), event(4, "b", 1)]);
        let (found, looked_at) = recent.of_types_after(0, &["a"], 10);
        assert_eq!((ids(found), looked_at), (Some(vec![1, 3]), 4));
        let (found, looked_at) = recent.of_types_after(0, &["a"], 1);
        assert_eq!((ids(found), looked_at), (Some(vec![1]), 1), "a full page stops the cursor at its last");
        let (found, looked_at) = recent.of_types_after(4, &["a"], 10);
        assert_eq!((ids(found), looked_at), (Some(vec![]), 4));
    }

    #[test]
    fn a_reset_sends_everything_up_to_the_head_to_the_log() {
        let recent = RecentEvents::new(0, usize::MAX, usize::MAX);
        recent.push(&[event(1, "a", 1), event(2, "a", 1)]);
        recent.reset(5);
        assert_eq!(ids(recent.after(2, 100)), None);
        assert_eq!(ids(recent.after(5, 100)), Some(vec![]));
        recent.push(&[event(6, "a", 1)]);
        assert_eq!(ids(recent.after(5, 100)), Some(vec![6]));
    }
}
