use std::{sync::Arc, time::Duration};

use sqlx::{Connection, Executor, sqlite::SqliteConnectOptions};

use crate::{
    configuration::StorageSettings,
    event_log::{AppendOutcome, EventLog, NewEvent},
};

fn event(key: &str) -> NewEvent {
    NewEvent::internal("status", "status.sent", key.to_owned(), None, "x".to_owned())
}

fn settings(dir: &tempfile::TempDir) -> StorageSettings {
    StorageSettings { data_dir: dir.path().to_owned(), ..StorageSettings::default() }
}

fn no_hook() -> crate::event_log::CommitHook {
    Arc::new(|_: &[Arc<crate::event_log::LoggedEvent>]| {})
}

/// Consumers tailing the log get the recent commits from memory, and
/// exactly the rows SQLite holds; a cursor behind the buffer reads SQLite.
#[tokio::test]
async fn recent_commits_are_handed_over_from_memory_exactly_as_stored() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    for n in 0..50 {
        let mut new_event = NewEvent::internal(
            "status",
            "status.sent",
            format!("k{n}"),
            Some("10.0.0.1".into()),
            format!("{{\"n\":{n}}}"),
        );
        new_event.user_id = (n % 2 == 0).then(|| format!("user{n}"));
        new_event.plaintext = "<xml>文档</xml>".repeat(n);
        log.append(new_event).await.unwrap();
    }
    let (memory_before, log_before) = log.hand_off_counters();
    let handed = log.events_after(0, 1_000).await.unwrap();
    let stored = log.stored_events_after(0, 1_000).await.unwrap();
    assert_eq!(log.hand_off_counters(), (memory_before + 1, log_before), "served from memory");
    assert_eq!(handed.len(), 50);
    let rows = |events: &[Arc<crate::event_log::LoggedEvent>]| {
        events.iter().map(|event| event.row.clone()).collect::<Vec<_>>()
    };
    assert_eq!(rows(&handed), rows(&stored));
    let (typed, looked_at) = log.events_of_types_after(10, &["status.sent"], 5).await.unwrap();
    assert_eq!(
        (typed.iter().map(|event| event.id).collect::<Vec<_>>(), looked_at),
        ((11..=15).collect(), 15)
    );
    log.close().await;
    drop(log);

    // Reopened, nothing is in memory: the same cursor reads SQLite, and gets the same rows.
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    let replayed = log.events_after(0, 1_000).await.unwrap();
    assert_eq!(log.hand_off_counters(), (0, 1));
    assert_eq!(rows(&replayed), rows(&stored));
    log.close().await;
}

/// Another connection holding the write lock (as a forced WAL checkpoint
/// does) and writing meanwhile: the batch waits for the lock and is stored,
/// instead of being refused with SQLITE_BUSY.
#[tokio::test]
async fn a_batch_waits_for_a_write_lock_held_elsewhere() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    log.append(event("before")).await.unwrap();

    let options = SqliteConnectOptions::new().filename(dir.path().join("events.db"));
    let mut other = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    other.execute("BEGIN IMMEDIATE").await.unwrap();
    let append = {
        let log = log.clone();
        tokio::spawn(async move { log.append(event("during")).await })
    };
    // The batch has reached the write by now.
    tokio::time::sleep(Duration::from_millis(300)).await;
    other
        .execute("INSERT INTO dedupe_keys (dedupe_key, first_seen_ms, event_id) VALUES ('elsewhere', 0, 0)")
        .await
        .unwrap();
    other.execute("COMMIT").await.unwrap();
    let outcome = tokio::time::timeout(Duration::from_secs(10), append).await.unwrap().unwrap();
    assert!(matches!(outcome, Ok(AppendOutcome::Stored { .. })), "{outcome:?}");
    log.close().await;
}

/// The in-memory index holds two keys; a retry of the first of four is
/// still recognised, from the `dedupe_keys` table.
#[tokio::test]
async fn retries_older_than_the_index_holds_are_found_on_disk() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open_with(&settings(&dir), no_hook(), 2).await.unwrap();
    let mut first = None;
    for key in ["a", "b", "c", "d"] {
        let outcome = log.append(event(key)).await.unwrap();
        first.get_or_insert(outcome);
    }
    let Some(AppendOutcome::Stored { id }) = first else { panic!("{first:?}") };
    assert_eq!(log.append(event("a")).await.unwrap(), AppendOutcome::Duplicate { first_event_id: id });
    assert!(matches!(log.append(event("e")).await.unwrap(), AppendOutcome::Stored { .. }));
    log.close().await;
}

/// Two deliveries of one callback, concurrently (whether or not they share a
/// batch): one is stored, the other is its duplicate.
#[tokio::test]
async fn a_key_delivered_twice_at_once_is_stored_once() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    let appends: Vec<_> = (0..2)
        .map(|_| {
            let log = log.clone();
            tokio::spawn(async move { log.append(event("twice")).await.unwrap() })
        })
        .collect();
    let mut outcomes = Vec::new();
    for append in appends {
        outcomes.push(append.await.unwrap());
    }
    outcomes.sort_by_key(|outcome| matches!(outcome, AppendOutcome::Duplicate { .. }));
    let [AppendOutcome::Stored { id }, AppendOutcome::Duplicate { first_event_id }] = outcomes[..] else {
        panic!("{outcomes:?}");
    };
    assert_eq!(id, first_event_id);
    log.close().await;
}

/// The index is rebuilt from disk at start: a retry after a restart is a
/// duplicate, and ids continue after the last one stored.
#[tokio::test]
async fn a_reopened_log_remembers_its_keys_and_ids() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    let AppendOutcome::Stored { id } = log.append(event("kept")).await.unwrap() else { panic!() };
    log.close().await;
    assert!(log.append(event("late")).await.is_err(), "a closed log accepts nothing");
    drop(log);
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    assert_eq!(log.append(event("kept")).await.unwrap(), AppendOutcome::Duplicate { first_event_id: id });
    assert_eq!(log.append(event("new")).await.unwrap(), AppendOutcome::Stored { id: id + 1 });
    log.close().await;
}
