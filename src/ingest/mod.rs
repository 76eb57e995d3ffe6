//! The callback pipeline, independent of HTTP: parse the query, pick the
//! channel's credentials, verify, decrypt, type the payload, commit it to the
//! event log, and build the answer (empty, `success`, or an encrypted passive
//! reply). The HTTP layer only moves bytes in and maps [`IngestError`] out.

mod counters;
mod replies;

use std::{fmt, sync::Arc};

pub use self::{
    counters::{CallbackCounters, CounterRow},
    replies::ReplyPolicy,
};
use crate::{
    configuration::ChannelCredentials,
    event_log::{AppendOutcome, EventLog, EventLogError, NewEvent, NewQuarantine},
    wecom::{
        CallbackCrypto, CallbackQuery, EnvelopeFormat, OpenedCallback, WeComError,
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

/// Why a callback was not acknowledged.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The channel is disabled or lacks credentials.
    #[error("channel {channel} is not available: {reason}")]
    ChannelUnavailable {
        /// The channel.
        channel: Channel,
        /// What is missing.
        reason: String,
    },
    /// The request failed verification, decryption or envelope parsing.
    #[error(transparent)]
    Protocol(WeComError),
    /// Authentic and decrypted, but the payload is not a document; it was
    /// quarantined so nothing is lost.
    #[error("payload quarantined: {0}")]
    Unparseable(WeComError),
    /// The body is larger than the configured cap.
    #[error("body larger than {limit} bytes")]
    BodyTooLarge {
        /// The cap.
        limit: usize,
    },
    /// The event log could not commit; WeCom should retry.
    #[error("event log unavailable: {0}")]
    Storage(#[from] EventLogError),
}

impl IngestError {
    /// The counter label for this failure.
    pub fn outcome_label(&self) -> String {
        match self {
            IngestError::ChannelUnavailable { .. } => "channel_unavailable".to_owned(),
            IngestError::Protocol(error) => error.outcome_label(),
            IngestError::Unparseable(_) => "quarantined".to_owned(),
            IngestError::BodyTooLarge { .. } => "body_too_large".to_owned(),
            IngestError::Storage(_) => "storage_error".to_owned(),
        }
    }
}

/// What a stored (or recognised duplicate) callback is answered with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackAck {
    /// The HTTP body: empty, `success`, or an encrypted reply.
    pub body: String,
    /// Stored or duplicate.
    pub outcome: AppendOutcome,
    /// The type label.
    pub callback_type: String,
}

/// Runs the pipeline for both channels.
pub struct Ingestor {
    event_log: EventLog,
    api: ChannelCredentials,
    bot: ChannelCredentials,
    replies: ReplyPolicy,
    counters: Arc<CallbackCounters>,
}

impl Ingestor {
    /// Builds the pipeline over validated credentials.
    pub fn new(
        event_log: EventLog,
        api: ChannelCredentials,
        bot: ChannelCredentials,
        replies: ReplyPolicy,
        counters: Arc<CallbackCounters>,
    ) -> Self {
        Self { event_log, api, bot, replies, counters }
    }

    /// The state of a channel's credentials.
    pub fn channel_state(&self, channel: Channel) -> &ChannelCredentials {
        match channel {
            Channel::WeChatApi => &self.api,
            Channel::WeChatBot => &self.bot,
        }
    }

    /// The counters this pipeline writes.
    pub fn counters(&self) -> &CallbackCounters {
        &self.counters
    }

    /// Records a failure that happened before the pipeline (e.g. body too large).
    pub fn count_failure(&self, channel: Channel, error: &IngestError) {
        self.counters.record(channel.as_str(), "unknown", &error.outcome_label());
    }

    /// GET URL verification: returns the decrypted echo.
    pub fn verify_url(&self, channel: Channel, raw_query: &str) -> Result<String, IngestError> {
        let result = (|| {
            let candidates = self.candidates(channel)?;
            let query = CallbackQuery::parse(raw_query).map_err(IngestError::Protocol)?;
            first_verified(candidates, |crypto| crypto.verify_url(&query))
                .map(|(_, echo)| echo)
                .map_err(IngestError::Protocol)
        })();
        let outcome = match &result {
            Ok(_) => "verified".to_owned(),
            Err(error) => error.outcome_label(),
        };
        self.counters.record(channel.as_str(), "url_verification", &outcome);
        result
    }

    /// POST: verifies, decrypts, types and commits one callback.
    pub async fn receive(
        &self,
        channel: Channel,
        raw_query: &str,
        body: &[u8],
        source_ip: Option<String>,
    ) -> Result<CallbackAck, IngestError> {
        let result = self.receive_inner(channel, raw_query, body, source_ip).await;
        match &result {
            Ok(ack) => {
                tracing::debug!(channel = %channel, callback_type = %ack.callback_type, outcome = ?ack.outcome, "Callback acknowledged.");
                let outcome = match ack.outcome {
                    AppendOutcome::Stored { .. } => "stored",
                    AppendOutcome::Duplicate { .. } => "duplicate",
                };
                self.counters.record(channel.as_str(), &ack.callback_type, outcome);
            }
            Err(error) => {
                tracing::warn!(channel = %channel, outcome = %error.outcome_label(), error = %error, "Callback refused.");
                self.counters.record(channel.as_str(), "unknown", &error.outcome_label());
            }
        }
        result
    }

    async fn receive_inner(
        &self,
        channel: Channel,
        raw_query: &str,
        body: &[u8],
        source_ip: Option<String>,
    ) -> Result<CallbackAck, IngestError> {
        let received_at_ms = chrono::Utc::now().timestamp_millis();
        let candidates = self.candidates(channel)?;
        let query = CallbackQuery::parse(raw_query).map_err(IngestError::Protocol)?;
        let (crypto, opened) =
            first_verified(candidates, |crypto| crypto.open(&query, body)).map_err(IngestError::Protocol)?;
        let parsed = match opened.envelope.format {
            EnvelopeFormat::Xml => payload::parse_xml_payload(&opened.plaintext),
            EnvelopeFormat::Json => payload::parse_json_payload(&opened.plaintext),
        };
        let parsed = match parsed {
            Ok(parsed) => parsed,
            Err(error) => {
                self.event_log
                    .quarantine(NewQuarantine {
                        received_at_ms,
                        channel: channel.as_str().to_owned(),
                        error_code: error.code(),
                        reason: error.to_string(),
                        ciphertext: opened.envelope.ciphertext.clone(),
                        plaintext: opened.plaintext.clone(),
                        source_ip,
                    })
                    .await?;
                return Err(IngestError::Unparseable(error));
            }
        };
        let payload_json = serde_json::to_string(&parsed.callback).expect("payload types always serialise");
        let outcome = self
            .event_log
            .append(NewEvent {
                received_at_ms,
                channel: channel.as_str().to_owned(),
                callback_type: parsed.callback_type.clone(),
                dedupe_key: parsed.dedupe_key.clone(),
                user_id: parsed.user_id.clone(),
                source_ip,
                envelope_format: match opened.envelope.format {
                    EnvelopeFormat::Xml => "xml".to_owned(),
                    EnvelopeFormat::Json => "json".to_owned(),
                },
                msg_signature: query.msg_signature.clone(),
                timestamp: query.timestamp.clone(),
                nonce: query.nonce.clone(),
                ciphertext: opened.envelope.ciphertext.clone(),
                plaintext: opened.plaintext.clone(),
                payload: payload_json,
            })
            .await?;
        let body = self.answer(crypto, &query, &opened, &parsed);
        Ok(CallbackAck { body, outcome, callback_type: parsed.callback_type })
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

    fn candidates(&self, channel: Channel) -> Result<&[CallbackCrypto], IngestError> {
        match self.channel_state(channel) {
            ChannelCredentials::Ready(candidates) => Ok(candidates),
            ChannelCredentials::Disabled => Err(IngestError::ChannelUnavailable {
                channel,
                reason: "disabled in configuration".to_owned(),
            }),
            ChannelCredentials::Unconfigured(reason) => {
                Err(IngestError::ChannelUnavailable { channel, reason: reason.clone() })
            }
        }
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
