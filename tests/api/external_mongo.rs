//! The MongoDB raw log (external mode): every stored event reaches MongoDB
//! exactly once, across a MongoDB outage in the middle of a load.

use std::time::{Duration, Instant};

use mongodb::bson::{Document, doc};
use serde_json::{Value, json};

use crate::{
    backends::{PrivateBackends, shared},
    helpers::{TestApp, spawn_app_with},
    tracking::{post_status, tracking_env},
};

async fn events_total(app: &TestApp) -> i64 {
    app.get_json("/api/v1/status").await["storage"]["event_log"]["events_total"].as_i64().unwrap()
}

fn mongodb_status(status: &Value) -> Value {
    status["storage"]["backends"].as_array().unwrap().iter().find(|b| b["name"] == "mongodb").unwrap().clone()
}

async fn post_updates(app: &TestApp, range: std::ops::Range<usize>) {
    for i in range {
        let update = json!({"message_id": format!("raw-{i}"), "status": "delivered"});
        assert_eq!(post_status(app, &format!("raw-w-{i}"), &update).await.status(), 202);
    }
}

#[tokio::test]
async fn a_mongodb_outage_in_the_middle_of_a_load_loses_nothing() {
    if shared().is_none() {
        return;
    }
    // Its own servers: stopping the shared MongoDB would break the other tests.
    let servers = PrivateBackends::start(23426, 26499, 27137);
    let (mut env, _mysql) = servers.backends.fresh_mysql("pmc_raw").await;
    let database = format!("pmc_raw_{}", hex::encode(rand::random::<[u8; 4]>()));
    env.extend([
        ("MONGODB_HOST", servers.backends.env["MONGODB_HOST"].clone()),
        ("MONGODB_PORT", servers.backends.env["MONGODB_PORT"].clone()),
        ("MONGODB_DATABASE", database.clone()),
    ]);
    env.extend(tracking_env());
    let app = spawn_app_with(&env).await;
    let client = mongodb::Client::with_uri_str(format!(
        "mongodb://{}:{}/",
        servers.backends.env["MONGODB_HOST"], servers.backends.env["MONGODB_PORT"]
    ))
    .await
    .unwrap();
    let callbacks = client.database(&database).collection::<Document>("callbacks");

    post_updates(&app, 0..60).await;
    servers.stop("mongo");
    post_updates(&app, 60..120).await;
    // The outage shows in /api/v1/status.
    let started = Instant::now();
    loop {
        let mongodb = mongodb_status(&app.get_json("/api/v1/status").await);
        if mongodb["healthy"] == false {
            assert!(mongodb["detail"].as_str().unwrap().contains("behind"), "{mongodb}");
            // Still acknowledging, so 200, but degraded with the backlog.
            let health = app.get("/health").await;
            assert_eq!(health.status(), 200);
            let health: Value = health.json().await.unwrap();
            assert_eq!(health["status"], "degraded", "{health}");
            let raw = health["backends"].as_array().unwrap().iter().find(|b| b["name"] == "mongodb").unwrap();
            assert!(raw["backlog"].as_i64().unwrap() > 0, "{health}");
            // Listing falls back to MySQL's shared view (every replica's events) meanwhile.
            let page = app.get_json("/api/v1/events?limit=5").await;
            assert_eq!(page["source"], "mysql", "{page}");
            assert_eq!(app.get("/api/v1/events?source=mongodb").await.status(), 503);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the outage never showed: {mongodb}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    servers.restart();

    let total = events_total(&app).await;
    assert_eq!(total, 120);
    let started = Instant::now();
    while callbacks.count_documents(doc! {}).await.unwrap_or(0) < total as u64 {
        assert!(started.elapsed() < Duration::from_secs(60), "the raw log never caught up");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Exactly once: one document per event, ids 1..=120.
    assert_eq!(callbacks.count_documents(doc! {}).await.unwrap(), 120);
    let mut ids: Vec<i64> = callbacks
        .distinct("event_id", doc! {})
        .await
        .unwrap()
        .into_iter()
        .map(|id| id.as_i64().unwrap())
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=120).collect::<Vec<_>>());
    // The payload is a document, queryable by field.
    let one =
        callbacks.find_one(doc! {"payload.message_id": "raw-77"}).await.unwrap().expect("raw-77 stored");
    assert_eq!(one.get_str("callback_type").unwrap(), "status.update");
    assert_eq!(one.get_str("channel").unwrap(), "status_webhook");
    // Retention by a TTL index on the arrival time.
    let indexes = callbacks.list_index_names().await.unwrap();
    assert!(indexes.iter().any(|name| name.starts_with("received_at")), "{indexes:?}");
    let healthy = mongodb_status(&app.get_json("/api/v1/status").await);
    assert_eq!(healthy["healthy"], true, "{healthy}");
}

#[tokio::test]
async fn events_are_listed_from_mongodb_across_replicas() {
    let Some(backends) = shared() else { return };
    let (mut env, _mysql) = backends.fresh_mysql("pmc_list").await;
    let database = format!("pmc_list_{}", hex::encode(rand::random::<[u8; 4]>()));
    env.extend([
        ("MONGODB_HOST", backends.env["MONGODB_HOST"].clone()),
        ("MONGODB_PORT", backends.env["MONGODB_PORT"].clone()),
        ("MONGODB_DATABASE", database),
    ]);
    env.extend(tracking_env());
    // Two replicas (two event logs) shipping into one raw log.
    let first = spawn_app_with(&env).await;
    let second = spawn_app_with(&env).await;
    post_updates(&first, 0..7).await;
    post_updates(&second, 7..12).await;
    let (query, body) = crate::helpers::app_text(42, "hello from WeCom");
    assert_eq!(first.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);

    // Shipping is asynchronous: wait until the raw log has all 13.
    let started = Instant::now();
    let all = loop {
        let mut events = Vec::new();
        let mut cursor = String::new();
        loop {
            let page = first.get_json(&format!("/api/v1/events?limit=4{cursor}")).await;
            assert_eq!(page["source"], "mongodb", "{page}");
            events.extend(page["events"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = format!("&cursor={next}"),
                None => break,
            }
        }
        if events.len() == 13 {
            break events;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "raw log has {} of 13", events.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let instances: std::collections::HashSet<&str> =
        all.iter().map(|event| event["instance"].as_str().unwrap()).collect();
    assert_eq!(instances.len(), 2, "both replicas' events, paged without gaps or repeats");
    let keys: std::collections::HashSet<(&str, i64)> = all
        .iter()
        .map(|event| (event["instance"].as_str().unwrap(), event["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(keys.len(), 13);

    // Filters apply in MongoDB too.
    let texts = first.get_json("/api/v1/events?type=message.*").await;
    assert_eq!(texts["events"].as_array().unwrap().len(), 1, "{texts}");
    // One replica's event, read through the other, with its bodies.
    let local_instance =
        first.get_json("/api/v1/events?source=local&limit=1").await["events"][0]["instance"].clone();
    let other = all.iter().find(|event| event["instance"] != local_instance).unwrap();
    let detail = first
        .get_json(&format!("/api/v1/events/{}?instance={}", other["id"], other["instance"].as_str().unwrap()))
        .await;
    assert_eq!(detail["instance"], other["instance"]);
    assert!(detail["payload"][0]["message_id"].as_str().is_some_and(|id| id.starts_with("raw-")), "{detail}");
    // `source=local` is this replica's log only.
    let local = first.get_json("/api/v1/events?source=local&limit=500").await;
    assert_eq!(local["source"], "event_log");
    assert_eq!(local["events"].as_array().unwrap().len(), 8);
}
