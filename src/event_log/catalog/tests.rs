use std::{sync::Arc, time::Duration};

use crate::{
    configuration::StorageSettings,
    event_log::{EventFilter, EventLog, NewEvent},
};

fn settings(dir: &tempfile::TempDir) -> StorageSettings {
    StorageSettings { data_dir: dir.path().to_owned(), ..StorageSettings::default() }
}

fn no_hook() -> crate::event_log::CommitHook {
    Arc::new(|_: &[Arc<crate::event_log::LoggedEvent>]| {})
}

/// Event `n`: one of three members (or none), two types, two channels.
fn event(n: usize) -> NewEvent {
    let callback_type = if n.is_multiple_of(2) { "event.click" } else { "message.text" };
    let channel = if n.is_multiple_of(5) { "wechat_bot" } else { "wechat_api" };
    let mut new_event =
        NewEvent::internal(channel, callback_type, format!("key{n}"), None, format!("{{\"n\":{n}}}"));
    new_event.user_id = (n % 4 != 3).then(|| format!("user{}", n % 3));
    new_event.account = if n.is_multiple_of(7) { "other".into() } else { "default".into() };
    new_event
}

async fn append(log: &EventLog, range: std::ops::Range<usize>) {
    for n in range {
        log.append(event(n)).await.unwrap();
    }
}

/// Waits (at most 10 s) until every committed event has its catalog entry.
async fn caught_up(log: &EventLog) {
    tokio::time::timeout(Duration::from_secs(10), async {
        while log.health().catalog_lag() > 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the catalog catches up within 10 s");
}

/// Every page of `filter` (pages of 4), concatenated: the ids listed.
async fn listed(log: &EventLog, mut filter: EventFilter) -> Vec<i64> {
    filter.limit = 4;
    let mut ids = Vec::new();
    loop {
        let page = log.list(&filter).await.unwrap();
        ids.extend(page.events.iter().map(|event| event.id));
        match page.next_before_id {
            Some(before) => filter.before_id = Some(before),
            None => return ids,
        }
    }
}

fn filters() -> Vec<EventFilter> {
    vec![
        EventFilter { user_id: Some("user1".into()), ..EventFilter::default() },
        EventFilter { callback_type: Some("event.*".into()), ..EventFilter::default() },
        EventFilter {
            callback_type: Some("message.text".into()),
            user_id: Some("user0".into()),
            ..EventFilter::default()
        },
        EventFilter { channel: Some("wechat_bot".into()), ..EventFilter::default() },
        EventFilter { account: Some("other".into()), ..EventFilter::default() },
        EventFilter { user_id: Some("nobody".into()), ..EventFilter::default() },
    ]
}

/// What `filter` selects among events `0..count` (ids 1..=count), newest first.
fn expected(filter: &EventFilter, count: usize) -> Vec<i64> {
    (0..count)
        .rev()
        .filter(|&n| {
            let event = event(n);
            let type_matches =
                filter.callback_type.as_deref().is_none_or(|wanted| match wanted.strip_suffix('*') {
                    Some(prefix) => event.callback_type.starts_with(prefix),
                    None => event.callback_type == wanted,
                });
            type_matches
                && filter.user_id.as_ref().is_none_or(|user| event.user_id.as_ref() == Some(user))
                && filter.channel.as_ref().is_none_or(|channel| &event.channel == channel)
                && filter.account.as_ref().is_none_or(|account| &event.account == account)
        })
        .map(|n| n as i64 + 1)
        .collect()
}

/// Filtered pages list every committed event whether its catalog entry is
/// written yet or not, and across the boundary between the two.
#[tokio::test]
async fn filtered_pages_list_every_event_before_and_after_the_catalog_catches_up() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    append(&log, 0..40).await;
    caught_up(&log).await;
    // Committed after the catalog's last batch: listed from the log's rows
    // above the catalog's head, with the catalogued ones below.
    append(&log, 40..60).await;
    for filter in filters() {
        assert_eq!(listed(&log, filter.clone()).await, expected(&filter, 60), "{filter:?}");
    }
    caught_up(&log).await;
    for filter in filters() {
        assert_eq!(listed(&log, filter.clone()).await, expected(&filter, 60), "{filter:?}, catalogued");
    }
    log.close().await;

    // The entries are in catalog.db, not only found by scanning the log.
    let catalog = rusqlite::Connection::open(dir.path().join(super::FILE)).unwrap();
    let (entries, head): (i64, i64) = catalog
        .query_row("SELECT (SELECT COUNT(*) FROM catalog_entries), head FROM catalog_head", [], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!((entries, head), (60, 60));
}

/// A catalog deleted, or one that belongs to another log, is rebuilt from
/// the log at start; consumers tailing by type read through it meanwhile.
#[tokio::test]
async fn a_missing_or_foreign_catalog_is_rebuilt_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    append(&log, 0..30).await;
    log.close().await;
    drop(log);
    std::fs::remove_file(dir.path().join(super::FILE)).unwrap();

    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    let (clicks, looked_at) = log.events_of_types_after(4, &["event.click"], 3).await.unwrap();
    assert_eq!((clicks.iter().map(|event| event.id).collect::<Vec<_>>(), looked_at), (vec![5, 7, 9], 9));
    caught_up(&log).await;
    let (clicks, looked_at) = log.events_of_types_after(4, &["event.click"], 100).await.unwrap();
    assert_eq!(clicks.len(), 13);
    assert_eq!(looked_at, 30, "looked at everything committed");
    for filter in filters() {
        assert_eq!(listed(&log, filter.clone()).await, expected(&filter, 30), "{filter:?}, rebuilt");
    }
    log.close().await;
    drop(log);

    // A longer log's catalog copied over this one's: its head is past this
    // log's newest event, so it is discarded and rebuilt.
    let other = tempfile::tempdir().unwrap();
    let other_log = EventLog::open(&settings(&other), no_hook()).await.unwrap();
    append(&other_log, 100..150).await;
    caught_up(&other_log).await;
    other_log.close().await;
    drop(other_log);
    for suffix in ["", "-wal", "-shm"] {
        let name = format!("{}{suffix}", super::FILE);
        let _ = std::fs::remove_file(dir.path().join(&name));
        if other.path().join(&name).exists() {
            std::fs::copy(other.path().join(&name), dir.path().join(&name)).unwrap();
        }
    }
    let log = EventLog::open(&settings(&dir), no_hook()).await.unwrap();
    caught_up(&log).await;
    for filter in filters() {
        assert_eq!(
            listed(&log, filter.clone()).await,
            expected(&filter, 30),
            "{filter:?}, after a foreign catalog"
        );
    }
    log.close().await;
}
