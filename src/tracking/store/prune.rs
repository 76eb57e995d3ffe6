//! Retention in the tracking store: history, interactions and member events
//! of this replica older than the cutoff and already forwarded, and
//! finished deliveries. Messages and recipients — each message's current
//! state — are never pruned.

use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};

use super::{SqlTrackingStore, store_error};
use crate::tracking::entity::checkpoint;
use pmc_actors::StoreError;

/// Rows per statement, so no prune holds a lock for long.
const CHUNK: u64 = 500;

impl SqlTrackingStore {
    /// The named checkpoint (`tracking:…`, `forward:…`, `events_view:…`), if stored.
    pub async fn named_checkpoint(&self, name: &str) -> Result<Option<i64>, StoreError> {
        use sea_orm::EntityTrait;
        Ok(checkpoint::Entity::find_by_id(name)
            .one(&self.db)
            .await
            .map_err(store_error)?
            .map(|row| row.event_id))
    }

    /// This replica's forwarding checkpoint of `source` (`history`,
    /// `interactions`, `members`, `callbacks`); 0 when it never ran.
    pub async fn forwarding_checkpoint(&self, source: &str) -> Result<i64, StoreError> {
        Ok(self.named_checkpoint(&format!("forward:{source}:{}", self.origin)).await?.unwrap_or(0))
    }

    /// Prunes rows received before `cutoff_ms`; returns `(table, rows)`.
    pub async fn prune_history(&self, cutoff_ms: i64) -> Result<Vec<(&'static str, u64)>, StoreError> {
        let mut pruned = Vec::new();
        for (table, source) in
            [("status_history", "history"), ("interactions", "interactions"), ("member_events", "members")]
        {
            // Only what forwarding has turned into deliveries already.
            let forwarded = self.forwarding_checkpoint(source).await?;
            let rows = self
                .delete_in_chunks(table, "origin = ? AND received_at_ms < ? AND id <= ?", || {
                    vec![self.origin.clone().into(), cutoff_ms.into(), forwarded.into()]
                })
                .await?;
            pruned.push((table, rows));
        }
        let rows = self
            .delete_in_chunks(
                "deliveries",
                "origin = ? AND state IN ('delivered', 'dead') AND created_at_ms < ?",
                || vec![self.origin.clone().into(), cutoff_ms.into()],
            )
            .await?;
        pruned.push(("deliveries", rows));
        crate::sqlite_pool::give_back_space(&self.db).await;
        Ok(pruned)
    }

    /// Prunes this replica's rows of the shared events view received before `cutoff_ms`.
    pub async fn prune_shared_events(&self, cutoff_ms: i64) -> Result<u64, StoreError> {
        self.delete_in_chunks("shared_events", "origin = ? AND received_at_ms < ?", || {
            vec![self.origin.clone().into(), cutoff_ms.into()]
        })
        .await
    }

    /// `DELETE … WHERE condition` a chunk at a time (MySQL refuses a
    /// subquery on the table it deletes from; SQLite has no `DELETE … LIMIT`).
    /// SQLite picks the rows by `rowid`, which every table of ours has, so
    /// the same statement serves tables keyed by `id` and by `(origin, event_id)`.
    async fn delete_in_chunks(
        &self,
        table: &str,
        condition: &str,
        values: impl Fn() -> Vec<Value>,
    ) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let sql = match backend {
            DbBackend::MySql => format!("DELETE FROM {table} WHERE {condition} LIMIT {CHUNK}"),
            _ => format!(
                "DELETE FROM {table} WHERE rowid IN (SELECT rowid FROM {table} WHERE {condition} LIMIT {CHUNK})"
            ),
        };
        self.delete_until_done(&sql, values).await
    }

    async fn delete_until_done(&self, sql: &str, values: impl Fn() -> Vec<Value>) -> Result<u64, StoreError> {
        let backend = self.db.get_database_backend();
        let mut total = 0;
        loop {
            let deleted = self
                .db
                .execute_raw(Statement::from_sql_and_values(backend, sql, values()))
                .await
                .map_err(store_error)?
                .rows_affected();
            total += deleted;
            if deleted < CHUNK {
                return Ok(total);
            }
        }
    }
}
