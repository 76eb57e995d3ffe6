//! Robot conversations: how a smart robot answers users (doc 101031,
//! 101138). A robot account with `reply: stream` answers each user message
//! with a new stream ([`stream`]); business systems fill it through the API
//! while WeCom polls it, on any replica. Every callback's `response_url` is
//! remembered for an hour, so a business system can answer once through it
//! ([`response_url`]).
//!
//! The callback handler never waits for a write here: opening a stream and
//! remembering a `response_url` are sent to the store in the background. A
//! stream-refresh poll reads the stream — from Redis in external mode,
//! bounded by its command timeout — and answers the opening state when the
//! read fails.

mod clock;
mod counters;
pub mod longconn;
pub mod response_url;
mod store;
pub mod stream;

use std::{sync::Arc, time::Duration};

pub use self::{
    clock::{Clock, ManualClock},
    counters::RobotCounters,
    response_url::{ClaimRefused, ResponseUrl},
    store::SharedStore,
    stream::{StreamState, StreamWrite, WriteRefused},
};
use crate::{
    accounts::Account, cache::StatusCache, configuration::RobotSettings, wecom::payload::SmartRobotCallback,
};

/// How long a stream is kept after its message: past WeCom's 6 minutes of
/// polling, long enough for a late write to find it.
const STREAM_TTL: Duration = Duration::from_secs(2 * 3600);
/// The longest a refresh poll's answer may take to read and update the stream.
const POLL_BUDGET: Duration = Duration::from_secs(1);
/// Compare-and-set attempts before a write gives up (only under a storm of
/// concurrent writers to one stream).
const SWAP_ATTEMPTS: usize = 8;

/// Streams and `response_url`s of every robot account.
pub struct Conversations {
    store: SharedStore,
    clock: Clock,
    settings: RobotSettings,
    counters: RobotCounters,
}

/// Why a stream operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// No such stream (never opened, or expired).
    #[error("no stream {0}")]
    NotFound(String),
    /// The write was refused.
    #[error(transparent)]
    Refused(#[from] WriteRefused),
    /// Other writers kept changing it.
    #[error("stream {0} is being written concurrently; try again")]
    Contended(String),
}

impl Conversations {
    /// Over `cache` (Redis in external mode), judged by `clock`.
    pub fn new(cache: StatusCache, clock: Clock, settings: RobotSettings) -> Arc<Self> {
        Arc::new(Self { store: SharedStore::new(cache), clock, settings, counters: RobotCounters::default() })
    }

    /// What this process did, for `/metrics`.
    pub fn counters(&self) -> &RobotCounters {
        &self.counters
    }

    /// The store streams live in (shared in external mode).
    pub(crate) fn store(&self) -> &SharedStore {
        &self.store
    }

    /// Now, by this service's clock (Unix ms).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    fn stream_key(id: &str) -> String {
        format!("pmc:robot:stream:{id}")
    }

    /// Opens the stream that answers `callback` (a user's message to a
    /// `reply: stream` account) and returns its first state. Stored in the
    /// background; a retry of the callback keeps the stream it opened.
    pub fn open_stream(&self, account: &Account, callback: &SmartRobotCallback) -> StreamState {
        let now = self.now_ms();
        let deadline = now + secs_ms(self.settings.stream_deadline_secs);
        let state = StreamState::open(
            account.id.as_str(),
            &callback.msgid,
            &callback.chattype,
            callback.chatid.clone(),
            &callback.from.userid,
            account.thinking_text.as_deref(),
            now,
            deadline,
        );
        let store = self.store.clone();
        let (key, value) = (Self::stream_key(&state.id), to_json(&state));
        tokio::spawn(async move { store.insert_if_absent(&key, &value, STREAM_TTL).await });
        RobotCounters::bump(&self.counters.streams_opened);
        state
    }

    /// The answer to WeCom's refresh poll of stream `id` for `account`:
    /// its current state, after the keepalive or force-finish time asks for.
    /// A stream not found (its opening not stored yet, or the store
    /// unreachable) is answered as it opened.
    pub async fn poll(&self, account: &Account, id: &str) -> StreamState {
        // However Redis behaves, WeCom gets its answer well within its 5 s.
        let read = tokio::time::timeout(POLL_BUDGET, self.update(id, |stream| Ok(self.tick(stream)))).await;
        match read {
            Ok(Ok(stream)) if stream.account == account.id.as_str() => {
                RobotCounters::bump(&self.counters.polls_found);
                stream
            }
            _ => {
                RobotCounters::bump(&self.counters.polls_unfound);
                let now = self.now_ms();
                let mut opening = StreamState::open(
                    account.id.as_str(),
                    "",
                    "",
                    None,
                    "",
                    account.thinking_text.as_deref(),
                    now,
                    now,
                );
                opening.id = id.to_owned();
                opening.feedback_id = stream::feedback_id(id);
                opening.deadline_ms = i64::MAX;
                opening
            }
        }
    }

    /// Stream `id` as it stands (after what time asks for).
    pub async fn get(&self, id: &str) -> Result<StreamState, StreamError> {
        self.update(id, |stream| Ok(self.tick(stream))).await
    }

    /// Applies a business system's write to stream `id`.
    pub async fn write(&self, id: &str, write: StreamWrite) -> Result<StreamState, StreamError> {
        let now = self.now_ms();
        let written = self
            .update(id, |stream| {
                self.tick(stream);
                stream.write(write.clone(), now)?;
                Ok(true)
            })
            .await?;
        RobotCounters::bump(&self.counters.writes);
        Ok(written)
    }

    fn tick(&self, stream: &mut StreamState) -> bool {
        let keepalive = secs_ms(self.settings.stream_keepalive_secs);
        stream.tick(self.now_ms(), keepalive, &self.settings.stream_fallback_text)
    }

    /// Reads stream `id`, applies `change` (which says whether it changed
    /// anything) and stores the result if the stream was not changed
    /// meanwhile — else reads again and retries.
    async fn update(
        &self,
        id: &str,
        change: impl Fn(&mut StreamState) -> Result<bool, WriteRefused>,
    ) -> Result<StreamState, StreamError> {
        let key = Self::stream_key(id);
        for _ in 0..SWAP_ATTEMPTS {
            let stored = self.store.get(&key).await.ok_or_else(|| StreamError::NotFound(id.to_owned()))?;
            let mut stream: StreamState =
                serde_json::from_str(&stored).map_err(|_| StreamError::NotFound(id.to_owned()))?;
            let (keepalives, forced) = (stream.keepalives, stream.forced);
            if !change(&mut stream)? {
                return Ok(stream);
            }
            if self.store.swap(&key, &stored, &to_json(&stream), STREAM_TTL).await {
                // Counted by the one writer whose change was stored.
                if stream.keepalives > keepalives {
                    RobotCounters::bump(&self.counters.keepalives);
                }
                if stream.forced && !forced {
                    RobotCounters::bump(&self.counters.forced);
                }
                return Ok(stream);
            }
        }
        Err(StreamError::Contended(id.to_owned()))
    }

    /// Remembers `callback`'s `response_url` (if it has one) for an hour,
    /// in the background.
    pub fn remember_response_url(&self, account: &Account, callback: &SmartRobotCallback) {
        let Some(url) = callback.response_url.clone().filter(|url| !url.is_empty()) else { return };
        let record = ResponseUrl {
            url,
            account: account.id.to_string(),
            message_id: callback.msgid.clone(),
            chat_type: callback.chattype.clone(),
            received_at_ms: self.now_ms(),
            used_by: None,
        };
        let store = self.store.clone();
        tokio::spawn(async move {
            store.insert_if_absent(&record.key(), &to_json(&record), response_url::KEPT_FOR).await
        });
    }

    /// Takes the `response_url` of `message_id` (a callback of `account`)
    /// for the reply `reply_id`: once per URL (a retry by the same reply
    /// takes it again), within its hour.
    pub async fn claim_response_url(
        &self,
        account: &str,
        message_id: &str,
        reply_id: &str,
    ) -> Result<ResponseUrl, ClaimRefused> {
        let claimed = response_url::claim(&self.store, self.now_ms(), account, message_id, reply_id).await;
        let counter = match &claimed {
            Ok(_) => &self.counters.claims_taken,
            Err(ClaimRefused::Used { .. }) => &self.counters.claims_used,
            Err(ClaimRefused::Expired(_)) => &self.counters.claims_expired,
            Err(ClaimRefused::Unknown(_)) => &self.counters.claims_unknown,
            Err(ClaimRefused::Contended(_)) => return claimed,
        };
        RobotCounters::bump(counter);
        claimed
    }
}

fn secs_ms(secs: u64) -> i64 {
    i64::try_from(secs.saturating_mul(1000)).unwrap_or(i64::MAX)
}

fn to_json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("robot state serialises")
}
