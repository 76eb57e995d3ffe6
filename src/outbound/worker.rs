//! The two loops that send: the *tailer* turns `message.send` events into
//! jobs (skipping sends another replica claimed), and the *worker* sends
//! due jobs — paced, retried with backoff while WeCom is busy or
//! unreachable — and stores each outcome as a `message.send_result` event.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use tokio::sync::{Notify, watch};

use super::{
    Outbound,
    calls::Attempt,
    client::RETRY_LATER,
    queue::{self, job},
    request::{SendChannel, SendRequest},
    result::{SEND_RESULT_TYPE, SEND_TYPE, SendResult},
    token::TokenError,
};
use crate::{event_log::NewEvent, suite::SuiteError, tracking::derive::API_CHANNEL};

/// Sends in flight at once.
const CONCURRENCY: usize = 16;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Moving the cursor past other callbacks is written at most this often
/// (under load that would be every commit); after a crash those callbacks
/// are looked at again, and still hold no send.
const SAVE_INTERVAL: Duration = Duration::from_secs(5);

/// Where the tailer is: the cursor as far as it looked (at or past the
/// stored one), and when it was last stored.
struct TailCursor {
    /// Looked at up to here (`None` until read from the queue).
    looked_at: Option<i64>,
    saved_at: std::time::Instant,
}

/// What one page did.
enum Tailed {
    /// Nothing new in the log.
    Idle,
    /// Moved on; `queued` sends became jobs.
    Moved { queued: bool },
}

/// Tails the event log for sends and queues them, until `closing`.
pub(super) async fn tail(outbound: Arc<Outbound>, work: Arc<Notify>, mut commits: watch::Receiver<i64>) {
    let mut closing = outbound.closing.subscribe();
    let mut cursor = TailCursor { looked_at: None, saved_at: std::time::Instant::now() };
    loop {
        match tail_once(&outbound, &mut cursor).await {
            Ok(Tailed::Moved { queued }) => {
                if queued {
                    work.notify_one();
                }
                continue;
            }
            Ok(Tailed::Idle) => {}
            Err(error) => {
                // Read the stored cursor again: the failed write may or may not have landed.
                cursor.looked_at = None;
                tracing::error!(error = %error, "Queueing sends from the event log failed; retrying.");
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }
        if *closing.borrow() {
            return;
        }
        tokio::select! {
            changed = commits.changed() => if changed.is_err() { return },
            _ = closing.changed() => {}
        }
    }
}

/// Queues the next page of sends.
async fn tail_once(
    outbound: &Outbound,
    tail: &mut TailCursor,
) -> Result<Tailed, Box<dyn std::error::Error + Send + Sync>> {
    let cursor = match tail.looked_at {
        Some(cursor) => cursor,
        None => outbound.queue.cursor().await?,
    };
    tail.looked_at = Some(cursor);
    let (events, looked_at) = outbound.event_log.events_of_types_after(cursor, &[SEND_TYPE], 200).await?;
    if looked_at == cursor {
        return Ok(Tailed::Idle);
    }
    if events.is_empty() && tail.saved_at.elapsed() < SAVE_INTERVAL {
        tail.looked_at = Some(looked_at);
        outbound.tailed.send_replace(looked_at);
        return Ok(Tailed::Moved { queued: false });
    }
    let skip = match &outbound.claims {
        Some(claims) => claims.duplicates_in(&events).await,
        None => Default::default(),
    };
    let now = now_ms();
    let jobs = events
        .iter()
        .filter(|event| !skip.contains(&event.id))
        .filter_map(|event| {
            let request: SendRequest = serde_json::from_str(&event.payload).ok()?;
            Some(queue::new_job(event.id, request.message_id, event.payload.clone(), now))
        })
        .collect::<Vec<_>>();
    let queued = !jobs.is_empty();
    tracing::debug!(from = cursor, to = looked_at, skipped = skip.len(), "Queued sends.");
    outbound.queue.enqueue(jobs, looked_at).await?;
    *tail = TailCursor { looked_at: Some(looked_at), saved_at: std::time::Instant::now() };
    outbound.tailed.send_replace(looked_at);
    Ok(Tailed::Moved { queued })
}

/// Sends due jobs until `closing`.
pub(super) async fn work(outbound: Arc<Outbound>, work: Arc<Notify>) {
    let mut closing = outbound.closing.subscribe();
    loop {
        let due = match outbound.queue.due(now_ms(), 256).await {
            Ok(due) => due,
            Err(error) => {
                tracing::error!(error = %error, "Reading the send queue failed; retrying.");
                tokio::time::sleep(Duration::from_millis(500)).await;
                continue;
            }
        };
        if !due.is_empty() {
            futures::stream::iter(due)
                .for_each_concurrent(CONCURRENCY, |job| {
                    let outbound = Arc::clone(&outbound);
                    async move { outbound.process(job).await }
                })
                .await;
            continue;
        }
        if *closing.borrow() {
            return;
        }
        let next = outbound.queue.next_due_ms().await.ok().flatten();
        let sleep = next.map_or(Duration::from_secs(5), |at| {
            Duration::from_millis((at - now_ms()).clamp(1, 5_000) as u64)
        });
        tokio::select! {
            _ = work.notified() => {}
            _ = tokio::time::sleep(sleep) => {}
            _ = closing.changed() => {}
        }
    }
}

impl Outbound {
    async fn process(&self, job: job::Model) {
        let attempts = job.attempts + 1;
        let request: SendRequest = match serde_json::from_str(&job.request) {
            Ok(request) => request,
            Err(error) => {
                tracing::error!(event_id = job.event_id, error = %error, "A queued send is unreadable; dropped.");
                let _ = self.queue.finish(job.event_id).await;
                return;
            }
        };
        // Its result is already stored (a crash came between storing it and
        // marking the job): never send twice.
        if let Ok(Some(_)) =
            self.event_log.event_for_dedupe_key(&SendResult::dedupe_key(&request.message_id)).await
        {
            let _ = self.queue.finish(job.event_id).await;
            return;
        }
        if job.attempts > 0 && self.kf_session_closed(&job, &request).await {
            let reason = "the 微信客服 session was closed (session_status_change) before a retry".to_owned();
            self.store_result(&job, SendResult::failed(&request, -3, reason, job.attempts)).await;
            return;
        }
        let Some(sender) = self.sender(request.channel, &request.account) else {
            // The account was removed from the configuration after the send was accepted.
            let reason = format!("account {} is no longer configured", request.account);
            self.store_result(&job, SendResult::failed(&request, -3, reason, attempts)).await;
            return;
        };
        if let Err(wait) = self
            .pacer
            .take(&sender.limits(request.channel, request.corp_id.as_deref(), &request.tracked_recipients()))
            .await
        {
            let _ =
                self.queue.defer(job.event_id, now_ms() + wait.as_millis() as i64, job.attempts, None).await;
            return;
        }
        tracing::debug!(message_id = %request.message_id, event_id = job.event_id, attempts, "Sending.");
        // A response_url works once: a reply is never tried twice.
        let max_attempts =
            if request.channel == SendChannel::WecomRobotReply { 1 } else { self.retries.max_attempts };
        let result = match self.attempt(&sender, &request).await {
            Attempt::Answered(answer) if answer.errcode == 0 => {
                let result = SendResult::accepted(&request, &answer, attempts);
                if request.channel == SendChannel::WecomExternal
                    && let Err(error) = self.watches.watch(&request, &result, now_ms()).await
                {
                    // Kept queued: the next try finds the mass send (WeCom's
                    // msgid is not reused) only by sending again, so wait.
                    tracing::error!(message_id = %request.message_id, error = %error, "A mass send's results cannot be watched; retrying.");
                    self.retry_later(&job, attempts, self.backoff(attempts), error.to_string()).await;
                    return;
                }
                result
            }
            Attempt::Answered(answer) if RETRY_LATER.contains(&answer.errcode) && attempts < max_attempts => {
                let wait = if answer.errcode == 45009 {
                    Duration::from_secs(self.retries.rate_limited_backoff_secs)
                } else {
                    self.backoff(attempts)
                };
                let error = format!("errcode {}: {}", answer.errcode, answer.errmsg);
                self.retry_later(&job, attempts, wait, error).await;
                return;
            }
            Attempt::Answered(answer) => {
                SendResult::failed(&request, answer.errcode, answer.errmsg, attempts)
            }
            Attempt::NoAnswer(error) | Attempt::NoToken(TokenError::Call(error))
                if error.is_transient() && attempts < max_attempts =>
            {
                self.retry_later(&job, attempts, self.backoff(attempts), error.to_string()).await;
                return;
            }
            Attempt::NoAnswer(error) => {
                tracing::error!(message_id = %request.message_id, error = %error, "Send failed.");
                SendResult::failed(&request, -2, error.to_string(), attempts)
            }
            Attempt::NoToken(TokenError::Refused { errcode, errmsg }) => {
                SendResult::failed(&request, errcode, format!("gettoken: {errmsg}"), attempts)
            }
            Attempt::NoToken(TokenError::Call(error)) => {
                tracing::error!(message_id = %request.message_id, error = %error, "Send failed: no access token.");
                SendResult::failed(&request, -2, format!("gettoken: {error}"), attempts)
            }
            Attempt::NoCorpToken(error) if error.is_transient() && attempts < max_attempts => {
                self.retry_later(&job, attempts, self.backoff(attempts), error.to_string()).await;
                return;
            }
            Attempt::NoCorpToken(error) => {
                tracing::error!(message_id = %request.message_id, error = %error, "Send failed: no corp token.");
                let errcode = match &error {
                    SuiteError::Refused { errcode, .. } => *errcode,
                    SuiteError::Call(_) => -2,
                    _ => -3,
                };
                SendResult::failed(&request, errcode, error.to_string(), attempts)
            }
        };
        self.store_result(&job, result).await;
    }

    /// Whether a `wecom_kf` send's session was closed after the send was
    /// accepted (then retrying it is pointless).
    async fn kf_session_closed(&self, job: &job::Model, request: &SendRequest) -> bool {
        let (Some(sessions), Some(open_kfid), Some(customer)) =
            (self.kf_sessions.get(), request.open_kfid.as_deref(), request.recipients.first())
        else {
            return false;
        };
        if request.channel != SendChannel::WecomKf {
            return false;
        }
        let accepted_at = match self.event_log.get(job.event_id).await {
            Ok(Some(event)) => event.received_at_ms,
            _ => return false,
        };
        sessions.closed_since(open_kfid, customer, accepted_at).await.unwrap_or(false)
    }

    async fn retry_later(&self, job: &job::Model, attempts: i32, wait: Duration, error: String) {
        tracing::warn!(message_id = %job.message_id, attempts, error = %error, "Send deferred; retrying later.");
        let _ =
            self.queue.defer(job.event_id, now_ms() + wait.as_millis() as i64, attempts, Some(error)).await;
    }

    /// Appends the outcome to the event log, then marks the job done.
    async fn store_result(&self, job: &job::Model, result: SendResult) {
        let key = SendResult::dedupe_key(&result.message_id);
        let payload = serde_json::to_string(&result).expect("results serialise");
        let request: Option<SendRequest> = serde_json::from_str(&job.request).ok();
        let account =
            request.as_ref().map_or(crate::accounts::DEFAULT_ACCOUNT, |request| request.account.as_str());
        let event =
            NewEvent::internal(API_CHANNEL, SEND_RESULT_TYPE, key, None, payload).for_account(account);
        match self.event_log.append(event).await {
            Ok(_) => {
                let _ = self.queue.finish(job.event_id).await;
            }
            Err(error) => {
                // Kept queued; the next try finds the result if it was stored after all.
                tracing::error!(error = %error, message_id = %job.message_id, "Storing a send's result failed.");
                let _ = self
                    .queue
                    .defer(job.event_id, now_ms() + 1_000, job.attempts, Some(error.to_string()))
                    .await;
            }
        }
    }
}

impl Outbound {
    /// `first_retry_secs`, doubling per attempt, at most 5 minutes.
    fn backoff(&self, attempts: i32) -> Duration {
        let doubling = 2u64.saturating_pow((attempts - 1).clamp(0, 16) as u32);
        Duration::from_secs(self.retries.first_retry_secs.saturating_mul(doubling).min(300))
    }
}
