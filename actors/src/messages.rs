//! The messages the rest of the service sends into the actor system: the API
//! boundary of this crate.

use std::collections::BTreeMap;

use ractor::RpcReplyPort;
use serde::Serialize;

use crate::{
    model::{MessageId, MessageState, Signal},
    rows::UnitId,
};

/// A callback or API request that the event log has durably committed,
/// with what it contributes to tracking.
#[derive(Debug, Clone, PartialEq)]
pub struct CommittedEvent {
    /// The event log's id (monotonic, commit order).
    pub id: i64,
    /// Dotted type label (`message.text`, `status.update`, …).
    pub callback_type: String,
    /// What it contributes (often nothing: a plain message to the app).
    pub signals: Vec<Signal>,
}

/// Messages understood by the [`Supervisor`](crate::supervisor::Supervisor).
#[derive(Debug)]
pub enum SupervisorMsg {
    /// Apply these committed events, in order (cast). Events at or below
    /// the last one applied are ignored, so replays may overlap.
    ApplyCommitted(Vec<CommittedEvent>),
    /// The writer stored the rows of these units (cast).
    Flushed(Vec<UnitId>),
    /// A parked message actor handed back its state (cast).
    Parked {
        /// The message.
        id: MessageId,
        /// Its state.
        state: Box<MessageState>,
        /// The last event applied to it.
        last_event_id: i64,
        /// The lineage of its state.
        lineage: u64,
    },
    /// The store refused the writes of these messages as superseded (another
    /// replica changed them first), for rows of lineages up to the given one
    /// (cast): their actors reload and replay their unstored signals.
    Superseded(Vec<(MessageId, u64)>),
    /// The writer skipped this many rows the store refused (cast).
    DeadLetters(u64),
    /// Passivate idle message actors (timer).
    Tick,
    /// Report counters (call).
    GetStats(RpcReplyPort<SupervisorStats>),
}

/// What the supervisor has done so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SupervisorStats {
    /// Events applied since start.
    pub events_applied: u64,
    /// The highest event id applied.
    pub last_applied_id: Option<i64>,
    /// Every event at or below this id is fully stored.
    pub checkpoint: i64,
    /// Events ignored because their id was not above the last applied one.
    pub repeats_ignored: u64,
    /// Events applied per callback type.
    pub applied_by_type: BTreeMap<String, u64>,
    /// Message actors alive now.
    pub live_message_actors: u64,
    /// The most message actors alive at once (live, parking and stopping).
    pub peak_message_actors: u64,
    /// Message actors started (first use or reactivation).
    pub activations: u64,
    /// Message actors passivated (idle or over the cap).
    pub passivations: u64,
    /// Message actors restarted after a crash.
    pub restarts: u64,
    /// Rows the store refused (a value it cannot hold), skipped and logged
    /// as dead letters; their events stay in the event log.
    pub dead_letters: u64,
    /// Message actors reloaded because another replica changed their
    /// message first (a compare-and-set write was superseded).
    pub resyncs: u64,
    /// Units of work dispatched to actors and not yet stored: the backlog.
    pub pending_units: u64,
    /// Signals held for actors that are being parked.
    pub held_for_parking: u64,
    /// Message ids waiting for a free slot under the live cap.
    pub waiting_for_slot: u64,
}
