//! Starting and stopping the actor tree as one unit.

use std::time::Duration;

use ractor::{Actor, ActorRef, concurrency::JoinHandle};

use crate::{
    messages::{CommittedEvent, SupervisorMsg, SupervisorStats},
    supervisor::Supervisor,
};

/// Errors starting or talking to the actor system.
#[derive(Debug, thiserror::Error)]
pub enum ActorSystemError {
    /// The supervisor could not be spawned.
    #[error("failed to start the supervisor: {0}")]
    Spawn(String),
    /// The supervisor is not running (stopped or crashed).
    #[error("the supervisor is not running")]
    NotRunning,
    /// The supervisor did not answer in time.
    #[error("the supervisor did not answer in time")]
    Timeout,
}

/// A handle on the running actor tree.
pub struct ActorSystem {
    supervisor: ActorRef<SupervisorMsg>,
    supervisor_handle: JoinHandle<()>,
}

impl ActorSystem {
    /// Spawns the supervisor (unnamed, so parallel tests never collide in
    /// ractor's global registry).
    pub async fn start() -> Result<Self, ActorSystemError> {
        let (supervisor, supervisor_handle) = Actor::spawn(None, Supervisor, ())
            .await
            .map_err(|error| ActorSystemError::Spawn(error.to_string()))?;
        Ok(Self { supervisor, supervisor_handle })
    }

    /// Hands committed events to the supervisor without waiting (cast).
    pub fn apply_committed(&self, events: Vec<CommittedEvent>) -> Result<(), ActorSystemError> {
        self.supervisor.cast(SupervisorMsg::ApplyCommitted(events)).map_err(|_| ActorSystemError::NotRunning)
    }

    /// A sender other components can keep to hand events over.
    pub fn supervisor(&self) -> ActorRef<SupervisorMsg> {
        self.supervisor.clone()
    }

    /// A cloneable handle for the rest of the service.
    pub fn handle(&self) -> SupervisorHandle {
        SupervisorHandle { supervisor: self.supervisor.clone() }
    }

    /// Asks the supervisor for its counters.
    pub async fn stats(&self, timeout: Duration) -> Result<SupervisorStats, ActorSystemError> {
        self.handle().stats(timeout).await
    }

    /// Drains the tree: every message already sent is processed, then the
    /// actors stop. Waits at most `timeout`.
    pub async fn shutdown(self, timeout: Duration) -> Result<(), ActorSystemError> {
        self.supervisor.drain_and_wait(Some(timeout)).await.map_err(|_| ActorSystemError::Timeout)?;
        let _ = self.supervisor_handle.await;
        Ok(())
    }
}

/// A cloneable way to reach the supervisor.
#[derive(Debug, Clone)]
pub struct SupervisorHandle {
    supervisor: ActorRef<SupervisorMsg>,
}

impl SupervisorHandle {
    /// Hands committed events to the supervisor without waiting (cast).
    pub fn apply_committed(&self, events: Vec<CommittedEvent>) -> Result<(), ActorSystemError> {
        self.supervisor.cast(SupervisorMsg::ApplyCommitted(events)).map_err(|_| ActorSystemError::NotRunning)
    }

    /// Asks the supervisor for its counters.
    pub async fn stats(&self, timeout: Duration) -> Result<SupervisorStats, ActorSystemError> {
        match self.supervisor.call(SupervisorMsg::GetStats, Some(timeout)).await {
            Ok(ractor::rpc::CallResult::Success(stats)) => Ok(stats),
            Ok(ractor::rpc::CallResult::Timeout) => Err(ActorSystemError::Timeout),
            Ok(ractor::rpc::CallResult::SenderError) | Err(_) => Err(ActorSystemError::NotRunning),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn events_cast_before_shutdown_are_all_applied() {
        let system = ActorSystem::start().await.unwrap();
        let supervisor = system.supervisor();
        for id in 1..=100 {
            system
                .apply_committed(vec![CommittedEvent {
                    id,
                    channel: "wechat_api".into(),
                    callback_type: "message.text".into(),
                    dedupe_key: format!("msgid:{id}"),
                    user_id: Some("u".into()),
                    received_at_ms: 0,
                    payload_json: "{}".into(),
                }])
                .unwrap();
        }
        let stats = system.stats(Duration::from_secs(5)).await.unwrap();
        assert_eq!(stats.events_applied, 100);
        assert_eq!(stats.last_applied_id, Some(100));
        system.shutdown(Duration::from_secs(5)).await.unwrap();
        assert!(supervisor.cast(SupervisorMsg::ApplyCommitted(vec![])).is_err());
    }
}
