//! Several replicas, one truth: three service processes on one MariaDB and
//! one Redis, each with its own event log, behind no balancer — the tests
//! play the balancer and spread callbacks over them.

use std::time::Duration;

use sea_orm::DatabaseConnection;
use serde_json::{Value, json};

use crate::{
    backends::shared,
    durability::{Processes, start_processes},
    helpers::app_text,
    tracking::{STATUS_SECRET, tracking_env},
};

/// Three service processes sharing a fresh MySQL database and the Redis.
struct Replicas {
    processes: Processes,
    db: DatabaseConnection,
    client: reqwest::Client,
}

impl Replicas {
    /// `None` outside the test command (no servers).
    async fn start(prefix: &str) -> Option<Self> {
        let backends = shared()?;
        let (mysql_env, db) = backends.fresh_mysql(prefix).await;
        let mut env = tracking_env();
        env.extend(mysql_env);
        env.extend(backends.redis_env());
        let processes = start_processes(&env, 3).await;
        let replicas = Self { processes, db, client: crate::helpers::api_client() };
        // Tracking starts in the background (external mode): wait for it everywhere.
        for replica in 0..3 {
            for _ in 0..200 {
                if replicas.get(replica, "/api/v1/actors").await.status() == 200 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        Some(replicas)
    }

    fn url(&self, replica: usize, path: &str) -> String {
        format!("{}{path}", self.processes.urls[replica])
    }

    async fn get(&self, replica: usize, path: &str) -> reqwest::Response {
        self.client.get(self.url(replica, path)).send().await.unwrap()
    }

    /// A signed status callback, as a business system's sender would post it.
    async fn post_status(&self, replica: usize, webhook_id: &str, body: &Value) -> u16 {
        let payload = body.to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = standardwebhooks::Webhook::new(STATUS_SECRET)
            .unwrap()
            .sign(webhook_id, timestamp, payload.as_bytes())
            .unwrap();
        self.client
            .post(self.url(replica, "/api/v1/webhooks/status"))
            .header("webhook-id", webhook_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .header("content-type", "application/json")
            .body(payload)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Waits until every replica has stored everything it committed; returns
    /// the summed resyncs (writes superseded by another replica).
    async fn settle(&self) -> u64 {
        let mut resyncs = 0;
        for replica in 0..3 {
            let mut last = Value::Null;
            for attempt in 0.. {
                last = self.get(replica, "/api/v1/actors").await.json().await.unwrap();
                if last["checkpoint"] == last["event_log_head"] && last["pending_units"] == 0 {
                    break;
                }
                assert!(attempt < 600, "replica {replica} never caught up: {last}");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            resyncs += last["resyncs"].as_u64().unwrap();
        }
        resyncs
    }

    async fn count(&self, sql: &str) -> i64 {
        use sea_orm::{ConnectionTrait, Statement};
        let row = self
            .db
            .query_one_raw(Statement::from_string(self.db.get_database_backend(), sql.to_owned()))
            .await
            .unwrap()
            .unwrap();
        row.try_get_by_index::<i64>(0).unwrap()
    }
}

#[tokio::test]
async fn a_retry_storm_over_three_replicas_is_applied_once() {
    let Some(replicas) = Replicas::start("pmc_storm").await else { return };
    let texts = 30;
    let statuses = 20;
    let mut storm = tokio::task::JoinSet::new();
    // WeCom retries the very same request; the balancer spreads the retries.
    for msg_id in 1..=texts {
        let (query, body) = app_text(msg_id, "同一条消息");
        for delivery in 0..6 {
            let url = replicas.url(delivery % 3, &format!("/api/v1/webhooks/wechat/api?{query}"));
            let (client, body) = (replicas.client.clone(), body.clone());
            storm.spawn(async move { client.post(url).body(body).send().await.unwrap().status().as_u16() });
        }
    }
    let replicas = std::sync::Arc::new(replicas);
    for n in 0..statuses {
        for delivery in 0..3 {
            let replicas = replicas.clone();
            storm.spawn(async move {
                let update = json!({"message_id": format!("storm-{n}"), "status": "delivered"});
                replicas.post_status(delivery, &format!("storm-webhook-{n}"), &update).await
            });
        }
    }
    while let Some(status) = storm.join_next().await {
        let status = status.unwrap();
        assert!(status == 200 || status == 202, "every delivery is acknowledged: {status}");
    }
    replicas.settle().await;

    // Every replica stored every callback locally (each acknowledged it)…
    for replica in 0..3 {
        let actors: Value = replicas.get(replica, "/api/v1/actors").await.json().await.unwrap();
        assert_eq!(actors["events_applied"], texts + statuses as u64, "replica {replica}: {actors}");
    }
    // …but each is applied once in the shared database.
    assert_eq!(replicas.count("SELECT COUNT(*) FROM interactions WHERE kind = 'reply'").await, texts as i64);
    assert_eq!(replicas.count("SELECT COUNT(*) FROM dedupe_claims").await, texts as i64 + statuses);
    assert_eq!(
        replicas.count("SELECT COUNT(*) FROM status_history WHERE outcome NOT IN ('implied')").await,
        statuses,
        "one observed row per status callback, not one per replica"
    );
    assert_eq!(
        replicas.count("SELECT COUNT(*) FROM status_history WHERE outcome = 'duplicate'").await,
        0,
        "no replica re-applied another's copy"
    );
    // Every replica's answers, added up in Redis (flushed once a second).
    let deliveries = texts * 6 + statuses as u64 * 3;
    let mut shared = 0;
    for _ in 0..100 {
        let status: Value = replicas.get(1, "/api/v1/status").await.json().await.unwrap();
        shared = status["callbacks_all_replicas"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["channel"] != "wechat_api" || row["callback_type"] == "message.text")
            .map(|row| row["count"].as_u64().unwrap())
            .sum::<u64>();
        if shared >= deliveries {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(shared, deliveries, "counters across replicas");
}

#[tokio::test]
async fn out_of_order_observations_over_three_replicas_apply_each_transition_once() {
    let Some(replicas) = Replicas::start("pmc_cas").await else { return };
    let replicas = std::sync::Arc::new(replicas);
    let messages = 24;
    for n in 0..messages {
        let response = replicas
            .client
            .post(replicas.url(n % 3, "/api/v1/messages"))
            .json(&json!({"id": format!("cas-{n}"), "recipients": ["alice", "bob"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
    replicas.settle().await;
    // For every recipient, read / failed / delivered / read again, each from
    // another replica and all at once: the replicas' cached states go stale.
    let steps = ["read", "failed", "delivered", "read"];
    let mut storm = tokio::task::JoinSet::new();
    let mut observations = 0;
    for n in 0..messages {
        for (recipient_index, recipient) in ["alice", "bob"].into_iter().enumerate() {
            for (step, status) in steps.into_iter().enumerate() {
                let replica = (n + step + recipient_index) % 3;
                let update =
                    json!({"message_id": format!("cas-{n}"), "recipient": recipient, "status": status});
                let webhook_id = format!("cas-{n}-{recipient}-{step}");
                let replicas = replicas.clone();
                observations += 1;
                storm.spawn(async move { replicas.post_status(replica, &webhook_id, &update).await });
            }
        }
    }
    while let Some(status) = storm.join_next().await {
        assert_eq!(status.unwrap(), 202);
    }
    let resyncs = replicas.settle().await;

    assert_eq!(
        replicas
            .count("SELECT COUNT(*) FROM status_history WHERE source <> 'register' AND outcome <> 'implied'")
            .await,
        observations,
        "every observation recorded exactly once"
    );
    assert_eq!(replicas.count("SELECT COUNT(*) FROM recipients WHERE status <> 'read'").await, 0);
    // Each status reached at most once per recipient, `read` exactly once.
    assert_eq!(
        replicas
            .count(
                "SELECT COUNT(*) FROM (SELECT message_id, recipient, status FROM status_history \
                 WHERE outcome IN ('applied', 'implied') GROUP BY message_id, recipient, status \
                 HAVING COUNT(*) > 1) AS twice"
            )
            .await,
        0,
        "a transition applied twice"
    );
    assert_eq!(
        replicas
            .count("SELECT COUNT(*) FROM status_history WHERE status = 'read' AND outcome = 'applied'")
            .await,
        messages as i64 * 2
    );
    // Versions order each message's history across replicas: no two writes share one.
    assert_eq!(
        replicas
            .count(
                "SELECT COUNT(*) FROM (SELECT message_id, version FROM status_history \
                 GROUP BY message_id, version HAVING COUNT(DISTINCT origin) > 1) AS shared_versions"
            )
            .await,
        0
    );
    let history: Value = replicas.get(0, "/api/v1/messages/cas-0/history").await.json().await.unwrap();
    let first_applied_read = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .position(|row| row["status"] == "read" && row["outcome"] == "applied");
    assert!(first_applied_read.is_some(), "{history}");
    eprintln!("writes superseded across replicas and replayed: {resyncs}");
}

#[tokio::test]
async fn with_redis_down_the_database_alone_dedupes_across_replicas() {
    use crate::{backends::PrivateBackends, helpers::spawn_app_with, tracking::post_status};
    if shared().is_none() {
        return;
    }
    // Its own servers: stopping the shared Redis would disturb the other tests.
    let servers = PrivateBackends::start(23476, 26549, 27187);
    let (mut env, db) = servers.backends.fresh_mysql("pmc_noredis").await;
    env.extend(servers.backends.redis_env());
    env.extend(tracking_env());
    let replicas = [spawn_app_with(&env).await, spawn_app_with(&env).await];
    servers.stop("redis");
    for n in 0..10 {
        let update = json!({"message_id": format!("nr-{n}"), "status": "read"});
        for replica in &replicas {
            assert_eq!(post_status(replica, &format!("nr-webhook-{n}"), &update).await.status(), 202);
        }
    }
    for replica in &replicas {
        let mut last = Value::Null;
        for attempt in 0.. {
            let response = replica.get("/api/v1/actors").await;
            if response.status() == 200 {
                last = response.json().await.unwrap();
                if last["checkpoint"] == last["event_log_head"] && last["event_log_head"] == 10 {
                    break;
                }
            }
            assert!(attempt < 600, "a replica never caught up: {last}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    let count = |sql: &'static str| {
        let db = db.clone();
        async move {
            use sea_orm::{ConnectionTrait, Statement};
            let row = db
                .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
                .await
                .unwrap()
                .unwrap();
            row.try_get_by_index::<i64>(0).unwrap()
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM dedupe_claims").await, 10);
    assert_eq!(
        count("SELECT COUNT(*) FROM status_history WHERE outcome = 'applied'").await,
        10,
        "each callback applied by one replica"
    );
    assert_eq!(count("SELECT COUNT(*) FROM status_history WHERE outcome = 'duplicate'").await, 0);
}
