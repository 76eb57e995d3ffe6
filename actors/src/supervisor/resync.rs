//! Replicas sharing one store: when a message's write is *superseded*
//! (another replica changed the message first; the store's compare-and-set
//! refused it), the actor that computed it worked from a stale state. It is
//! given a new lineage, reloads the stored state, and gets every signal not
//! yet stored again, so each observation is applied exactly once against the
//! state all replicas agree on. This is not a crash: it does not count
//! toward the actor's restarts.

use ractor::ActorRef;

use super::SupervisorState;
use crate::{message_actor::MessageMsg, messages::SupervisorMsg, model::MessageId};

impl SupervisorState {
    /// A lineage no actor had before.
    pub(super) fn next_lineage(&mut self) -> u64 {
        self.lineages += 1;
        self.lineages
    }

    /// Reloads `id` if its actor (live, parking or parked) still continues
    /// `lineage` or an older one; a newer lineage already reloaded after it.
    pub(super) async fn resync(&mut self, myself: &ActorRef<SupervisorMsg>, id: MessageId, lineage: u64) {
        let checkpoint = self.checkpoint;
        let unstored = |sent: &MessageMsg| sent.event_id().is_some_and(|event_id| event_id > checkpoint);
        let fresh = self.next_lineage();
        if let Some(live) = self.live.peek_mut(&id) {
            if live.lineage > lineage {
                return;
            }
            live.lineage = fresh;
            live.unflushed.retain(unstored);
            // In order: the reload comes before the replayed signals.
            let _ = live.actor.cast(MessageMsg::Resync(fresh));
            for message in &live.unflushed {
                let _ = live.actor.cast(message.clone());
            }
            self.stats.resyncs += 1;
            return;
        }
        if let Some(parking) = self.parking.get_mut(&id) {
            if parking.lineage <= lineage {
                parking.resync = true;
                self.stats.resyncs += 1;
            }
            return;
        }
        if self.parked.get(&id).is_some_and(|parked| parked.lineage <= lineage)
            && let Some(parked) = self.parked.remove(&id)
        {
            self.stats.resyncs += 1;
            // Dispatched afresh: with no parked state, the actor loads the stored one.
            for message in parked.unflushed.into_iter().filter(unstored) {
                self.dispatch(myself, id.clone(), message).await;
            }
        }
    }
}
