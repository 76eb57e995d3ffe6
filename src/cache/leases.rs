//! Leases with fencing in Redis: which replica holds a robot's long
//! connection. `pmc:lease:{scope:name}` holds `holder|fence` with a TTL; the
//! fence comes from `pmc:lease-fence:{scope:name}` (`INCR`), so every new
//! holding has a larger number than any before it. Both keys share a hash
//! tag, so the scripts work in a Redis Cluster.

use fred::interfaces::{ClientLike, KeysInterface, LuaInterface};

use super::StatusCache;

/// Takes the lease if it is free (a new fence), or extends it if `holder`
/// already has it (its fence); `0` while another holds it.
const ACQUIRE: &str = r"
local current = redis.call('GET', KEYS[1])
if not current then
  local fence = redis.call('INCR', KEYS[2])
  redis.call('SET', KEYS[1], ARGV[1] .. '|' .. fence, 'PX', ARGV[2])
  return fence
end
local sep = string.find(current, '|', 1, true)
if sep and string.sub(current, 1, sep - 1) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return tonumber(string.sub(current, sep + 1))
end
return 0
";

/// Extends the lease only while it is still `holder|fence`.
const RENEW: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0
";

/// Gives the lease up only while it is still `holder|fence`.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
";

/// Why a lease operation could not be decided (Redis down or refusing).
#[derive(Debug, thiserror::Error)]
#[error("lease store unavailable: {0}")]
pub struct LeaseStoreError(String);

impl LeaseStoreError {
    /// An error of another lease store.
    pub fn new(reason: String) -> Self {
        Self(reason)
    }
}

impl StatusCache {
    /// Acquires or extends `name`'s lease for `holder`: `Some(fence)` when
    /// held, `None` while another holder has it.
    pub async fn acquire_lease(
        &self,
        scope: &str,
        name: &str,
        holder: &str,
        ttl_ms: u64,
    ) -> Result<Option<u64>, LeaseStoreError> {
        let inner = self.connected_inner()?;
        let (lease, fence) = lease_keys(scope, name);
        let fence: i64 = inner
            .client
            .eval(ACQUIRE, vec![lease, fence], vec![holder.to_owned(), ttl_ms.to_string()])
            .await
            .map_err(|error| LeaseStoreError(error.details().to_owned()))?;
        Ok(u64::try_from(fence).ok().filter(|fence| *fence > 0))
    }

    /// Extends a lease held as `holder` with `fence`: `false` once it is lost.
    pub async fn renew_lease(
        &self,
        scope: &str,
        name: &str,
        holder: &str,
        fence: u64,
        ttl_ms: u64,
    ) -> Result<bool, LeaseStoreError> {
        let inner = self.connected_inner()?;
        let (lease, _) = lease_keys(scope, name);
        let renewed: i64 = inner
            .client
            .eval(RENEW, vec![lease], vec![format!("{holder}|{fence}"), ttl_ms.to_string()])
            .await
            .map_err(|error| LeaseStoreError(error.details().to_owned()))?;
        Ok(renewed == 1)
    }

    /// Gives up a lease held as `holder` with `fence` (best effort: it expires anyway).
    pub async fn release_lease(&self, scope: &str, name: &str, holder: &str, fence: u64) {
        let Ok(inner) = self.connected_inner() else { return };
        let (lease, _) = lease_keys(scope, name);
        let released: Result<i64, _> =
            inner.client.eval(RELEASE, vec![lease], vec![format!("{holder}|{fence}")]).await;
        if let Err(error) = released {
            tracing::debug!(lease = name, error = %error, "Releasing a lease failed; it expires.");
        }
    }

    /// Who holds `name`'s lease now, and with which fence.
    pub async fn lease_holder(
        &self,
        scope: &str,
        name: &str,
    ) -> Result<Option<(String, u64)>, LeaseStoreError> {
        let inner = self.connected_inner()?;
        let (lease, _) = lease_keys(scope, name);
        let value: Option<String> =
            inner.client.get(lease).await.map_err(|error| LeaseStoreError(error.details().to_owned()))?;
        Ok(value.and_then(|value| {
            let (holder, fence) = value.rsplit_once('|')?;
            Some((holder.to_owned(), fence.parse().ok()?))
        }))
    }

    /// Sets or clears a flag shared by every replica (no TTL).
    pub async fn set_flag(&self, scope: &str, name: &str, on: bool) -> Result<(), LeaseStoreError> {
        let inner = self.connected_inner()?;
        let key = format!("pmc:flag:{{{scope}:{name}}}");
        let result = if on {
            inner.client.set::<(), _, _>(key, "1", None, None, false).await
        } else {
            inner.client.del::<(), _>(key).await
        };
        result.map_err(|error| LeaseStoreError(error.details().to_owned()))
    }

    /// Whether a shared flag is set.
    pub async fn flag(&self, scope: &str, name: &str) -> Result<bool, LeaseStoreError> {
        let inner = self.connected_inner()?;
        let key = format!("pmc:flag:{{{scope}:{name}}}");
        let value: Option<String> =
            inner.client.get(key).await.map_err(|error| LeaseStoreError(error.details().to_owned()))?;
        Ok(value.is_some())
    }

    pub(super) fn connected_inner(&self) -> Result<&super::Connected, LeaseStoreError> {
        match self.inner.as_deref() {
            None => Err(LeaseStoreError("Redis is not configured".to_owned())),
            Some(inner) if inner.client.is_connected() => Ok(inner),
            Some(_) => Err(LeaseStoreError("Redis is not connected".to_owned())),
        }
    }
}

fn lease_keys(scope: &str, name: &str) -> (String, String) {
    (format!("pmc:lease:{{{scope}:{name}}}"), format!("pmc:lease-fence:{{{scope}:{name}}}"))
}
