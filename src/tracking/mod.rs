//! Tracking: what happened to every notification, and what users did.
//!
//! The event log stays the single acknowledgement point. Committed events
//! are turned into signals ([`derive`]) and handed to the actor system by
//! the [`Feeder`], off the committer's path; the actors persist into the
//! [`SqlTrackingStore`]. After a crash [`replay`] feeds the events above the
//! stored checkpoint again before the service takes traffic.

pub mod derive;
pub mod entity;
pub mod migration;
pub mod query;
mod store;

use std::time::Duration;

use pmc_actors::{CommittedEvent, SupervisorHandle};
use tokio::{sync::mpsc, task::JoinHandle};

pub use self::store::SqlTrackingStore;
use crate::event_log::{CommitHook, EventLog, EventLogError, StoredEvent};

/// Events replayed per page at start.
const REPLAY_PAGE: u64 = 1000;

/// Hands committed events to the supervisor, in commit order.
pub struct Feeder {
    sender: mpsc::UnboundedSender<Vec<StoredEvent>>,
    task: JoinHandle<()>,
}

impl Feeder {
    /// Starts the feeding task.
    pub fn start(supervisor: SupervisorHandle) -> Self {
        let (sender, mut receiver) = mpsc::unbounded_channel::<Vec<StoredEvent>>();
        let task = tokio::spawn(async move {
            while let Some(stored) = receiver.recv().await {
                if let Err(error) = supervisor.apply_committed(committed(&stored)) {
                    // The events are in the log; the next start replays them.
                    tracing::error!(error = %error, events = stored.len(), "The supervisor is gone; events are left for replay.");
                }
            }
        });
        Self { sender, task }
    }

    /// The event log's commit hook: copies the batch to the feeding task.
    pub fn hook(&self) -> CommitHook {
        let sender = self.sender.clone();
        std::sync::Arc::new(move |stored: &[StoredEvent]| {
            let _ = sender.send(stored.to_vec());
        })
    }

    /// Waits until everything handed over has been fed. Call after the
    /// event log is closed (which drops its copy of the hook).
    pub async fn close(self) {
        drop(self.sender);
        let _ = self.task.await;
    }
}

fn committed(stored: &[StoredEvent]) -> Vec<CommittedEvent> {
    stored
        .iter()
        .map(|event| CommittedEvent {
            id: event.id,
            callback_type: event.callback_type.clone(),
            signals: derive::signals_of(event),
        })
        .collect()
}

/// Feeds every event above `checkpoint` to the supervisor, page by page,
/// waiting for each page to be dispatched. Returns how many were replayed.
pub async fn replay(
    event_log: &EventLog,
    supervisor: &SupervisorHandle,
    checkpoint: i64,
) -> Result<u64, EventLogError> {
    let mut after = checkpoint;
    let mut replayed = 0;
    loop {
        let page = event_log.events_after(after, REPLAY_PAGE).await?;
        let Some(last) = page.last().map(|event| event.id) else { break };
        replayed += page.len() as u64;
        if supervisor.apply_committed(committed(&page)).is_err() {
            break;
        }
        // Backpressure: let the supervisor dispatch this page before the next.
        for _ in 0..6000 {
            match supervisor.stats(Duration::from_secs(5)).await {
                Ok(stats) if stats.last_applied_id.unwrap_or(0) >= last => break,
                Ok(_) => tokio::time::sleep(Duration::from_millis(5)).await,
                Err(_) => break,
            }
        }
        after = last;
    }
    if replayed > 0 {
        tracing::info!(
            replayed,
            from_checkpoint = checkpoint,
            "Replayed events committed but not yet tracked."
        );
    }
    Ok(replayed)
}
