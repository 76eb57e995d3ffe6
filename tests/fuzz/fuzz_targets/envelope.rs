//! The outer envelope of a callback body (XML `<Encrypt>` or JSON `encrypt`):
//! any bytes must give an envelope or an error, never a panic or a hang.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pmc_webhook::wecom::envelope::Envelope;

fuzz_target!(|body: &[u8]| {
    let _ = Envelope::parse(body);
});
