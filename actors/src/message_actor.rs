//! One actor per tracked message: owns its [`MessageState`], applies
//! registrations and observations in the order the supervisor sends them
//! (commit order), and hands the resulting rows to the writer.
//!
//! Parent: the supervisor (linked; a crash is restarted there with the
//! unflushed work re-sent). All messages are casts. On `Park` it returns its
//! state to the supervisor and stops: passivation never loses state.

use std::sync::Arc;

use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::{
    callbacks::CallbackMsg,
    handlers::StatusChange,
    messages::SupervisorMsg,
    model::{MessageId, MessageState, Observation, Registration, SendReceipt, WHOLE_MESSAGE},
    rows::{HistoryRow, MessageRow, RecipientRow, UnitId, WriteBatch},
    status::{Outcome, Status},
    store::TrackingStore,
    writer::WriterMsg,
};

/// Messages to a message actor.
#[derive(Debug, Clone)]
pub enum MessageMsg {
    /// Apply a registration.
    Register(UnitId, Registration),
    /// Apply an observation.
    Observe(UnitId, Observation),
    /// Keep what WeCom answered to the send.
    Receipt(UnitId, SendReceipt),
    /// Hand the state back to the supervisor and stop.
    Park,
    /// A write of this message was superseded (another replica changed it):
    /// reload it from the store before the next signal and stamp rows with
    /// this new lineage. The supervisor re-sends the unstored signals next.
    Resync(u64),
}

impl MessageMsg {
    /// The event the message came from (`None` for `Park`).
    pub fn event_id(&self) -> Option<i64> {
        match self {
            MessageMsg::Register((event_id, _), _)
            | MessageMsg::Observe((event_id, _), _)
            | MessageMsg::Receipt((event_id, _), _) => Some(*event_id),
            MessageMsg::Park | MessageMsg::Resync(_) => None,
        }
    }
}

/// The message actor.
pub struct MessageActor;

/// Starting arguments.
pub struct MessageArgs {
    /// The message.
    pub id: MessageId,
    /// State handed back by an earlier passivation, if any (else loaded from the store).
    pub initial: Option<(MessageState, i64)>,
    /// Which load of the state this actor continues: stamped on its rows.
    pub lineage: u64,
    /// The store to load from.
    pub store: Arc<dyn TrackingStore>,
    /// Where rows go.
    pub writer: ActorRef<WriterMsg>,
    /// Who gets the state back when parked.
    pub supervisor: ActorRef<SupervisorMsg>,
    /// Where status changes go, when status handlers exist.
    pub status_callbacks: Option<ActorRef<CallbackMsg>>,
}

/// What a message actor owns.
pub struct MessageActorState {
    id: MessageId,
    /// Loaded from the store on the first signal, not in `pre_start`, so the
    /// supervisor never waits on storage while spawning.
    loaded: bool,
    store: Arc<dyn TrackingStore>,
    state: MessageState,
    last_event_id: i64,
    lineage: u64,
    writer: ActorRef<WriterMsg>,
    supervisor: ActorRef<SupervisorMsg>,
    status_callbacks: Option<ActorRef<CallbackMsg>>,
}

/// Rows and handler notifications produced by applying one signal.
struct Applied {
    batch: WriteBatch,
    changes: Vec<StatusChange>,
}

impl MessageActorState {
    fn register(&mut self, (event_id, signal): UnitId, registration: Registration) -> Applied {
        let state = &mut self.state;
        if state.registered {
            // A second registration of the same id changes nothing.
            return Applied { batch: WriteBatch::default(), changes: Vec::new() };
        }
        state.registered = true;
        state.channel = Some(registration.channel.clone());
        state.account = Some(registration.account.clone());
        state.wecom_msgid = registration.wecom_msgid.clone().or(state.wecom_msgid.take());
        state.task_id = registration.task_id.clone().or(state.task_id.take());
        let recipients = if registration.recipients.is_empty() {
            vec![WHOLE_MESSAGE.to_owned()]
        } else {
            registration.recipients.clone()
        };
        let observation = Observation {
            message_id: registration.message_id.clone(),
            recipient: None,
            status: registration.initial_status,
            source: "register".to_owned(),
            occurred_at_ms: Some(registration.registered_at_ms),
            received_at_ms: registration.registered_at_ms,
            detail: None,
        };
        self.apply_to((event_id, signal), &recipients, &observation)
    }

    fn receipt(&mut self, (event_id, _): UnitId, receipt: SendReceipt) -> Applied {
        let state = &mut self.state;
        state.wecom_msgid = receipt.wecom_msgid.or(state.wecom_msgid.take());
        state.response_code = receipt.response_code.or(state.response_code.take());
        state.version += 1;
        let base_revision = std::mem::replace(&mut state.revision, new_revision());
        self.last_event_id = self.last_event_id.max(event_id);
        let batch = WriteBatch {
            messages: vec![MessageRow {
                message_id: self.id.clone(),
                state: self.state.clone(),
                last_event_id: self.last_event_id,
                base_revision,
                lineage: self.lineage,
            }],
            ..WriteBatch::default()
        };
        Applied { batch, changes: Vec::new() }
    }

    fn observe(&mut self, unit: UnitId, observation: Observation) -> Applied {
        let targets: Vec<String> = match &observation.recipient {
            Some(recipient) => vec![recipient.clone()],
            None if self.state.recipients.keys().any(|r| r != WHOLE_MESSAGE) => {
                self.state.recipients.keys().filter(|r| r.as_str() != WHOLE_MESSAGE).cloned().collect()
            }
            None => vec![WHOLE_MESSAGE.to_owned()],
        };
        if self.state.channel.is_none() {
            // The first observation of an unknown id creates the message.
            self.state.channel = Some("external".to_owned());
        }
        self.apply_to(unit, &targets, &observation)
    }

    fn apply_to(
        &mut self,
        (event_id, signal): UnitId,
        recipients: &[String],
        observation: &Observation,
    ) -> Applied {
        let now = observation.received_at_ms;
        let state = &mut self.state;
        if state.created_at_ms == 0 {
            state.created_at_ms = now;
        }
        state.updated_at_ms = now;
        state.version += 1;
        let version = state.version;
        let base_revision = std::mem::replace(&mut state.revision, new_revision());
        self.last_event_id = self.last_event_id.max(event_id);
        let mut batch = WriteBatch::default();
        let mut changes = Vec::new();
        let mut row = 0u32;
        let mut history = |recipient: &str, status: Status, outcome: Outcome, from: Option<Status>| {
            batch.history.push(HistoryRow {
                event_id,
                seq: (signal << 16) | row,
                message_id: self.id.clone(),
                recipient: recipient.to_owned(),
                status,
                outcome,
                from_status: from,
                source: observation.source.clone(),
                occurred_at_ms: observation.occurred_at_ms,
                received_at_ms: observation.received_at_ms,
                detail: observation.detail.clone(),
                version,
            });
            row = row.saturating_add(1);
            if matches!(outcome, Outcome::Applied | Outcome::Implied) {
                changes.push(StatusChange {
                    message_id: self.id.clone(),
                    recipient: recipient.to_owned(),
                    from,
                    status,
                    outcome,
                    source: observation.source.clone(),
                    occurred_at_ms: observation.occurred_at_ms,
                    event_id,
                });
            }
        };
        let mut recipient_rows = Vec::new();
        for recipient in recipients {
            let recipient_state = state.recipients.entry(recipient.clone()).or_default();
            let transition = recipient_state.apply(observation.status);
            let mut from = transition.from;
            for implied in &transition.implied {
                history(recipient, *implied, Outcome::Implied, from);
                from = from.max(Some(*implied));
            }
            history(recipient, observation.status, transition.outcome, transition.from);
            recipient_rows.push(RecipientRow {
                message_id: self.id.clone(),
                recipient: recipient.clone(),
                status: transition.to,
                seen: recipient_state.seen(),
                updated_at_ms: now,
            });
        }
        batch.recipients = recipient_rows;
        batch.messages.push(MessageRow {
            message_id: self.id.clone(),
            state: self.state.clone(),
            last_event_id: self.last_event_id,
            base_revision,
            lineage: self.lineage,
        });
        Applied { batch, changes }
    }

    fn emit(&self, unit: UnitId, applied: Applied) -> Result<(), ActorProcessingErr> {
        self.writer.cast(WriterMsg::Rows(applied.batch, vec![unit]))?;
        if let Some(callbacks) = &self.status_callbacks {
            for change in applied.changes {
                callbacks.cast(CallbackMsg::Status(change))?;
            }
        }
        Ok(())
    }
}

impl Actor for MessageActor {
    type Msg = MessageMsg;
    type State = MessageActorState;
    type Arguments = MessageArgs;

    async fn pre_start(
        &self,
        _myself: ActorRef<MessageMsg>,
        args: MessageArgs,
    ) -> Result<MessageActorState, ActorProcessingErr> {
        let (loaded, (state, last_event_id)) = match args.initial {
            Some(initial) => (true, initial),
            None => (false, (MessageState::default(), 0)),
        };
        Ok(MessageActorState {
            id: args.id,
            loaded,
            store: args.store,
            state,
            last_event_id,
            lineage: args.lineage,
            writer: args.writer,
            supervisor: args.supervisor,
            status_callbacks: args.status_callbacks,
        })
    }

    async fn handle(
        &self,
        myself: ActorRef<MessageMsg>,
        message: MessageMsg,
        state: &mut MessageActorState,
    ) -> Result<(), ActorProcessingErr> {
        if !state.loaded && !matches!(message, MessageMsg::Resync(_)) {
            state.state = load_until_stored(state.store.as_ref(), &state.id).await.unwrap_or_default();
            state.loaded = true;
        }
        match message {
            MessageMsg::Register(unit, registration) => {
                let applied = state.register(unit, registration);
                state.emit(unit, applied)?;
            }
            MessageMsg::Observe(unit, observation) => {
                let applied = state.observe(unit, observation);
                state.emit(unit, applied)?;
            }
            MessageMsg::Receipt(unit, receipt) => {
                let applied = state.receipt(unit, receipt);
                state.emit(unit, applied)?;
            }
            MessageMsg::Park => {
                state.supervisor.cast(SupervisorMsg::Parked {
                    id: state.id.clone(),
                    state: Box::new(std::mem::take(&mut state.state)),
                    last_event_id: state.last_event_id,
                    lineage: state.lineage,
                })?;
                myself.stop(None);
            }
            MessageMsg::Resync(lineage) => {
                state.lineage = lineage;
                state.loaded = false;
            }
        }
        Ok(())
    }
}

/// Loads a message's state, retrying with backoff while the store is down:
/// an outage is not a poison message, so it must not use up the actor's
/// restarts (after which its signals would be given up). The writer waits
/// for the store the same way, so nothing moves on without it.
async fn load_until_stored(store: &dyn TrackingStore, id: &MessageId) -> Option<MessageState> {
    let mut delay = std::time::Duration::from_millis(100);
    let mut attempt = 1u32;
    loop {
        match store.load_message(id).await {
            Ok(state) => return state,
            Err(error) => {
                tracing::warn!(message_id = %id, attempt, error = %error, "Loading a message failed; retrying.");
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(std::time::Duration::from_secs(5));
                attempt += 1;
            }
        }
    }
}

/// A fresh revision token: random, so that two replicas (or two lineages of
/// one message) never produce the same one; never 0 ("never stored").
fn new_revision() -> i64 {
    loop {
        let revision = rand::random::<i64>();
        if revision != 0 {
            return revision;
        }
    }
}
