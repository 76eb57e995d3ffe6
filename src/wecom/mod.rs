//! The WeCom callback protocol, pure and without I/O (PROTOCOL.md).
//!
//! - [`signature`]: `msg_signature` over the sorted four strings.
//! - [`cipher`]: AES-256-CBC with the random/length/receiveid framing and
//!   PKCS#7 to 32 bytes.
//! - [`envelope`]: the outer XML/JSON body that carries the ciphertext.
//! - [`payload`]: typed decrypted callbacks, dedupe keys and type labels.
//! - [`reply`]: passive replies and their encrypted envelope.
//! - [`CallbackCrypto`]: all of the above for one configured channel.

pub mod cipher;
pub mod envelope;
mod error;
mod key;
pub mod payload;
pub mod reply;
pub mod signature;
pub mod xml_tree;

use secrecy::{ExposeSecret, SecretString};

pub use self::{
    envelope::{Envelope, EnvelopeFormat},
    error::{ErrorName, WeComError},
    key::EncodingAesKey,
    reply::ReplyEnvelope,
};

/// The query WeCom puts on every callback URL, decoded exactly once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackQuery {
    /// `msg_signature`.
    pub msg_signature: String,
    /// `timestamp`, as the original string (it is signed as text).
    pub timestamp: String,
    /// `nonce`.
    pub nonce: String,
    /// `echostr` (GET verification only).
    pub echostr: Option<String>,
}

impl CallbackQuery {
    /// Parses a raw, still percent-encoded query string. `+` in WeCom's base64
    /// arrives as `%2B`; decoding once gives it back, decoding twice would
    /// turn it into a space (vector `verify-corp-plus-slash`). A repeated key
    /// is refused rather than guessed at.
    pub fn parse(raw_query: &str) -> Result<Self, WeComError> {
        let mut query = CallbackQuery::default();
        let mut seen_echostr = false;
        let mut seen = [false; 3];
        for (name, value) in form_urlencoded::parse(raw_query.as_bytes()) {
            let slot = match name.as_ref() {
                "msg_signature" => 0,
                "timestamp" => 1,
                "nonce" => 2,
                "echostr" => {
                    if seen_echostr {
                        return Err(duplicate("echostr"));
                    }
                    seen_echostr = true;
                    query.echostr = Some(value.into_owned());
                    continue;
                }
                _ => continue,
            };
            if std::mem::replace(&mut seen[slot], true) {
                return Err(duplicate(&name));
            }
            let target = match slot {
                0 => &mut query.msg_signature,
                1 => &mut query.timestamp,
                _ => &mut query.nonce,
            };
            *target = value.into_owned();
        }
        for (present, name) in seen.iter().zip(["msg_signature", "timestamp", "nonce"]) {
            if !present {
                return Err(WeComError::ParseXml(format!("missing query parameter {name}")));
            }
        }
        Ok(query)
    }
}

fn duplicate(name: &str) -> WeComError {
    WeComError::ParseXml(format!("query parameter {name} given more than once"))
}

/// A decrypted POST callback, before it is typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenedCallback {
    /// The outer envelope (ciphertext and unauthenticated hints).
    pub envelope: Envelope,
    /// The decrypted document, XML or JSON as the envelope was.
    pub plaintext: String,
}

/// Verification, decryption and reply encryption for one configured channel
/// (a self-built app, a suite or a robot).
#[derive(Clone)]
pub struct CallbackCrypto {
    token: SecretString,
    key: EncodingAesKey,
    receive_id: String,
}

impl std::fmt::Debug for CallbackCrypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallbackCrypto")
            .field("token", &"***")
            .field("key", &self.key)
            .field("receive_id", &self.receive_id)
            .finish()
    }
}

impl CallbackCrypto {
    /// A channel with its Token, parsed EncodingAESKey and expected receiveid
    /// (CorpID, SuiteID, or empty for robots).
    pub fn new(token: SecretString, key: EncodingAesKey, receive_id: impl Into<String>) -> Self {
        Self { token, key, receive_id: receive_id.into() }
    }

    /// The receiveid this channel expects.
    pub fn receive_id(&self) -> &str {
        &self.receive_id
    }

    /// GET URL verification: checks the signature over `echostr` and returns
    /// the decrypted echo, to be answered as the bare body.
    pub fn verify_url(&self, query: &CallbackQuery) -> Result<String, WeComError> {
        let echostr = query
            .echostr
            .as_deref()
            .filter(|echo| !echo.is_empty())
            .ok_or_else(|| WeComError::ParseXml("missing query parameter echostr".to_owned()))?;
        self.verify(query, echostr)?;
        cipher::decrypt(&self.key, echostr, &self.receive_id)
    }

    /// POST: parses the envelope, verifies the signature before touching the
    /// ciphertext, then decrypts (PROTOCOL.md §2.4 order of checks).
    pub fn open(&self, query: &CallbackQuery, body: &[u8]) -> Result<OpenedCallback, WeComError> {
        let envelope = Envelope::parse(body)?;
        self.verify(query, &envelope.ciphertext)?;
        let plaintext = cipher::decrypt(&self.key, &envelope.ciphertext, &self.receive_id)?;
        Ok(OpenedCallback { envelope, plaintext })
    }

    /// Like [`CallbackCrypto::open`], for a channel whose receiveid is one
    /// of several (a suite: its own SuiteID for instructions, an authorising
    /// corp's CorpID for data callbacks). Returns the receiveid found.
    pub fn open_for(
        &self,
        query: &CallbackQuery,
        body: &[u8],
        accepts: &dyn Fn(&str) -> bool,
    ) -> Result<(OpenedCallback, String), WeComError> {
        let envelope = Envelope::parse(body)?;
        self.verify(query, &envelope.ciphertext)?;
        let (msg, receive_id) = cipher::decrypt_for(&self.key, &envelope.ciphertext, &|id| {
            std::str::from_utf8(id).is_ok_and(|id| id == self.receive_id || accepts(id))
        })?;
        let plaintext =
            String::from_utf8(msg).map_err(|_| WeComError::IllegalBuffer("message is not UTF-8"))?;
        Ok((OpenedCallback { envelope, plaintext }, receive_id))
    }

    /// [`CallbackCrypto::verify_url`] for a channel with several receiveids.
    pub fn verify_url_for(
        &self,
        query: &CallbackQuery,
        accepts: &dyn Fn(&str) -> bool,
    ) -> Result<String, WeComError> {
        let echostr = query
            .echostr
            .as_deref()
            .filter(|echo| !echo.is_empty())
            .ok_or_else(|| WeComError::ParseXml("missing query parameter echostr".to_owned()))?;
        self.verify(query, echostr)?;
        let (msg, _) = cipher::decrypt_for(&self.key, echostr, &|id| {
            std::str::from_utf8(id).is_ok_and(|id| id == self.receive_id || accepts(id))
        })?;
        String::from_utf8(msg).map_err(|_| WeComError::IllegalBuffer("message is not UTF-8"))
    }

    /// Encrypts a reply plaintext and signs it with the given timestamp and
    /// nonce. `random_prefix` must come from a CSPRNG except in tests.
    pub fn seal_reply(
        &self,
        plaintext: &str,
        timestamp: &str,
        nonce: &str,
        random_prefix: &[u8; 16],
    ) -> Result<ReplyEnvelope, WeComError> {
        let encrypt = cipher::encrypt(&self.key, plaintext.as_bytes(), &self.receive_id, random_prefix)?;
        let msg_signature =
            signature::compute_signature(self.token.expose_secret(), timestamp, nonce, &encrypt);
        Ok(ReplyEnvelope { encrypt, msg_signature, timestamp: timestamp.to_owned(), nonce: nonce.to_owned() })
    }

    /// Encrypts and signs a callback as WeCom would send it (used by the
    /// simulator and tests): returns the query string and the body.
    pub fn seal_callback(
        &self,
        plaintext: &str,
        format: EnvelopeFormat,
        timestamp: &str,
        nonce: &str,
        random_prefix: &[u8; 16],
    ) -> Result<(String, String), WeComError> {
        let sealed = self.seal_reply(plaintext, timestamp, nonce, random_prefix)?;
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("msg_signature", &sealed.msg_signature)
            .append_pair("timestamp", timestamp)
            .append_pair("nonce", nonce)
            .finish();
        let body = match format {
            EnvelopeFormat::Xml => format!(
                "<xml><ToUserName>{}</ToUserName><Encrypt>{}</Encrypt></xml>",
                reply::cdata(&self.receive_id),
                reply::cdata(&sealed.encrypt)
            ),
            EnvelopeFormat::Json => serde_json::json!({ "encrypt": sealed.encrypt }).to_string(),
        };
        Ok((query, body))
    }

    /// Encrypts and signs a GET verification as WeCom would send it.
    pub fn seal_verification(
        &self,
        echo: &str,
        timestamp: &str,
        nonce: &str,
        random_prefix: &[u8; 16],
    ) -> Result<String, WeComError> {
        let sealed = self.seal_reply(echo, timestamp, nonce, random_prefix)?;
        Ok(form_urlencoded::Serializer::new(String::new())
            .append_pair("msg_signature", &sealed.msg_signature)
            .append_pair("timestamp", timestamp)
            .append_pair("nonce", nonce)
            .append_pair("echostr", &sealed.encrypt)
            .finish())
    }

    /// Checks `msg_signature` over a ciphertext (constant time).
    pub fn check_signature(&self, query: &CallbackQuery, ciphertext: &str) -> Result<(), WeComError> {
        self.verify(query, ciphertext)
    }

    fn verify(&self, query: &CallbackQuery, ciphertext: &str) -> Result<(), WeComError> {
        signature::verify_signature(
            self.token.expose_secret(),
            &query.timestamp,
            &query.nonce,
            ciphertext,
            &query.msg_signature,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_encoded_plus_and_slash_are_decoded_once() {
        let query =
            CallbackQuery::parse("msg_signature=a&timestamp=1&nonce=2&echostr=a%2Bb%2Fc%3D%3D").unwrap();
        assert_eq!(query.echostr.as_deref(), Some("a+b/c=="));
    }

    #[test]
    fn a_repeated_signature_parameter_is_refused() {
        let error = CallbackQuery::parse("msg_signature=a&msg_signature=b&timestamp=1&nonce=2").unwrap_err();
        assert_eq!(error.code(), -40002);
    }

    #[test]
    fn a_missing_nonce_is_a_parse_error() {
        assert_eq!(CallbackQuery::parse("msg_signature=a&timestamp=1").unwrap_err().code(), -40002);
    }
}
