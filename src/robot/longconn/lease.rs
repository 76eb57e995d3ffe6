//! Who holds a bot's long connection: a lease with fencing, shared through
//! Redis in external mode (or MySQL when there is no Redis); embedded, the
//! single process holds it.

use sea_orm::DatabaseConnection;

use super::sql_lease;
use crate::cache::{LeaseStoreError, StatusCache};

/// The lease store.
#[derive(Clone)]
pub enum Lease {
    /// One process: it always holds the lease (fence 1).
    InProcess {
        /// This process, as shown in `/api/v1/accounts`.
        holder: String,
    },
    /// Replicas share Redis.
    Shared {
        /// The Redis client.
        cache: StatusCache,
        /// The deployment's scope (its database), so deployments sharing a Redis never meet.
        scope: String,
        /// This replica.
        holder: String,
    },
    /// Replicas share MySQL (and no Redis): `robot_leases`.
    Sql {
        /// The tracking store's MySQL.
        db: DatabaseConnection,
        /// This replica.
        holder: String,
    },
}

impl Lease {
    /// This process's name as a holder.
    pub fn holder(&self) -> &str {
        match self {
            Lease::InProcess { holder } | Lease::Shared { holder, .. } | Lease::Sql { holder, .. } => holder,
        }
    }

    /// Takes (or keeps) the lease: `Some(fence)` when this process holds it.
    pub async fn acquire(&self, name: &str, ttl_ms: u64) -> Result<Option<u64>, LeaseStoreError> {
        match self {
            Lease::InProcess { .. } => Ok(Some(1)),
            Lease::Shared { cache, scope, holder } => cache.acquire_lease(scope, name, holder, ttl_ms).await,
            Lease::Sql { db, holder } => sql_lease::acquire(db, name, holder, ttl_ms).await,
        }
    }

    /// Extends a held lease: `false` once another holds it.
    pub async fn renew(&self, name: &str, fence: u64, ttl_ms: u64) -> Result<bool, LeaseStoreError> {
        match self {
            Lease::InProcess { .. } => Ok(true),
            Lease::Shared { cache, scope, holder } => {
                cache.renew_lease(scope, name, holder, fence, ttl_ms).await
            }
            Lease::Sql { db, holder } => sql_lease::renew(db, name, holder, fence, ttl_ms).await,
        }
    }

    /// Gives a held lease up.
    pub async fn release(&self, name: &str, fence: u64) {
        match self {
            Lease::InProcess { .. } => {}
            Lease::Shared { cache, scope, holder } => cache.release_lease(scope, name, holder, fence).await,
            Lease::Sql { db, holder } => sql_lease::release(db, name, holder, fence).await,
        }
    }

    /// Who holds `name`'s lease now.
    pub async fn holder_of(&self, name: &str) -> Result<Option<String>, LeaseStoreError> {
        match self {
            Lease::InProcess { holder } => Ok(Some(holder.clone())),
            Lease::Shared { cache, scope, .. } => {
                Ok(cache.lease_holder(scope, name).await?.map(|(holder, _)| holder))
            }
            Lease::Sql { db, .. } => sql_lease::holder_of(db, name).await,
        }
    }

    /// Marks a bot as kicked (`true`) for every replica, or clears it.
    pub async fn set_kicked(&self, name: &str, kicked: bool) -> Result<(), LeaseStoreError> {
        match self {
            Lease::InProcess { .. } => Ok(()),
            Lease::Shared { cache, scope, .. } => {
                cache.set_flag(scope, &format!("kicked:{name}"), kicked).await
            }
            Lease::Sql { db, .. } => sql_lease::set_kicked(db, name, kicked).await,
        }
    }

    /// Whether any replica was kicked off this bot (and not told to reconnect).
    pub async fn kicked(&self, name: &str) -> Result<bool, LeaseStoreError> {
        match self {
            Lease::InProcess { .. } => Ok(false),
            Lease::Shared { cache, scope, .. } => cache.flag(scope, &format!("kicked:{name}")).await,
            Lease::Sql { db, .. } => sql_lease::kicked(db, name).await,
        }
    }
}
