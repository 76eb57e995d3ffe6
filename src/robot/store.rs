//! Where conversation state lives: Redis when it is configured (external
//! mode — every replica sees every stream), else a map in this process
//! (embedded mode, one replica). While Redis does not answer, the map
//! stands in, so a Redis outage costs sharing, never an answer; no call
//! waits on Redis longer than its command timeout.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use crate::cache::StatusCache;

/// Shared keys with compare-and-set.
#[derive(Clone)]
pub struct SharedStore {
    cache: StatusCache,
    local: Arc<Mutex<Local>>,
}

/// The in-process keys, with their expiry.
struct Local {
    keys: HashMap<String, (String, Instant)>,
    pruned_at: Instant,
}

/// Expired in-process keys are dropped at most this often (a sweep is
/// linear in the keys kept).
const PRUNE_EVERY: Duration = Duration::from_secs(60);

impl SharedStore {
    /// Over Redis when `cache` is enabled, else in process.
    pub fn new(cache: StatusCache) -> Self {
        Self { cache, local: Arc::new(Mutex::new(Local { keys: HashMap::new(), pruned_at: Instant::now() })) }
    }

    /// The value of `key`, if any.
    pub async fn get(&self, key: &str) -> Option<String> {
        if let Some(answer) = self.cache.shared_get(key).await {
            return answer.map(|(value, _)| value);
        }
        let local = self.local.lock().expect("store lock");
        local.keys.get(key).filter(|(_, expires)| *expires > Instant::now()).map(|(value, _)| value.clone())
    }

    /// Sets `key` unless it exists; `true` when set.
    pub async fn insert_if_absent(&self, key: &str, value: &str, ttl: Duration) -> bool {
        if let Some(taken) = self.cache.shared_lease(key, value, ttl).await {
            return taken;
        }
        let mut local = self.local.lock().expect("store lock");
        let now = Instant::now();
        if now.duration_since(local.pruned_at) >= PRUNE_EVERY {
            local.keys.retain(|_, (_, expires)| *expires > now);
            local.pruned_at = now;
        }
        if local.keys.get(key).is_some_and(|(_, expires)| *expires > now) {
            return false;
        }
        local.keys.insert(key.to_owned(), (value.to_owned(), now + ttl));
        true
    }

    /// Replaces `old` with `new` if `key` still holds `old`; `true` when replaced.
    pub async fn swap(&self, key: &str, old: &str, new: &str, ttl: Duration) -> bool {
        if let Some(swapped) = self.cache.shared_swap(key, old, new, ttl).await {
            return swapped;
        }
        let mut local = self.local.lock().expect("store lock");
        match local.keys.get(key) {
            Some((value, expires)) if value == old && *expires > Instant::now() => {
                local.keys.insert(key.to_owned(), (new.to_owned(), Instant::now() + ttl));
                true
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn in_process_keys_insert_once_and_swap_only_from_the_value_seen() {
        let store = SharedStore::new(StatusCache::disabled());
        let ttl = Duration::from_secs(60);
        assert!(store.insert_if_absent("k", "a", ttl).await);
        assert!(!store.insert_if_absent("k", "b", ttl).await);
        assert!(!store.swap("k", "b", "c", ttl).await);
        assert!(store.swap("k", "a", "c", ttl).await);
        assert_eq!(store.get("k").await.as_deref(), Some("c"));
        assert_eq!(store.get("other").await, None);
        // An expired key is gone, and may be taken again.
        assert!(store.insert_if_absent("short", "a", Duration::ZERO).await);
        assert_eq!(store.get("short").await, None);
        assert!(store.insert_if_absent("short", "b", ttl).await);
    }
}
