//! The actor system of pmc-webhook. It knows nothing of HTTP, XML or
//! WeCom's crypto: the service hands it events that are already verified,
//! decrypted, typed and committed to the local event log.
//!
//! # Supervision tree
//!
//! ```text
//! ActorSystem
//! └── Supervisor            receives every committed event, in commit order
//! ```
//!
//! The supervisor applies events in the order the event log committed them
//! and remembers the highest event id it applied. It is drained (not
//! killed) on shutdown, so every event it was handed is applied before the
//! process exits.

#![warn(missing_docs)]

pub mod messages;
pub mod status;
pub mod supervisor;
mod system;

pub use messages::{CommittedEvent, SupervisorMsg, SupervisorStats};
pub use system::{ActorSystem, ActorSystemError, SupervisorHandle};
