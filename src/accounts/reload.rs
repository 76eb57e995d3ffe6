//! Picking up a changed `accounts:` on SIGHUP: the configuration is loaded
//! again the way it was at start, validated whole, and only if it is valid
//! are the new routes and senders swapped in. Requests in flight finish on
//! the routes they started with (each holds its own `Arc`); a removed
//! account stops being served, its stored data stays queryable. Only the
//! accounts (and the seed's channels that define the default ones) are
//! reloaded; other settings need a restart.

use std::sync::Arc;

use super::{AccountRoutes, Accounts};
use crate::{
    api::state::AppState,
    configuration::{ConfigError, Settings},
};

/// Loads the settings again (as at start: file, `.env`, environment, flags).
pub type SettingsSource = Arc<dyn Fn() -> Result<Settings, ConfigError> + Send + Sync>;

/// What a reload changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reloaded {
    /// Accounts served now.
    pub accounts: usize,
    /// Ids that appeared.
    pub added: Vec<String>,
    /// Ids that are gone.
    pub removed: Vec<String>,
}

/// Swaps in the accounts of `settings`; on an invalid configuration nothing
/// changes and the error says why.
pub fn apply(state: &AppState, settings: &Settings) -> Result<Reloaded, ConfigError> {
    let accounts = Arc::new(Accounts::from_settings(settings)?);
    let before = state.routes();
    let ids = |accounts: &Accounts| -> Vec<String> {
        accounts.iter().map(|account| format!("{}:{}", account.kind.as_str(), account.id)).collect()
    };
    let (old, new) = (ids(&before.accounts), ids(&accounts));
    let reloaded = Reloaded {
        accounts: accounts.len(),
        added: new.iter().filter(|id| !old.contains(id)).cloned().collect(),
        removed: old.iter().filter(|id| !new.contains(id)).cloned().collect(),
    };
    state.outbound.reload(&accounts);
    state.suites.set_accounts(Arc::clone(&accounts));
    state.accounts.store(Arc::new(AccountRoutes::new(
        accounts,
        &state.suite_corps,
        settings.security.timestamp_window_secs,
        &state.conversations,
        &state.replier,
    )));
    Ok(reloaded)
}

/// Reloads on every SIGHUP until the process ends.
pub fn watch_sighup(state: Arc<AppState>, source: SettingsSource) {
    let Ok(mut hangups) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else {
        tracing::warn!("SIGHUP cannot be watched: accounts are only read at start.");
        return;
    };
    tokio::spawn(async move {
        while hangups.recv().await.is_some() {
            match source().and_then(|settings| apply(&state, &settings)) {
                Ok(reloaded) => tracing::info!(
                    accounts = reloaded.accounts,
                    added = ?reloaded.added,
                    removed = ?reloaded.removed,
                    "SIGHUP: accounts reloaded."
                ),
                Err(error) => tracing::error!(
                    error = %error,
                    "SIGHUP: the configuration is invalid; the accounts stay as they were."
                ),
            }
        }
    });
}
