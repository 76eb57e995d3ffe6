//! Why a suite could not do what was asked.

use crate::outbound::client::{CallError, RETRY_LATER};

/// Errors of the suite directory and its WeCom calls.
#[derive(Debug, thiserror::Error)]
pub enum SuiteError {
    /// No suite account of that id is configured.
    #[error("account {0} is not a configured suite")]
    NotASuite(String),
    /// The suite lacks `suite_id` or `suite_secret`.
    #[error("{0}")]
    Credentials(String),
    /// The corp has not authorised the suite (or cancelled).
    #[error("corp {corp_id} has not authorised suite account {account}")]
    NotAuthorised {
        /// The suite account.
        account: String,
        /// The corp.
        corp_id: String,
    },
    /// No `suite_ticket` was received yet: WeCom pushes one every 10 minutes
    /// once the callback URL is set in the provider console.
    #[error("no suite_ticket received yet for suite account {0}")]
    NoTicket(String),
    /// WeCom answered an error.
    #[error("{api} refused: errcode {errcode} ({errmsg})")]
    Refused {
        /// `get_suite_token`, `get_permanent_code`, `get_corp_token`, `get_auth_info`.
        api: &'static str,
        /// WeCom's code.
        errcode: i64,
        /// WeCom's text.
        errmsg: String,
    },
    /// WeCom did not answer.
    #[error(transparent)]
    Call(#[from] CallError),
    /// The suite tables could not be read or written.
    #[error("suite store: {0}")]
    Store(#[from] sea_orm::DbErr),
}

impl SuiteError {
    /// Whether trying again later can help without anyone changing the
    /// configuration: WeCom unreachable or busy, the store down, no ticket yet.
    pub fn is_transient(&self) -> bool {
        match self {
            SuiteError::Call(error) => error.is_transient(),
            SuiteError::Store(_) | SuiteError::NoTicket(_) => true,
            SuiteError::Refused { errcode, .. } => RETRY_LATER.contains(errcode),
            SuiteError::NotASuite(_) | SuiteError::Credentials(_) | SuiteError::NotAuthorised { .. } => false,
        }
    }
}
