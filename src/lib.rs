//! pmc-webhook: receives WeCom callbacks, verifies and decrypts them, stores
//! them durably before answering, and hands them to the actor system.
//!
//! Reading order: [`startup`] wires everything; [`api`] is the HTTP front
//! end; [`webhooks`] turns requests (WeCom's and other sources') into
//! stored events; [`wecom`] is the protocol (pure, no I/O); [`event_log`] is
//! the durable store; [`tracking`] feeds it to the actors; [`configuration`]
//! loads the settings; [`simulator`] plays WeCom for demos and load.

pub mod accounts;
pub mod api;
pub mod background;
pub mod cache;
pub mod cli;
pub mod configuration;
pub mod event_log;
pub mod events_view;
pub mod forwarding;
pub mod kf;
pub mod outbound;
pub mod raw_log;
pub mod replies;
pub mod retention;
pub mod robot;
pub mod security;
pub mod simulator;
pub mod sql_chunks;
pub mod sqlite_pool;
pub mod startup;
pub mod suite;
pub mod telemetry;
pub mod tracking;
pub mod webhooks;
pub mod wecom;
