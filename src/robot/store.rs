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
    local: Arc<Mutex<HashMap<String, (String, Instant)>>>,
}

impl SharedStore {
    /// Over Redis when `cache` is enabled, else in process.
    pub fn new(cache: StatusCache) -> Self {
        Self { cache, local: Arc::default() }
    }

    /// The value of `key`, if any.
    pub async fn get(&self, key: &str) -> Option<String> {
        if let Some(answer) = self.cache.shared_get(key).await {
            return answer.map(|(value, _)| value);
        }
        let local = self.local.lock().expect("store lock");
        local.get(key).filter(|(_, expires)| *expires > Instant::now()).map(|(value, _)| value.clone())
    }

    /// Sets `key` unless it exists; `true` when set.
    pub async fn insert_if_absent(&self, key: &str, value: &str, ttl: Duration) -> bool {
        if let Some(taken) = self.cache.shared_lease(key, value, ttl).await {
            return taken;
        }
        let mut local = self.local.lock().expect("store lock");
        let now = Instant::now();
        local.retain(|_, (_, expires)| *expires > now);
        if local.contains_key(key) {
            return false;
        }
        local.insert(key.to_owned(), (value.to_owned(), now + ttl));
        true
    }

    /// Replaces `old` with `new` if `key` still holds `old`; `true` when replaced.
    pub async fn swap(&self, key: &str, old: &str, new: &str, ttl: Duration) -> bool {
        if let Some(swapped) = self.cache.shared_swap(key, old, new, ttl).await {
            return swapped;
        }
        let mut local = self.local.lock().expect("store lock");
        match local.get(key) {
            Some((value, expires)) if value == old && *expires > Instant::now() => {
                local.insert(key.to_owned(), (new.to_owned(), Instant::now() + ttl));
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
    }
}
