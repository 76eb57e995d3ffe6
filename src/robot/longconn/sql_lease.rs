//! The long-connection lease in MySQL, for replicas that share MySQL but
//! no Redis: the same semantics as `cache/leases.rs` — a holder and a
//! fence that grows with every new holding, a time to live, a shared kick
//! flag. Time is the database's (`NOW(3)`), so the replicas' clocks do not
//! matter. Each operation is one conditional `UPDATE` on the bot's row,
//! read back.

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

use crate::cache::LeaseStoreError;

/// The database's time, in Unix ms.
const NOW_MS: &str = "CAST(UNIX_TIMESTAMP(NOW(3)) * 1000 AS SIGNED)";

pub(super) fn statement(sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::MySql, sql.replace("{now}", NOW_MS), values)
}

pub(super) fn unavailable(error: sea_orm::DbErr) -> LeaseStoreError {
    LeaseStoreError::new(format!("MySQL: {error}"))
}

async fn ensure_row(db: &DatabaseConnection, name: &str) -> Result<(), LeaseStoreError> {
    db.execute_raw(statement(
        "INSERT IGNORE INTO robot_leases (name, holder, fence, expires_at_ms, kicked) VALUES (?, '', 0, 0, 0)",
        vec![name.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// The row's holder and fence while the lease is live.
async fn live_holder(db: &DatabaseConnection, name: &str) -> Result<Option<(String, u64)>, LeaseStoreError> {
    let row = db
        .query_one_raw(statement(
            "SELECT holder, fence FROM robot_leases WHERE name = ? AND expires_at_ms > {now}",
            vec![name.into()],
        ))
        .await
        .map_err(unavailable)?;
    let Some(row) = row else { return Ok(None) };
    let holder: String = row.try_get("", "holder").map_err(unavailable)?;
    let fence: i64 = row.try_get("", "fence").map_err(unavailable)?;
    Ok(Some((holder, u64::try_from(fence).unwrap_or_default())))
}

/// Takes the lease if it is free or expired (a new fence), or extends it
/// if `holder` has it (its fence): `Some(fence)` when held.
pub async fn acquire(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    ttl_ms: u64,
) -> Result<Option<u64>, LeaseStoreError> {
    ensure_row(db, name).await?;
    let ttl = i64::try_from(ttl_ms).unwrap_or(i64::MAX);
    // MySQL assigns left to right: `fence` is decided on the old holder.
    db.execute_raw(statement(
        "UPDATE robot_leases SET \
           fence = IF(holder = ? AND expires_at_ms > {now}, fence, fence + 1), \
           holder = ?, expires_at_ms = {now} + ? \
         WHERE name = ? AND (expires_at_ms <= {now} OR holder = ?)",
        vec![holder.into(), holder.into(), ttl.into(), name.into(), holder.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(live_holder(db, name).await?.filter(|(current, _)| current == holder).map(|(_, fence)| fence))
}

/// Extends a lease held as `holder` with `fence`: `false` once it is lost.
pub async fn renew(
    db: &DatabaseConnection,
    name: &str,
    holder: &str,
    fence: u64,
    ttl_ms: u64,
) -> Result<bool, LeaseStoreError> {
    let ttl = i64::try_from(ttl_ms).unwrap_or(i64::MAX);
    let fence_value = i64::try_from(fence).unwrap_or(i64::MAX);
    db.execute_raw(statement(
        "UPDATE robot_leases SET expires_at_ms = {now} + ? \
         WHERE name = ? AND holder = ? AND fence = ? AND expires_at_ms > {now}",
        vec![ttl.into(), name.into(), holder.into(), fence_value.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(live_holder(db, name).await? == Some((holder.to_owned(), fence)))
}

/// Gives up a lease held as `holder` with `fence` (best effort: it expires anyway).
pub async fn release(db: &DatabaseConnection, name: &str, holder: &str, fence: u64) {
    let fence_value = i64::try_from(fence).unwrap_or(i64::MAX);
    let released = db
        .execute_raw(statement(
            "UPDATE robot_leases SET expires_at_ms = 0 WHERE name = ? AND holder = ? AND fence = ?",
            vec![name.into(), holder.into(), fence_value.into()],
        ))
        .await;
    if let Err(error) = released {
        tracing::debug!(lease = name, error = %error, "Releasing a lease failed; it expires.");
    }
}

/// Who holds `name`'s lease now.
pub async fn holder_of(db: &DatabaseConnection, name: &str) -> Result<Option<String>, LeaseStoreError> {
    Ok(live_holder(db, name).await?.map(|(holder, _)| holder))
}

/// Sets or clears the bot's kick flag for every replica.
pub async fn set_kicked(db: &DatabaseConnection, name: &str, kicked: bool) -> Result<(), LeaseStoreError> {
    ensure_row(db, name).await?;
    db.execute_raw(statement(
        "UPDATE robot_leases SET kicked = ? WHERE name = ?",
        vec![i16::from(kicked).into(), name.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// Whether the bot's kick flag is set.
pub async fn kicked(db: &DatabaseConnection, name: &str) -> Result<bool, LeaseStoreError> {
    let row = db
        .query_one_raw(statement("SELECT kicked FROM robot_leases WHERE name = ?", vec![name.into()]))
        .await
        .map_err(unavailable)?;
    match row {
        None => Ok(false),
        Some(row) => Ok(row.try_get::<i16>("", "kicked").map_err(unavailable)? != 0),
    }
}
