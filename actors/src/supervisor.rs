//! The supervisor: applies committed events in commit order, keeping one
//! [`MessageActor`] per message id (spawned on first use, linked, restarted
//! on a crash, passivated when idle or beyond the live cap), a pool of
//! [`CallbackActor`]s routed by user or message, and the [`Writer`].
//!
//! It also keeps the checkpoint: every signal is a unit of work; when all
//! units of an event are stored, the checkpoint can pass it. After a crash
//! the service replays the event log from the checkpoint; stored rows are
//! keyed by (event, seq) and states converge (see [`crate::status`]), so a
//! replay neither loses nor doubles anything.

mod dispatch;
mod resync;

use std::{
    collections::{BTreeMap, HashMap, HashSet, VecDeque},
    sync::Arc,
    time::{Duration, Instant},
};

use lru::LruCache;
use ractor::{Actor, ActorId, ActorProcessingErr, ActorRef, SupervisionEvent};

use crate::{
    callbacks::{CallbackActor, CallbackMsg},
    handlers::HandlerRegistry,
    message_actor::MessageMsg,
    messages::{SupervisorMsg, SupervisorStats},
    model::{MessageId, MessageState},
    rows::{InteractionRow, UnitId, WriteBatch},
    store::TrackingStore,
    writer::{Writer, WriterArgs, WriterMsg, WriterSettings},
};

/// Tuning of the tree.
#[derive(Debug, Clone, Copy)]
pub struct SupervisorSettings {
    /// A message actor idle this long is passivated.
    pub idle_timeout: Duration,
    /// At most this many message actors live at once (least recently used
    /// ones are passivated first). A ractor actor costs about 9 KB.
    pub max_live_actors: usize,
    /// How many callback actors run handlers and store interactions.
    pub callback_actors: usize,
    /// How many task ids → message ids are cached.
    pub task_cache_size: usize,
    /// The writer's batch limits.
    pub writer: WriterSettings,
}

impl Default for SupervisorSettings {
    fn default() -> Self {
        Self {
            idle_timeout: Duration::from_secs(300),
            max_live_actors: 10_000,
            callback_actors: 4,
            task_cache_size: 100_000,
            writer: WriterSettings::default(),
        }
    }
}

/// Starting arguments.
pub struct SupervisorArgs {
    /// Tuning.
    pub settings: SupervisorSettings,
    /// Where state is loaded from and written to.
    pub store: Arc<dyn TrackingStore>,
    /// User handlers.
    pub handlers: HandlerRegistry,
    /// The stored checkpoint: events at or below it are already applied.
    pub checkpoint: i64,
}

/// The supervisor actor.
pub struct Supervisor;

/// A live message actor.
struct Live {
    actor: ActorRef<MessageMsg>,
    last_used: Instant,
    /// Sent but maybe not yet stored: re-sent if the actor crashes.
    unflushed: Vec<MessageMsg>,
    restarts: u32,
    /// Which load of the state it continues (see [`MessageMsg::Resync`]).
    lineage: u64,
}

/// An actor asked to park, until it hands its state back.
#[derive(Default)]
struct Parking {
    /// Signals that arrived meanwhile: it is respawned with them.
    held: Vec<MessageMsg>,
    /// What it was sent and may not have stored yet.
    unflushed: Vec<MessageMsg>,
    lineage: u64,
    /// A write of its lineage was superseded: the state it hands back is
    /// stale and is dropped.
    resync: bool,
}

/// A state handed back by a parked actor, kept until stored.
struct Parked {
    state: MessageState,
    last_event_id: i64,
    lineage: u64,
    /// Signals it applied that may not be stored yet: replayed if its
    /// write turns out superseded.
    unflushed: Vec<MessageMsg>,
}

/// What the supervisor owns.
pub struct SupervisorState {
    settings: SupervisorSettings,
    store: Arc<dyn TrackingStore>,
    handlers: HandlerRegistry,
    writer: ActorRef<WriterMsg>,
    callbacks: Vec<ActorRef<CallbackMsg>>,
    live: LruCache<MessageId, Live>,
    actor_ids: HashMap<ActorId, MessageId>,
    /// Actors asked to park, and signals that arrived for them meanwhile.
    /// They are alive until they reach `Park`, so they count toward the cap.
    parking: HashMap<MessageId, Parking>,
    /// Parked actors that handed their state back but have not terminated
    /// yet: still alive, so they still count toward the cap.
    stopping: usize,
    /// Parking actors whose termination arrived before their `Parked`
    /// (supervision events overtake ordinary messages in ractor).
    terminated_before_parked: HashSet<MessageId>,
    /// Ids waiting for a free slot under the cap, in arrival order, with
    /// their signals.
    waiting: VecDeque<MessageId>,
    waiting_signals: HashMap<MessageId, Vec<MessageMsg>>,
    /// States handed back by parked actors, kept until stored.
    parked: HashMap<MessageId, Parked>,
    /// The last lineage handed out.
    lineages: u64,
    /// Units dispatched and not yet stored, by event id.
    pending: BTreeMap<i64, HashSet<u32>>,
    last_dispatched: i64,
    checkpoint: i64,
    task_cache: LruCache<String, MessageId>,
    /// Rows of the `ApplyCommitted` being handled, sent together at its end.
    staged: Staged,
    stats: SupervisorStats,
}

/// Interaction rows per callback actor, and member rows for the writer.
#[derive(Default)]
struct Staged {
    interactions: Vec<Vec<(InteractionRow, UnitId)>>,
    members: WriteBatch,
    member_units: Vec<UnitId>,
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = SupervisorArgs;

    async fn pre_start(
        &self,
        myself: ActorRef<SupervisorMsg>,
        args: SupervisorArgs,
    ) -> Result<SupervisorState, ActorProcessingErr> {
        let (writer, _) = Actor::spawn_linked(
            None,
            Writer,
            WriterArgs {
                store: Arc::clone(&args.store),
                supervisor: myself.clone(),
                settings: args.settings.writer,
            },
            myself.get_cell(),
        )
        .await?;
        let mut callbacks = Vec::new();
        for _ in 0..args.settings.callback_actors.max(1) {
            let (callback, _) = Actor::spawn_linked(
                None,
                CallbackActor,
                (args.handlers.clone(), writer.clone()),
                myself.get_cell(),
            )
            .await?;
            callbacks.push(callback);
        }
        let tick = (args.settings.idle_timeout / 4).clamp(Duration::from_millis(10), Duration::from_secs(30));
        myself.send_interval(tick, || SupervisorMsg::Tick);
        let cache_size = std::num::NonZeroUsize::new(args.settings.task_cache_size.max(1)).expect("non-zero");
        Ok(SupervisorState {
            settings: args.settings,
            store: args.store,
            handlers: args.handlers,
            writer,
            callbacks,
            live: LruCache::unbounded(),
            actor_ids: HashMap::new(),
            parking: HashMap::new(),
            stopping: 0,
            terminated_before_parked: HashSet::new(),
            waiting: VecDeque::new(),
            waiting_signals: HashMap::new(),
            parked: HashMap::new(),
            lineages: 0,
            pending: BTreeMap::new(),
            last_dispatched: args.checkpoint,
            checkpoint: args.checkpoint,
            task_cache: LruCache::new(cache_size),
            staged: Staged::default(),
            stats: SupervisorStats { checkpoint: args.checkpoint, ..SupervisorStats::default() },
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<SupervisorMsg>,
        message: SupervisorMsg,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::ApplyCommitted(events) => {
                for event in events {
                    state.apply_event(&myself, event).await;
                }
                state.send_staged();
                state.advance_checkpoint();
            }
            SupervisorMsg::Flushed(units) => {
                for (event_id, seq) in units {
                    if let Some(open) = state.pending.get_mut(&event_id) {
                        open.remove(&seq);
                        if open.is_empty() {
                            state.pending.remove(&event_id);
                        }
                    }
                }
                state.advance_checkpoint();
            }
            SupervisorMsg::Parked { id, state: parked, last_event_id, lineage } => {
                let parked = Parked { state: *parked, last_event_id, lineage, unflushed: Vec::new() };
                state.unpark(&myself, id, parked).await;
            }
            SupervisorMsg::Superseded(messages) => {
                for (id, lineage) in messages {
                    state.resync(&myself, id, lineage).await;
                }
            }
            SupervisorMsg::DeadLetters(count) => state.stats.dead_letters += count,
            SupervisorMsg::Tick => state.passivate_idle(),
            SupervisorMsg::GetStats(reply) => {
                let _ = reply.send(state.snapshot());
            }
        }
        Ok(())
    }

    async fn handle_supervisor_evt(
        &self,
        myself: ActorRef<SupervisorMsg>,
        event: SupervisionEvent,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        match event {
            SupervisionEvent::ActorTerminated(cell, _, _) => {
                // Only parked message actors stop normally: their slot is free now.
                if let Some(id) = state.actor_ids.remove(&cell.get_id()) {
                    if state.parking.contains_key(&id) {
                        state.terminated_before_parked.insert(id);
                    } else {
                        state.stopping = state.stopping.saturating_sub(1);
                    }
                    state.admit_waiting(&myself).await;
                }
            }
            SupervisionEvent::ActorFailed(cell, error) => {
                if cell.get_id() == state.writer.get_id()
                    || state.callbacks.iter().any(|c| c.get_id() == cell.get_id())
                {
                    // These never fail on bad input; if one does, stop and let the service restart and replay.
                    return Err(format!("a core actor failed: {error}").into());
                }
                if let Some(id) = state.actor_ids.remove(&cell.get_id()) {
                    tracing::error!(message_id = %id, error = %error, "A message actor crashed; restarting it.");
                    state.restart(&myself, id).await;
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn post_stop(
        &self,
        _myself: ActorRef<SupervisorMsg>,
        state: &mut SupervisorState,
    ) -> Result<(), ActorProcessingErr> {
        state.drain_children().await;
        Ok(())
    }
}

impl SupervisorState {
    fn snapshot(&self) -> SupervisorStats {
        SupervisorStats {
            checkpoint: self.checkpoint,
            live_message_actors: self.live.len() as u64,
            pending_units: self.pending.values().map(|units| units.len() as u64).sum(),
            held_for_parking: self.parking.values().map(|parking| parking.held.len() as u64).sum(),
            waiting_for_slot: self.waiting.len() as u64,
            ..self.stats.clone()
        }
    }

    /// The checkpoint passes every event whose units are all stored.
    fn advance_checkpoint(&mut self) {
        let candidate = match self.pending.first_key_value() {
            Some((oldest_open, _)) => oldest_open - 1,
            None => self.last_dispatched,
        };
        if candidate > self.checkpoint {
            self.checkpoint = candidate;
            let _ = self.writer.cast(WriterMsg::Checkpoint(candidate));
            // Parked states at or below the checkpoint are in the store now.
            self.parked.retain(|_, parked| parked.last_event_id > candidate);
        }
    }

    fn callback_for(&self, key: &str) -> &ActorRef<CallbackMsg> {
        &self.callbacks[self.callback_index(key)]
    }

    /// The callback actor of `key`: stable routing (FNV-1a), so one key's
    /// callbacks stay in order.
    fn callback_index(&self, key: &str) -> usize {
        let hash = key
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        (hash % self.callbacks.len() as u64) as usize
    }

    fn passivate_idle(&mut self) {
        let idle_timeout = self.settings.idle_timeout;
        let idle: Vec<MessageId> = self
            .live
            .iter()
            .rev()
            .take_while(|(_, live)| live.last_used.elapsed() >= idle_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for id in idle {
            if let Some(live) = self.live.pop(&id) {
                self.park(id, live);
            }
        }
    }

    fn park(&mut self, id: MessageId, live: Live) {
        // Park is queued behind everything already sent, so the state handed
        // back includes all of it; signals arriving meanwhile are held.
        if live.actor.cast(MessageMsg::Park).is_ok() {
            let parking =
                Parking { held: Vec::new(), unflushed: live.unflushed, lineage: live.lineage, resync: false };
            self.parking.insert(id, parking);
            self.stats.passivations += 1;
        }
    }

    async fn drain_children(&mut self) {
        let timeout = Some(Duration::from_secs(30));
        let actors: Vec<ActorRef<MessageMsg>> =
            self.live.iter().map(|(_, live)| live.actor.clone()).collect();
        for actor in actors {
            let _ = actor.drain_and_wait(timeout).await;
        }
        for callback in &self.callbacks {
            let _ = callback.drain_and_wait(timeout).await;
        }
        // The writer writes what it holds when drained; the checkpoint it
        // persists may trail by a batch, which a restart replays harmlessly.
        let _ = self.writer.drain_and_wait(timeout).await;
    }
}
