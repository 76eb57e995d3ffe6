//! A callback's `response_url`: WeCom's one-time URL for an active reply
//! (doc 101138), valid for an hour after the callback. Kept in the shared
//! store by (account, message id); taken once, by one reply.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::store::SharedStore;

/// How long WeCom honours a `response_url`.
pub const VALID_MS: i64 = 3600 * 1000;
/// How long the record is kept: past its hour, so a late reply is told
/// "expired" (410), not "unknown" (404).
pub const KEPT_FOR: Duration = Duration::from_secs(3 * 3600);

/// A remembered `response_url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseUrl {
    /// The URL (a credential: never logged, never answered).
    pub url: String,
    /// The robot account.
    pub account: String,
    /// The callback's `msgid`.
    pub message_id: String,
    /// `single` or `group` (template cards go to single chats only).
    pub chat_type: String,
    /// When the callback came (Unix ms).
    pub received_at_ms: i64,
    /// The reply that took it.
    pub used_by: Option<String>,
}

impl ResponseUrl {
    /// Its store key.
    pub fn key(&self) -> String {
        key(&self.account, &self.message_id)
    }
}

fn key(account: &str, message_id: &str) -> String {
    format!("pmc:robot:response_url:{account}:{message_id}")
}

/// Why a `response_url` cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefused {
    /// No callback with this message id brought one (or it is long gone).
    #[error("no response_url is known for message {0}")]
    Unknown(String),
    /// Another reply used it.
    #[error("the response_url of message {message_id} was used by reply {used_by}")]
    Used {
        /// The callback's message id.
        message_id: String,
        /// The reply that used it.
        used_by: String,
    },
    /// More than an hour old.
    #[error("the response_url of message {0} expired (valid for 1 hour after the callback)")]
    Expired(String),
    /// The store kept changing under the claim.
    #[error("the response_url of message {0} is being claimed concurrently; try again")]
    Contended(String),
}

/// Takes the URL for `reply_id`.
pub(super) async fn claim(
    store: &SharedStore,
    now_ms: i64,
    account: &str,
    message_id: &str,
    reply_id: &str,
) -> Result<ResponseUrl, ClaimRefused> {
    let key = key(account, message_id);
    for _ in 0..4 {
        let stored = store.get(&key).await.ok_or_else(|| ClaimRefused::Unknown(message_id.to_owned()))?;
        let mut record: ResponseUrl =
            serde_json::from_str(&stored).map_err(|_| ClaimRefused::Unknown(message_id.to_owned()))?;
        match &record.used_by {
            Some(used_by) if used_by == reply_id => return Ok(record),
            Some(used_by) => {
                return Err(ClaimRefused::Used {
                    message_id: message_id.to_owned(),
                    used_by: used_by.clone(),
                });
            }
            None => {}
        }
        if now_ms - record.received_at_ms >= VALID_MS {
            return Err(ClaimRefused::Expired(message_id.to_owned()));
        }
        record.used_by = Some(reply_id.to_owned());
        let taken = serde_json::to_string(&record).expect("records serialise");
        if store.swap(&key, &stored, &taken, KEPT_FOR).await {
            return Ok(record);
        }
    }
    Err(ClaimRefused::Contended(message_id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cache::StatusCache;

    async fn stored(store: &SharedStore, at_ms: i64) {
        let record = ResponseUrl {
            url: "http://wecom/r".into(),
            account: "default".into(),
            message_id: "m1".into(),
            chat_type: "single".into(),
            received_at_ms: at_ms,
            used_by: None,
        };
        store.insert_if_absent(&record.key(), &serde_json::to_string(&record).unwrap(), KEPT_FOR).await;
    }

    #[tokio::test]
    async fn taken_once_again_by_the_same_reply_never_by_another_nor_late() {
        let store = SharedStore::new(StatusCache::disabled());
        stored(&store, 0).await;
        assert_eq!(claim(&store, 10, "default", "m1", "r1").await.unwrap().used_by.as_deref(), Some("r1"));
        assert!(claim(&store, 20, "default", "m1", "r1").await.is_ok(), "a retry of the same reply");
        assert!(matches!(claim(&store, 30, "default", "m1", "r2").await, Err(ClaimRefused::Used { .. })));
        assert!(matches!(claim(&store, 30, "default", "m2", "r2").await, Err(ClaimRefused::Unknown(_))));
        let late = SharedStore::new(StatusCache::disabled());
        stored(&late, 0).await;
        assert!(matches!(claim(&late, VALID_MS, "default", "m1", "r1").await, Err(ClaimRefused::Expired(_))));
    }
}
