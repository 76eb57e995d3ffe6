//! The two loops that send: the *tailer* turns `message.send` events into
//! jobs (skipping sends another replica claimed), and the *worker* sends
//! due jobs — paced, retried with backoff while WeCom is busy or
//! unreachable — and stores each outcome as a `message.send_result` event.

use std::{sync::Arc, time::Duration};

use futures::StreamExt;
use tokio::sync::{Notify, watch};

use super::{
    Outbound,
    client::{ApiAnswer, CallError, RETRY_LATER, TOKEN_ERRORS},
    media,
    queue::{self, job},
    request::{SendChannel, SendRequest},
    result::{SEND_RESULT_TYPE, SEND_TYPE, SendResult},
    senders::Sender,
    token::TokenError,
};
use crate::{
    configuration::AccountKind, event_log::NewEvent, suite::SuiteError, tracking::derive::API_CHANNEL,
};

/// Sends in flight at once.
const CONCURRENCY: usize = 16;
/// How long WeCom's answer to an `aibot_send_msg` frame may take (relayed:
/// the holder's poll and WeCom's 5 s).
const AIBOT_ANSWER_TIMEOUT: Duration = Duration::from_secs(8);

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Tails the event log for sends and queues them, until `closing`.
pub(super) async fn tail(outbound: Arc<Outbound>, work: Arc<Notify>, mut commits: watch::Receiver<i64>) {
    let mut closing = outbound.closing.subscribe();
    loop {
        match tail_once(&outbound).await {
            Ok(true) => {
                work.notify_one();
                continue;
            }
            Ok(false) => {}
            Err(error) => {
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

/// Queues the next page of sends; `true` if there may be more.
async fn tail_once(outbound: &Outbound) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let cursor = outbound.queue.cursor().await?;
    let (events, looked_at) = outbound.event_log.events_of_types_after(cursor, &[SEND_TYPE], 200).await?;
    if looked_at == cursor {
        return Ok(false);
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
        .collect();
    tracing::debug!(from = cursor, to = looked_at, skipped = skip.len(), "Queued sends.");
    outbound.queue.enqueue(jobs, looked_at).await?;
    Ok(true)
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

/// What one try came to.
pub(super) enum Attempt {
    Answered(ApiAnswer),
    NoAnswer(CallError),
    NoToken(TokenError),
    /// A suite account had no token for the corp (not authorised, no
    /// ticket yet, WeCom refused or unreachable).
    NoCorpToken(SuiteError),
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

    /// `aibot_send_msg` on the bot's one connection, tracked by WeCom's
    /// answer frame: this replica's own while it holds it, else relayed to
    /// the replica that does. No answer (no holder yet, a takeover under
    /// way) retries the send with backoff, up to `sending.max_attempts`.
    async fn aibot_send(&self, request: &SendRequest) -> Attempt {
        let Some(connections) = self.long_connections.get() else {
            return Attempt::NoAnswer(CallError::Transport("long connections are not started".to_owned()));
        };
        let sent = connections
            .send(&request.account, &request.message_id, request.aibot_body(), AIBOT_ANSWER_TIMEOUT)
            .await;
        match sent {
            Ok(answer) => Attempt::Answered(ApiAnswer {
                errcode: answer.errcode.unwrap_or(-1),
                errmsg: answer.errmsg.clone().unwrap_or_default(),
                body: serde_json::to_value(&answer).unwrap_or_default(),
            }),
            Err(error) => Attempt::NoAnswer(CallError::Transport(error.to_string())),
        }
    }

    async fn attempt(&self, sender: &Sender, request: &SendRequest) -> Attempt {
        match request.channel {
            SendChannel::WecomBot => match sender.robot_key() {
                Some(key) => {
                    // A file or voice given as content is uploaded first (its media_id lasts 3 days).
                    let media_id = match media::uploads(request).into_iter().next() {
                        None => None,
                        Some(upload) => {
                            match sender
                                .api
                                .robot_upload(key, upload.kind, &upload.filename, upload.bytes)
                                .await
                            {
                                Ok(answer) if answer.errcode == 0 => answer.text("media_id"),
                                Ok(answer) => return Attempt::Answered(answer),
                                Err(error) => return Attempt::NoAnswer(error),
                            }
                        }
                    };
                    match sender.api.robot_send(key, &request.bot_body(media_id.as_deref())).await {
                        Ok(answer) => Attempt::Answered(answer),
                        Err(error) => Attempt::NoAnswer(error),
                    }
                }
                None => Attempt::NoToken(TokenError::Refused {
                    errcode: -3,
                    errmsg: format!("robot account {} has no webhook_url", sender.account.id),
                }),
            },
            SendChannel::WecomAibot => self.aibot_send(request).await,
            SendChannel::WecomExternal => {
                let corp_id = request.corp_id.as_deref();
                self.call_as_app(sender, corp_id, "externalcontact/add_msg_template", |_| {
                    request.external_body()
                })
                .await
            }
            SendChannel::WecomRobotReply => match &request.response_url {
                Some(url) => match sender.api.post_to_url(url, &request.bot_body(None)).await {
                    Ok(answer) => Attempt::Answered(answer),
                    Err(error) => Attempt::NoAnswer(error),
                },
                None => Attempt::NoToken(TokenError::Refused {
                    errcode: -3,
                    errmsg: "a robot reply without its response_url".to_owned(),
                }),
            },
            SendChannel::WecomApp => {
                let corp_id = request.corp_id.as_deref();
                // Media given as content is uploaded first; the send names the media ids.
                let mut uploaded = Vec::new();
                for upload in media::uploads(request) {
                    let answer = {
                        let upload = &upload;
                        self.with_app_token(sender, corp_id, |token, _| async move {
                            sender
                                .api
                                .upload_media(&token, upload.kind, &upload.filename, upload.bytes.clone())
                                .await
                        })
                        .await
                    };
                    match answer {
                        Attempt::Answered(answer) if answer.errcode == 0 => match answer.text("media_id") {
                            Some(media_id) => uploaded.push((upload, media_id)),
                            None => {
                                return Attempt::Answered(ApiAnswer {
                                    errcode: -2,
                                    errmsg: "media/upload answered no media_id".to_owned(),
                                    body: answer.body,
                                });
                            }
                        },
                        other => return other,
                    }
                }
                let content = media::resolved(request, &uploaded);
                if request.chatid.is_some() {
                    self.call_as_app(sender, corp_id, "appchat/send", |_| request.chat_body(&content)).await
                } else {
                    self.call_as_app(sender, corp_id, "message/send", |agent| {
                        request.app_body(agent, &content)
                    })
                    .await
                }
            }
        }
    }

    /// Calls an app API of `account` (a suite: as its app in `corp_id`),
    /// with the token replaced once if WeCom rejects it: the answer's body
    /// when WeCom answers errcode 0, else why not (for readers of WeCom's
    /// state — mass-send results, 微信客服 messages — not for sends).
    pub(crate) async fn call_app(
        &self,
        account: &str,
        corp_id: Option<&str>,
        path: &str,
        body: serde_json::Value,
    ) -> Result<serde_json::Value, String> {
        let sender = self
            .sender(SendChannel::WecomApp, account)
            .ok_or_else(|| format!("account {account} is no longer configured"))?;
        match self.call_as_app(&sender, corp_id, path, |_| body.clone()).await {
            Attempt::Answered(answer) if answer.errcode == 0 => Ok(answer.body),
            Attempt::Answered(answer) => {
                Err(format!("{path}: errcode {}: {}", answer.errcode, answer.errmsg))
            }
            Attempt::NoAnswer(error) => Err(format!("{path}: {error}")),
            Attempt::NoToken(error) => Err(format!("gettoken: {error}")),
            Attempt::NoCorpToken(error) => Err(format!("corp token: {error}")),
        }
    }

    /// Calls an app API as `sender` (a suite: as its app in `corp_id`) with
    /// the body `body(agent_id)`; on 40014/42001 replaces the token once and
    /// retries once.
    pub(super) async fn call_as_app(
        &self,
        sender: &Sender,
        corp_id: Option<&str>,
        path: &str,
        body: impl Fn(i64) -> serde_json::Value,
    ) -> Attempt {
        let body = &body;
        self.with_app_token(sender, corp_id, |token, agent| async move {
            sender.api.post_with_token(path, &token, &body(agent)).await
        })
        .await
    }

    /// Makes `call(token, agent_id)` as `sender` (a suite: as its app in
    /// `corp_id`); on 40014/42001 replaces the token once and calls again.
    async fn with_app_token<F, Fut>(&self, sender: &Sender, corp_id: Option<&str>, call: F) -> Attempt
    where
        F: Fn(String, i64) -> Fut,
        Fut: std::future::Future<Output = Result<ApiAnswer, CallError>>,
    {
        let (token, agent) = match self.app_token(sender, corp_id, None).await {
            Ok(credential) => credential,
            Err(attempt) => return attempt,
        };
        match call(token.clone(), agent).await {
            Ok(answer) if TOKEN_ERRORS.contains(&answer.errcode) => {
                let (fresh, agent) = match self.app_token(sender, corp_id, Some(&token)).await {
                    Ok(credential) => credential,
                    Err(attempt) => return attempt,
                };
                match call(fresh, agent).await {
                    Ok(answer) => Attempt::Answered(answer),
                    Err(error) => Attempt::NoAnswer(error),
                }
            }
            Ok(answer) => Attempt::Answered(answer),
            Err(error) => Attempt::NoAnswer(error),
        }
    }

    /// The access token and agent id to call as `sender` with: the app's
    /// own, or a suite's corp token and its agent in that corp. `rejected`:
    /// WeCom refused this token, fetch a fresh one (once for all callers).
    async fn app_token(
        &self,
        sender: &Sender,
        corp_id: Option<&str>,
        rejected: Option<&str>,
    ) -> Result<(String, i64), Attempt> {
        let account = &sender.account;
        if account.kind == AccountKind::Suite {
            let Some(corp_id) = corp_id else {
                return Err(Attempt::NoCorpToken(SuiteError::Credentials(format!(
                    "a send through suite account {} names no corp_id",
                    account.id
                ))));
            };
            let corp = match rejected {
                None => self.suites.corp_sender(account.id.as_str(), corp_id).await,
                Some(rejected) => self.suites.replace(account.id.as_str(), corp_id, rejected).await,
            };
            return corp
                .map(|corp| (corp.access_token, corp.agent_id.or(account.agent_id).unwrap_or_default()))
                .map_err(Attempt::NoCorpToken);
        }
        let Some(tokens) = &sender.tokens else {
            return Err(Attempt::NoToken(TokenError::Refused {
                errcode: -3,
                errmsg: account.can_send().err().unwrap_or_else(|| "no access token".to_owned()),
            }));
        };
        let token = match rejected {
            None => tokens.token().await,
            Some(rejected) => tokens.replace(rejected).await,
        };
        token.map(|token| (token, account.agent_id.unwrap_or_default())).map_err(Attempt::NoToken)
    }
}

impl Attempt {
    /// The answer, or a reason there is none (for the synchronous calls).
    pub(super) fn into_answer(self) -> Result<ApiAnswer, String> {
        match self {
            Attempt::Answered(answer) => Ok(answer),
            Attempt::NoAnswer(error) => Err(error.to_string()),
            Attempt::NoToken(error) => Err(error.to_string()),
            Attempt::NoCorpToken(error) => Err(error.to_string()),
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
