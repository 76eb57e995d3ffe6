//! AES-256-CBC with WeCom's framing (PROTOCOL.md §2.3–2.4):
//! `random(16) ‖ u32_be(len) ‖ msg ‖ receiveid`, PKCS#7-padded to a
//! **32-byte** block, IV = key[0..16], then standard padded base64.
//!
//! `cbc`'s own `Pkcs7` only accepts pad values ≤ 16 and WeCom pads up to 32,
//! so we decrypt with `NoPadding` and check every pad byte ourselves.

use aes::{
    Aes256,
    cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit, block_padding::NoPadding},
};
use base64::{Engine, engine::general_purpose::STANDARD};

use super::{EncodingAesKey, WeComError};

/// WeCom's PKCS#7 block size (not the AES block size).
const PAD_BLOCK: usize = 32;
const RANDOM_PREFIX_LEN: usize = 16;
const LENGTH_PREFIX_LEN: usize = 4;

/// Decrypts a base64 ciphertext and checks that it was encrypted for
/// `expected_receive_id`; returns the message as UTF-8 text.
pub fn decrypt(
    key: &EncodingAesKey,
    ciphertext_base64: &str,
    expected_receive_id: &str,
) -> Result<String, WeComError> {
    let msg = decrypt_bytes(key, ciphertext_base64, expected_receive_id)?;
    String::from_utf8(msg).map_err(|_| WeComError::IllegalBuffer("message is not UTF-8"))
}

/// Like [`decrypt`], but returns the raw message bytes without the UTF-8 check.
pub fn decrypt_bytes(
    key: &EncodingAesKey,
    ciphertext_base64: &str,
    expected_receive_id: &str,
) -> Result<Vec<u8>, WeComError> {
    decrypt_for(key, ciphertext_base64, &|receive_id| receive_id == expected_receive_id.as_bytes())
        .map(|(msg, _)| msg)
}

/// Decrypts for any receiveid `accepts` (a suite's data callbacks carry
/// the authorising corp's id); returns the message and the receiveid.
/// A receiveid it refuses is -40005, as for a fixed one.
pub fn decrypt_for(
    key: &EncodingAesKey,
    ciphertext_base64: &str,
    accepts: &dyn Fn(&[u8]) -> bool,
) -> Result<(Vec<u8>, String), WeComError> {
    let mut buffer = STANDARD.decode(ciphertext_base64).map_err(|_| WeComError::DecodeBase64)?;
    if buffer.is_empty() || buffer.len() % 16 != 0 {
        return Err(WeComError::DecryptAes("ciphertext length is not a positive multiple of 16"));
    }
    let plain = cbc::Decryptor::<Aes256>::new_from_slices(key.key(), key.iv())
        .map_err(|_| WeComError::DecryptAes("bad key or IV length"))?
        .decrypt_padded::<NoPadding>(&mut buffer)
        .map_err(|_| WeComError::DecryptAes("block decryption failed"))?;
    let unpadded = strip_padding(plain)?;
    if unpadded.len() < RANDOM_PREFIX_LEN + LENGTH_PREFIX_LEN {
        return Err(WeComError::IllegalBuffer("shorter than the random and length prefixes"));
    }
    let (_random, rest) = unpadded.split_at(RANDOM_PREFIX_LEN);
    let (length_bytes, rest) = rest.split_at(LENGTH_PREFIX_LEN);
    let msg_len = u32::from_be_bytes(length_bytes.try_into().expect("4 bytes")) as usize;
    if msg_len > rest.len() {
        return Err(WeComError::IllegalBuffer("message length exceeds the buffer"));
    }
    let (msg, receive_id) = rest.split_at(msg_len);
    if !accepts(receive_id) {
        return Err(WeComError::ValidateCorpId);
    }
    let receive_id = String::from_utf8(receive_id.to_vec()).map_err(|_| WeComError::ValidateCorpId)?;
    Ok((msg.to_vec(), receive_id))
}

/// Encrypts `msg` for `receive_id` with the given 16-byte random prefix
/// (injectable so known-answer tests reproduce WeCom's bytes exactly; use a
/// CSPRNG in production) and returns standard padded base64.
pub fn encrypt(
    key: &EncodingAesKey,
    msg: &[u8],
    receive_id: &str,
    random_prefix: &[u8; 16],
) -> Result<String, WeComError> {
    let msg_len = u32::try_from(msg.len()).map_err(|_| WeComError::EncryptAes)?;
    let mut buffer =
        Vec::with_capacity(RANDOM_PREFIX_LEN + LENGTH_PREFIX_LEN + msg.len() + receive_id.len() + PAD_BLOCK);
    buffer.extend_from_slice(random_prefix);
    buffer.extend_from_slice(&msg_len.to_be_bytes());
    buffer.extend_from_slice(msg);
    buffer.extend_from_slice(receive_id.as_bytes());
    let pad = PAD_BLOCK - buffer.len() % PAD_BLOCK;
    buffer.resize(buffer.len() + pad, pad as u8);
    let length = buffer.len();
    let ciphertext = cbc::Encryptor::<Aes256>::new_from_slices(key.key(), key.iv())
        .map_err(|_| WeComError::EncryptAes)?
        .encrypt_padded::<NoPadding>(&mut buffer, length)
        .map_err(|_| WeComError::EncryptAes)?;
    Ok(STANDARD.encode(ciphertext))
}

/// Strict PKCS#7 removal for a 32-byte block: the last byte `k` must be
/// 1..=32 and all `k` trailing bytes must equal `k`. The official SDKs look
/// at the last byte only; we reject inconsistent padding (`neg-pad-inconsistent`).
fn strip_padding(plain: &[u8]) -> Result<&[u8], WeComError> {
    let pad = *plain.last().ok_or(WeComError::IllegalBuffer("empty plaintext"))? as usize;
    if pad == 0 || pad > PAD_BLOCK || pad > plain.len() {
        return Err(WeComError::IllegalBuffer("pad value out of range 1..=32"));
    }
    let (body, padding) = plain.split_at(plain.len() - pad);
    if padding.iter().any(|&byte| byte as usize != pad) {
        return Err(WeComError::IllegalBuffer("inconsistent pad bytes"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn test_key() -> EncodingAesKey {
        EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio").unwrap()
    }

    #[test]
    fn an_aligned_message_gets_a_full_32_byte_pad_block() {
        let key = test_key();
        // 16 + 4 + 12 = 32 bytes of plaintext: the pad must be a whole block of 32.
        let ciphertext = encrypt(&key, b"twelve bytes", "", &[7; 16]).unwrap();
        assert_eq!(STANDARD.decode(&ciphertext).unwrap().len(), 64);
        assert_eq!(decrypt(&key, &ciphertext, "").unwrap(), "twelve bytes");
    }

    #[test]
    fn a_wrong_receive_id_is_rejected_with_40005() {
        let key = test_key();
        let ciphertext = encrypt(&key, b"hello", "ww-one", &[1; 16]).unwrap();
        assert_eq!(decrypt(&key, &ciphertext, "ww-two"), Err(WeComError::ValidateCorpId));
    }

    proptest! {
        #[test]
        fn decrypt_inverts_encrypt_for_any_bytes(
            msg in proptest::collection::vec(any::<u8>(), 0..600),
            receive_id in "\\PC{0,40}",
            random in any::<[u8; 16]>(),
        ) {
            let key = test_key();
            let ciphertext = encrypt(&key, &msg, &receive_id, &random).unwrap();
            prop_assert_eq!(decrypt_bytes(&key, &ciphertext, &receive_id).unwrap(), msg);
        }

        #[test]
        fn decrypt_inverts_encrypt_for_any_text(msg in "\\PC{0,300}", random in any::<[u8; 16]>()) {
            let key = test_key();
            let ciphertext = encrypt(&key, msg.as_bytes(), "ww0a1b2c3d4e5f6789", &random).unwrap();
            prop_assert_eq!(decrypt(&key, &ciphertext, "ww0a1b2c3d4e5f6789").unwrap(), msg);
        }

        #[test]
        fn decrypting_arbitrary_base64_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decrypt(&test_key(), &STANDARD.encode(bytes), "");
        }

        #[test]
        fn decrypting_arbitrary_text_never_panics(text in "\\PC{0,200}") {
            let _ = decrypt(&test_key(), &text, "");
        }
    }
}
