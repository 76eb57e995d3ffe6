//! Retention and disk safety: old callbacks pruned once every consumer has
//! them and the space given back, the metrics, the free-space thresholds,
//! and an online backup restored.

use std::time::{Duration, Instant};

use crate::{
    durability::{free_port, start_service},
    helpers::{APP_KEY, APP_TOKEN, CORP_ID, api_client, app_text, demo_env, spawn_app_with},
};

fn metric(text: &str, sample: &str) -> Option<f64> {
    text.lines().find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
}

#[tokio::test]
async fn old_callbacks_are_pruned_once_processed_and_the_space_is_given_back() {
    let mut env = demo_env();
    env.extend([
        ("PMC__STORAGE__RETENTION__EVENTS", "2s".to_owned()),
        ("PMC__STORAGE__RETENTION__HISTORY", "2s".to_owned()),
        ("PMC__STORAGE__RETENTION__PRUNE_INTERVAL", "1s".to_owned()),
    ]);
    let app = spawn_app_with(&env).await;
    let content = "留".repeat(2000);
    for msg_id in 1..=300u64 {
        let (query, body) = app_text(9_100_000 + msg_id, &content);
        assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    }
    let events_db = app.data_dir.join("events.db");
    let size = || {
        std::fs::metadata(&events_db).unwrap().len()
            + std::fs::metadata(app.data_dir.join("events.db-wal")).map_or(0, |m| m.len())
    };
    // Checkpointed into the file first, then pruned and vacuumed.
    let started = Instant::now();
    let mut peak = 0;
    loop {
        peak = peak.max(size());
        let metrics = app.get("/metrics").await.text().await.unwrap();
        let pruned = metric(&metrics, "pmc_pruned_rows_total{table=\"events\"}").unwrap_or(0.0);
        if pruned >= 299.0 && std::fs::metadata(&events_db).unwrap().len() < peak / 2 {
            assert!(metric(&metrics, "pmc_storage_bytes{file=\"events.db\"}").unwrap() > 0.0);
            assert!(metric(&metrics, "pmc_storage_free_bytes").unwrap() > 0.0);
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "not pruned: {pruned} rows, file {} of peak {peak}",
            std::fs::metadata(&events_db).unwrap().len()
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let events = app.all_events().await;
    assert_eq!(events.len(), 1, "only the newest is kept (it carries the id high-water mark)");
    assert_eq!(events[0]["dedupe_key"], "msgid:9100300");
    // Ids continue past the pruned ones.
    let (query, body) = app_text(9_200_000, "after the prune");
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    let newest = &app.all_events().await[0];
    assert!(newest["id"].as_i64().unwrap() > 300, "{newest}");
}

#[tokio::test]
async fn callbacks_wait_while_tracking_has_not_processed_them() {
    // Tracking can never apply these: the writer waits a minute for a batch.
    let mut env = demo_env();
    env.extend([
        ("PMC__STORAGE__RETENTION__EVENTS", "1s".to_owned()),
        ("PMC__STORAGE__RETENTION__PRUNE_INTERVAL", "1s".to_owned()),
        ("PMC__TRACKING__WRITER_MAX_DELAY_MS", "60000".to_owned()),
        ("PMC__TRACKING__WRITER_MAX_ROWS", "100000".to_owned()),
    ]);
    let app = spawn_app_with(&env).await;
    for msg_id in 1..=20u64 {
        let (query, body) = app_text(9_300_000 + msg_id, "not yet tracked");
        assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    }
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(app.all_events().await.len(), 20, "nothing a consumer still needs is pruned");
}

#[tokio::test]
async fn low_disk_degrades_health_and_critical_disk_refuses_callbacks() {
    let free = {
        let probe = spawn_app_with(&demo_env()).await;
        let metrics = probe.get("/metrics").await.text().await.unwrap();
        metric(&metrics, "pmc_storage_free_bytes").unwrap() as u64
    };
    // Between free and twice free: degraded, still acknowledging.
    let mut env = demo_env();
    env.push(("PMC__STORAGE__MIN_FREE_BYTES", (free + free / 2).to_string()));
    let low = spawn_app_with(&env).await;
    let health = low.get("/health").await;
    assert_eq!(health.status(), 200);
    let body: serde_json::Value = health.json().await.unwrap();
    assert_eq!(body["status"], "degraded", "{body}");
    let (query, body) = app_text(9_400_001, "low disk");
    assert_eq!(low.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);

    // Far above: callbacks refused with 503 (WeCom retries), nothing stored.
    let mut env = demo_env();
    env.push(("PMC__STORAGE__MIN_FREE_BYTES", free.saturating_mul(4).to_string()));
    let critical = spawn_app_with(&env).await;
    let started = Instant::now();
    loop {
        let (query, body) = app_text(9_400_002, "no room");
        let status = critical.post("/api/v1/webhooks/wechat/api", &query, body).await.status();
        if status == 503 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "still acknowledging: {status}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(critical.get("/health").await.status(), 503);
    assert!(critical.all_events().await.is_empty());
}

#[tokio::test]
async fn an_online_backup_restores_everything_acknowledged_before_it() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    std::fs::write(
        &env_file,
        format!("WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\n"),
    )
    .unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let mut service = start_service(&env_file, &data_dir, port).await;
    let client = reqwest::Client::new();
    let send = |msg_id: u64| {
        let (query, body) = app_text(msg_id, "backed up");
        client.post(format!("http://127.0.0.1:{port}/api/v1/webhooks/wechat/api?{query}")).body(body).send()
    };
    for msg_id in 1..=50 {
        assert_eq!(send(9_500_000 + msg_id).await.unwrap().status(), 200);
    }
    // Backed up while serving, with callbacks arriving during the copy.
    let backup_dir = temp.path().join("backup");
    let during = tokio::spawn({
        let client = client.clone();
        async move {
            for msg_id in 51..=100u64 {
                let (query, body) = app_text(9_500_000 + msg_id, "during");
                let _ = client
                    .post(format!("http://127.0.0.1:{port}/api/v1/webhooks/wechat/api?{query}"))
                    .body(body)
                    .send()
                    .await;
            }
        }
    });
    let output = tokio::time::timeout(
        Duration::from_secs(60),
        tokio::process::Command::new(crate::test_ca::service_binary())
            .args(["--data-dir", data_dir.to_str().unwrap(), "backup", backup_dir.to_str().unwrap()])
            .output(),
    )
    .await
    .expect("the backup finishes within 60 s")
    .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    during.await.unwrap();
    service.start_kill().unwrap();
    service.wait().await.unwrap();
    // A backup never overwrites.
    let again = tokio::process::Command::new(crate::test_ca::service_binary())
        .args(["--data-dir", data_dir.to_str().unwrap(), "backup", backup_dir.to_str().unwrap()])
        .output()
        .await
        .unwrap();
    assert!(!again.status.success());

    // Restore: the copy becomes the data directory of a fresh start.
    let port = free_port();
    let _restored = start_service(&env_file, &backup_dir, port).await;
    let client = api_client();
    let page: serde_json::Value = client
        .get(format!("http://127.0.0.1:{port}/api/v1/events?limit=500&source=local"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let keys: std::collections::HashSet<&str> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| event["dedupe_key"].as_str().unwrap())
        .collect();
    for msg_id in 1..=50 {
        assert!(keys.contains(format!("msgid:{}", 9_500_000 + msg_id).as_str()), "{msg_id} lost");
    }
    assert_eq!(
        std::fs::read_to_string(data_dir.join("instance_id")).unwrap(),
        std::fs::read_to_string(backup_dir.join("instance_id")).unwrap()
    );
}
