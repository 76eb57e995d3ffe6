//! How the supervisor routes each signal, and the life of message actors:
//! spawn on first use, park (passivate) and unpark, restart after a crash.

use std::{collections::HashSet, time::Instant};

use ractor::{Actor, ActorRef};

use super::{Live, Parked, SupervisorState};
use crate::{
    callbacks::CallbackMsg,
    message_actor::{MessageActor, MessageArgs, MessageMsg},
    messages::{CommittedEvent, SupervisorMsg},
    model::{InteractionRecord, MessageId, Observation, Signal},
    rows::{InteractionRow, MemberEventRow},
    status::Status,
    writer::WriterMsg,
};

/// The unit of the `read` a card click implies, beside the click itself.
const IMPLIED_READ: u32 = 0x8000;
/// A crashing message actor is restarted this many times, then its pending
/// signals are dropped (logged) so the rest of the pipeline goes on.
const MAX_RESTARTS: u32 = 3;

impl SupervisorState {
    pub(super) async fn apply_event(&mut self, myself: &ActorRef<SupervisorMsg>, event: CommittedEvent) {
        if event.id <= self.last_dispatched {
            self.stats.repeats_ignored += 1;
            return;
        }
        self.last_dispatched = event.id;
        self.stats.events_applied += 1;
        self.stats.last_applied_id = Some(event.id);
        *self.stats.applied_by_type.entry(event.callback_type.clone()).or_default() += 1;
        let mut units = HashSet::new();
        for (index, signal) in event.signals.into_iter().enumerate().take(IMPLIED_READ as usize - 1) {
            let seq = index as u32;
            let unit = (event.id, seq);
            units.insert(seq);
            match signal {
                Signal::Register(registration) => {
                    if let Some(task_id) = &registration.task_id {
                        self.task_cache.put(task_id.clone(), registration.message_id.clone());
                    }
                    let id = registration.message_id.clone();
                    self.dispatch(myself, id, MessageMsg::Register(unit, registration)).await;
                }
                Signal::Observe(observation) => {
                    let id = observation.message_id.clone();
                    self.dispatch(myself, id, MessageMsg::Observe(unit, observation)).await;
                }
                Signal::CardInteraction { mut interaction, task_id } => {
                    interaction.message_id = self.message_for_task(&task_id).await;
                    if let Some(message_id) = interaction.message_id.clone() {
                        // A click on the card is the strongest proof it was seen.
                        let read = Observation {
                            message_id: message_id.clone(),
                            recipient: Some(interaction.user_id.clone()),
                            status: Status::Read,
                            source: "wecom_card".to_owned(),
                            occurred_at_ms: interaction.occurred_at_ms,
                            received_at_ms: interaction.received_at_ms,
                            detail: Some(format!("{} on card {task_id}", interaction.kind)),
                        };
                        units.insert(seq | IMPLIED_READ);
                        self.dispatch(
                            myself,
                            message_id,
                            MessageMsg::Observe((event.id, seq | IMPLIED_READ), read),
                        )
                        .await;
                    }
                    self.stage_interaction(event.id, seq, interaction);
                }
                Signal::Interaction(interaction) => self.stage_interaction(event.id, seq, interaction),
                Signal::Receipt(receipt) => {
                    let id = receipt.message_id.clone();
                    self.dispatch(myself, id, MessageMsg::Receipt(unit, receipt)).await;
                }
                Signal::Member(record) => {
                    self.staged.members.member_events.push(MemberEventRow {
                        event_id: event.id,
                        seq,
                        record,
                    });
                    self.staged.member_units.push(unit);
                }
            }
        }
        if !units.is_empty() {
            self.pending.insert(event.id, units);
        }
    }

    /// Stages an interaction for its user's callback actor; sent with the
    /// rest of the page by [`Self::send_staged`].
    fn stage_interaction(&mut self, event_id: i64, seq: u32, record: InteractionRecord) {
        let actor = self.callback_index(&record.user_id);
        if self.staged.interactions.len() < self.callbacks.len() {
            self.staged.interactions.resize_with(self.callbacks.len(), Vec::new);
        }
        self.staged.interactions[actor].push((InteractionRow { event_id, seq, record }, (event_id, seq)));
    }

    /// Sends what the events of one `ApplyCommitted` staged: one message per
    /// callback actor and one for the writer, instead of one per row (each
    /// message may wake another thread).
    pub(super) fn send_staged(&mut self) {
        for (actor, rows) in self.staged.interactions.iter_mut().enumerate() {
            if !rows.is_empty() {
                let _ = self.callbacks[actor].cast(CallbackMsg::Interactions(std::mem::take(rows)));
            }
        }
        if !self.staged.member_units.is_empty() {
            let batch = std::mem::take(&mut self.staged.members);
            let units = std::mem::take(&mut self.staged.member_units);
            let _ = self.writer.cast(WriterMsg::Rows(batch, units));
        }
    }

    async fn message_for_task(&mut self, task_id: &str) -> Option<MessageId> {
        if let Some(id) = self.task_cache.get(task_id) {
            return Some(id.clone());
        }
        // While the store is down, wait for it rather than store the click
        // unlinked: the writer cannot store anything meanwhile either.
        let mut delay = std::time::Duration::from_millis(100);
        loop {
            match self.store.message_for_task(task_id).await {
                Ok(found) => {
                    if let Some(id) = &found {
                        self.task_cache.put(task_id.to_owned(), id.clone());
                    }
                    return found;
                }
                Err(error) => {
                    tracing::warn!(error = %error, task_id, "Looking up a card's message failed; retrying.");
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(std::time::Duration::from_secs(5));
                }
            }
        }
    }

    pub(super) async fn dispatch(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        id: MessageId,
        message: MessageMsg,
    ) {
        if let Some(parking) = self.parking.get_mut(&id) {
            parking.held.push(message);
            return;
        }
        if let Some(queued) = self.waiting_signals.get_mut(&id) {
            queued.push(message);
            return;
        }
        let checkpoint = self.checkpoint;
        if let Some(live) = self.live.get_mut(&id) {
            live.last_used = Instant::now();
            live.unflushed.retain(|sent| sent.event_id().is_some_and(|event_id| event_id > checkpoint));
            live.unflushed.push(message.clone());
            // A failed cast means the actor is dying; its supervision event re-sends `unflushed`.
            let _ = live.actor.cast(message);
            return;
        }
        if !self.has_free_slot() {
            // Make room (parked actors free their slot when they reach `Park`) and wait for it.
            self.park_least_recently_used();
            self.waiting.push_back(id.clone());
            self.waiting_signals.insert(id, vec![message]);
            return;
        }
        let resume = self.parked.remove(&id);
        self.spawn(myself, id, resume, vec![message], 0).await;
    }

    /// Live and parking actors both count: a parking actor is alive until
    /// it reaches `Park` in its mailbox.
    fn has_free_slot(&self) -> bool {
        self.live.len() + self.parking.len() + self.stopping < self.settings.max_live_actors.max(1)
    }

    fn park_least_recently_used(&mut self) {
        // Keep a few parks in flight so slots keep freeing up under load.
        let in_flight = self.parking.len();
        let wanted = (self.settings.max_live_actors / 64).max(1);
        for _ in in_flight..wanted {
            match self.live.pop_lru() {
                Some((oldest, live)) => self.park(oldest, live),
                None => break,
            }
        }
    }

    /// Spawns waiting ids while there are free slots.
    pub(super) async fn admit_waiting(&mut self, myself: &ActorRef<SupervisorMsg>) {
        while self.has_free_slot() {
            let Some(id) = self.waiting.pop_front() else { break };
            let messages = self.waiting_signals.remove(&id).unwrap_or_default();
            let resume = self.parked.remove(&id);
            self.spawn(myself, id, resume, messages, 0).await;
        }
        if !self.waiting.is_empty() {
            // Still full: keep parking so the queue keeps moving.
            self.park_least_recently_used();
        }
    }

    /// Starts an actor for `id`, resuming a parked state or (`None`) loading
    /// the stored one under a new lineage, and sends it `messages`.
    pub(super) async fn spawn(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        id: MessageId,
        resume: Option<Parked>,
        messages: Vec<MessageMsg>,
        restarts: u32,
    ) {
        let (initial, lineage, mut unflushed) = match resume {
            Some(parked) => (Some((parked.state, parked.last_event_id)), parked.lineage, parked.unflushed),
            None => (None, self.next_lineage(), Vec::new()),
        };
        let args = MessageArgs {
            id: id.clone(),
            initial,
            lineage,
            store: self.store.clone(),
            writer: self.writer.clone(),
            supervisor: myself.clone(),
            status_callbacks: self
                .handlers
                .has_status_handlers()
                .then(|| self.callback_for(id.as_str()).clone()),
        };
        match Actor::spawn_linked(None, MessageActor, args, myself.get_cell()).await {
            Ok((actor, _)) => {
                self.stats.activations += 1;
                self.actor_ids.insert(actor.get_id(), id.clone());
                for message in &messages {
                    let _ = actor.cast(message.clone());
                }
                unflushed.extend(messages);
                self.live.put(id, Live { actor, last_used: Instant::now(), unflushed, restarts, lineage });
                let alive = (self.live.len() + self.parking.len() + self.stopping) as u64;
                self.stats.peak_message_actors = self.stats.peak_message_actors.max(alive);
            }
            Err(error) => {
                // Its units stay pending: the checkpoint holds and a restart replays them.
                tracing::error!(message_id = %id, error = %error, "A message actor could not start.");
            }
        }
    }

    pub(super) async fn unpark(
        &mut self,
        myself: &ActorRef<SupervisorMsg>,
        id: MessageId,
        mut parked: Parked,
    ) {
        let parking = self.parking.remove(&id).unwrap_or_default();
        // The actor stops after handing its state back; its slot frees on
        // termination, unless that was already reported.
        if !self.terminated_before_parked.remove(&id) {
            self.stopping += 1;
        }
        let checkpoint = self.checkpoint;
        parked.unflushed = parking.unflushed;
        parked.unflushed.retain(|sent| sent.event_id().is_some_and(|event_id| event_id > checkpoint));
        if parking.resync {
            // Its state is stale: reload and replay everything not stored.
            let mut messages = parked.unflushed;
            messages.extend(parking.held);
            if !messages.is_empty() {
                self.spawn(myself, id, None, messages, 0).await;
            }
        } else if !parking.held.is_empty() {
            // It got signals while parking: it takes its own slot back at once.
            self.spawn(myself, id, Some(parked), parking.held, 0).await;
        } else if parked.last_event_id > self.checkpoint {
            // Not all of it is stored yet: keep it, or a reload could miss it.
            self.parked.insert(id, parked);
        }
        self.admit_waiting(myself).await;
    }

    pub(super) async fn restart(&mut self, myself: &ActorRef<SupervisorMsg>, id: MessageId) {
        self.stats.restarts += 1;
        let (mut messages, restarts) = match self.live.pop(&id) {
            Some(live) => (live.unflushed, live.restarts + 1),
            None => (Vec::new(), 1),
        };
        messages.extend(self.parking.remove(&id).unwrap_or_default().held);
        let checkpoint = self.checkpoint;
        messages.retain(|sent| sent.event_id().is_some_and(|event_id| event_id > checkpoint));
        if restarts > MAX_RESTARTS {
            tracing::error!(message_id = %id, signals = messages.len(), "A message actor keeps crashing; its pending signals are dropped.");
            for message in messages {
                if let MessageMsg::Register((event_id, seq), _)
                | MessageMsg::Observe((event_id, seq), _)
                | MessageMsg::Receipt((event_id, seq), _) = message
                    && let Some(open) = self.pending.get_mut(&event_id)
                {
                    open.remove(&seq);
                    if open.is_empty() {
                        self.pending.remove(&event_id);
                    }
                }
            }
            self.advance_checkpoint();
            return;
        }
        // The new actor reloads the stored state; re-applying what was
        // already stored converges to the same state and the same rows.
        self.spawn(myself, id, None, messages, restarts).await;
        self.admit_waiting(myself).await;
    }
}
