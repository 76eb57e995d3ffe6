//! The supervisor: the single entry point for committed events.
//!
//! Parent: [`ActorSystem`](crate::ActorSystem). Children: none yet (the
//! per-message actors arrive with the actor core). Messages:
//! [`SupervisorMsg::ApplyCommitted`] is a cast, [`SupervisorMsg::GetStats`]
//! a call. On `drain` it applies everything already in its mailbox, then stops.

use ractor::{Actor, ActorProcessingErr, ActorRef};

use crate::messages::{CommittedEvent, SupervisorMsg, SupervisorStats};

/// The supervisor actor (stateless itself; its state is [`SupervisorState`]).
#[derive(Debug, Default)]
pub struct Supervisor;

/// What the supervisor owns.
#[derive(Debug, Default)]
pub struct SupervisorState {
    stats: SupervisorStats,
}

impl SupervisorState {
    /// Applies one committed event. Ids only grow, so an id at or below the
    /// last applied one is a repeat (e.g. a replay overlapping live traffic)
    /// and is counted, not applied twice.
    fn apply(&mut self, event: CommittedEvent) {
        if self.stats.last_applied_id.is_some_and(|last| event.id <= last) {
            self.stats.out_of_order_ignored += 1;
            return;
        }
        self.stats.last_applied_id = Some(event.id);
        self.stats.events_applied += 1;
        *self.stats.applied_by_type.entry(event.callback_type).or_default() += 1;
    }
}

impl Actor for Supervisor {
    type Msg = SupervisorMsg;
    type State = SupervisorState;
    type Arguments = ();

    async fn pre_start(
        &self,
        _myself: ActorRef<Self::Msg>,
        _args: (),
    ) -> Result<Self::State, ActorProcessingErr> {
        Ok(SupervisorState::default())
    }

    async fn handle(
        &self,
        _myself: ActorRef<Self::Msg>,
        message: Self::Msg,
        state: &mut Self::State,
    ) -> Result<(), ActorProcessingErr> {
        match message {
            SupervisorMsg::ApplyCommitted(events) => {
                for event in events {
                    tracing::debug!(event_id = event.id, callback_type = %event.callback_type, "Applying committed event.");
                    state.apply(event);
                }
            }
            SupervisorMsg::GetStats(reply) => {
                // The caller may have given up waiting; nothing to do then.
                let _ = reply.send(state.stats.clone());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(id: i64, callback_type: &str) -> CommittedEvent {
        CommittedEvent {
            id,
            channel: "wechat_api".into(),
            callback_type: callback_type.into(),
            dedupe_key: format!("k{id}"),
            user_id: None,
            received_at_ms: 0,
            payload_json: "{}".into(),
        }
    }

    #[test]
    fn repeated_ids_are_not_applied_twice() {
        let mut state = SupervisorState::default();
        state.apply(event(1, "message.text"));
        state.apply(event(2, "event.click"));
        state.apply(event(2, "event.click"));
        assert_eq!(state.stats.events_applied, 2);
        assert_eq!(state.stats.out_of_order_ignored, 1);
        assert_eq!(state.stats.applied_by_type["event.click"], 1);
    }
}
