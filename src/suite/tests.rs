//! The suite tables on SQLite: newest ticket wins, an older notice never
//! undoes a newer one, corp ids are case-sensitive, the checkpoint moves
//! with each change.

use super::store::{Authorisation, Effect, SuiteStore};
use crate::tracking::SqlTrackingStore;

async fn store() -> (tempfile::TempDir, SuiteStore) {
    let dir = tempfile::tempdir().unwrap();
    let tracking = SqlTrackingStore::open_sqlite(dir.path(), "test").await.unwrap();
    (dir, SuiteStore::new(tracking.connection().clone()))
}

fn authorise(corp_id: &str) -> Effect {
    Effect::Authorise {
        account: "isv".to_owned(),
        authorisation: Authorisation {
            corp_id: corp_id.to_owned(),
            corp_name: format!("name of {corp_id}"),
            permanent_code: format!("perm-{corp_id}"),
            agent_id: Some(7),
        },
    }
}

#[tokio::test]
async fn the_newest_ticket_wins_whatever_the_order() {
    let (_dir, store) = store().await;
    let ticket = |ticket: &str| Effect::Ticket { account: "isv".to_owned(), ticket: ticket.to_owned() };
    store.apply(&ticket("t2"), 200, "suites:test", 2).await.unwrap();
    store.apply(&ticket("t1"), 100, "suites:test", 3).await.unwrap();
    assert_eq!(store.ticket("isv").await.unwrap().as_deref(), Some("t2"));
    store.store_ticket("isv", "t3", 300).await.unwrap();
    assert_eq!(store.ticket("isv").await.unwrap().as_deref(), Some("t3"));
    assert_eq!(store.ticket("other").await.unwrap(), None);
    assert_eq!(store.checkpoint("suites:test").await.unwrap(), 3, "moved with each change");
}

#[tokio::test]
async fn corp_ids_differing_in_case_are_two_corps() {
    let (_dir, store) = store().await;
    store.apply(&authorise("wwAbc"), 100, "suites:test", 1).await.unwrap();
    store.apply(&authorise("wwABC"), 100, "suites:test", 2).await.unwrap();
    let corps = store.active_corps().await.unwrap();
    assert_eq!(corps["isv"].iter().collect::<Vec<_>>(), ["wwABC", "wwAbc"]);
    assert_eq!(store.corp("isv", "wwAbc").await.unwrap().unwrap().permanent_code, "perm-wwAbc");
}

#[tokio::test]
async fn an_older_notice_never_undoes_a_newer_one() {
    let (_dir, store) = store().await;
    let cancel = Effect::Cancel { account: "isv".to_owned(), corp_id: "wwA".to_owned() };
    store.apply(&authorise("wwA"), 200, "suites:test", 5).await.unwrap();
    // A cancel_auth received before that create_auth (replayed, or late from another replica).
    store.apply(&cancel, 100, "suites:test", 6).await.unwrap();
    assert_eq!(store.corp("isv", "wwA").await.unwrap().unwrap().state, "active");
    store.apply(&cancel, 300, "suites:test", 7).await.unwrap();
    assert_eq!(store.corp("isv", "wwA").await.unwrap().unwrap().state, "cancelled");
    assert!(store.active_corps().await.unwrap().is_empty());
    // change_auth of a corp never seen: nothing to reactivate.
    let change =
        Effect::Reauthorise { account: "isv".to_owned(), corp_id: "wwNew".to_owned(), refreshed: None };
    store.apply(&change, 400, "suites:test", 8).await.unwrap();
    assert_eq!(store.corp("isv", "wwNew").await.unwrap(), None);
    // A new create_auth re-activates a cancelled corp with its new code.
    store.apply(&authorise("wwA"), 500, "suites:test", 9).await.unwrap();
    assert_eq!(store.corp("isv", "wwA").await.unwrap().unwrap().state, "active");
}
