//! Answering frames (`aibot_respond_*`): the decided reply's plaintext —
//! the same JSON a URL callback's passive reply carries — becomes the body
//! of the frame that answers the callback, under the callback's `req_id`:
//! `aibot_respond_welcome_msg` for `enter_chat`, `aibot_respond_update_msg`
//! for a card update, `aibot_respond_msg` for everything else. A stream that
//! is not finished is then pushed by [`push_stream`]: there are no refresh
//! polls on a long connection, so the holder sends every change (a business
//! system's write, a keepalive, the force-finish) until it finishes.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::Value;

use super::{
    frame::{self, Frame},
    outbox::{NotAnswered, Outbox},
};
use crate::robot::{Conversations, StreamError};

/// How often an open stream is read for changes.
pub const PUSH_INTERVAL: Duration = Duration::from_millis(300);
/// How long WeCom's answer to a frame of ours may take (the SDK's default).
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// WeCom's error for an update to a stream not updated for 6 minutes.
pub const STREAM_EXPIRED: i64 = 846_608;
/// The longest a stream is pushed, whatever the clock says: past WeCom's 6
/// minutes (the force-finish comes before).
const PUSH_AT_MOST: Duration = Duration::from_secs(7 * 60);

/// The frame answering callback `callback` (its body) with `plaintext`,
/// and the stream to push afterwards, if it is not finished.
pub(super) fn answer(req_id: &str, callback: &Value, plaintext: &str) -> Option<(Frame, Option<String>)> {
    let body: Value = serde_json::from_str(plaintext).ok()?;
    let cmd = if body.get("response_type").and_then(Value::as_str) == Some("update_template_card") {
        frame::RESPOND_UPDATE
    } else if callback.pointer("/event/eventtype").and_then(Value::as_str) == Some("enter_chat") {
        frame::RESPOND_WELCOME
    } else {
        frame::RESPOND_MSG
    };
    let open_stream = body
        .get("stream")
        .filter(|stream| stream.get("finish").and_then(Value::as_bool) == Some(false))
        .and_then(|stream| stream.get("id"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some((Frame::request(cmd, req_id.to_owned(), Some(body)), open_stream))
}

/// Sends `first` (the stream's opening answer; without it, the stream as
/// stored), then pushes stream `id` whenever it changes, until it is
/// finished, WeCom refuses it, or it is too old. Every frame waits for
/// WeCom's answer before the next, as the SDK does for one `req_id`.
pub(super) async fn push_stream(
    outbox: Outbox,
    conversations: Arc<Conversations>,
    req_id: String,
    first: Option<Frame>,
    id: String,
) {
    let started = Instant::now();
    // The frame to send, the revision it shows, and whether it finishes.
    let mut next = first.map(|first| (first, 0, false));
    let mut pushed: Option<u64> = None;
    while started.elapsed() < PUSH_AT_MOST {
        if let Some((update, revision, finish)) = next.take() {
            match outbox.request(update, ANSWER_TIMEOUT).await {
                Ok(answer) if answer.errcode == Some(0) => {
                    pushed = Some(revision);
                    if finish {
                        return;
                    }
                }
                Ok(answer) if answer.errcode == Some(STREAM_EXPIRED) => {
                    tracing::warn!(
                        stream = id,
                        "WeCom refused a stream update (846608: not updated for 6 minutes); no more updates."
                    );
                    return;
                }
                Ok(answer) => {
                    tracing::warn!(
                        stream = id,
                        errcode = answer.errcode,
                        errmsg = answer.errmsg,
                        "WeCom refused a stream update; no more updates."
                    );
                    return;
                }
                Err(NotAnswered::Closed) => return,
                // Retried with the state as it stands at the next read.
                Err(error) => {
                    tracing::debug!(stream = id, error = %error, "A stream update got no answer; retrying.")
                }
            }
        }
        tokio::time::sleep(PUSH_INTERVAL).await;
        let stream = match conversations.get(&id).await {
            Ok(stream) => stream,
            // Its opening may not be stored yet; the store may be down.
            Err(StreamError::NotFound(_) | StreamError::Contended(_) | StreamError::Refused(_)) => continue,
        };
        if pushed != Some(stream.revision) {
            let body = serde_json::to_value(stream.reply()).expect("replies serialise");
            next = Some((
                Frame::request(frame::RESPOND_MSG, req_id.clone(), Some(body)),
                stream.revision,
                stream.finish,
            ));
        }
    }
}
