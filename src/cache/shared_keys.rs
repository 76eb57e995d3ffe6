//! The keys sending shares across replicas: the access token and the lease
//! that makes its refresh single-flight (`pmc:token:*`), and the pacing
//! windows (`pmc:rate:*`). Each call answers `None` when Redis is not
//! configured or does not answer, and the caller falls back to its
//! in-process equivalent: a Redis outage costs sharing, never sending.

use std::time::Duration;

use fred::{
    interfaces::{ClientLike, KeysInterface, LuaInterface},
    prelude::Expiration,
    types::SetOptions,
};

use super::StatusCache;

impl StatusCache {
    fn connected(&self) -> Option<&fred::prelude::Client> {
        self.inner.as_ref().filter(|inner| inner.client.is_connected()).map(|inner| &inner.client)
    }

    /// Waits (at most `timeout`) for the connection, when Redis is
    /// configured: at a cold start the first callers would otherwise fall
    /// back to their in-process equivalents before Redis has answered once.
    pub async fn wait_connected(&self, timeout: Duration) -> bool {
        let Some(inner) = &self.inner else { return false };
        if inner.client.is_connected() {
            return true;
        }
        matches!(tokio::time::timeout(timeout, inner.client.wait_for_connect()).await, Ok(Ok(())))
    }

    /// A shared value and how long it still lives.
    pub async fn shared_get(&self, key: &str) -> Option<Option<(String, Duration)>> {
        let client = self.connected()?;
        let value: Option<String> = client.get(key).await.ok()?;
        let Some(value) = value else { return Some(None) };
        let ttl_ms: i64 = client.pttl(key).await.ok()?;
        Some(Some((value, Duration::from_millis(ttl_ms.max(0) as u64))))
    }

    /// Sets a shared value for `ttl`.
    pub async fn shared_put(&self, key: &str, value: &str, ttl: Duration) -> Option<()> {
        let client = self.connected()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        client.set::<(), _, _>(key, value, Some(Expiration::PX(ttl_ms)), None, false).await.ok()
    }

    /// Takes `key` for `ttl` if nobody holds it (`SET NX PX`): `Some(true)`
    /// when taken, `Some(false)` when someone else holds it.
    pub async fn shared_lease(&self, key: &str, owner: &str, ttl: Duration) -> Option<bool> {
        let client = self.connected()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1);
        let taken: Option<String> =
            client.set(key, owner, Some(Expiration::PX(ttl_ms)), Some(SetOptions::NX), false).await.ok()?;
        Some(taken.is_some())
    }

    /// Deletes `key` if it still holds `value` (a lease we own, a token we
    /// saw rejected) — atomically, in a script, so a fresh value another
    /// replica just stored is never dropped.
    pub async fn shared_delete_if(&self, key: &str, value: &str) -> Option<()> {
        const COMPARE_AND_DELETE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";
        let client = self.connected()?;
        client.eval::<i64, _, _, _>(COMPARE_AND_DELETE, vec![key], vec![value]).await.ok()?;
        Some(())
    }

    /// Replaces `old` with `new` (for `ttl`) if `key` still holds `old` —
    /// atomically, in a script: `Some(true)` when replaced, `Some(false)`
    /// when another writer changed it first.
    pub async fn shared_swap(&self, key: &str, old: &str, new: &str, ttl: Duration) -> Option<bool> {
        const COMPARE_AND_SET: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then redis.call('set', KEYS[1], ARGV[2], 'PX', ARGV[3]) return 1 else return 0 end";
        let client = self.connected()?;
        let ttl_ms = i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1).to_string();
        let swapped: i64 =
            client.eval(COMPARE_AND_SET, vec![key], vec![old, new, ttl_ms.as_str()]).await.ok()?;
        Some(swapped == 1)
    }

    /// Adds one to a counting window that expires after `window`; returns
    /// the count in it.
    pub async fn shared_count(&self, key: &str, window: Duration) -> Option<i64> {
        let client = self.connected()?;
        let count: i64 = client.incr(key).await.ok()?;
        if count == 1 {
            let seconds = i64::try_from(window.as_secs()).unwrap_or(i64::MAX).max(1);
            client.expire::<(), _>(key, seconds, None).await.ok()?;
        }
        Some(count)
    }
}
