//! External mode against a real MariaDB: tracking lives in MySQL, and a
//! MySQL outage in the middle of a load loses nothing.

use std::time::{Duration, Instant};

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use serde_json::{Value, json};

use crate::{
    backends::{PrivateBackends, shared},
    helpers::{TestApp, spawn_app_with},
    tracking::{post_status, tracking_env},
};

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(db.get_database_backend(), sql.to_owned()))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn register(app: &TestApp, id: &str, recipients: &[&str]) {
    let response = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&json!({"id": id, "recipients": recipients}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
}

/// Waits (up to `limit`) until every path answers 200 and satisfies `done`.
async fn wait_until(app: &TestApp, paths: &[String], limit: Duration, done: impl Fn(&Value) -> bool) {
    let started = Instant::now();
    for path in paths {
        loop {
            let response = app.get(path).await;
            if response.status() == 200 && done(&response.json::<Value>().await.unwrap()) {
                break;
            }
            assert!(started.elapsed() < limit, "{path} not done after {limit:?}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

#[tokio::test]
async fn external_mode_keeps_tracking_in_mysql() {
    let Some(backends) = shared() else { return };
    let (mysql_env, db) = backends.fresh_mysql("pmc_ext").await;
    let mut env = tracking_env();
    env.extend(mysql_env);
    let app = spawn_app_with(&env).await;

    register(&app, "ext-1", &["alice", "bob"]).await;
    let updates = json!([
        {"message_id": "ext-1", "status": "read", "recipient": "alice", "detail": "已读 ✓ (Chinese text in a latin1 database)"},
        {"message_id": "ext-1", "status": "delivered", "recipient": "alice"},
        {"message_id": "ext-1", "status": "delivered", "recipient": "bob"}
    ]);
    assert_eq!(post_status(&app, "ext-a", &updates).await.status(), 202);
    assert_eq!(post_status(&app, "ext-a", &updates).await.status(), 202, "a retry");
    wait_until(&app, &["/api/v1/messages/ext-1/status".to_owned()], Duration::from_secs(20), |s| {
        s["counts"] == json!({"read": 1, "delivered": 1})
    })
    .await;

    // The rows are in MySQL, once.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM messages WHERE id = 'ext-1'").await, 1);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM recipients WHERE message_id = 'ext-1'").await, 2);
    let history = app.get_json("/api/v1/messages/ext-1/history").await;
    let api_rows = history["history"].as_array().unwrap().len() as i64;
    assert!(
        history["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["detail"].as_str().is_some_and(|d| d.starts_with("已读 ✓"))),
        "{history}"
    );
    assert_eq!(count(&db, "SELECT COUNT(*) FROM status_history WHERE message_id = 'ext-1'").await, api_rows);
    // The checkpoint follows in a later batch.
    let started = Instant::now();
    while count(&db, "SELECT COUNT(*) FROM checkpoints WHERE name LIKE 'tracking:%'").await != 1 {
        assert!(started.elapsed() < Duration::from_secs(10), "the checkpoint was never stored per instance");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let status = app.get_json("/api/v1/status").await;
    assert_eq!(status["storage"]["mode"], "external");
    let mysql =
        status["storage"]["backends"].as_array().unwrap().iter().find(|b| b["name"] == "mysql").unwrap();
    assert_eq!(mysql["in_use"], true);
    assert_eq!(mysql["healthy"], true);
}

/// The shape of a message's history: (recipient, status, outcome) rows in order.
fn shape(history: &Value) -> Vec<(String, String, String)> {
    history["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["recipient"].as_str().unwrap_or("").to_owned(),
                row["status"].as_str().unwrap().to_owned(),
                row["outcome"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_mysql_outage_in_the_middle_of_a_load_loses_nothing() {
    if shared().is_none() {
        return;
    }
    // Its own servers: stopping the shared MariaDB would break the other tests.
    let servers = PrivateBackends::start(23416, 26489, 27127);
    let (mysql_env, db) = servers.backends.fresh_mysql("pmc_outage").await;
    let mut env = tracking_env();
    env.extend(mysql_env);
    let app = spawn_app_with(&env).await;

    // Each message: sent, then read before delivered, each once more as a retry.
    let send = |i: usize| {
        let app = &app;
        async move {
            let id = format!("out-{i}");
            let updates = json!([
                {"message_id": id, "status": "sent", "recipient": "ann"},
                {"message_id": id, "status": "read", "recipient": "ann"},
                {"message_id": id, "status": "delivered", "recipient": "ann"}
            ]);
            for attempt in 0..2 {
                let response = post_status(app, &format!("w-{i}"), &updates).await;
                assert_eq!(response.status(), 202, "message {i}, attempt {attempt}: acknowledged locally");
            }
        }
    };
    for i in 0..100 {
        send(i).await;
    }
    servers.stop("mysql");
    // The service keeps acknowledging: the local event log is the ack point.
    for i in 100..200 {
        send(i).await;
    }
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200, "callbacks are still acknowledged");
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let tracking = health["backends"].as_array().unwrap().iter().find(|b| b["name"] == "tracking").unwrap();
    assert_eq!(tracking["healthy"], false, "{health}");
    assert!(tracking["backlog"].as_i64().unwrap() > 0, "{health}");
    // Down for longer than the pool waits for a connection: writes fail and are retried.
    tokio::time::sleep(Duration::from_secs(6)).await;
    servers.restart();

    let paths: Vec<String> = (0..200).map(|i| format!("/api/v1/messages/out-{i}/status")).collect();
    wait_until(&app, &paths, Duration::from_secs(90), |s| s["status"] == "read").await;
    let reference = shape(&app.get_json("/api/v1/messages/out-0/history").await);
    assert_eq!(
        reference.iter().map(|(_, status, outcome)| (status.as_str(), outcome.as_str())).collect::<Vec<_>>(),
        [("sent", "applied"), ("delivered", "implied"), ("read", "applied"), ("delivered", "stale")],
        "{reference:?}"
    );
    for i in 1..200 {
        let history = shape(&app.get_json(&format!("/api/v1/messages/out-{i}/history")).await);
        assert_eq!(history, reference, "message out-{i}");
    }
    // Exactly once in MySQL: 200 messages × the reference rows, no more.
    let rows = count(&db, "SELECT COUNT(*) FROM status_history").await;
    assert_eq!(rows, 200 * reference.len() as i64);
    assert_eq!(count(&db, "SELECT COUNT(*) FROM messages").await, 200);
}

#[tokio::test]
async fn migrate_creates_every_table_in_mysql_and_is_repeatable() {
    let Some(backends) = shared() else { return };
    let (mysql_env, db) = backends.fresh_mysql("pmc_migrate").await;
    let temp = tempfile::tempdir().unwrap();
    let settings = crate::helpers::settings_for(&mysql_env, temp.path()).unwrap();
    for _ in 0..2 {
        let done = pmc_webhook::startup::migrate(&settings).await.unwrap();
        assert!(done.iter().any(|line| line.contains("mysql")), "{done:?}");
    }
    for table in ["messages", "recipients", "status_history", "interactions", "member_events", "checkpoints"]
    {
        let sql = format!(
            "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = '{table}'"
        );
        assert_eq!(count(&db, &sql).await, 1, "{table}");
    }
}

#[tokio::test]
async fn a_sigkill_during_a_mysql_outage_loses_nothing() {
    stop_during_a_mysql_outage(false, [23446, 26519, 27157]).await;
}

#[tokio::test]
async fn a_sigterm_during_a_mysql_outage_stops_in_bounded_time_and_loses_nothing() {
    stop_during_a_mysql_outage(true, [23466, 26539, 27177]).await;
}

/// Acknowledges observations while MySQL is down, stops the service
/// (SIGTERM, or SIGKILL), brings MySQL back, restarts: all are tracked once.
async fn stop_during_a_mysql_outage(graceful: bool, ports: [u16; 3]) {
    use crate::{
        durability::{free_port, start_service},
        tracking::STATUS_SECRET,
    };
    if shared().is_none() {
        return;
    }
    let servers = PrivateBackends::start(ports[0], ports[1], ports[2]);
    let (mysql_env, db) = servers.backends.fresh_mysql("pmc_kill").await;
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    // Feeding and draining give up after 2 s each at shutdown (the actors
    // wait for MySQL, which is down): the rest is replayed at the restart.
    let mut lines = vec![
        format!("STATUS_WEBHOOK_SECRET={STATUS_SECRET}"),
        "PMC__TRACKING__SHUTDOWN_DRAIN_SECS=2".to_owned(),
    ];
    lines.extend(mysql_env.iter().map(|(name, value)| format!("{name}={value}")));
    std::fs::write(&env_file, lines.join("\n")).unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();

    let port = free_port();
    let mut service = start_service(&env_file, &data_dir, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let client = crate::helpers::api_client();
    let post = |webhook_id: String, body: Value, base: String| {
        let client = client.clone();
        async move {
            let body = body.to_string();
            let timestamp = chrono::Utc::now().timestamp();
            let signature = standardwebhooks::Webhook::new(STATUS_SECRET)
                .unwrap()
                .sign(&webhook_id, timestamp, body.as_bytes())
                .unwrap();
            client
                .post(format!("{base}/api/v1/webhooks/status"))
                .header("webhook-id", webhook_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    let messages = 40;
    for i in 0..messages {
        let sent = json!({"message_id": format!("k-{i}"), "status": "sent", "recipient": "u"});
        assert_eq!(post(format!("k-sent-{i}"), sent, base.clone()).await, 202);
    }
    servers.stop("mysql");
    for i in 0..messages {
        let read = json!({"message_id": format!("k-{i}"), "status": "read", "recipient": "u"});
        assert_eq!(
            post(format!("k-read-{i}"), read, base.clone()).await,
            202,
            "acknowledged during the outage"
        );
    }
    // More work than the feeder lets wait for the actors (4 000 units), so
    // that at the stop the feeder is itself waiting.
    for batch in 0..5 {
        let updates: Vec<Value> =
            (0..1000).map(|n| json!({"message_id": format!("bulk-{batch}-{n}"), "status": "sent"})).collect();
        assert_eq!(post(format!("k-bulk-{batch}"), json!(updates), base.clone()).await, 202);
    }
    if graceful {
        let pid = service.id().unwrap().to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
        let exit = tokio::time::timeout(Duration::from_secs(30), service.wait()).await;
        assert!(exit.is_ok(), "SIGTERM during a MySQL outage must stop the service in bounded time");
    } else {
        service.start_kill().unwrap();
        service.wait().await.unwrap();
    }
    servers.restart();

    let port = free_port();
    let _restarted = start_service(&env_file, &data_dir, port).await;
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    for i in 0..messages {
        loop {
            let response = client.get(format!("{base}/api/v1/messages/k-{i}/status")).send().await.unwrap();
            if response.status() == 200 && response.json::<Value>().await.unwrap()["status"] == "read" {
                break;
            }
            assert!(
                // The whole suite runs beside it on two cores: a deadline, not a speed goal.
                started.elapsed() < Duration::from_secs(180),
                "k-{i} never reached read after the restart"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    let started = Instant::now();
    while count(&db, "SELECT COUNT(*) FROM messages").await < messages + 5000 {
        assert!(started.elapsed() < Duration::from_secs(90), "the bulk observations were not all tracked");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // sent (applied), delivered (implied), read (applied): three rows each,
    // and one per bulk message; none doubled.
    assert_eq!(count(&db, "SELECT COUNT(*) FROM status_history").await, 3 * messages + 5000);
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM status_history WHERE outcome = 'applied' AND status = 'read'").await,
        messages
    );
}

#[tokio::test]
async fn with_mysql_unreachable_the_service_starts_degraded_and_catches_up() {
    if shared().is_none() {
        return;
    }
    let servers = PrivateBackends::start(23456, 26529, 27167);
    let (mysql_env, db) = servers.backends.fresh_mysql("pmc_late").await;
    drop(db);
    servers.stop("mysql");
    let mut env = tracking_env();
    env.extend(mysql_env);
    let app = spawn_app_with(&env).await;

    // Callbacks are acknowledged from the first second.
    for i in 0..20 {
        let update = json!({"message_id": format!("late-{i}"), "status": "delivered", "recipient": "u"});
        assert_eq!(post_status(&app, &format!("late-w-{i}"), &update).await.status(), 202);
    }
    let health = app.get("/health").await;
    assert_eq!(health.status(), 200);
    let health: Value = health.json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let actors = app.get("/api/v1/actors").await;
    assert_eq!(actors.status(), 503);
    assert_eq!(actors.json::<Value>().await.unwrap()["error"], "tracking_starting");

    servers.restart();
    let paths: Vec<String> = (0..20).map(|i| format!("/api/v1/messages/late-{i}/status")).collect();
    wait_until(&app, &paths, Duration::from_secs(60), |s| s["status"] == "delivered").await;
    // Tracking and the shared events view reconnect on their own backoffs
    // (the view's reaches 5 s): health turns ok once both have caught up.
    wait_until(&app, &["/health".to_owned()], Duration::from_secs(30), |h| h["status"] == "ok").await;
}
