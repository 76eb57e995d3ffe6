//! The corps authorised for each suite account, in memory: read on every
//! suite callback (no I/O on the ack path), written by whoever learns of an
//! authorisation (loaded from the tracking store at start and refreshed).

use std::{
    collections::{BTreeMap, BTreeSet},
    sync::{Arc, RwLock},
};

/// Account id → authorised corp ids (opaque, case-sensitive).
#[derive(Debug, Clone, Default)]
pub struct AuthorisedCorps {
    corps: Arc<RwLock<BTreeMap<String, BTreeSet<String>>>>,
}

impl AuthorisedCorps {
    /// Whether `corp_id` has authorised suite `account`.
    pub fn contains(&self, account: &str, corp_id: &str) -> bool {
        self.corps.read().expect("corps lock").get(account).is_some_and(|corps| corps.contains(corp_id))
    }

    /// Records an authorisation.
    pub fn insert(&self, account: &str, corp_id: &str) {
        self.corps
            .write()
            .expect("corps lock")
            .entry(account.to_owned())
            .or_default()
            .insert(corp_id.to_owned());
    }

    /// Forgets an authorisation (`cancel_auth`).
    pub fn remove(&self, account: &str, corp_id: &str) {
        if let Some(corps) = self.corps.write().expect("corps lock").get_mut(account) {
            corps.remove(corp_id);
        }
    }

    /// Replaces everything known (a reload from the store).
    pub fn replace_all(&self, corps: BTreeMap<String, BTreeSet<String>>) {
        *self.corps.write().expect("corps lock") = corps;
    }

    /// The corps of one account, sorted.
    pub fn of(&self, account: &str) -> Vec<String> {
        self.corps
            .read()
            .expect("corps lock")
            .get(account)
            .map(|corps| corps.iter().cloned().collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corp_ids_are_case_sensitive_and_per_account() {
        let corps = AuthorisedCorps::default();
        corps.insert("isv", "wwAbC");
        assert!(corps.contains("isv", "wwAbC"));
        assert!(!corps.contains("isv", "wwabc"));
        assert!(!corps.contains("other", "wwAbC"));
        corps.remove("isv", "wwAbC");
        assert!(!corps.contains("isv", "wwAbC"));
    }
}
