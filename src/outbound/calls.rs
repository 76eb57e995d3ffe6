//! One try of a send: the WeCom call each channel makes (uploading media
//! given as content first), with the account's access token — replaced
//! once when WeCom rejects it — or a suite's corp token; and the calls
//! readers of WeCom's state make (`call_app`).

use std::time::Duration;

use super::{
    Outbound,
    client::{ApiAnswer, CallError, TOKEN_ERRORS},
    media,
    request::{SendChannel, SendRequest},
    senders::Sender,
    token::TokenError,
};
use crate::{configuration::AccountKind, suite::SuiteError};

/// How long WeCom's answer to an `aibot_send_msg` frame may take (relayed:
/// the holder's poll and WeCom's 5 s).
const AIBOT_ANSWER_TIMEOUT: Duration = Duration::from_secs(8);

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

    pub(super) async fn attempt(&self, sender: &Sender, request: &SendRequest) -> Attempt {
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
            SendChannel::WecomApp | SendChannel::WecomKf => {
                let corp_id = request.corp_id.as_deref();
                let content = match self.upload_media(sender, corp_id, request).await {
                    Ok(content) => content,
                    Err(attempt) => return attempt,
                };
                if request.channel == SendChannel::WecomKf {
                    let path =
                        if request.welcome_code.is_some() { "kf/send_msg_on_event" } else { "kf/send_msg" };
                    return self.call_as_app(sender, corp_id, path, |_| request.kf_body(&content)).await;
                }
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

    /// Uploads the media a send gives as content (`media/upload`) and
    /// returns the content with their media ids; a refused upload is the
    /// send's outcome.
    async fn upload_media(
        &self,
        sender: &Sender,
        corp_id: Option<&str>,
        request: &SendRequest,
    ) -> Result<serde_json::Map<String, serde_json::Value>, Attempt> {
        let mut uploaded = Vec::new();
        for upload in media::uploads(request) {
            let answer = {
                let upload = &upload;
                self.with_app_token(sender, corp_id, |token, _| async move {
                    sender.api.upload_media(&token, upload.kind, &upload.filename, upload.bytes.clone()).await
                })
                .await
            };
            match answer {
                Attempt::Answered(answer) if answer.errcode == 0 => match answer.text("media_id") {
                    Some(media_id) => uploaded.push((upload, media_id)),
                    None => {
                        return Err(Attempt::Answered(ApiAnswer {
                            errcode: -2,
                            errmsg: "media/upload answered no media_id".to_owned(),
                            body: answer.body,
                        }));
                    }
                },
                other => return Err(other),
            }
        }
        Ok(media::resolved(request, &uploaded))
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
