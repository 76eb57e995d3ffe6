//! The callback query string (`msg_signature`, `timestamp`, `nonce`,
//! `echostr`), decoded exactly once, repeated keys refused.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pmc_webhook::wecom::CallbackQuery;

fuzz_target!(|query: &str| {
    let _ = CallbackQuery::parse(query);
});
