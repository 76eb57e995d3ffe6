//! 微信客服 (WeChat customer service), doc 94670. Its callback,
//! `kf_msg_or_event`, carries no message: it says "pull", with a token
//! valid for 10 minutes. So after the callback is acknowledged (never inside
//! it) the [`puller`] pulls the customer-service account's messages with
//! `kf/sync_msg` — from the account's cursor, page by page while
//! `has_more` — and stores each message or event as an event of its own
//! (`kf.msg.{msgtype}`, `kf.event.{event_type}`), keyed by its `msgid`:
//! cursors replay, and a replayed message is stored once. Every account
//! seen is also pulled every `kf.poll_secs`, so a lost callback delays
//! messages and never loses them.
//!
//! Crash safety: a page's messages are committed to the event log before
//! the cursor moves past them, and the callback's checkpoint moves only
//! after its pull; a SIGKILL mid-cursor pulls the page again, and its
//! messages are deduplicated. With several replicas one pulls an account at
//! a time (a lease in the robots' lease store) and the cursor is shared
//! (the tracking store: MySQL in external mode).

pub mod message;
pub mod migration;
mod puller;
pub mod sessions;
mod store;

pub use self::{
    puller::{KfPuller, Parts},
    sessions::KfSessions,
};
