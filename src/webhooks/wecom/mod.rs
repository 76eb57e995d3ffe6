//! The built-in WeCom sources: one for the app (and suite) callback URL, one
//! for the robot callback URL. Each verifies `msg_signature`, decrypts,
//! types the payload, and answers as WeCom expects (empty, `success`, or an
//! encrypted passive reply) — through the same [`WebhookHandler`] trait as
//! every other source, so storing, dedupe and counting are shared.

mod answer;
mod replies;

use std::{fmt, sync::Arc};

use async_trait::async_trait;

pub use self::{answer::decide as decide_reply, replies::ReplyPolicy};
use super::{Handled, IncomingEvent, RawEnvelope, WebhookError, WebhookHandler, WebhookRequest};
use crate::{
    accounts::Account,
    configuration::{AccountKind, ChannelCredentials},
    event_log::NewQuarantine,
    replies::Replier,
    robot::Conversations,
    suite::AuthorisedCorps,
    wecom::{
        CallbackCrypto, CallbackQuery, EnvelopeFormat, OpenedCallback, WeComError,
        envelope::Envelope,
        payload::{self, Callback, ParsedCallback},
    },
};

/// The two WeCom callback routes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    /// Self-built app and third-party suite callbacks.
    WeChatApi,
    /// Smart-robot and legacy group-robot callbacks.
    WeChatBot,
}

impl Channel {
    /// The stable name used in storage, counters and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::WeChatApi => "wechat_api",
            Channel::WeChatBot => "wechat_bot",
        }
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One WeCom callback URL and the accounts it serves: the seed's fixed
/// routes serve the default accounts (the default app, then the default
/// suite, on the app route), `…/{account}` serves one account.
pub struct WeComSource {
    channel: Channel,
    /// `None`: the seed's fixed route; `Some(id)`: `…/{id}`.
    route_account: Option<String>,
    accounts: Vec<Arc<Account>>,
    corps: AuthorisedCorps,
    timestamp_window: Option<u64>,
    dedupe_namespace: Option<String>,
    conversations: Option<Arc<Conversations>>,
    replier: Arc<Replier>,
}

impl WeComSource {
    /// A route over `accounts`, tried in order (each is verified by its own
    /// Token; the first whose signature matches decrypts).
    pub fn new(
        channel: Channel,
        route_account: Option<String>,
        accounts: Vec<Arc<Account>>,
        corps: AuthorisedCorps,
    ) -> Self {
        // Every account on one route is either the seed's (bare keys) or the only one.
        let dedupe_namespace = accounts.first().and_then(|account| account.dedupe_namespace());
        Self {
            channel,
            route_account,
            accounts,
            corps,
            timestamp_window: None,
            dedupe_namespace,
            conversations: None,
            replier: Arc::new(Replier::default()),
        }
    }

    /// Passive replies are decided by `replier`'s handler and the accounts' rules.
    pub fn with_replier(mut self, replier: Arc<Replier>) -> Self {
        self.replier = replier;
        self
    }

    /// Robot accounts answer with streams and remember `response_url`s here.
    pub fn with_conversations(mut self, conversations: Arc<Conversations>) -> Self {
        self.conversations = Some(conversations);
        self
    }

    /// Refuses authentic callbacks signed more than `seconds` from now
    /// (replays of captured traffic); `0` keeps accepting any time.
    pub fn with_timestamp_window(mut self, seconds: u64) -> Self {
        self.timestamp_window = (seconds > 0).then_some(seconds);
        self
    }

    /// Called after the signature verified, so that a forgery is still
    /// reported as one and the timestamp checked is the signed one.
    fn check_timestamp(&self, query: &CallbackQuery) -> Result<(), WebhookError> {
        let Some(window) = self.timestamp_window else { return Ok(()) };
        let signed: i64 = query
            .timestamp
            .parse()
            .map_err(|_| WebhookError::BadRequest("timestamp is not a number of seconds".to_owned()))?;
        let skew = chrono::Utc::now().timestamp().abs_diff(signed);
        if skew > window {
            return Err(WebhookError::StaleTimestamp(format!(
                "signed {skew} s from now, outside the accepted window of {window} s"
            )));
        }
        Ok(())
    }

    /// Which route family this is.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The accounts it serves, in the order they are tried.
    pub fn accounts(&self) -> &[Arc<Account>] {
        &self.accounts
    }

    /// The state of its credentials, for `/api/v1/status`.
    pub fn credentials(&self) -> ChannelCredentials {
        match self.candidates() {
            Ok(candidates) => ChannelCredentials::Ready(
                candidates.iter().filter_map(|account| account.callback.as_ref().ok().cloned()).collect(),
            ),
            Err(_) if self.accounts.iter().all(|account| !account.enabled) => ChannelCredentials::Disabled,
            Err(WebhookError::Unavailable(reason)) => ChannelCredentials::Unconfigured(reason),
            Err(other) => ChannelCredentials::Unconfigured(other.to_string()),
        }
    }

    fn label(&self) -> String {
        match &self.route_account {
            None => self.channel.to_string(),
            Some(account) => format!("{} account {account}", self.channel),
        }
    }

    /// The enabled accounts with callback credentials.
    fn candidates(&self) -> Result<Vec<&Arc<Account>>, WebhookError> {
        let enabled: Vec<&Arc<Account>> = self.accounts.iter().filter(|account| account.enabled).collect();
        if enabled.is_empty() {
            return Err(WebhookError::Unavailable(format!(
                "channel {} is not available: disabled in configuration",
                self.label()
            )));
        }
        let ready: Vec<&Arc<Account>> =
            enabled.iter().copied().filter(|account| account.callback.is_ok()).collect();
        if ready.is_empty() {
            let reasons: Vec<String> =
                enabled.iter().filter_map(|account| account.callback.as_ref().err().cloned()).collect();
            return Err(WebhookError::Unavailable(format!(
                "channel {} is not available: {}",
                self.label(),
                reasons.join("; ")
            )));
        }
        Ok(ready)
    }

    /// A suite's authorised corps may be the receiveid; nobody else's.
    fn accepts<'a>(&'a self, account: &'a Account) -> impl Fn(&str) -> bool + 'a {
        move |receive_id: &str| {
            account.kind == AccountKind::Suite && self.corps.contains(account.id.as_str(), receive_id)
        }
    }

    /// The passive reply's plaintext, if any (see [`answer::decide`]).
    async fn reply_plaintext(
        &self,
        account: &Account,
        corp_id: &str,
        parsed: &mut ParsedCallback,
    ) -> Option<String> {
        answer::decide(self.conversations.as_deref(), &self.replier, account, corp_id, parsed).await
    }

    /// Suite instruction callbacks must be answered `success`; others get a
    /// passive reply when one is decided, else an empty body.
    async fn answer(
        &self,
        account: &Account,
        crypto: &CallbackCrypto,
        query: &CallbackQuery,
        opened: &OpenedCallback,
        parsed: &mut ParsedCallback,
    ) -> String {
        if matches!(parsed.callback, Callback::Suite(_)) {
            return "success".to_owned();
        }
        let Some(plaintext) = self.reply_plaintext(account, crypto.receive_id(), parsed).await else {
            return String::new();
        };
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let random: [u8; 16] = rand::random();
        // The robot doc requires the callback's nonce; the app SDKs reuse it too.
        match crypto.seal_reply(&plaintext, &timestamp, &query.nonce, &random) {
            Ok(sealed) => match opened.envelope.format {
                EnvelopeFormat::Xml => sealed.to_xml(),
                EnvelopeFormat::Json => sealed.to_json(),
            },
            Err(error) => {
                tracing::error!(error = %error, "Encrypting a passive reply failed; answering empty.");
                String::new()
            }
        }
    }
}

#[async_trait]
impl WebhookHandler for WeComSource {
    fn name(&self) -> &str {
        self.channel.as_str()
    }

    fn account(&self) -> Option<&str> {
        self.route_account.as_deref()
    }

    fn served_accounts(&self) -> Vec<String> {
        self.accounts.iter().map(|account| account.id.to_string()).collect()
    }

    fn listens_to(&self) -> Vec<String> {
        let mut kinds: Vec<String> = Vec::new();
        for account in &self.accounts {
            let of_kind: &[&str] = match account.kind {
                AccountKind::App => &["app messages", "app events"],
                AccountKind::Suite => &["suite notices", "suite data callbacks"],
                AccountKind::Robot => &["smart-robot callbacks", "group-robot callbacks"],
            };
            kinds.extend(
                of_kind
                    .iter()
                    .map(|kind| format!("{kind} ({} account {})", account.kind.as_str(), account.id)),
            );
        }
        kinds
    }

    fn routes(&self) -> Vec<String> {
        let base = match self.channel {
            Channel::WeChatApi => "/api/v1/webhooks/wechat/api",
            Channel::WeChatBot => "/api/v1/webhooks/wechat/bot",
        };
        let path = match &self.route_account {
            None => base.to_owned(),
            Some(account) => format!("{base}/{account}"),
        };
        let mut routes = vec![format!("GET {path}")];
        if self.route_account.is_none() && self.channel == Channel::WeChatApi {
            routes.push(format!("GET {path}/verify"));
        }
        routes.push(format!("POST {path}"));
        if self.route_account.is_none() {
            // The seed's accounts also have their own routes, served alike.
            for account in &self.accounts {
                routes.push(format!("GET {base}/{}", account.id));
                routes.push(format!("POST {base}/{}", account.id));
            }
        }
        routes
    }

    /// WeCom's keys (`msgid:…`, `evt:…`) are unique on their own for the
    /// seed's accounts; every other account has its own namespace.
    fn dedupe_namespace(&self) -> Option<&str> {
        self.dedupe_namespace.as_deref()
    }

    fn verify_url(&self, request: &WebhookRequest) -> Result<String, WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        let (_, echo) = first_verified(&candidates, |account, crypto| {
            crypto.verify_url_for(&query, &self.accepts(account))
        })
        .map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)?;
        Ok(echo)
    }

    /// `open`/`open_for` check the signature and `check_timestamp` runs
    /// before anything is typed.
    fn verifies_while_handling(&self) -> bool {
        true
    }

    /// The signature covers the ciphertext, so the envelope is read first.
    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        let envelope = Envelope::parse(&request.body).map_err(WebhookError::Protocol)?;
        first_verified(&candidates, |_, crypto| crypto.check_signature(&query, &envelope.ciphertext))
            .map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        // A suite decrypts for any receiveid first: one for a corp that has
        // not authorised it is authentic, so it is kept (quarantine) before
        // it is refused with -40005.
        let (account, (opened, receive_id)) =
            first_verified(&candidates, |account, crypto| match account.kind {
                AccountKind::Suite => crypto.open_for(&query, &request.body, &|_| true),
                _ => {
                    crypto.open(&query, &request.body).map(|opened| (opened, crypto.receive_id().to_owned()))
                }
            })
            .map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)?;
        let crypto = account.callback.as_ref().expect("candidates have credentials");
        if account.kind == AccountKind::Suite
            && receive_id != crypto.receive_id()
            && !self.accepts(account)(&receive_id)
        {
            let record = NewQuarantine {
                received_at_ms: chrono::Utc::now().timestamp_millis(),
                channel: self.channel.as_str().to_owned(),
                account: account.id.to_string(),
                error_code: WeComError::ValidateCorpId.code(),
                reason: format!("receiveid {receive_id} has not authorised suite account {}", account.id),
                ciphertext: opened.envelope.ciphertext,
                plaintext: opened.plaintext,
                source_ip: request.source_ip.clone(),
            };
            return Err(WebhookError::Quarantine {
                error: WeComError::ValidateCorpId,
                record: Box::new(record),
            });
        }
        let parsed = match opened.envelope.format {
            EnvelopeFormat::Xml => payload::parse_xml_payload(&opened.plaintext),
            EnvelopeFormat::Json => payload::parse_json_payload(&opened.plaintext),
        };
        let mut parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                let record = NewQuarantine {
                    received_at_ms: chrono::Utc::now().timestamp_millis(),
                    channel: self.channel.as_str().to_owned(),
                    account: account.id.to_string(),
                    error_code: error.code(),
                    reason: error.to_string(),
                    ciphertext: opened.envelope.ciphertext,
                    plaintext: opened.plaintext,
                    source_ip: request.source_ip.clone(),
                };
                return Err(WebhookError::Quarantine { error, record: Box::new(record) });
            }
        };
        let as_sent = payload::kept_before_reply(&parsed);
        let reply = self.answer(account, crypto, &query, &opened, &mut parsed).await;
        let mut event = IncomingEvent::wecom(parsed, as_sent);
        event.account = Some(account.id.to_string());
        event.envelope = Some(RawEnvelope {
            format: match opened.envelope.format {
                EnvelopeFormat::Xml => "xml".to_owned(),
                EnvelopeFormat::Json => "json".to_owned(),
            },
            msg_signature: query.msg_signature,
            timestamp: query.timestamp,
            nonce: query.nonce,
            ciphertext: opened.envelope.ciphertext,
            plaintext: opened.plaintext,
        });
        Ok(Handled { events: vec![event], reply: Some(reply) })
    }
}

/// Tries each account's credentials in order and uses the first whose
/// signature verifies; any other error is final.
fn first_verified<'a, T>(
    candidates: &[&'a Arc<Account>],
    attempt: impl Fn(&Account, &CallbackCrypto) -> Result<T, WeComError>,
) -> Result<(&'a Arc<Account>, T), WeComError> {
    for account in candidates {
        let Ok(crypto) = &account.callback else { continue };
        match attempt(account, crypto) {
            Ok(value) => return Ok((account, value)),
            Err(WeComError::ValidateSignature) => {}
            Err(error) => return Err(error),
        }
    }
    Err(WeComError::ValidateSignature)
}
