//! Limiting a subscription to some accounts: `accounts: [hr, ops-bot]` in
//! the configuration or the API, stored in `subscriptions.accounts` as a
//! JSON list (NULL: every account).

use super::entity::subscription;
use crate::accounts::AccountId;

/// Checks a subscription's account ids and returns them sorted and without
/// duplicates. Ids of accounts not configured (yet) are allowed — an account
/// may be added later, and its events should then reach the subscriber —
/// but an id that could never name an account is an error that says which.
pub fn checked(ids: &[String]) -> Result<Vec<String>, String> {
    let mut checked = Vec::with_capacity(ids.len());
    for id in ids {
        AccountId::parse(id).map_err(|reason| format!("accounts: {id:?}: {reason}"))?;
        checked.push(id.clone());
    }
    checked.sort();
    checked.dedup();
    Ok(checked)
}

/// The column's value: `None` (every account) for an empty list.
pub fn encode(ids: &[String]) -> Option<String> {
    (!ids.is_empty()).then(|| serde_json::to_string(ids).expect("a list of strings serialises"))
}

/// Which accounts' events a subscription receives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountFilter {
    /// Every account's (no `accounts`, or an empty list).
    Every,
    /// Only these accounts'.
    Only(Vec<String>),
}

impl AccountFilter {
    /// The filter of a stored subscription.
    pub fn of(row: &subscription::Model) -> Self {
        let Some(text) = row.accounts.as_deref() else { return Self::Every };
        match serde_json::from_str::<Vec<String>>(text) {
            Ok(ids) if ids.is_empty() => Self::Every,
            Ok(ids) => Self::Only(ids),
            Err(error) => {
                tracing::warn!(subscription = %row.id, error = %error, "Unreadable accounts of a subscription.");
                // A corrupt filter must not widen into every account's events.
                Self::Only(Vec::new())
            }
        }
    }

    /// Whether an event of `account` passes. An event whose account is not
    /// known (a status change of a message no longer stored) only reaches
    /// subscriptions to every account.
    pub fn admits(&self, account: Option<&str>) -> bool {
        match self {
            Self::Every => true,
            Self::Only(ids) => account.is_some_and(|account| ids.iter().any(|id| id == account)),
        }
    }

    /// The ids, for an answer body: `None` for every account.
    pub fn ids(self) -> Option<Vec<String>> {
        match self {
            Self::Every => None,
            Self::Only(ids) => Some(ids),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(accounts: Option<&str>) -> subscription::Model {
        subscription::Model {
            id: "sub".into(),
            url: "http://example.com/".into(),
            kinds: "callback".into(),
            accounts: accounts.map(str::to_owned),
            secret: String::new(),
            previous_secret: None,
            previous_secret_expires_at_ms: None,
            source: "api".into(),
            created_at_ms: 0,
        }
    }

    #[test]
    fn ids_are_checked_sorted_and_deduplicated() {
        let ids = ["ops-bot", "hr", "hr", "not_yet_configured"].map(String::from);
        assert_eq!(checked(&ids).unwrap(), ["hr", "not_yet_configured", "ops-bot"]);
        for bad in ["HR", "", "a b", "verify", &"x".repeat(41)] {
            let error = checked(&[bad.to_owned()]).unwrap_err();
            assert!(error.starts_with("accounts: "), "{error}");
        }
    }

    #[test]
    fn an_empty_list_is_every_account() {
        assert_eq!(encode(&[]), None);
        let every = AccountFilter::of(&row(None));
        assert!(every.admits(Some("hr")) && every.admits(None));
        let hr = AccountFilter::of(&row(encode(&["hr".to_owned()]).as_deref()));
        assert!(hr.admits(Some("hr")));
        assert!(!hr.admits(Some("default")) && !hr.admits(None));
        assert_eq!(AccountFilter::of(&row(Some("[]"))), AccountFilter::Every);
        let corrupt = AccountFilter::of(&row(Some("not json")));
        assert!(!corrupt.admits(Some("hr")) && !corrupt.admits(Some("")));
    }
}
