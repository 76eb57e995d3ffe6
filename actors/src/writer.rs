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
//! can advance, and which messages' writes were *superseded* (another
//! replica changed them first): those units are not complete; their actors
//! reload and replay, and rows still arriving from the stale lineage are
//! dropped here rather than tried. On `drain` it writes what it holds, then
//! stops.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::Duration,
};

use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::{
    messages::SupervisorMsg,
    model::MessageId,
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
    /// The units the batch completes, with the message (and lineage) whose
    /// rows they are, if any.
    units: Vec<(UnitId, Option<(MessageId, u64)>)>,
    /// Per message, the newest lineage whose write was superseded: its rows
    /// still in flight would be superseded too.
    stale: HashMap<MessageId, u64>,
    flush_scheduled: bool,
}

/// Stale lineages remembered at most: forgetting one only costs a write
/// that the store then reports superseded.
const MAX_STALE: usize = 100_000;

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
        let written = write_isolating_refused(self.store.as_ref(), batch).await;
        if written.dead_letters > 0 {
            tracing::error!(
                dead_letters = written.dead_letters,
                "Rows refused by the store were skipped; see the dead-letter lines above."
            );
            let _ = self.supervisor.cast(SupervisorMsg::DeadLetters(written.dead_letters));
        }
        let superseded: HashSet<MessageId> = written.superseded.into_iter().collect();
        let mut flushed = Vec::new();
        let mut resync: HashMap<MessageId, u64> = HashMap::new();
        for (unit, owner) in std::mem::take(&mut self.units) {
            match owner {
                Some((id, lineage)) if superseded.contains(&id) => {
                    let newest = resync.entry(id).or_default();
                    *newest = (*newest).max(lineage);
                }
                _ => flushed.push(unit),
            }
        }
        // The supervisor may already be gone at shutdown; the checkpoint is then replayed.
        if !flushed.is_empty() {
            let _ = self.supervisor.cast(SupervisorMsg::Flushed(flushed));
        }
        if !resync.is_empty() {
            if self.stale.len() + resync.len() > MAX_STALE {
                self.stale.clear();
            }
            for (id, lineage) in &resync {
                let newest = self.stale.entry(id.clone()).or_default();
                *newest = (*newest).max(*lineage);
            }
            tracing::debug!(messages = resync.len(), "Writes superseded by another replica; reloading them.");
            let _ = self.supervisor.cast(SupervisorMsg::Superseded(resync.into_iter().collect()));
        }
    }

    /// Whether these rows come from a lineage already superseded.
    fn is_stale(&self, rows: &WriteBatch) -> bool {
        rows.messages
            .first()
            .is_some_and(|row| self.stale.get(&row.message_id).is_some_and(|stale| row.lineage <= *stale))
    }
}

/// What a write did besides storing rows.
#[derive(Debug, Default)]
struct Written {
    /// Rows refused by the store and skipped.
    dead_letters: u64,
    /// Messages whose rows were left out: another writer changed them first.
    superseded: Vec<MessageId>,
}

/// Writes `batch`, retrying while the store is down; rows the store refuses
/// are isolated by halving and skipped.
async fn write_isolating_refused(store: &dyn TrackingStore, batch: WriteBatch) -> Written {
    let mut pending = vec![batch];
    let mut written = Written::default();
    while let Some(batch) = pending.pop() {
        let mut delay = Duration::from_millis(50);
        let mut attempt = 1u32;
        loop {
            match store.write(&batch).await {
                Ok(superseded) => {
                    written.superseded.extend(superseded);
                    break;
                }
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
                    written.dead_letters += 1;
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
    written
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
            stale: HashMap::new(),
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
                if state.is_stale(&rows) {
                    // Its actor reloads and re-sends these signals.
                    return Ok(());
                }
                let owner = rows.messages.first().map(|row| (row.message_id.clone(), row.lineage));
                state.units.extend(units.into_iter().map(|unit| (unit, owner.clone())));
                state.batch.extend(rows);
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
