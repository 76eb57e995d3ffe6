//! The one error type of the WeCom protocol layer, carrying the official
//! WXBizMsgCrypt error codes (-40001 … -40011) so tests and HTTP answers can
//! name them exactly.

use std::fmt;

/// Everything that can go wrong while verifying, decrypting, parsing or
/// encrypting a WeCom callback.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WeComError {
    /// `msg_signature` does not match SHA-1 of the sorted four strings.
    #[error("signature mismatch")]
    ValidateSignature,
    /// The envelope or the decrypted payload is not the XML/JSON we expect.
    #[error("malformed XML/JSON: {0}")]
    ParseXml(String),
    /// The EncodingAESKey is not 43 base64 characters decoding to 32 bytes.
    #[error("illegal EncodingAESKey: {0}")]
    IllegalAesKey(&'static str),
    /// The receiveid inside the ciphertext is not the configured CorpID,
    /// SuiteID or empty robot id.
    #[error("receiveid mismatch: the message was encrypted for another corp, suite or robot")]
    ValidateCorpId,
    /// AES encryption failed (buffer sizing; should never happen).
    #[error("AES encryption failed")]
    EncryptAes,
    /// The ciphertext cannot be AES-CBC decrypted (not a positive multiple of 16 bytes).
    #[error("AES decryption failed: {0}")]
    DecryptAes(&'static str),
    /// The decrypted buffer is malformed (padding, length prefix, UTF-8).
    #[error("decrypted buffer malformed: {0}")]
    IllegalBuffer(&'static str),
    /// The ciphertext is not standard padded base64.
    #[error("base64 decoding failed")]
    DecodeBase64,
}

impl WeComError {
    /// The official numeric code, identical in every WeCom SDK.
    pub fn code(&self) -> i32 {
        match self {
            WeComError::ValidateSignature => -40001,
            WeComError::ParseXml(_) => -40002,
            WeComError::IllegalAesKey(_) => -40004,
            WeComError::ValidateCorpId => -40005,
            WeComError::EncryptAes => -40006,
            WeComError::DecryptAes(_) => -40007,
            WeComError::IllegalBuffer(_) => -40008,
            WeComError::DecodeBase64 => -40010,
        }
    }

    /// The official SDK constant's name (e.g. `ValidateSignatureError`).
    pub fn name(&self) -> ErrorName {
        ErrorName(match self {
            WeComError::ValidateSignature => "ValidateSignatureError",
            WeComError::ParseXml(_) => "ParseXmlError",
            WeComError::IllegalAesKey(_) => "IllegalAesKey",
            WeComError::ValidateCorpId => "ValidateCorpidError",
            WeComError::EncryptAes => "EncryptAESError",
            WeComError::DecryptAes(_) => "DecryptAESError",
            WeComError::IllegalBuffer(_) => "IllegalBuffer",
            WeComError::DecodeBase64 => "DecodeBase64Error",
        })
    }

    /// A stable label for metrics and counters: `"-40001"` etc.
    pub fn outcome_label(&self) -> String {
        self.code().to_string()
    }
}

/// The SDK name of an error code, printable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorName(pub &'static str);

impl fmt::Display for ErrorName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}
