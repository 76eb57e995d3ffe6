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
pub struct StoreError(pub String);

/// The tracking store.
#[async_trait]
pub trait TrackingStore: Send + Sync + 'static {
    /// The stored state of a message, if it exists.
    async fn load_message(&self, id: &MessageId) -> Result<Option<MessageState>, StoreError>;
    /// The message registered with this card task id, if any.
    async fn message_for_task(&self, task_id: &str) -> Result<Option<MessageId>, StoreError>;
    /// Writes a batch atomically. History, interaction and member rows are
    /// inserted only if their (event id, seq) is new; states are upserted.
    async fn write(&self, batch: &WriteBatch) -> Result<(), StoreError>;
}
