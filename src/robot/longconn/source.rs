//! Frames as a webhook source: the body of an `aibot_msg_callback` /
//! `aibot_event_callback` is the same JSON a URL callback decrypts to, so it
//! is typed by the same parser, keyed by the same dedupe key in the same
//! namespace, and stored by [`crate::webhooks::serve`]. Its answer is
//! decided as a URL callback's passive reply is
//! ([`crate::webhooks::wecom::decide_reply`]): the plaintext becomes the
//! body of the `aibot_respond_*` frame the connection sends.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{
    accounts::Account,
    event_log::NewQuarantine,
    replies::Replier,
    robot::Conversations,
    webhooks::{
        Handled, IncomingEvent, RawEnvelope, WebhookError, WebhookHandler, WebhookRequest,
        wecom::decide_reply,
    },
    wecom::payload,
};

/// One account's frames.
pub struct FrameSource {
    account: Arc<Account>,
    account_id: String,
    namespace: Option<String>,
    conversations: Arc<Conversations>,
    replier: Arc<Replier>,
}

impl FrameSource {
    /// The frames of `account`'s connection, answered through
    /// `conversations` (streams) and `replier` (handler and rules).
    pub fn new(account: Arc<Account>, conversations: Arc<Conversations>, replier: Arc<Replier>) -> Self {
        let namespace = account.dedupe_namespace();
        Self { account_id: account.id.to_string(), namespace, account, conversations, replier }
    }
}

#[async_trait]
impl WebhookHandler for FrameSource {
    /// The robot channel's name: frames and URL callbacks are one channel.
    fn name(&self) -> &str {
        "wechat_bot"
    }

    fn account(&self) -> Option<&str> {
        Some(&self.account_id)
    }

    fn listens_to(&self) -> Vec<String> {
        vec![format!("smart-robot long connection (robot account {})", self.account.id)]
    }

    fn routes(&self) -> Vec<String> {
        Vec::new()
    }

    fn dedupe_namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }

    /// The connection was authenticated by its subscription.
    fn verify_signature(&self, _request: &WebhookRequest) -> Result<(), WebhookError> {
        Ok(())
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let plaintext = String::from_utf8_lossy(&request.body).into_owned();
        let mut parsed = match payload::parse_json_payload(&plaintext) {
            Ok(parsed) => parsed,
            Err(error) => {
                let record = NewQuarantine {
                    received_at_ms: chrono::Utc::now().timestamp_millis(),
                    channel: self.name().to_owned(),
                    account: self.account_id.clone(),
                    error_code: error.code(),
                    reason: error.to_string(),
                    ciphertext: String::new(),
                    plaintext,
                    source_ip: None,
                };
                return Err(WebhookError::Quarantine { error, record: Box::new(record) });
            }
        };
        // Decided before storing, so the stored callback names the stream that answers it.
        let as_sent = payload::kept_before_reply(&parsed);
        let reply =
            decide_reply(Some(&self.conversations), &self.replier, &self.account, "", &mut parsed).await;
        let mut event = IncomingEvent::wecom(parsed, as_sent);
        event.account = Some(self.account_id.clone());
        event.envelope = Some(RawEnvelope { format: "json".to_owned(), plaintext, ..RawEnvelope::default() });
        Ok(Handled { events: vec![event], reply })
    }
}
