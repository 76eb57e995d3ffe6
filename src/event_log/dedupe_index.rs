//! The writer's in-memory index of recent dedupe keys: most duplicates (and
//! every new key, while the index holds the whole window) are decided
//! without touching the disk.
//!
//! Keys are kept whole, never as hashes: a collision must never turn a
//! distinct callback into a duplicate. The index is bounded; when it has to
//! forget the oldest keys it remembers from when on it is complete, and a
//! key it does not hold from before then is looked up on disk (the
//! `dedupe_keys` table stays the durable truth, rebuilt into memory at start).

use std::collections::{HashMap, VecDeque};

/// What the index knows about a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookup {
    /// First seen at `first_seen_ms` as event `event_id`.
    Seen { first_seen_ms: i64, event_id: i64 },
    /// Not seen since the index became complete: new unless older.
    New,
    /// Not held, and the index is not complete for the window: ask the disk.
    Unknown,
}

/// Recent keys, bounded by count.
pub(super) struct DedupeIndex {
    keys: HashMap<Box<str>, (i64, i64)>,
    /// Insertion order (first-seen time, key) for eviction.
    order: VecDeque<(i64, Box<str>)>,
    capacity: usize,
    /// Every key first seen at or after this time is held.
    complete_since_ms: i64,
}

impl DedupeIndex {
    /// An index holding at most `capacity` keys, complete from `complete_since_ms`.
    pub fn new(capacity: usize, complete_since_ms: i64) -> Self {
        Self {
            keys: HashMap::with_capacity(capacity.min(65_536)),
            order: VecDeque::new(),
            capacity: capacity.max(1),
            complete_since_ms,
        }
    }

    /// Built from the newest keys on disk (`rows` newest first, as many as
    /// `capacity` asked for). Complete from `window_start_ms` if the disk held
    /// fewer keys than the capacity, else from the oldest key loaded.
    pub fn rebuilt(capacity: usize, window_start_ms: i64, rows: Vec<(String, i64, i64)>) -> Self {
        let complete_since_ms = if rows.len() < capacity {
            window_start_ms
        } else {
            // The oldest loaded key's time may be shared by keys left on disk.
            rows.last().map_or(window_start_ms, |(_, first_seen_ms, _)| first_seen_ms + 1)
        };
        let mut index = Self::new(capacity, complete_since_ms);
        for (key, first_seen_ms, event_id) in rows.into_iter().rev() {
            index.insert(&key, first_seen_ms, event_id);
        }
        index
    }

    /// What is known of `key`.
    pub fn lookup(&self, key: &str, window_start_ms: i64) -> Lookup {
        if let Some(&(first_seen_ms, event_id)) = self.keys.get(key) {
            return Lookup::Seen { first_seen_ms, event_id };
        }
        if self.complete_since_ms <= window_start_ms { Lookup::New } else { Lookup::Unknown }
    }

    /// Remembers `key` as first seen now as `event_id`, forgetting the oldest
    /// keys past the capacity.
    pub fn insert(&mut self, key: &str, first_seen_ms: i64, event_id: i64) {
        let key: Box<str> = key.into();
        // A key seen again after its window leaves a stale entry behind in
        // `order`; it is skipped when popped (its time no longer matches).
        self.keys.insert(key.clone(), (first_seen_ms, event_id));
        self.order.push_back((first_seen_ms, key));
        while self.keys.len() > self.capacity {
            let Some((first_seen_ms, oldest)) = self.order.pop_front() else { break };
            if self.keys.get(&oldest).is_some_and(|&(seen, _)| seen == first_seen_ms) {
                self.keys.remove(&oldest);
                self.complete_since_ms = self.complete_since_ms.max(first_seen_ms + 1);
            }
        }
    }

    /// Forgets keys first seen before `cutoff_ms` (past the window).
    pub fn prune(&mut self, cutoff_ms: i64) {
        while let Some((first_seen_ms, _)) = self.order.front() {
            if *first_seen_ms >= cutoff_ms {
                break;
            }
            let (first_seen_ms, key) = self.order.pop_front().expect("front exists");
            if self.keys.get(&key).is_some_and(|&(seen, _)| seen == first_seen_ms) {
                self.keys.remove(&key);
            }
        }
    }

    /// Keys held.
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_index_answers_new_keys_without_the_disk() {
        let mut index = DedupeIndex::new(10, 0);
        index.insert("a", 100, 1);
        assert_eq!(index.lookup("a", 50), Lookup::Seen { first_seen_ms: 100, event_id: 1 });
        assert_eq!(index.lookup("b", 50), Lookup::New);
    }

    #[test]
    fn past_its_capacity_the_index_sends_older_keys_to_the_disk() {
        let mut index = DedupeIndex::new(2, 0);
        index.insert("a", 100, 1);
        index.insert("b", 200, 2);
        index.insert("c", 300, 3);
        assert_eq!(index.len(), 2);
        // "a" was forgotten: a key not held may be as old as it, ask the disk.
        assert_eq!(index.lookup("a", 50), Lookup::Unknown);
        assert_eq!(index.lookup("x", 50), Lookup::Unknown);
        // For a window starting after the forgotten key, absent means new.
        assert_eq!(index.lookup("x", 101), Lookup::New);
        assert_eq!(index.lookup("c", 50), Lookup::Seen { first_seen_ms: 300, event_id: 3 });
    }

    #[test]
    fn keys_that_share_a_prefix_or_hash_neighbourhood_stay_distinct() {
        let mut index = DedupeIndex::new(1000, 0);
        for n in 0..500 {
            index.insert(&format!("msgid:{n}"), 10, n);
        }
        assert_eq!(index.lookup("msgid:500", 0), Lookup::New);
        assert_eq!(index.lookup("msgid:49", 0), Lookup::Seen { first_seen_ms: 10, event_id: 49 });
    }

    #[test]
    fn a_rebuilt_index_is_complete_only_for_what_it_loaded() {
        let rows = vec![("b".to_owned(), 200, 2), ("a".to_owned(), 100, 1)];
        let full = DedupeIndex::rebuilt(2, 0, rows.clone());
        assert_eq!(full.lookup("z", 0), Lookup::Unknown, "the disk may hold older keys");
        let roomy = DedupeIndex::rebuilt(10, 0, rows);
        assert_eq!(roomy.lookup("z", 0), Lookup::New);
        assert_eq!(roomy.lookup("a", 0), Lookup::Seen { first_seen_ms: 100, event_id: 1 });
    }

    #[test]
    fn pruning_forgets_keys_past_the_window() {
        let mut index = DedupeIndex::new(10, 0);
        index.insert("a", 100, 1);
        index.insert("b", 200, 2);
        index.prune(150);
        assert_eq!(index.len(), 1);
        assert_eq!(index.lookup("b", 150), Lookup::Seen { first_seen_ms: 200, event_id: 2 });
    }
}
