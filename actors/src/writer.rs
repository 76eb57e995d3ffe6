//! The storage writer: batches rows by size and delay and writes each batch
//! in one transaction through the [`TrackingStore`].
//!
//! Parent: the supervisor. Messages are casts. A write that fails because
//! the store is down is retried with backoff and never dropped (the rows
//! stay in the batch). A write the store *refuses* (a value it cannot hold)
//! would fail forever and stall all tracking, so the batch is halved until
//! the refused rows stand alone; those are logged as dead letters (their
//! events stay in the event log) and the rest is written. After each
//! write it tells the supervisor which units completed, so the checkpoint
//! can advance. On `drain` it writes what it holds, then stops.

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
        let batch = std::mem::take(&mut self.batch);
        let dead_letters = write_isolating_refused(self.store.as_ref(), batch).await;
        if dead_letters > 0 {
            tracing::error!(
                dead_letters,
                "Rows refused by the store were skipped; see the dead-letter lines above."
            );
        }
        let units = std::mem::take(&mut self.units);
        if !units.is_empty() {
            // The supervisor may already be gone at shutdown; the checkpoint is then replayed.
            let _ = self.supervisor.cast(SupervisorMsg::Flushed(units));
        }
    }
}

/// Writes `batch`, retrying while the store is down; rows the store refuses
/// are isolated by halving and skipped. Returns how many were skipped.
async fn write_isolating_refused(store: &dyn TrackingStore, batch: WriteBatch) -> u64 {
    let mut pending = vec![batch];
    let mut dead_letters = 0;
    while let Some(batch) = pending.pop() {
        let mut delay = Duration::from_millis(50);
        let mut attempt = 1u32;
        loop {
            match store.write(&batch).await {
                Ok(()) => break,
                Err(error) if error.is_rejected() && batch.len() > 1 => {
                    tracing::warn!(error = %error, rows = batch.len(), "The store refused a batch; halving it to find the refused rows.");
                    let (front, back) = batch.split();
                    // Back first onto the stack, so the front is written first.
                    pending.push(back);
                    pending.push(front);
                    break;
                }
                Err(error) if error.is_rejected() => {
                    tracing::error!(error = %error, row = ?batch, "Dead letter: the store refuses this row; it is skipped (its event stays in the event log).");
                    dead_letters += 1;
                    if batch.checkpoint.is_some() {
                        // Keep the checkpoint: write it without the refused row.
                        pending.push(WriteBatch { checkpoint: batch.checkpoint, ..WriteBatch::default() });
                    }
                    break;
                }
                Err(error) => {
                    tracing::error!(error = %error, attempt, rows = batch.len(), "Tracking write failed; retrying, nothing is dropped.");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(5));
                    attempt += 1;
                }
            }
        }
    }
    dead_letters
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
