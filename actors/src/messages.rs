//! The messages the rest of the service sends into the actor system: the API
//! boundary of this crate.

use std::collections::BTreeMap;

use ractor::RpcReplyPort;
use serde::Serialize;

/// A callback that the event log has durably committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedEvent {
    /// The event log's id (monotonic, commit order).
    pub id: i64,
    /// Which route it came in on (`wechat_api`, `wechat_bot`).
    pub channel: String,
    /// Dotted type label (`message.text`, `event.template_card_event`, …).
    pub callback_type: String,
    /// The dedupe key it was stored under.
    pub dedupe_key: String,
    /// The member who caused it, when there is one.
    pub user_id: Option<String>,
    /// When it arrived, Unix milliseconds.
    pub received_at_ms: i64,
    /// The typed payload as JSON text.
    pub payload_json: String,
}

/// Messages understood by the [`Supervisor`](crate::supervisor::Supervisor).
#[derive(Debug)]
pub enum SupervisorMsg {
    /// Apply these committed events, in order (cast).
    ApplyCommitted(Vec<CommittedEvent>),
    /// Report counters (call).
    GetStats(RpcReplyPort<SupervisorStats>),
}

/// What the supervisor has applied so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SupervisorStats {
    /// Events applied since start.
    pub events_applied: u64,
    /// The highest event id applied.
    pub last_applied_id: Option<i64>,
    /// Events applied per callback type.
    pub applied_by_type: BTreeMap<String, u64>,
    /// Events ignored because their id was not above the last applied one.
    pub out_of_order_ignored: u64,
}
