//! The storage writer: batches rows by size and delay and writes each batch
//! in one transaction through the [`TrackingStore`].
//!
//! Parent: the supervisor. Messages are casts. A failed write is retried
//! with backoff and never dropped (the rows stay in the batch). After each
//! successful write it tells the supervisor which units completed, so the
//! checkpoint can advance. On `drain` it writes what it holds, then stops.

use std::{sync::Arc, time::Duration};

use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::{
    messages::SupervisorMsg,
    rows::{UnitId, WriteBatch},
    store::TrackingStore,
};

/// Batch limits.
#[derive(Debug, Clone, Copy)]
pub struct WriterSettings {
    /// Write as soon as this many rows are waiting.
    pub max_rows: usize,
    /// Write rows at most this long after the first one arrived.
    pub max_delay: Duration,
}

impl Default for WriterSettings {
    fn default() -> Self {
        Self { max_rows: 1000, max_delay: Duration::from_millis(20) }
    }
}

/// Messages to the writer.
#[derive(Debug)]
pub enum WriterMsg {
    /// Rows to write, and the units they complete.
    Rows(WriteBatch, Vec<UnitId>),
    /// Persist this checkpoint with the next write.
    Checkpoint(i64),
    /// The delay elapsed: write now.
    Flush,
}

/// The writer actor.
pub struct Writer;

/// What the writer owns.
pub struct WriterState {
    store: Arc<dyn TrackingStore>,
    supervisor: ActorRef<SupervisorMsg>,
    settings: WriterSettings,
    batch: WriteBatch,
    units: Vec<UnitId>,
    flush_scheduled: bool,
}

/// Starting arguments.
pub struct WriterArgs {
    /// Where rows go.
    pub store: Arc<dyn TrackingStore>,
    /// Who hears about completed units.
    pub supervisor: ActorRef<SupervisorMsg>,
    /// Batch limits.
    pub settings: WriterSettings,
}

impl WriterState {
    async fn write(&mut self) {
        if self.batch.is_empty() && self.units.is_empty() {
            return;
        }
        let mut delay = Duration::from_millis(50);
        let mut attempt = 1u32;
        while let Err(error) = self.store.write(&self.batch).await {
            tracing::error!(error = %error, attempt, rows = self.batch.len(), "Tracking write failed; retrying, nothing is dropped.");
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
            attempt += 1;
        }
        self.batch = WriteBatch::default();
        let units = std::mem::take(&mut self.units);
        if !units.is_empty() {
            // The supervisor may already be gone at shutdown; the checkpoint is then replayed.
            let _ = self.supervisor.cast(SupervisorMsg::Flushed(units));
        }
    }
}

impl Actor for Writer {
    type Msg = WriterMsg;
    type State = WriterState;
    type Arguments = WriterArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<WriterMsg>,
        args: WriterArgs,
    ) -> Result<WriterState, ActorProcessingErr> {
        Ok(WriterState {
            store: args.store,
            supervisor: args.supervisor,
            settings: args.settings,
            batch: WriteBatch::default(),
            units: Vec::new(),
            flush_scheduled: false,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<WriterMsg>,
        message: WriterMsg,
        state: &mut WriterState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            WriterMsg::Rows(rows, units) => {
                state.batch.extend(rows);
                state.units.extend(units);
            }
            WriterMsg::Checkpoint(checkpoint) => {
                state.batch.checkpoint = state.batch.checkpoint.max(Some(checkpoint));
            }
            WriterMsg::Flush => {
                state.flush_scheduled = false;
                state.write().await;
                return Ok(());
            }
        }
        if state.batch.len() >= state.settings.max_rows {
            state.write().await;
        } else if !state.flush_scheduled {
            state.flush_scheduled = true;
            myself.send_after(state.settings.max_delay, || WriterMsg::Flush);
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<WriterMsg>,
        state: &mut WriterState,
    ) -> Result<(), ActorProcessingErr> {
        state.write().await;
        Ok(())
    }
}
