//! `EncodingAesKey`: the 43-character console value, parsed once into the
//! 32-byte AES key it stands for.

use std::fmt;

use base64::{
    Engine, alphabet,
    engine::{GeneralPurpose, GeneralPurposeConfig},
};

use super::WeComError;

/// WeCom's keys are not canonical base64: the 43rd character carries four
/// unused bits that real consoles do not zero (PROTOCOL.md §2.1), so a strict
/// decoder rejects the official samples. This engine ignores those bits.
const LENIENT_KEY_ENGINE: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);

/// A parsed EncodingAESKey: exactly 32 key bytes; the CBC IV is its first 16.
#[derive(Clone, PartialEq, Eq)]
pub struct EncodingAesKey {
    key: [u8; 32],
}

impl EncodingAesKey {
    /// Parses the 43-character value shown in the WeCom console.
    pub fn parse(encoding_aes_key: &str) -> Result<Self, WeComError> {
        if encoding_aes_key.len() != 43 {
            return Err(WeComError::IllegalAesKey("must be exactly 43 characters"));
        }
        if !encoding_aes_key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/') {
            return Err(WeComError::IllegalAesKey("must use only base64 letters, digits, '+' and '/'"));
        }
        let decoded = LENIENT_KEY_ENGINE
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| WeComError::IllegalAesKey("not valid base64"))?;
        let key: [u8; 32] =
            decoded.try_into().map_err(|_| WeComError::IllegalAesKey("does not decode to 32 bytes"))?;
        Ok(Self { key })
    }

    /// The 32-byte AES-256 key.
    pub fn key(&self) -> &[u8; 32] {
        &self.key
    }

    /// The fixed CBC initialisation vector: the key's first 16 bytes.
    pub fn iv(&self) -> &[u8] {
        &self.key[..16]
    }
}

impl fmt::Debug for EncodingAesKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("EncodingAesKey(***)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn official_non_canonical_key_decodes_to_32_bytes() {
        let key = EncodingAesKey::parse("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C").unwrap();
        assert_eq!(key.key().len(), 32);
        assert_eq!(key.iv(), &key.key()[..16]);
    }

    #[test]
    fn a_42_character_key_is_rejected_with_40004() {
        let error = EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZi").unwrap_err();
        assert_eq!(error.code(), -40004);
    }

    #[test]
    fn a_key_with_non_base64_characters_is_rejected() {
        let error = EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZi-").unwrap_err();
        assert_eq!(error.code(), -40004);
    }

    #[test]
    fn debug_output_never_shows_the_key() {
        let key = EncodingAesKey::parse("jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C").unwrap();
        assert_eq!(format!("{key:?}"), "EncodingAesKey(***)");
    }
}
