//! The one place errors become HTTP answers. Bodies are JSON
//! `{error, message, code?}`; internal details never reach them.

use poem_openapi::{Object, payload::Json};

use crate::{
    event_log::EventLogError,
    robot::{ClaimRefused, StreamError, WriteRefused},
    webhooks::{ServeError, WebhookError},
    wecom::WeComError,
};

/// The JSON body of every error answer.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
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

impl From<&ServeError> for CallbackFailure {
    fn from(error: &ServeError) -> Self {
        match error {
            ServeError::Refused(refusal) => CallbackFailure::from(refusal),
            // A suite data callback for a corp that has not authorised it: kept, refused as WeCom's SDKs do.
            ServeError::Quarantined(protocol @ WeComError::ValidateCorpId) => {
                CallbackFailure::Forbidden(ErrorBody::new(
                    "receive_id_mismatch",
                    format!(
                        "{protocol} ({}): the corp has not authorised this suite; the callback was kept in quarantine",
                        protocol.name()
                    ),
                    Some(protocol.code()),
                ))
            }
            ServeError::Quarantined(protocol) => CallbackFailure::BadRequest(ErrorBody::new(
                "payload_unparseable",
                format!("{protocol}; the callback was kept in quarantine"),
                Some(protocol.code()),
            )),
            // Logged in full by `serve`; the answer says only "retry".
            ServeError::Storage => CallbackFailure::Unavailable(storage_unavailable()),
        }
    }
}

impl From<&WebhookError> for CallbackFailure {
    fn from(error: &WebhookError) -> Self {
        match error {
            WebhookError::Protocol(protocol) | WebhookError::Quarantine { error: protocol, .. } => {
                protocol_failure(protocol)
            }
            WebhookError::Unavailable(reason) => {
                CallbackFailure::Unavailable(ErrorBody::new("channel_unavailable", reason.clone(), None))
            }
            WebhookError::StaleTimestamp(reason) => {
                CallbackFailure::Forbidden(ErrorBody::new("stale_timestamp", reason.clone(), None))
            }
            WebhookError::Unauthorized(reason) => {
                CallbackFailure::Forbidden(ErrorBody::new("unauthorized", reason.clone(), None))
            }
            WebhookError::BadRequest(reason) | WebhookError::Invalid(reason) => {
                CallbackFailure::BadRequest(ErrorBody::new("malformed_request", reason.clone(), None))
            }
            WebhookError::NoUrlCheck => {
                CallbackFailure::BadRequest(ErrorBody::new("malformed_request", error.to_string(), None))
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

/// How a robot stream or reply failed, by HTTP status class.
pub enum RobotFailure {
    /// 404.
    NotFound(Json<ErrorBody>),
    /// 409.
    Conflict(Json<ErrorBody>),
    /// 410.
    Gone(Json<ErrorBody>),
    /// 422.
    Invalid(Json<ErrorBody>),
    /// 503.
    Unavailable(Json<ErrorBody>),
}

impl From<&StreamError> for RobotFailure {
    fn from(error: &StreamError) -> Self {
        let message = error.to_string();
        match error {
            StreamError::NotFound(_) => RobotFailure::NotFound(ErrorBody::new("not_found", message, None)),
            StreamError::Refused(WriteRefused::Finished(_) | WriteRefused::ForceFinished(_)) => {
                RobotFailure::Conflict(ErrorBody::new("stream_finished", message, None))
            }
            StreamError::Refused(WriteRefused::Invalid(_)) => {
                RobotFailure::Invalid(ErrorBody::new("invalid_stream_write", message, None))
            }
            StreamError::Contended(_) => {
                RobotFailure::Unavailable(ErrorBody::new("stream_contended", message, None))
            }
        }
    }
}

impl From<&ClaimRefused> for RobotFailure {
    fn from(refused: &ClaimRefused) -> Self {
        let message = refused.to_string();
        match refused {
            ClaimRefused::Unknown(_) => RobotFailure::NotFound(ErrorBody::new("not_found", message, None)),
            ClaimRefused::Used { .. } => {
                RobotFailure::Conflict(ErrorBody::new("response_url_used", message, None))
            }
            ClaimRefused::Expired(_) => {
                RobotFailure::Gone(ErrorBody::new("response_url_expired", message, None))
            }
            ClaimRefused::Contended(_) => {
                RobotFailure::Unavailable(ErrorBody::new("response_url_contended", message, None))
            }
        }
    }
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

/// Logs a raw-log (MongoDB) read failure and returns the opaque body.
pub fn raw_log_read_failed(error: &crate::raw_log::RawLogReadError) -> Json<ErrorBody> {
    tracing::error!(error = %error, "Raw log read failed.");
    ErrorBody::new(
        "raw_log_unavailable",
        "MongoDB's raw log did not answer; retry later or use source=local",
        None,
    )
}

/// Logs a shared-view (MySQL) read failure and returns the opaque body.
pub fn shared_events_read_failed(error: &sea_orm::DbErr) -> Json<ErrorBody> {
    tracing::error!(error = %error, "Shared events view read failed.");
    ErrorBody::new(
        "shared_events_unavailable",
        "MySQL's shared events view did not answer; retry later or use source=local",
        None,
    )
}
