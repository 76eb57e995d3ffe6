//! What the actors need from storage. The service implements it with
//! sea-orm (embedded SQLite today); tests use an in-memory one.

use async_trait::async_trait;

use crate::{
    model::{MessageId, MessageState},
    rows::WriteBatch,
};

/// A storage failure, as text (the store logs its own details).
#[derive(Debug, Clone, thiserror::Error)]
#[error("tracking store: {0}")]
pub struct StoreError(pub String, pub Failure);

/// Whether trying again can help.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Failure {
    /// The store is down or busy: retry the same write.
    #[default]
    Transient,
    /// The store refused the data itself (a value it cannot hold): the same
    /// write fails forever, so the writer isolates the refused rows.
    Rejected,
}

impl StoreError {
    /// A failure that may pass (an outage).
    pub fn transient(message: impl Into<String>) -> Self {
        Self(message.into(), Failure::Transient)
    }

    /// The store refused the data.
    pub fn rejected(message: impl Into<String>) -> Self {
        Self(message.into(), Failure::Rejected)
    }

    /// Whether the data itself was refused.
    pub fn is_rejected(&self) -> bool {
        self.1 == Failure::Rejected
    }
}

/// The tracking store.
#[async_trait]
pub trait TrackingStore: Send + Sync + 'static {
    /// The stored state of a message, if it exists.
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError>;
    /// The message registered with this card task id, if any.
    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError>;
    /// Writes a batch atomically. History, interaction and member rows are
    /// inserted only if their (event id, seq) is new. A message's state is
    /// compare-and-set: written only if the store still holds the revision
    /// its first row in the batch derives from ([`MessageRow::base_revision`]).
    /// Returns the messages whose rows were left out because another writer
    /// (a replica) changed them first: *superseded*, to be reloaded and
    /// replayed by their actors.
    ///
    /// [`MessageRow::base_revision`]: crate::rows::MessageRow::base_revision
    async fn write(&self, batch: &WriteBatch) -> Result<Vec<MessageId>, StoreError>;
}
