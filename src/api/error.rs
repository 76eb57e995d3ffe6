//! The one place errors become HTTP answers. Bodies are JSON
//! `{error, message, code?}`; internal details never reach them.

use poem_openapi::{Object, payload::Json};

use crate::{event_log::EventLogError, ingest::IngestError, wecom::WeComError};

/// The JSON body of every error answer.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ErrorBody {
    /// A stable machine-readable kind: `signature_mismatch`, `not_found`, …
    pub error: String,
    /// A human-readable explanation.
    pub message: String,
    /// The official WeCom error code (-40001 … -40011), for protocol errors.
    pub code: Option<i32>,
}

impl ErrorBody {
    /// Builds a body.
    pub fn new(error: &str, message: impl Into<String>, code: Option<i32>) -> Json<Self> {
        Json(Self { error: error.to_owned(), message: message.into(), code })
    }
}

/// HTTP status classes the callback routes answer with.
pub enum CallbackFailure {
    /// 400.
    BadRequest(Json<ErrorBody>),
    /// 403.
    Forbidden(Json<ErrorBody>),
    /// 413.
    TooLarge(Json<ErrorBody>),
    /// 503.
    Unavailable(Json<ErrorBody>),
}

impl From<&IngestError> for CallbackFailure {
    fn from(error: &IngestError) -> Self {
        match error {
            IngestError::ChannelUnavailable { .. } => {
                CallbackFailure::Unavailable(ErrorBody::new("channel_unavailable", error.to_string(), None))
            }
            IngestError::Protocol(protocol) => protocol_failure(protocol),
            IngestError::Unparseable(protocol) => CallbackFailure::BadRequest(ErrorBody::new(
                "payload_unparseable",
                format!("{protocol}; the callback was kept in quarantine"),
                Some(protocol.code()),
            )),
            IngestError::BodyTooLarge { .. } => {
                CallbackFailure::TooLarge(ErrorBody::new("body_too_large", error.to_string(), None))
            }
            IngestError::Storage(storage) => {
                // Logged in full by the pipeline; the answer says only "retry".
                tracing::error!(error = %storage, "Callback not stored.");
                CallbackFailure::Unavailable(storage_unavailable())
            }
        }
    }
}

fn protocol_failure(error: &WeComError) -> CallbackFailure {
    let (kind, forbidden) = match error {
        WeComError::ValidateSignature => ("signature_mismatch", true),
        WeComError::ValidateCorpId => ("receive_id_mismatch", true),
        WeComError::ParseXml(_) => ("malformed_request", false),
        WeComError::DecodeBase64 => ("malformed_ciphertext", false),
        WeComError::DecryptAes(_) | WeComError::IllegalBuffer(_) => ("undecryptable", false),
        WeComError::IllegalAesKey(_) | WeComError::EncryptAes => ("malformed_request", false),
    };
    let body = ErrorBody::new(kind, format!("{} ({})", error, error.name()), Some(error.code()));
    if forbidden { CallbackFailure::Forbidden(body) } else { CallbackFailure::BadRequest(body) }
}

/// The 503 body when the event log cannot take a write or answer a read.
pub fn storage_unavailable() -> Json<ErrorBody> {
    ErrorBody::new("storage_unavailable", "the event log is unavailable; retry later", None)
}

/// Logs an event-log read failure and returns the opaque body.
pub fn read_failed(error: &EventLogError) -> Json<ErrorBody> {
    tracing::error!(error = %error, "Event log read failed.");
    storage_unavailable()
}
