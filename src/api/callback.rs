//! The WeCom callback routes. WeCom uses one URL for GET (verification) and
//! POST (callbacks); the seed's `/verify` path is kept as an alias.

use std::sync::Arc;

use bytes::Bytes;
use poem::{Body, Request, web::RemoteAddr};
use poem_openapi::{
    ApiResponse, OpenApi,
    param::{Path, Query},
    payload::{Json, PlainText},
};

use super::{
    ApiTags,
    error::{CallbackFailure, ErrorBody},
    state::AppState,
};
use crate::{
    accounts::Family,
    webhooks::{
        WebhookError, WebhookRequest, serve, serve_url_check,
        wecom::{Channel, WeComSource},
    },
    wecom::WeComError,
};

/// Callback routes.
pub struct CallbackApi {
    state: Arc<AppState>,
}

/// The answer to a callback or URL check.
#[derive(ApiResponse)]
pub enum CallbackResponse {
    /// Stored (or recognised as a retry of a stored callback). The body is
    /// empty, the literal `success` for suite notices, an encrypted passive
    /// reply, or — for GET — the decrypted `echostr`.
    #[oai(status = 200)]
    Ok(PlainText<String>),
    /// Malformed request, ciphertext or payload (JSON names the -400xx code).
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Signature mismatch (-40001) or a message for another corp/robot (-40005).
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// No account with this id serves callbacks on this route.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Body larger than `webhook.max_body_bytes`.
    #[oai(status = 413)]
    TooLarge(Json<ErrorBody>),
    /// The channel has no credentials, or the event log cannot store now
    /// (WeCom retries).
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl CallbackResponse {
    fn failure(failure: CallbackFailure) -> Self {
        match failure {
            CallbackFailure::BadRequest(body) => CallbackResponse::BadRequest(body),
            CallbackFailure::Forbidden(body) => CallbackResponse::Forbidden(body),
            CallbackFailure::TooLarge(body) => CallbackResponse::TooLarge(body),
            CallbackFailure::Unavailable(body) => CallbackResponse::Unavailable(body),
        }
    }
}

impl CallbackApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    /// The source of a route: the seed's fixed one (`account` `None`) or an
    /// account's. The current routes are taken once per request, so a
    /// reload (SIGHUP) never changes them under a request in flight.
    fn source(&self, channel: Channel, account: Option<&str>) -> Result<Arc<WeComSource>, CallbackResponse> {
        let routes = self.state.routes();
        let family = match channel {
            Channel::WeChatApi => Family::Api,
            Channel::WeChatBot => Family::Bot,
        };
        match account {
            None => Ok(Arc::clone(match channel {
                Channel::WeChatApi => &routes.default_api,
                Channel::WeChatBot => &routes.default_bot,
            })),
            Some(account) => routes.account(family, account).cloned().ok_or_else(|| {
                self.state.counters.record(channel.as_str(), "unknown", "unknown", "unknown_account");
                CallbackResponse::NotFound(ErrorBody::new(
                    "unknown_account",
                    format!(
                        "no {} account {account:?} is configured (GET /api/v1/accounts lists them)",
                        match family {
                            Family::Api => "app or suite",
                            Family::Bot => "robot",
                        }
                    ),
                    None,
                ))
            }),
        }
    }

    fn verify(
        &self,
        channel: Channel,
        account: Option<&str>,
        request: &Request,
        remote: &RemoteAddr,
    ) -> CallbackResponse {
        let source = match self.source(channel, account) {
            Ok(source) => source,
            Err(answer) => return answer,
        };
        let request = wecom_request(request, remote, Bytes::new());
        match serve_url_check(source.as_ref(), &request, &self.state.counters) {
            Ok(echo) => CallbackResponse::Ok(PlainText(echo)),
            Err(error) => CallbackResponse::failure(CallbackFailure::from(&error)),
        }
    }

    async fn receive(
        &self,
        channel: Channel,
        account: Option<&str>,
        request: &Request,
        remote: &RemoteAddr,
        body: Body,
    ) -> CallbackResponse {
        let source = match self.source(channel, account) {
            Ok(source) => source,
            Err(answer) => return answer,
        };
        // Read the raw body whatever its Content-Type, up to the cap.
        let limit = self.state.max_body_bytes;
        let bytes = match body.into_bytes_limit(limit).await {
            Ok(bytes) => bytes,
            Err(error) => {
                let (outcome, failure) = match error {
                    poem::error::ReadBodyError::PayloadTooLarge => (
                        "body_too_large".to_owned(),
                        CallbackFailure::TooLarge(ErrorBody::new(
                            "body_too_large",
                            format!("body larger than {limit} bytes"),
                            None,
                        )),
                    ),
                    other => {
                        let error = WeComError::ParseXml(format!("unreadable body: {other}"));
                        (error.outcome_label(), CallbackFailure::from(&WebhookError::Protocol(error)))
                    }
                };
                let account = account.unwrap_or(crate::accounts::DEFAULT_ACCOUNT);
                self.state.counters.record(channel.as_str(), account, "unknown", &outcome);
                return CallbackResponse::failure(failure);
            }
        };
        let request = wecom_request(request, remote, bytes);
        match serve(source.as_ref(), &request, &self.state.event_log, &self.state.counters).await {
            Ok(served) => CallbackResponse::Ok(PlainText(served.reply.unwrap_or_default())),
            Err(error) => CallbackResponse::failure(CallbackFailure::from(&error)),
        }
    }
}

/// What a source sees of an HTTP request, its headers included.
pub(super) fn webhook_request(request: &Request, remote: &RemoteAddr, body: Bytes) -> WebhookRequest {
    WebhookRequest { headers: request.headers().clone(), ..wecom_request(request, remote, body) }
}

/// What a WeCom source sees: everything but the headers, which WeCom's
/// protocol never uses (its signature is in the query), so the callback
/// path does not copy them.
fn wecom_request(request: &Request, remote: &RemoteAddr, body: Bytes) -> WebhookRequest {
    WebhookRequest {
        raw_query: request.uri().query().unwrap_or("").to_owned(),
        headers: poem::http::HeaderMap::new(),
        body,
        // The client the guards resolved (through trusted proxies), else the peer.
        source_ip: request
            .extensions()
            .get::<super::guards::ClientIp>()
            .map(|client| client.0.to_string())
            .or_else(|| remote.as_socket_addr().map(|address| address.ip().to_string())),
    }
}

/// The query WeCom adds to every callback; declared for the docs only — the
/// handler re-reads the raw query so that it is URL-decoded exactly once.
#[OpenApi(tag = "ApiTags::WeComCallbacks")]
impl CallbackApi {
    /// Verify the app callback URL
    ///
    /// WeCom's URL check when an admin saves the callback settings: checks
    /// `msg_signature` over `echostr`, decrypts it, and answers the bare
    /// plaintext (no quotes, no newline).
    #[oai(path = "/api/v1/webhooks/wechat/api", method = "get", operation_id = "verifyAppUrl")]
    async fn verify_app(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        echostr: Query<Option<String>>,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce, echostr);
        self.verify(Channel::WeChatApi, None, request, remote)
    }

    /// Verify the app callback URL (seed alias)
    ///
    /// Same as `GET /api/v1/webhooks/wechat/api`.
    #[oai(path = "/api/v1/webhooks/wechat/api/verify", method = "get", operation_id = "verifyAppUrlAlias")]
    async fn verify_app_alias(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        echostr: Query<Option<String>>,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce, echostr);
        self.verify(Channel::WeChatApi, None, request, remote)
    }

    /// Receive an app or suite callback
    ///
    /// The encrypted XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`
    /// as the raw body (any Content-Type). Answered 200 only after the
    /// callback is committed to the local event log.
    #[oai(path = "/api/v1/webhooks/wechat/api", method = "post", operation_id = "receiveAppCallback")]
    async fn receive_app(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        body: Body,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce);
        self.receive(Channel::WeChatApi, None, request, remote, body).await
    }

    /// Verify the robot callback URL
    ///
    /// URL check for a smart robot or legacy group robot (receiveid is empty).
    #[oai(path = "/api/v1/webhooks/wechat/bot", method = "get", operation_id = "verifyBotUrl")]
    async fn verify_bot(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        echostr: Query<Option<String>>,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce, echostr);
        self.verify(Channel::WeChatBot, None, request, remote)
    }

    /// Receive a robot callback
    ///
    /// Smart-robot JSON `{"encrypt": "…"}` or legacy group-robot XML
    /// `<xml><Encrypt/></xml>` as the raw body (any Content-Type).
    #[oai(path = "/api/v1/webhooks/wechat/bot", method = "post", operation_id = "receiveBotCallback")]
    async fn receive_bot(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        body: Body,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce);
        self.receive(Channel::WeChatBot, None, request, remote, body).await
    }

    /// Verify an app's or suite's callback URL
    ///
    /// The URL check of an account configured under `accounts:` (kind `app`
    /// or `suite`), with that account's credentials.
    #[oai(
        path = "/api/v1/webhooks/wechat/api/:account",
        method = "get",
        operation_id = "verifyAccountAppUrl"
    )]
    // The route's query parameters are arguments, for the spec.
    #[allow(clippy::too_many_arguments)]
    async fn verify_account_app(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        /// The account id.
        account: Path<String>,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        echostr: Query<Option<String>>,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce, echostr);
        self.verify(Channel::WeChatApi, Some(&account.0), request, remote)
    }

    /// Receive an app's or suite's callback
    ///
    /// Like `POST /api/v1/webhooks/wechat/api`, for one account: verified and
    /// decrypted with its credentials only; stored with its account. A
    /// suite accepts data callbacks of the corps that authorised it
    /// (`create_auth`); another corp's is kept in quarantine and refused
    /// with -40005.
    #[oai(
        path = "/api/v1/webhooks/wechat/api/:account",
        method = "post",
        operation_id = "receiveAccountAppCallback"
    )]
    // The route's query parameters are arguments, for the spec.
    #[allow(clippy::too_many_arguments)]
    async fn receive_account_app(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        /// The account id.
        account: Path<String>,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        body: Body,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce);
        self.receive(Channel::WeChatApi, Some(&account.0), request, remote, body).await
    }

    /// Verify a robot's callback URL
    ///
    /// The URL check of a robot configured under `accounts:`.
    #[oai(
        path = "/api/v1/webhooks/wechat/bot/:account",
        method = "get",
        operation_id = "verifyAccountBotUrl"
    )]
    // The route's query parameters are arguments, for the spec.
    #[allow(clippy::too_many_arguments)]
    async fn verify_account_bot(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        /// The account id.
        account: Path<String>,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        echostr: Query<Option<String>>,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce, echostr);
        self.verify(Channel::WeChatBot, Some(&account.0), request, remote)
    }

    /// Receive a robot's callback
    ///
    /// Like `POST /api/v1/webhooks/wechat/bot`, for one robot account.
    #[oai(
        path = "/api/v1/webhooks/wechat/bot/:account",
        method = "post",
        operation_id = "receiveAccountBotCallback"
    )]
    // The route's query parameters are arguments, for the spec.
    #[allow(clippy::too_many_arguments)]
    async fn receive_account_bot(
        &self,
        request: &Request,
        remote: &RemoteAddr,
        /// The account id.
        account: Path<String>,
        msg_signature: Query<Option<String>>,
        timestamp: Query<Option<String>>,
        nonce: Query<Option<String>>,
        body: Body,
    ) -> CallbackResponse {
        let _ = (msg_signature, timestamp, nonce);
        self.receive(Channel::WeChatBot, Some(&account.0), request, remote, body).await
    }
}
