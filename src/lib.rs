//! pmc-webhook: receives WeCom callbacks, verifies and decrypts them, stores
//! them durably before answering, and hands them to the actor system.

pub mod wecom;
