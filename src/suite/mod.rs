//! Third-party suites serving many corps: which corps have authorised each
//! suite account (learned from `create_auth` / `change_auth`, forgotten on
//! `cancel_auth`), so that data callbacks encrypted for an authorising
//! corp's CorpID are accepted and all others refused with -40005.
//!
//! Their tickets and authorised corps are kept in the tracking store
//! ([`store`], migration [`migration`]); [`SuiteDirectory`] hands out the
//! suite's and each corp's access tokens.

mod corps;
mod directory;
pub mod entity;
mod error;
pub mod migration;
pub mod store;

pub use self::{
    corps::AuthorisedCorps,
    directory::{CorpSender, SUITE_TOKEN_ERRORS, SuiteDirectory},
    error::SuiteError,
    store::SuiteStore,
};
