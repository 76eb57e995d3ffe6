//! What this process did for robot conversations, for `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters (since start, this process).
#[derive(Debug, Default)]
pub struct RobotCounters {
    /// Streams opened for users' messages (retries of a message included).
    pub streams_opened: AtomicU64,
    /// Refresh polls answered from the stored stream.
    pub polls_found: AtomicU64,
    /// Refresh polls answered with the opening state: the stream was not
    /// found (not stored yet, expired) or the store did not answer in time.
    pub polls_unfound: AtomicU64,
    /// Business systems' writes applied.
    pub writes: AtomicU64,
    /// Keepalive updates made.
    pub keepalives: AtomicU64,
    /// Streams force-finished at their deadline.
    pub forced: AtomicU64,
    /// `response_url` claims, by outcome: taken, used, expired, unknown.
    pub claims_taken: AtomicU64,
    /// Refused: used by another reply.
    pub claims_used: AtomicU64,
    /// Refused: older than an hour.
    pub claims_expired: AtomicU64,
    /// Refused: no callback brought one.
    pub claims_unknown: AtomicU64,
}

impl RobotCounters {
    /// Adds one.
    pub fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// Reads one.
    pub fn read(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}
