//! Dedupe across replicas. Each replica deduplicates in its own event log,
//! but WeCom retries a callback blindly, and behind a load balancer the
//! retry may land on another replica: two event logs then hold the same
//! callback. Before applying a page of events, a replica *claims* their
//! dedupe keys in the shared database (`dedupe_claims`, unique by key): the
//! first claim wins, and every other replica skips its copy. A claim is
//! idempotent (re-claiming one's own key after a crash finds it one's own),
//! so replays stay exact. Redis, when configured, caches decided claims.

use std::collections::{HashMap, HashSet};

use pmc_actors::StoreError;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::OnConflict};
use sha1::{Digest, Sha1};

use super::{SqlTrackingStore, write_error};
use crate::{cache::StatusCache, tracking::entity::dedupe_claim};

/// What claiming a page decided.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Claimed {
    /// Events another replica applies: skip them here.
    pub duplicates: HashSet<i64>,
    /// How many claims were answered by the Redis cache.
    pub from_cache: usize,
}

/// Where decided claims may be cached (Redis).
pub type ClaimCache = StatusCache;

fn key_hash(dedupe_key: &str) -> String {
    hex::encode(Sha1::digest(dedupe_key.as_bytes()))
}

impl SqlTrackingStore {
    fn owner(&self, event_id: i64) -> String {
        format!("{}:{event_id}", self.origin)
    }

    /// Claims the dedupe keys of `events` (event id, dedupe key) for this
    /// replica and returns the events other replicas claimed first.
    pub async fn claim(&self, events: &[(i64, &str)], cache: &ClaimCache) -> Result<Claimed, StoreError> {
        let mut claimed = Claimed::default();
        // Hash → the first of our events with that key.
        let mut wanted: HashMap<String, i64> = HashMap::new();
        for (event_id, dedupe_key) in events {
            if dedupe_key.is_empty() {
                continue;
            }
            match wanted.entry(key_hash(dedupe_key)) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(*event_id);
                }
                // The same key twice in one log (its local dedupe window passed): apply it once.
                std::collections::hash_map::Entry::Occupied(_) => {
                    claimed.duplicates.insert(*event_id);
                }
            }
        }
        let hashes: Vec<String> = wanted.keys().cloned().collect();
        for (hash, owner) in cache.claim_owners(&self.scope, &hashes).await {
            if let Some(event_id) = wanted.remove(&hash) {
                claimed.from_cache += 1;
                if owner != self.owner(event_id) {
                    claimed.duplicates.insert(event_id);
                }
            }
        }
        if wanted.is_empty() {
            return Ok(claimed);
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut rows: Vec<dedupe_claim::ActiveModel> = wanted
            .iter()
            .map(|(hash, event_id)| dedupe_claim::ActiveModel {
                key_hash: Set(hash.clone()),
                origin: Set(self.origin.clone()),
                event_id: Set(*event_id),
                claimed_at_ms: Set(now_ms),
            })
            .collect();
        // Sorted, so concurrent replicas take the key locks in one order.
        rows.sort_by(|a, b| a.key_hash.as_ref().cmp(b.key_hash.as_ref()));
        for chunk in crate::sql_chunks::chunks(&rows) {
            dedupe_claim::Entity::insert_many(chunk.to_vec())
                .on_conflict(
                    OnConflict::column(dedupe_claim::Column::KeyHash)
                        .do_nothing_on([dedupe_claim::Column::KeyHash])
                        .to_owned(),
                )
                .exec_without_returning(&self.db)
                .await
                .map_err(write_error)?;
        }
        let mut hashes: Vec<&str> = wanted.keys().map(String::as_str).collect();
        hashes.sort_unstable();
        let mut decided = Vec::new();
        for chunk in crate::sql_chunks::chunks(&hashes) {
            let owners: Vec<(String, String, i64)> = dedupe_claim::Entity::find()
                .select_only()
                .column(dedupe_claim::Column::KeyHash)
                .column(dedupe_claim::Column::Origin)
                .column(dedupe_claim::Column::EventId)
                .filter(dedupe_claim::Column::KeyHash.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .map_err(write_error)?;
            for (hash, origin, owner_event) in owners {
                if let Some(&event_id) = wanted.get(&hash) {
                    if origin != self.origin || owner_event != event_id {
                        claimed.duplicates.insert(event_id);
                    }
                    decided.push((hash, format!("{origin}:{owner_event}")));
                }
            }
        }
        cache.remember_claims(&self.scope, &decided).await;
        Ok(claimed)
    }

    /// Deletes claims older than `max_age_ms` (the dedupe window: a retry
    /// later than that is accepted as new anyway). Returns how many.
    pub async fn prune_claims(&self, max_age_ms: i64) -> Result<u64, StoreError> {
        let cutoff = chrono::Utc::now().timestamp_millis() - max_age_ms;
        let deleted = dedupe_claim::Entity::delete_many()
            .filter(dedupe_claim::Column::ClaimedAtMs.lt(cutoff))
            .exec(&self.db)
            .await
            .map_err(write_error)?;
        Ok(deleted.rows_affected)
    }
}
