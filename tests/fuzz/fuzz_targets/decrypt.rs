//! Decryption with the demo key of any ciphertext: base64, AES-CBC, PKCS#7
//! and the length-prefixed message layout must reject garbage cleanly.
#![no_main]
use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use pmc_webhook::wecom::{EncodingAesKey, cipher};

static KEY: LazyLock<EncodingAesKey> =
    LazyLock::new(|| EncodingAesKey::parse("pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio").unwrap());

fuzz_target!(|data: &[u8]| {
    // As text (what arrives) and as the base64 of raw bytes (what reaches AES).
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = cipher::decrypt(&KEY, text, "ww0a1b2c3d4e5f6789");
    }
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(data);
    let _ = cipher::decrypt_bytes(&KEY, &encoded, "ww0a1b2c3d4e5f6789");
});
