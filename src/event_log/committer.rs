//! The group-commit task: the event log's only writer.
//!
//! Handlers send their callback and wait on a oneshot. The committer takes
//! every request already queued (waiting at most `max_wait` for more, up to
//! `max_batch`), decides duplicates against the dedupe table, and writes the
//! whole batch in one transaction: one fsync acknowledges many callbacks.
//! Only after the commit does anyone hear "stored".

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
    sea_query::OnConflict,
};
use tokio::sync::{mpsc, oneshot};

use super::{
    AppendOutcome, EventLogError, NewEvent, NewQuarantine, StoredEvent,
    entity::{dedupe_key, event, quarantine},
    health::EventLogHealth,
};
use crate::sql_chunks;

/// How often expired dedupe keys are deleted.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// Called with every committed batch, in commit order (the hand-off to the
/// actor supervisor). Must not block.
pub type CommitHook = Arc<dyn Fn(&[StoredEvent]) + Send + Sync>;

/// A request to the committer.
pub(super) enum Request {
    Event(Box<NewEvent>, oneshot::Sender<Result<AppendOutcome, EventLogError>>),
    Quarantine(Box<NewQuarantine>, oneshot::Sender<Result<(), EventLogError>>),
    /// Retention's deletes, run by the one writer between batches: a second
    /// writing connection makes the committer's read-then-write transaction
    /// fail at once (SQLite's stale-snapshot BUSY), i.e. a 503 under load.
    Maintenance(Maintenance, oneshot::Sender<Result<u64, EventLogError>>),
}

/// Work on the log other than storing callbacks.
pub(super) enum Maintenance {
    /// Delete events before `cutoff_ms` at or below `floor` (never the newest).
    PruneEvents { cutoff_ms: i64, floor: i64 },
    /// Delete quarantine before `cutoff_ms`.
    PruneQuarantine { cutoff_ms: i64 },
    /// Give freed pages back to the filesystem.
    Vacuum,
}

pub(super) struct Committer {
    pub db: DatabaseConnection,
    pub requests: mpsc::Receiver<Request>,
    pub next_id: i64,
    pub dedupe_window_ms: i64,
    pub max_batch: usize,
    pub max_wait: Duration,
    pub on_commit: CommitHook,
    pub health: Arc<EventLogHealth>,
    /// Flips to `true` when the log is closed: stop accepting, drain, stop.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Set by a failed batch: what is on disk must be read back before the
    /// next batch may be acknowledged (see [`Committer::resync`]).
    pub resync_needed: bool,
}

impl Committer {
    /// Runs until the log is closed (or every sender is dropped) and the
    /// queue is drained: nothing accepted into the queue is ever dropped.
    pub async fn run(mut self) {
        let mut last_prune = Instant::now();
        loop {
            let first = tokio::select! {
                biased;
                request = self.requests.recv() => request,
                // Fires on close (or when every handle is gone): no guard is held across the await.
                _ = self.closing.changed() => {
                    // No new requests from now on; the buffered ones are still received.
                    self.requests.close();
                    self.requests.recv().await
                }
            };
            let Some(first) = first else { break };
            let batch = self.gather(first).await;
            self.commit(batch).await;
            if last_prune.elapsed() >= PRUNE_INTERVAL {
                self.prune_expired_keys().await;
                last_prune = Instant::now();
            }
        }
        tracing::info!("Event log committer drained and stopped.");
    }

    async fn gather(&mut self, first: Request) -> Vec<Request> {
        let mut batch = vec![first];
        let deadline = tokio::time::Instant::now() + self.max_wait;
        while batch.len() < self.max_batch {
            match self.requests.try_recv() {
                Ok(request) => batch.push(request),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    if self.max_wait.is_zero() {
                        break;
                    }
                    match tokio::time::timeout_at(deadline, self.requests.recv()).await {
                        Ok(Some(request)) => batch.push(request),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
        batch
    }

    async fn commit(&mut self, batch: Vec<Request>) {
        let started = Instant::now();
        let mut events = Vec::new();
        let mut quarantined = Vec::new();
        let mut maintenance = Vec::new();
        for request in batch {
            match request {
                Request::Event(new_event, reply) => events.push((*new_event, reply)),
                Request::Quarantine(item, reply) => quarantined.push((*item, reply)),
                Request::Maintenance(work, reply) => maintenance.push((work, reply)),
            }
        }
        for (work, reply) in maintenance {
            let _ = reply.send(super::retention::run(&self.db, work).await.map_err(EventLogError::from));
        }
        if events.is_empty() && quarantined.is_empty() {
            return;
        }
        let now_ms = chrono::Utc::now().timestamp_millis();
        let result = match self.resync().await {
            Ok(()) => self.write(&events, &quarantined, now_ms).await,
            Err(error) => Err(error),
        };
        match result {
            Ok((outcomes, stored)) => {
                self.health.record_commit(events.len() + quarantined.len(), stored.len(), started.elapsed());
                for ((_, reply), outcome) in events.into_iter().zip(outcomes) {
                    let _ = reply.send(Ok(outcome));
                }
                for (_, reply) in quarantined {
                    let _ = reply.send(Ok(()));
                }
                if let Some(last) = stored.last() {
                    self.health.set_head(last.id);
                    (self.on_commit)(&stored);
                }
            }
            Err(error) => {
                tracing::error!(error = %error, batch = events.len() + quarantined.len(), "Event log commit failed; callbacks are refused so WeCom retries.");
                self.health.record_failure(&error);
                self.resync_needed = true;
                for (_, reply) in events {
                    let _ = reply.send(Err(EventLogError::Commit));
                }
                for (_, reply) in quarantined {
                    let _ = reply.send(Err(EventLogError::Commit));
                }
            }
        }
    }

    /// After a failed batch, proves the log's state before writing again.
    ///
    /// A failed `COMMIT` may still have reached the disk (an fsync error
    /// after the frames were written), so the next ids are taken past the
    /// highest one actually stored, never reused; and the connection that
    /// failed was discarded by `sqlite_pool::guarded`, so this read runs on a
    /// fresh one. Until it succeeds every batch is refused (503), never
    /// acknowledged on a connection whose transaction state is unknown.
    async fn resync(&mut self) -> Result<(), sea_orm::DbErr> {
        if !self.resync_needed {
            return Ok(());
        }
        use sea_orm::{QueryOrder, QuerySelect};
        let last_id: Option<i64> = event::Entity::find()
            .select_only()
            .column(event::Column::Id)
            .order_by_desc(event::Column::Id)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await?;
        let last_id = last_id.unwrap_or(0);
        if last_id >= self.next_id {
            tracing::warn!(
                last_id,
                "A batch reported as failed had reached the disk; its callbacks count as stored and WeCom's retries as duplicates."
            );
        }
        self.next_id = self.next_id.max(last_id + 1);
        self.health.set_head(last_id);
        self.resync_needed = false;
        tracing::info!(
            next_id = self.next_id,
            "Event log state read back after a failed commit; acknowledging again."
        );
        Ok(())
    }

    /// One transaction for the whole batch. Returns one outcome per event,
    /// in order, and the rows stored.
    async fn write(
        &mut self,
        events: &[(NewEvent, oneshot::Sender<Result<AppendOutcome, EventLogError>>)],
        quarantined: &[(NewQuarantine, oneshot::Sender<Result<(), EventLogError>>)],
        now_ms: i64,
    ) -> Result<(Vec<AppendOutcome>, Vec<StoredEvent>), sea_orm::DbErr> {
        // The keys are read before the transaction begins: the committer is
        // the log's only writer, so nothing can change them meanwhile, and a
        // transaction whose first statement is a write waits for the write
        // lock (busy timeout). One that read first and then writes is refused
        // at once (SQLITE_BUSY, no busy handler: it could deadlock) whenever
        // another connection holds the lock, as a forced WAL checkpoint does.
        let mut keys: Vec<&str> = events.iter().map(|(event, _)| event.dedupe_key.as_str()).collect();
        // Repeating a key changes nothing but the statement's shape.
        if let Some(&last) = keys.last() {
            keys.resize(sql_chunks::padded_len(keys.len()), last);
        }
        let known: HashMap<String, dedupe_key::Model> = if keys.is_empty() {
            HashMap::new()
        } else {
            dedupe_key::Entity::find()
                .filter(dedupe_key::Column::DedupeKey.is_in(keys))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|row| (row.dedupe_key.clone(), row))
                .collect()
        };
        let window_start = now_ms - self.dedupe_window_ms;
        let mut taken_in_batch: HashMap<&str, i64> = HashMap::new();
        let mut outcomes = Vec::with_capacity(events.len());
        let mut stored = Vec::new();
        let mut next_id = self.next_id;
        for (new_event, _) in events {
            let key = new_event.dedupe_key.as_str();
            if let Some(&first_event_id) = taken_in_batch.get(key) {
                outcomes.push(AppendOutcome::Duplicate { first_event_id });
                continue;
            }
            if let Some(row) = known.get(key).filter(|row| row.first_seen_ms >= window_start) {
                outcomes.push(AppendOutcome::Duplicate { first_event_id: row.event_id });
                continue;
            }
            let id = next_id;
            next_id += 1;
            taken_in_batch.insert(key, id);
            outcomes.push(AppendOutcome::Stored { id });
            stored.push(new_event.clone().into_model(id));
        }
        let transaction = self.db.begin().await?;
        if !stored.is_empty() {
            let dedupe_rows = stored.iter().map(|row| dedupe_key::ActiveModel {
                dedupe_key: Set(row.dedupe_key.clone()),
                first_seen_ms: Set(now_ms),
                event_id: Set(row.id),
            });
            let dedupe_rows: Vec<_> = dedupe_rows.collect();
            for chunk in sql_chunks::chunks(&dedupe_rows) {
                dedupe_key::Entity::insert_many(chunk.iter().cloned())
                    .on_conflict(
                        OnConflict::column(dedupe_key::Column::DedupeKey)
                            .update_columns([dedupe_key::Column::FirstSeenMs, dedupe_key::Column::EventId])
                            .to_owned(),
                    )
                    .exec_without_returning(&transaction)
                    .await?;
            }
            for chunk in sql_chunks::chunks(&stored) {
                event::Entity::insert_many(chunk.iter().cloned().map(event::ActiveModel::from))
                    .exec_without_returning(&transaction)
                    .await?;
            }
        }
        if !quarantined.is_empty() {
            let rows = quarantined.iter().map(|(item, _)| item.clone().into_active_model());
            quarantine::Entity::insert_many(rows)
                .on_conflict(OnConflict::column(quarantine::Column::ContentHash).do_nothing().to_owned())
                .exec_without_returning(&transaction)
                .await?;
        }
        transaction.commit().await?;
        // Ids of a failed batch are never reused: only advance after the commit.
        self.next_id = next_id;
        Ok((outcomes, stored))
    }

    async fn prune_expired_keys(&self) {
        let cutoff = chrono::Utc::now().timestamp_millis() - self.dedupe_window_ms;
        match dedupe_key::Entity::delete_many()
            .filter(dedupe_key::Column::FirstSeenMs.lt(cutoff))
            .exec(&self.db)
            .await
        {
            Ok(result) if result.rows_affected > 0 => {
                tracing::debug!(removed = result.rows_affected, "Pruned expired dedupe keys.");
            }
            Ok(_) => {}
            Err(error) => tracing::warn!(error = %error, "Pruning expired dedupe keys failed; will retry."),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use sqlx::{Connection, Executor, sqlite::SqliteConnectOptions};

    use crate::{
        configuration::StorageSettings,
        event_log::{AppendOutcome, EventLog, NewEvent, StoredEvent},
    };

    /// Another connection holding the write lock (as a forced WAL
    /// checkpoint does) and writing meanwhile: the batch waits for the lock
    /// and is stored, instead of being refused with SQLITE_BUSY.
    #[tokio::test]
    async fn a_batch_waits_for_a_write_lock_held_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let settings = StorageSettings { data_dir: dir.path().to_owned(), ..StorageSettings::default() };
        let log = EventLog::open(&settings, Arc::new(|_: &[StoredEvent]| {})).await.unwrap();
        let first = NewEvent::internal("status", "status.sent", "before".to_owned(), None, "x".to_owned());
        log.append(first).await.unwrap();

        let options = SqliteConnectOptions::new().filename(dir.path().join("events.db"));
        let mut other = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
        other.execute("BEGIN IMMEDIATE").await.unwrap();
        let append = {
            let log = log.clone();
            tokio::spawn(async move {
                let event =
                    NewEvent::internal("status", "status.sent", "during".to_owned(), None, "x".to_owned());
                log.append(event).await
            })
        };
        // The batch has read its keys and reached the write by now.
        tokio::time::sleep(Duration::from_millis(300)).await;
        other
            .execute(
                "INSERT INTO dedupe_keys (dedupe_key, first_seen_ms, event_id) VALUES ('elsewhere', 0, 0)",
            )
            .await
            .unwrap();
        other.execute("COMMIT").await.unwrap();
        let outcome = tokio::time::timeout(Duration::from_secs(10), append).await.unwrap().unwrap();
        assert!(matches!(outcome, Ok(AppendOutcome::Stored { .. })), "{outcome:?}");
        log.close().await;
    }
}
