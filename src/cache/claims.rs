//! The fast path of dedupe across replicas: which replica applies a
//! callback, once the database has decided it, cached under
//! `pmc:claim:{scope}:{hash}` (`SET NX` with a TTL; the scope names the
//! database, so deployments sharing a Redis never see each other's claims). A replica that finds another's
//! claim here skips its copy without asking MySQL; anything not found is
//! decided by the database's unique key, so losing Redis (or its keys)
//! costs queries, never correctness.

use std::collections::HashMap;

use fred::{
    interfaces::{ClientLike, KeysInterface},
    prelude::Expiration,
};

use super::StatusCache;

/// How long a claim stays cached: WeCom retries a callback within minutes.
const CLAIM_TTL_SECS: i64 = 3600;

impl StatusCache {
    /// The cached owners (`origin:event_id`) of these key hashes; missing
    /// ones (or all, while Redis is down) are absent from the map.
    pub async fn claim_owners(&self, scope: &str, hashes: &[String]) -> HashMap<String, String> {
        let Some(inner) = self.inner.as_ref().filter(|inner| inner.client.is_connected()) else {
            return HashMap::new();
        };
        // One GET per key: in a Redis Cluster the keys live in different slots.
        let reads = hashes.iter().map(|hash| inner.client.get::<Option<String>, _>(claim_key(scope, hash)));
        let owners = futures::future::join_all(reads).await;
        hashes
            .iter()
            .zip(owners)
            .filter_map(|(hash, owner)| Some((hash.clone(), owner.ok().flatten()?)))
            .collect()
    }

    /// Caches owners the database decided (never overwriting one).
    pub async fn remember_claims(&self, scope: &str, claims: &[(String, String)]) {
        let Some(inner) = self.inner.as_ref().filter(|inner| inner.client.is_connected()) else { return };
        let writes = claims.iter().map(|(hash, owner)| {
            inner.client.set::<Option<String>, _, _>(
                claim_key(scope, hash),
                owner.as_str(),
                Some(Expiration::EX(CLAIM_TTL_SECS)),
                Some(fred::types::SetOptions::NX),
                false,
            )
        });
        let failed = futures::future::join_all(writes).await.into_iter().filter(Result::is_err).count();
        if failed > 0 {
            tracing::debug!(failed, "Caching dedupe claims in Redis failed; the database still decides.");
        }
    }
}

fn claim_key(scope: &str, hash: &str) -> String {
    format!("pmc:claim:{scope}:{hash}")
}
