//! The actor system of pmc-webhook. It knows nothing of HTTP, SQL or
//! WeCom's wire format: the service hands it events that are already
//! verified, decrypted, committed to the event log and turned into
//! [`Signal`]s, and it persists through the [`TrackingStore`] trait.
//!
//! # Supervision tree
//!
//! ```text
//! ActorSystem
//! └── Supervisor                 applies committed events in commit order; keeps the checkpoint
//!     ├── MessageActor × n       one per tracked message id (≤ max_live_actors; idle ones parked)
//!     ├── CallbackActor × k      store interactions and run user handlers, routed by user/message
//!     └── Writer                 batches rows by size and delay into the TrackingStore
//! ```
//!
//! - A message actor is spawned on the first signal for its id, linked to the
//!   supervisor, and restarted on a crash with its not-yet-stored signals
//!   re-sent. Idle or least-recently-used ones are *parked*: they hand their
//!   state back and stop; it is reloaded (from the parked copy or the store)
//!   when the next signal arrives.
//! - Rows are keyed by (event id, seq) and recipient states are lattices
//!   ([`status`]), so applying an event twice changes nothing: after a crash
//!   the service replays the event log from the checkpoint.
//! - Shutdown drains: the supervisor's mailbox, every message and callback
//!   actor, then the writer's last batch.

#![warn(missing_docs)]

pub mod callbacks;
pub mod handlers;
pub mod message_actor;
pub mod messages;
pub mod model;
pub mod rows;
pub mod status;
pub mod store;
pub mod supervisor;
mod system;
pub mod writer;

pub use handlers::{HandlerError, HandlerRegistry, InteractionHandler, StatusChange, StatusHandler};
pub use messages::{CommittedEvent, SupervisorMsg, SupervisorStats};
pub use model::{
    InteractionRecord, MemberEventRecord, MessageId, MessageState, Observation, Registration, SendReceipt,
    Signal, default_account,
};
pub use status::{Outcome, Status};
pub use store::{Failure, StoreError, TrackingStore};
pub use supervisor::SupervisorSettings;
pub use system::{ActorSystem, ActorSystemConfig, ActorSystemError, SupervisorHandle};
pub use writer::WriterSettings;
