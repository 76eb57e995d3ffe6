//! The relay of long-connection sends in MySQL, for replicas that share
//! MySQL but no Redis: the same semantics as `cache/relay.rs`. A send is
//! one `robot_relay` row (its id is the send's); the holder claims rows
//! with a token of its own, and a claim older than the in-flight time is
//! taken again (its holder may have died with it). Time is the database's.

use sea_orm::{ConnectionTrait, DatabaseConnection};

use super::sql_lease::{statement, unavailable};
use crate::cache::{LeaseStoreError, Submitted};

/// Queues `body` as send `id` of bot `name`, unless it is queued already.
pub async fn submit(
    db: &DatabaseConnection,
    name: &str,
    id: &str,
    body: &str,
) -> Result<Submitted, LeaseStoreError> {
    let inserted = db
        .execute_raw(statement(
            "INSERT IGNORE INTO robot_relay (id, name, body, created_at_ms, claim, claimed_at_ms, answer) \
             VALUES (?, ?, ?, {now}, '', 0, NULL)",
            vec![id.into(), name.into(), body.into()],
        ))
        .await
        .map_err(unavailable)?;
    if inserted.rows_affected() == 1 {
        return Ok(Submitted::Queued);
    }
    Ok(if answer_of(db, id).await?.is_some() { Submitted::Answered } else { Submitted::InFlight })
}

/// Claims up to `max` unanswered sends of `name` (unclaimed, or claimed
/// longer than `in_flight_ms` ago) as `claim`; their ids and bodies.
pub async fn take(
    db: &DatabaseConnection,
    name: &str,
    claim: &str,
    max: usize,
    in_flight_ms: u64,
) -> Result<Vec<(String, String)>, LeaseStoreError> {
    let (max, in_flight) = (max as i64, i64::try_from(in_flight_ms).unwrap_or(i64::MAX));
    let claimed = db
        .execute_raw(statement(
            "UPDATE robot_relay SET claim = ?, claimed_at_ms = {now} \
             WHERE name = ? AND answer IS NULL AND (claim = '' OR claimed_at_ms < {now} - ?) \
             ORDER BY created_at_ms LIMIT ?",
            vec![claim.into(), name.into(), in_flight.into(), max.into()],
        ))
        .await
        .map_err(unavailable)?;
    if claimed.rows_affected() == 0 {
        return Ok(Vec::new());
    }
    let rows = db
        .query_all_raw(statement(
            "SELECT id, body FROM robot_relay WHERE claim = ? AND answer IS NULL ORDER BY created_at_ms",
            vec![claim.into()],
        ))
        .await
        .map_err(unavailable)?;
    rows.into_iter()
        .map(|row| {
            Ok((row.try_get("", "id").map_err(unavailable)?, row.try_get("", "body").map_err(unavailable)?))
        })
        .collect()
}

/// Leaves WeCom's answer to send `id`.
pub async fn answer(db: &DatabaseConnection, id: &str, answer: &str) -> Result<(), LeaseStoreError> {
    db.execute_raw(statement(
        "UPDATE robot_relay SET answer = ? WHERE id = ?",
        vec![answer.into(), id.into()],
    ))
    .await
    .map_err(unavailable)?;
    Ok(())
}

/// WeCom's answer to send `id`, once the holder has left it.
pub async fn answer_of(db: &DatabaseConnection, id: &str) -> Result<Option<String>, LeaseStoreError> {
    let row = db
        .query_one_raw(statement("SELECT answer FROM robot_relay WHERE id = ?", vec![id.into()]))
        .await
        .map_err(unavailable)?;
    match row {
        None => Ok(None),
        Some(row) => row.try_get::<Option<String>>("", "answer").map_err(unavailable),
    }
}

/// Deletes sends of `name` queued more than `keep_ms` ago.
pub async fn prune(db: &DatabaseConnection, name: &str, keep_ms: u64) -> Result<u64, LeaseStoreError> {
    let keep = i64::try_from(keep_ms).unwrap_or(i64::MAX);
    let deleted = db
        .execute_raw(statement(
            "DELETE FROM robot_relay WHERE name = ? AND created_at_ms < {now} - ?",
            vec![name.into(), keep.into()],
        ))
        .await
        .map_err(unavailable)?;
    Ok(deleted.rows_affected())
}
