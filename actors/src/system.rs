//! Starting and stopping the actor tree as one unit.

use std::{sync::Arc, time::Duration};

use ractor::{Actor, ActorRef, concurrency::JoinHandle};

use crate::{
    handlers::{HandlerRegistry, HandlerStats},
    messages::{CommittedEvent, SupervisorMsg, SupervisorStats},
    store::TrackingStore,
    supervisor::{Supervisor, SupervisorArgs, SupervisorSettings},
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

/// What the tree needs to start.
pub struct ActorSystemConfig {
    /// Tuning.
    pub settings: SupervisorSettings,
    /// The tracking store.
    pub store: Arc<dyn TrackingStore>,
    /// User handlers.
    pub handlers: HandlerRegistry,
    /// The stored checkpoint (events at or below it are already applied).
    pub checkpoint: i64,
}

/// A handle on the running actor tree.
pub struct ActorSystem {
    supervisor: ActorRef<SupervisorMsg>,
    supervisor_handle: JoinHandle<()>,
    handler_stats: Arc<HandlerStats>,
}

impl ActorSystem {
    /// Spawns the supervisor, which spawns the writer and callback actors.
    /// Unnamed actors, so parallel tests never collide in ractor's registry.
    pub async fn start(config: ActorSystemConfig) -> Result<Self, ActorSystemError> {
        let handler_stats = Arc::clone(&config.handlers.stats);
        let args = SupervisorArgs {
            settings: config.settings,
            store: config.store,
            handlers: config.handlers,
            checkpoint: config.checkpoint,
        };
        let (supervisor, supervisor_handle) = Actor::spawn(None, Supervisor, args)
            .await
            .map_err(|error| ActorSystemError::Spawn(error.to_string()))?;
        Ok(Self { supervisor, supervisor_handle, handler_stats })
    }

    /// A cloneable handle for the rest of the service.
    pub fn handle(&self) -> SupervisorHandle {
        SupervisorHandle {
            supervisor: self.supervisor.clone(),
            handler_stats: Arc::clone(&self.handler_stats),
        }
    }

    /// Drains the tree: the supervisor applies everything already sent, the
    /// message and callback actors finish their mailboxes, and the writer
    /// writes its last batch. Waits at most `timeout`.
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
    handler_stats: Arc<HandlerStats>,
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

    /// Per-handler counters.
    pub fn handler_stats(&self) -> &HandlerStats {
        &self.handler_stats
    }
}
