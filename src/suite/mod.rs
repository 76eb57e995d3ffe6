//! Third-party suites serving many corps.
//!
//! A suite account (`kind: suite`) receives two kinds of callbacks on its
//! route: *instruction* callbacks encrypted for its SuiteID (`suite_ticket`
//! every 10 minutes, `create_auth` / `change_auth` / `cancel_auth` when a
//! corp authorises, changes or cancels), and *data* callbacks of the corps
//! that authorised it, encrypted for their CorpIDs. The routes accept a data
//! callback only from a corp in [`AuthorisedCorps`] and quarantine the
//! others (-40005).
//!
//! * [`keeper`] turns the stored instruction callbacks into state: the
//!   newest ticket, and each corp's permanent code (`get_permanent_code`),
//!   in the suite tables ([`store`], migration [`migration`]), and fills
//!   [`AuthorisedCorps`];
//! * [`SuiteDirectory`] hands out the suite's `suite_access_token` and each
//!   corp's access token ([`SuiteDirectory::corp_sender`]) for sending.

mod corps;
mod directory;
pub mod entity;
mod error;
pub mod keeper;
pub mod migration;
pub mod store;

pub use self::{
    corps::AuthorisedCorps,
    directory::{CorpSender, SUITE_TOKEN_ERRORS, SuiteDirectory},
    error::SuiteError,
    keeper::SuiteKeeper,
    store::SuiteStore,
};

#[cfg(test)]
mod tests;
