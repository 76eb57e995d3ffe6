//! The decrypted XML document of every app, suite and robot callback.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pmc_webhook::wecom::payload::parse_xml_payload;

fuzz_target!(|document: &str| {
    let _ = parse_xml_payload(document);
});
