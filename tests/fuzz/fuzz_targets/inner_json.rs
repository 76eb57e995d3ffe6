//! The decrypted JSON document of smart-robot callbacks.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pmc_webhook::wecom::payload::parse_json_payload;

fuzz_target!(|document: &str| {
    let _ = parse_json_payload(document);
});
