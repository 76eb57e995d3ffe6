//! `msg_signature`: lower-case hex SHA-1 over the lexicographically sorted
//! token, timestamp, nonce and ciphertext, concatenated without separator.

use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

use super::WeComError;

/// Computes the signature WeCom sends (and the one we put on passive replies).
pub fn compute_signature(token: &str, timestamp: &str, nonce: &str, ciphertext: &str) -> String {
    let mut parts = [token, timestamp, nonce, ciphertext];
    parts.sort_unstable();
    let mut hasher = Sha1::new();
    for part in parts {
        hasher.update(part.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// Verifies a received signature in constant time. WeCom sends lower-case
/// hex and the official SDKs compare case-sensitively, so we do too.
pub fn verify_signature(
    token: &str,
    timestamp: &str,
    nonce: &str,
    ciphertext: &str,
    received_signature: &str,
) -> Result<(), WeComError> {
    let expected = compute_signature(token, timestamp, nonce, ciphertext);
    if expected.as_bytes().ct_eq(received_signature.as_bytes()).into() {
        Ok(())
    } else {
        Err(WeComError::ValidateSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_walkthrough_signature_is_reproduced() {
        // PROTOCOL.md §2.2: the official POST sample sorts to
        // "1372623149", "1409659813", "QDG6eK", "RypEvHKD…" and hashes to 477715d1….
        let vectors: serde_json::Value =
            serde_json::from_str(include_str!("../../tests/fixtures/wecom/official_vectors.json")).unwrap();
        let case = vectors["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|case| case["id"] == "official-decrypt-post")
            .unwrap();
        let body = case["request"]["body"].as_str().unwrap();
        let encrypt =
            &body[body.find("<Encrypt><![CDATA[").unwrap() + 18..body.find("]]></Encrypt>").unwrap()];
        assert_eq!(
            compute_signature("QDG6eK", "1409659813", "1372623149", encrypt),
            vectors["doc_signature_walkthrough"]["sha1"].as_str().unwrap()
        );
    }

    #[test]
    fn an_upper_case_signature_is_a_mismatch() {
        let signature = compute_signature("t", "1", "2", "c").to_uppercase();
        assert_eq!(verify_signature("t", "1", "2", "c", &signature), Err(WeComError::ValidateSignature));
    }
}
