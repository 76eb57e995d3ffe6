//! What the keeper does with what it receives: callback frames stored
//! through the URL pipeline and answered; open streams pushed (and
//! recorded for the next holder, which resumes them); sends other replicas
//! relayed to this bot's holder.

use std::sync::Arc;

use super::{
    super::{frame::Frame, pushes::Push, respond},
    Keeper,
};
use crate::webhooks::{WebhookRequest, serve};

impl Keeper {
    /// Takes the sends other replicas queued for this bot and sends each
    /// on this connection (from a task of its own: this loop carries the
    /// frames out and the answers in).
    pub(super) async fn send_relayed(&self, name: &str) {
        let taken = match self.relay.take(name).await {
            Ok(taken) => taken,
            Err(error) => {
                tracing::debug!(account = %self.account.id, error = %error, "Relayed sends could not be taken.");
                return;
            }
        };
        for relayed in taken {
            let (relay, outbox, name) = (self.relay.clone(), self.outbox.clone(), name.to_owned());
            tokio::spawn(async move { relay.send(&name, &outbox, relayed).await });
        }
    }

    /// Stores a callback frame's body as the URL pipeline stores a callback,
    /// and returns the frame that answers it now, if any. An answer that is
    /// an open stream is sent by its pusher instead, which then sends every
    /// change (one pusher per stream). A frame WeCom re-sent (stored
    /// already) is answered with its stream as it stands, not as it opened.
    pub(super) async fn store(&self, frame: &Frame) -> Option<Frame> {
        let body = frame.body.as_ref()?;
        let request = WebhookRequest {
            raw_query: String::new(),
            headers: http::HeaderMap::new(),
            body: bytes::Bytes::from(body.to_string()),
            source_ip: None,
        };
        let served = match serve(&self.source, &request, &self.event_log, &self.counters).await {
            Ok(served) => served,
            Err(error) => {
                tracing::error!(account = %self.account.id, req_id = frame.headers.req_id, error = %error, "A frame was not stored.");
                return None;
            }
        };
        let plaintext = served.reply.filter(|reply| !reply.is_empty())?;
        let (answer, open_stream) = respond::answer(&frame.headers.req_id, body, &plaintext)?;
        let Some(stream) = open_stream else { return Some(answer) };
        let first = (served.accepted.duplicates == 0).then_some(answer);
        self.push(frame.headers.req_id.clone(), first, stream);
        None
    }

    /// Pushes stream `stream` (answering `req_id`) from a task of its own,
    /// unless it is being pushed; `first`: its opening answer, else it is
    /// sent as it stands. The push is recorded for the next holder while
    /// it lasts.
    fn push(&self, req_id: String, first: Option<Frame>, stream: String) {
        if !self.pushing.lock().expect("not poisoned").insert(stream.clone()) {
            return;
        }
        let (outbox, conversations, pushing, pushes, lease) = (
            self.outbox.clone(),
            Arc::clone(&self.conversations),
            Arc::clone(&self.pushing),
            self.pushes.clone(),
            self.lease_name(),
        );
        tokio::spawn(async move {
            let push =
                Push { stream: stream.clone(), req_id: req_id.clone(), since_ms: conversations.now_ms() };
            pushes.begin(&lease, push, conversations.now_ms()).await;
            respond::push_stream(outbox, Arc::clone(&conversations), req_id, first, stream.clone()).await;
            pushes.end(&lease, &stream, conversations.now_ms()).await;
            pushing.lock().expect("not poisoned").remove(&stream);
        });
    }

    /// On subscribing: goes on pushing the streams a previous holder (this
    /// replica before a reconnect, or one that died) left unfinished.
    pub(super) async fn resume_pushes(&self, lease: &str) {
        for push in self.pushes.open(lease, self.conversations.now_ms()).await {
            tracing::info!(account = %self.account.id, stream = push.stream, "Going on pushing a stream a previous holder left unfinished.");
            self.push(push.req_id, None, push.stream);
        }
    }
}
