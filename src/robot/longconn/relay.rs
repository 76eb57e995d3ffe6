//! Sends relayed to the holder: WeCom lets only the bot's one connection
//! send (`aibot_send_msg`), and only one replica holds it, so a replica
//! that does not queues the frame's body in the lease's store (Redis, or
//! MySQL without Redis) and waits for WeCom's answer there; the holder
//! takes queued sends every [`POLL`] while subscribed, sends them on its
//! connection and leaves each answer for the sender.
//!
//! At least once, never silently lost: a send whose holder died before
//! answering is queued (Redis) or claimed (MySQL) again after
//! [`IN_FLIGHT`], and a retry finds an answer that came late instead of
//! sending twice.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::{
    frame::{self, Frame},
    lease::Lease,
    outbox::{NotAnswered, Outbox},
    respond::ANSWER_TIMEOUT,
    sql_relay,
};
use crate::cache::{LeaseStoreError, Submitted};

/// How often the holder takes queued sends.
pub const POLL: Duration = Duration::from_millis(200);
/// How often a sender looks for its answer.
const ANSWER_POLL: Duration = Duration::from_millis(100);
/// How long a queued or claimed send counts as in the holder's hands:
/// past the holder's poll, WeCom's answer time and a lease takeover.
const IN_FLIGHT: Duration = Duration::from_secs(30);
/// How long queues, answers and rows are kept.
const KEEP: Duration = Duration::from_secs(3600);
/// Sends taken at once.
const TAKE_AT_MOST: usize = 16;

/// Why a relayed send got no answer (the send is retried).
#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    /// One process: there is no other holder to relay to.
    #[error("no shared store to relay through")]
    NotShared,
    /// The store did not answer.
    #[error(transparent)]
    Store(#[from] LeaseStoreError),
    /// The holder has not answered in time (it may be reconnecting).
    #[error("the connection's holder did not answer within {0:?}")]
    Timeout(Duration),
    /// The holder's answer was not a frame.
    #[error("an unreadable answer: {0}")]
    Unreadable(String),
}

/// One queued send, as the holder takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Relayed {
    /// The send's id (the message id).
    pub id: String,
    /// The `aibot_send_msg` body.
    pub body: Value,
}

/// The relay of one deployment, over the lease's store.
#[derive(Clone)]
pub struct Relay {
    lease: Lease,
}

fn ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

impl Relay {
    /// Over the store `lease` uses.
    pub fn new(lease: Lease) -> Self {
        Self { lease }
    }

    /// Whether other replicas may hold connections (a shared store).
    pub fn is_shared(&self) -> bool {
        !matches!(self.lease, Lease::InProcess { .. })
    }

    /// Queues send `id` (an `aibot_send_msg` body) for the holder of
    /// lease `name` and waits up to `timeout` for WeCom's answer.
    pub async fn request(
        &self,
        name: &str,
        id: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Frame, RelayError> {
        let started = Instant::now();
        match self.submit(name, id, body).await? {
            Submitted::Queued => {
                tracing::debug!(lease = name, id, "Send relayed to the connection's holder.")
            }
            Submitted::InFlight | Submitted::Answered => {}
        }
        loop {
            if let Some(answer) = self.answer_of(name, id).await? {
                return serde_json::from_str(&answer)
                    .map_err(|error| RelayError::Unreadable(error.to_string()));
            }
            if started.elapsed() >= timeout {
                return Err(RelayError::Timeout(timeout));
            }
            tokio::time::sleep(ANSWER_POLL).await;
        }
    }

    async fn submit(&self, name: &str, id: &str, body: &Value) -> Result<Submitted, RelayError> {
        let body = body.to_string();
        match &self.lease {
            Lease::InProcess { .. } => Err(RelayError::NotShared),
            Lease::Shared { cache, scope, .. } => {
                let entry = serde_json::json!({"id": id, "body": body}).to_string();
                Ok(cache.relay_submit(scope, name, id, &entry, ms(IN_FLIGHT), ms(KEEP)).await?)
            }
            Lease::Sql { db, .. } => Ok(sql_relay::submit(db, name, &relay_id(name, id), &body).await?),
        }
    }

    async fn answer_of(&self, name: &str, id: &str) -> Result<Option<String>, RelayError> {
        match &self.lease {
            Lease::InProcess { .. } => Err(RelayError::NotShared),
            Lease::Shared { cache, scope, .. } => Ok(cache.relay_answer_of(scope, name, id).await?),
            Lease::Sql { db, .. } => Ok(sql_relay::answer_of(db, &relay_id(name, id)).await?),
        }
    }

    /// The holder: takes the sends queued for lease `name`.
    pub async fn take(&self, name: &str) -> Result<Vec<Relayed>, LeaseStoreError> {
        match &self.lease {
            Lease::InProcess { .. } => Ok(Vec::new()),
            Lease::Shared { cache, scope, .. } => {
                let entries = cache.relay_take(scope, name, TAKE_AT_MOST).await?;
                Ok(entries.iter().filter_map(|entry| parse_entry(entry)).collect())
            }
            Lease::Sql { db, .. } => {
                let claim = format!("{:016x}{:016x}", rand::random::<u64>(), rand::random::<u64>());
                let rows = sql_relay::take(db, name, &claim, TAKE_AT_MOST, ms(IN_FLIGHT)).await?;
                if rows.is_empty() && rand::random::<u8>() == 0 {
                    // Now and then, drop what is an hour old.
                    let _pruned = sql_relay::prune(db, name, ms(KEEP)).await;
                }
                Ok(rows
                    .into_iter()
                    .filter_map(|(row_id, body)| {
                        let id = row_id.strip_prefix(&format!("{name}|"))?.to_owned();
                        Some(Relayed { id, body: serde_json::from_str(&body).ok()? })
                    })
                    .collect())
            }
        }
    }

    /// The holder: sends `relayed` on its connection and leaves WeCom's
    /// answer for the sender. No answer (the connection dropped) leaves
    /// nothing: the send is taken again after [`IN_FLIGHT`] or retried.
    pub async fn send(&self, name: &str, outbox: &Outbox, relayed: Relayed) {
        let Relayed { id, body } = relayed;
        let frame = Frame::request(frame::SEND_MSG, frame::req_id(frame::SEND_MSG), Some(body));
        let answer = match outbox.request(frame, ANSWER_TIMEOUT).await {
            Ok(answer) => answer,
            Err(error @ (NotAnswered::Full | NotAnswered::Closed | NotAnswered::Timeout(_))) => {
                tracing::warn!(lease = name, id, error = %error, "A relayed send got no answer from WeCom.");
                return;
            }
        };
        let text = serde_json::to_string(&answer).expect("frames serialise");
        let left = match &self.lease {
            Lease::InProcess { .. } => Ok(()),
            Lease::Shared { cache, scope, .. } => cache.relay_answer(scope, name, &id, &text, ms(KEEP)).await,
            Lease::Sql { db, .. } => sql_relay::answer(db, &relay_id(name, &id), &text).await,
        };
        if let Err(error) = left {
            tracing::warn!(lease = name, id, error = %error, "A relayed send's answer could not be left; it is sent again.");
        }
    }
}

/// The row id of send `id` of bot `name` (ids are unique per deployment,
/// rows per bot).
fn relay_id(name: &str, id: &str) -> String {
    format!("{name}|{id}")
}

fn parse_entry(entry: &str) -> Option<Relayed> {
    let entry: Value = serde_json::from_str(entry).ok()?;
    let id = entry.get("id")?.as_str()?.to_owned();
    let body = serde_json::from_str(entry.get("body")?.as_str()?).ok()?;
    Some(Relayed { id, body })
}
