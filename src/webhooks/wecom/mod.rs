//! The built-in WeCom sources: one for the app (and suite) callback URL, one
//! for the robot callback URL. Each verifies `msg_signature`, decrypts,
//! types the payload, and answers as WeCom expects (empty, `success`, or an
//! encrypted passive reply) — through the same [`WebhookHandler`] trait as
//! every other source, so storing, dedupe and counting are shared.

mod replies;

use std::fmt;

use async_trait::async_trait;

pub use self::replies::ReplyPolicy;
use super::{Handled, IncomingEvent, RawEnvelope, WebhookError, WebhookHandler, WebhookRequest};
use crate::{
    configuration::ChannelCredentials,
    event_log::NewQuarantine,
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

/// One WeCom callback URL with its credentials (app first, then suite).
pub struct WeComSource {
    channel: Channel,
    credentials: ChannelCredentials,
    replies: ReplyPolicy,
    timestamp_window: Option<u64>,
}

impl WeComSource {
    /// A channel over validated credentials.
    pub fn new(channel: Channel, credentials: ChannelCredentials, replies: ReplyPolicy) -> Self {
        Self { channel, credentials, replies, timestamp_window: None }
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

    /// Which route this is.
    pub fn channel(&self) -> Channel {
        self.channel
    }

    /// The state of its credentials.
    pub fn credentials(&self) -> &ChannelCredentials {
        &self.credentials
    }

    fn candidates(&self) -> Result<&[CallbackCrypto], WebhookError> {
        match &self.credentials {
            ChannelCredentials::Ready(candidates) => Ok(candidates),
            ChannelCredentials::Disabled => Err(WebhookError::Unavailable(format!(
                "channel {} is not available: disabled in configuration",
                self.channel
            ))),
            ChannelCredentials::Unconfigured(reason) => {
                Err(WebhookError::Unavailable(format!("channel {} is not available: {reason}", self.channel)))
            }
        }
    }

    /// Suite instruction callbacks must be answered `success`; others get a
    /// passive reply when the policy has one, else an empty body.
    fn answer(
        &self,
        crypto: &CallbackCrypto,
        query: &CallbackQuery,
        opened: &OpenedCallback,
        parsed: &ParsedCallback,
    ) -> String {
        if matches!(parsed.callback, Callback::Suite(_)) {
            return "success".to_owned();
        }
        let Some(plaintext) = self.replies.reply_for(&parsed.callback, crypto.receive_id()) else {
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

    fn listens_to(&self) -> Vec<String> {
        let kinds: &[&str] = match self.channel {
            Channel::WeChatApi => &["app messages", "app events", "suite notices"],
            Channel::WeChatBot => &["smart-robot callbacks", "group-robot callbacks"],
        };
        kinds.iter().map(|kind| (*kind).to_owned()).collect()
    }

    fn routes(&self) -> Vec<String> {
        let routes: &[&str] = match self.channel {
            Channel::WeChatApi => &[
                "GET /api/v1/webhooks/wechat/api",
                "GET /api/v1/webhooks/wechat/api/verify",
                "POST /api/v1/webhooks/wechat/api",
            ],
            Channel::WeChatBot => &["GET /api/v1/webhooks/wechat/bot", "POST /api/v1/webhooks/wechat/bot"],
        };
        routes.iter().map(|route| (*route).to_owned()).collect()
    }

    /// WeCom's keys (`msgid:…`, `event:…`) are unique on their own.
    fn dedupe_namespace(&self) -> Option<&str> {
        None
    }

    fn verify_url(&self, request: &WebhookRequest) -> Result<String, WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        let (_, echo) =
            first_verified(candidates, |crypto| crypto.verify_url(&query)).map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)?;
        Ok(echo)
    }

    /// The signature covers the ciphertext, so the envelope is read first.
    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        let envelope = Envelope::parse(&request.body).map_err(WebhookError::Protocol)?;
        first_verified(candidates, |crypto| crypto.check_signature(&query, &envelope.ciphertext))
            .map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let candidates = self.candidates()?;
        let query = CallbackQuery::parse(&request.raw_query).map_err(WebhookError::Protocol)?;
        let (crypto, opened) = first_verified(candidates, |crypto| crypto.open(&query, &request.body))
            .map_err(WebhookError::Protocol)?;
        self.check_timestamp(&query)?;
        let parsed = match opened.envelope.format {
            EnvelopeFormat::Xml => payload::parse_xml_payload(&opened.plaintext),
            EnvelopeFormat::Json => payload::parse_json_payload(&opened.plaintext),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                let record = NewQuarantine {
                    received_at_ms: chrono::Utc::now().timestamp_millis(),
                    channel: self.channel.as_str().to_owned(),
                    error_code: error.code(),
                    reason: error.to_string(),
                    ciphertext: opened.envelope.ciphertext,
                    plaintext: opened.plaintext,
                    source_ip: request.source_ip.clone(),
                };
                return Err(WebhookError::Quarantine { error, record: Box::new(record) });
            }
        };
        let reply = self.answer(crypto, &query, &opened, &parsed);
        let mut event = IncomingEvent::new(&parsed.callback_type, parsed.dedupe_key, &parsed.callback);
        event.user_id = parsed.user_id;
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

/// Tries each configured credential set (app first, then suite) and uses the
/// first whose signature verifies; any other error is final.
fn first_verified<T>(
    candidates: &[CallbackCrypto],
    attempt: impl Fn(&CallbackCrypto) -> Result<T, WeComError>,
) -> Result<(&CallbackCrypto, T), WeComError> {
    let mut last_error = WeComError::ValidateSignature;
    for crypto in candidates {
        match attempt(crypto) {
            Ok(value) => return Ok((crypto, value)),
            Err(WeComError::ValidateSignature) => last_error = WeComError::ValidateSignature,
            Err(error) => return Err(error),
        }
    }
    Err(last_error)
}
