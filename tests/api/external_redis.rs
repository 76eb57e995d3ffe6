//! Redis as the status cache (external mode): reads are served from it,
//! writes invalidate it, and a Redis outage changes no answer.

use std::time::{Duration, Instant};

use fred::{
    interfaces::{ClientLike, KeysInterface},
    prelude::{Builder, Config},
};
use serde_json::{Value, json};

use crate::{
    backends::{PrivateBackends, shared},
    helpers::TestApp,
    tracking::{eventually, post_status, tracking_env},
};

fn redis_status(status: &Value) -> Value {
    status["storage"]["backends"].as_array().unwrap().iter().find(|b| b["name"] == "redis").unwrap().clone()
}

async fn wait_for(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    while !done(&app.get_json("/api/v1/status").await) {
        assert!(started.elapsed() < Duration::from_secs(30), "{what} never happened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn redis_caches_status_reads_and_an_outage_changes_no_answer() {
    if shared().is_none() {
        return;
    }
    // Its own servers: the test stops Redis.
    let servers = PrivateBackends::start(23436, 26509, 27147);
    let backends = &servers.backends.env;
    let (mut env, _db) = servers.backends.fresh_mysql("pmc_cache").await;
    env.extend([
        ("REDIS_HOST", backends["REDIS_HOST"].clone()),
        ("REDIS_PORT", backends["REDIS_PORT"].clone()),
        ("REDIS_PASSWORD", backends["REDIS_PASSWORD"].clone()),
    ]);
    env.extend(tracking_env());
    let app = crate::helpers::spawn_app_with(&env).await;
    let redis = Builder::from_config(
        Config::from_url(&format!(
            "redis://:{}@{}:{}",
            backends["REDIS_PASSWORD"], backends["REDIS_HOST"], backends["REDIS_PORT"]
        ))
        .unwrap(),
    )
    .build()
    .unwrap();
    redis.init().await.unwrap();
    wait_for(&app, "Redis connected", |status| redis_status(status)["healthy"] == true).await;
    assert_eq!(redis_status(&app.get_json("/api/v1/status").await)["in_use"], true);

    let registered = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&json!({"id": "cache-1", "recipients": ["ann", "bob"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    eventually(&app, "/api/v1/messages/cache-1/status", |s| s["counts"] == json!({"sent": 2})).await;
    // The answer is cached (a read may race the invalidation of the write
    // it saw, so read until one stays cached)…
    let mut cached: Option<String> = None;
    for _ in 0..50 {
        app.get_json("/api/v1/messages/cache-1/status").await;
        cached = redis.get("pmc:status:cache-1").await.unwrap();
        if cached.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        serde_json::from_str::<Value>(&cached.expect("cached")).unwrap()["counts"],
        json!({"sent": 2})
    );
    // …and a change is seen at once, not after the cache's TTL.
    assert_eq!(
        post_status(&app, "c1", &json!({"message_id": "cache-1", "status": "read", "recipient": "bob"}))
            .await
            .status(),
        202
    );
    eventually(&app, "/api/v1/messages/cache-1/status", |s| s["counts"] == json!({"read": 1, "sent": 1}))
        .await;

    servers.stop("redis");
    wait_for(&app, "the outage shows", |status| redis_status(status)["healthy"] == false).await;
    assert_eq!(
        post_status(&app, "c2", &json!({"message_id": "cache-1", "status": "read", "recipient": "ann"}))
            .await
            .status(),
        202
    );
    let started = Instant::now();
    eventually(&app, "/api/v1/messages/cache-1/status", |s| s["counts"] == json!({"read": 2})).await;
    assert!(started.elapsed() < Duration::from_secs(5), "reads do not wait on the missing Redis");
    assert_eq!(app.get("/health").await.status(), 200);

    servers.restart();
    wait_for(&app, "Redis back", |status| redis_status(status)["healthy"] == true).await;
    let status = app.get_json("/api/v1/messages/cache-1/status").await;
    assert_eq!(status["counts"], json!({"read": 2}));
}

#[tokio::test]
async fn a_three_master_redis_cluster_works_as_the_cache() {
    let Some(backends) = shared() else { return };
    let cluster = crate::backends::RedisCluster::start([21401, 21402, 21403]);
    let (mut env, _db) = backends.fresh_mysql("pmc_cluster").await;
    env.push(("REDIS_URL", cluster.url()));
    env.extend(tracking_env());
    let app = crate::helpers::spawn_app_with(&env).await;
    wait_for(&app, "the cluster connected", |status| redis_status(status)["healthy"] == true).await;
    let redis = Builder::from_config(Config::from_url(&cluster.url()).unwrap()).build().unwrap();
    redis.init().await.unwrap();

    // Enough messages that their keys spread over all three masters.
    for i in 0..12 {
        let id = format!("cl-{i}");
        let registered = app
            .client
            .post(format!("{}/api/v1/messages", app.base_url))
            .json(&json!({"id": id, "recipients": ["ann"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(registered.status(), 201);
        eventually(&app, &format!("/api/v1/messages/{id}/status"), |s| s["status"] == "sent").await;
        let mut cached: Option<String> = None;
        for _ in 0..50 {
            app.get_json(&format!("/api/v1/messages/{id}/status")).await;
            cached = redis.get(format!("pmc:status:{id}")).await.unwrap();
            if cached.is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(cached.is_some(), "{id} cached in the cluster");
    }
    let updates: Vec<Value> = (0..12)
        .map(|i| json!({"message_id": format!("cl-{i}"), "status": "read", "recipient": "ann"}))
        .collect();
    assert_eq!(post_status(&app, "cl-read", &json!(updates)).await.status(), 202);
    // One write changed all twelve: every key is forgotten, whatever its slot.
    for i in 0..12 {
        eventually(&app, &format!("/api/v1/messages/cl-{i}/status"), |s| s["status"] == "read").await;
    }
}
