//! Which streams a bot's holder is pushing, kept in the conversations'
//! shared store (Redis in external mode), so that when the holder dies
//! mid-answer the replica that takes the connection over goes on pushing
//! them — under the callback's `req_id`, from the stream as it stands —
//! instead of leaving the user's answer stuck half-written.
//!
//! One key per bot holds a short JSON list, changed by compare-and-set;
//! an entry outlives no push (a push ends within 7 minutes).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::robot::SharedStore;

/// How long an entry is kept: past the longest push.
const KEPT_MS: i64 = 8 * 60 * 1000;
/// How long the key lives after its last change.
const KEY_TTL: Duration = Duration::from_secs(10 * 60);
/// Compare-and-set attempts per change.
const ATTEMPTS: usize = 16;

/// One stream being pushed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Push {
    /// The stream.
    pub stream: String,
    /// The callback's `req_id` its frames answer.
    pub req_id: String,
    /// When its push began (Unix ms).
    pub since_ms: i64,
}

/// The streams being pushed of every bot.
#[derive(Clone)]
pub struct Pushes {
    store: SharedStore,
}

fn key(lease: &str) -> String {
    format!("pmc:robot:pushes:{lease}")
}

impl Pushes {
    /// Over the conversations' store.
    pub fn new(store: SharedStore) -> Self {
        Self { store }
    }

    /// The streams of bot `lease` still being pushed, as of `now_ms`.
    pub async fn open(&self, lease: &str, now_ms: i64) -> Vec<Push> {
        let Some(stored) = self.store.get(&key(lease)).await else { return Vec::new() };
        let pushes: Vec<Push> = serde_json::from_str(&stored).unwrap_or_default();
        pushes.into_iter().filter(|push| now_ms - push.since_ms < KEPT_MS).collect()
    }

    /// Records that `push` began.
    pub async fn begin(&self, lease: &str, push: Push, now_ms: i64) {
        self.change(lease, now_ms, |pushes| {
            if pushes.iter().any(|open| open.stream == push.stream) {
                return false;
            }
            pushes.push(push.clone());
            true
        })
        .await;
    }

    /// Records that the push of `stream` ended.
    pub async fn end(&self, lease: &str, stream: &str, now_ms: i64) {
        self.change(lease, now_ms, |pushes| {
            let before = pushes.len();
            pushes.retain(|push| push.stream != stream);
            pushes.len() != before
        })
        .await;
    }

    async fn change(&self, lease: &str, now_ms: i64, change: impl Fn(&mut Vec<Push>) -> bool) {
        let key = key(lease);
        for _ in 0..ATTEMPTS {
            let stored = self.store.get(&key).await;
            let mut pushes: Vec<Push> =
                stored.as_deref().and_then(|stored| serde_json::from_str(stored).ok()).unwrap_or_default();
            let before = pushes.len();
            pushes.retain(|push| now_ms - push.since_ms < KEPT_MS);
            if !change(&mut pushes) && pushes.len() == before {
                return;
            }
            let value = serde_json::to_string(&pushes).expect("pushes serialise");
            let stored_now = match &stored {
                None => self.store.insert_if_absent(&key, &value, KEY_TTL).await,
                Some(old) => self.store.swap(&key, old, &value, KEY_TTL).await,
            };
            if stored_now {
                return;
            }
        }
        tracing::warn!(lease, "The list of streams being pushed kept changing; left as it is.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::StatusCache;

    fn push(stream: &str, since_ms: i64) -> Push {
        Push { stream: stream.to_owned(), req_id: format!("req-{stream}"), since_ms }
    }

    #[tokio::test]
    async fn pushes_begin_once_end_and_age_out() {
        let pushes = Pushes::new(SharedStore::new(StatusCache::disabled()));
        pushes.begin("aibot:b", push("s1", 1_000), 1_000).await;
        pushes.begin("aibot:b", push("s1", 2_000), 2_000).await;
        pushes.begin("aibot:b", push("s2", 3_000), 3_000).await;
        pushes.begin("aibot:other", push("s3", 3_000), 3_000).await;
        assert_eq!(pushes.open("aibot:b", 4_000).await, vec![push("s1", 1_000), push("s2", 3_000)]);
        pushes.end("aibot:b", "s1", 5_000).await;
        assert_eq!(pushes.open("aibot:b", 5_000).await, vec![push("s2", 3_000)]);
        // Past the longest push an entry is gone, whatever happened to its pusher.
        assert!(pushes.open("aibot:b", 3_000 + KEPT_MS).await.is_empty());
        assert_eq!(pushes.open("aibot:other", 4_000).await, vec![push("s3", 3_000)]);
    }
}
