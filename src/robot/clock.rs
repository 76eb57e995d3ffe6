//! The time streams and `response_url`s are judged by: the system clock in
//! production, a hand-moved one in tests (keepalive at 4 minutes and the
//! force-finish at 6 are tested without waiting for them).

use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// Milliseconds since the Unix epoch, from wherever the service reads them.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> i64 + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Self {
        Self(Arc::new(|| chrono::Utc::now().timestamp_millis()))
    }

    /// Now, in Unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Self::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Clock({})", self.now_ms())
    }
}

/// A clock that moves only when told to (tests); clones share the time.
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// Starts at the system's time now.
    pub fn starting_now() -> Self {
        Self(Arc::new(AtomicI64::new(chrono::Utc::now().timestamp_millis())))
    }

    /// Moves it forward.
    pub fn advance(&self, by: std::time::Duration) {
        self.0.fetch_add(i64::try_from(by.as_millis()).unwrap_or(i64::MAX), Ordering::SeqCst);
    }

    /// Its time.
    pub fn now_ms(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }

    /// A [`Clock`] reading it.
    pub fn clock(&self) -> Clock {
        let time = Arc::clone(&self.0);
        Clock(Arc::new(move || time.load(Ordering::SeqCst)))
    }
}
