//! User handlers — the seed's `add_status_callback` / `add_interaction_callback`
//! in Rust — and their per-handler statistics. They run in the callback
//! actors ([`crate::callbacks`]), isolated: an error, a panic or a hang is
//! counted and logged, and the pipeline goes on.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
};

use async_trait::async_trait;
use serde::Serialize;

use crate::{
    model::{InteractionRecord, MessageId},
    status::{Outcome, Status},
};

/// What a handler may fail with.
pub type HandlerError = Box<dyn std::error::Error + Send + Sync>;

/// A recipient reached a status (applied or implied).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusChange {
    /// The message.
    pub message_id: MessageId,
    /// The recipient (`""` for the whole message).
    pub recipient: String,
    /// The status before.
    pub from: Option<Status>,
    /// The status reached.
    pub status: Status,
    /// `applied` or `implied`.
    pub outcome: Outcome,
    /// Where the observation came from.
    pub source: String,
    /// When it says it happened, Unix ms.
    pub occurred_at_ms: Option<i64>,
    /// The event it came from.
    pub event_id: i64,
}

/// Called when a recipient reaches a status.
#[async_trait]
pub trait StatusHandler: Send + Sync + 'static {
    /// Handles one change.
    async fn on_status(&self, change: &StatusChange) -> Result<(), HandlerError>;
}

/// Called for every user interaction.
#[async_trait]
pub trait InteractionHandler: Send + Sync + 'static {
    /// Handles one interaction.
    async fn on_interaction(&self, interaction: &InteractionRecord) -> Result<(), HandlerError>;
}

/// A registered status handler.
#[derive(Clone)]
pub struct RegisteredStatusHandler {
    /// Its name (for statistics).
    pub name: String,
    /// Which status it listens to; `None` for all.
    pub status: Option<Status>,
    /// The handler.
    pub handler: Arc<dyn StatusHandler>,
}

/// A registered interaction handler.
#[derive(Clone)]
pub struct RegisteredInteractionHandler {
    /// Its name (for statistics).
    pub name: String,
    /// The handler.
    pub handler: Arc<dyn InteractionHandler>,
}

/// The handlers the service was built with.
#[derive(Clone, Default)]
pub struct HandlerRegistry {
    /// Status handlers.
    pub status: Vec<RegisteredStatusHandler>,
    /// Interaction handlers.
    pub interaction: Vec<RegisteredInteractionHandler>,
    /// Their statistics.
    pub stats: Arc<HandlerStats>,
}

impl HandlerRegistry {
    /// Registers a status handler for `status` (`None`: every status).
    pub fn on_status(
        &mut self,
        name: impl Into<String>,
        status: Option<Status>,
        handler: Arc<dyn StatusHandler>,
    ) {
        let name = name.into();
        self.stats.register(
            &name,
            match status {
                Some(status) => format!("status:{}", status.as_str()),
                None => "status:*".to_owned(),
            },
        );
        self.status.push(RegisteredStatusHandler { name, status, handler });
    }

    /// Registers an interaction handler.
    pub fn on_interaction(&mut self, name: impl Into<String>, handler: Arc<dyn InteractionHandler>) {
        let name = name.into();
        self.stats.register(&name, "interactions".to_owned());
        self.interaction.push(RegisteredInteractionHandler { name, handler });
    }

    /// Whether any status handler exists (then message actors report changes).
    pub fn has_status_handlers(&self) -> bool {
        !self.status.is_empty()
    }
}

/// Per-handler counters.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HandlerStat {
    /// What it listens to.
    pub listens_to: String,
    /// Calls.
    pub invocations: u64,
    /// Calls that returned an error, panicked or timed out.
    pub failures: u64,
    /// The last failure.
    pub last_error: Option<String>,
}

/// Counters of all handlers, shared with the API (read-only there).
#[derive(Debug, Default)]
pub struct HandlerStats {
    stats: Mutex<BTreeMap<String, HandlerStat>>,
}

impl HandlerStats {
    fn register(&self, name: &str, listens_to: String) {
        self.stats
            .lock()
            .expect("stats lock")
            .insert(name.to_owned(), HandlerStat { listens_to, ..HandlerStat::default() });
    }

    pub(crate) fn record(&self, name: &str, failure: Option<String>) {
        let mut stats = self.stats.lock().expect("stats lock");
        let stat = stats.entry(name.to_owned()).or_default();
        stat.invocations += 1;
        if let Some(error) = failure {
            stat.failures += 1;
            stat.last_error = Some(error);
        }
    }

    /// A snapshot, by handler name.
    pub fn snapshot(&self) -> BTreeMap<String, HandlerStat> {
        self.stats.lock().expect("stats lock").clone()
    }
}
