//! The body of `POST /api/v1/webhooks/status` after its signature checked
//! out: one update or a batch, validated into status events.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pmc_webhook::webhooks::{WebhookHandler, WebhookRequest, status::StatusWebhookSource};

fuzz_target!(|body: &[u8]| {
    let source = StatusWebhookSource::new(None);
    let request = WebhookRequest {
        raw_query: String::new(),
        headers: Default::default(),
        body: body.to_vec().into(),
        source_ip: None,
    };
    let _ = futures::executor::block_on(source.handle_request(&request));
});
