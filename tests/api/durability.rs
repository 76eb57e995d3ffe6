//! "200 means stored": the real binary is SIGKILLed in the middle of a burst
//! of callbacks, restarted on the same data directory, and every callback it
//! acknowledged must be there exactly once.

use std::{
    collections::HashMap,
    path::Path,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::process::{Child, Command};

use crate::helpers::{APP_KEY, APP_TOKEN, CORP_ID, app_text};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub async fn start_service(env_file: &Path, data_dir: &Path, port: u16) -> Child {
    start_service_logging_to(env_file, data_dir, port, data_dir).await
}

/// [`start_service`] with its log in `log_dir` (off a data directory that a test fills).
pub async fn start_service_logging_to(env_file: &Path, data_dir: &Path, port: u16, log_dir: &Path) -> Child {
    start_service_with(env_file, data_dir, port, log_dir, &[]).await
}

/// [`start_service_logging_to`] with more variables in its environment.
pub async fn start_service_with(
    env_file: &Path,
    data_dir: &Path,
    port: u16,
    log_dir: &Path,
    extra_env: &[(&str, String)],
) -> Child {
    let log = std::fs::File::create(log_dir.join(format!("service-{port}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_pmc-webhook"))
        .envs(extra_env.iter().map(|(name, value)| (*name, value.as_str())))
        .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
        // The process environment wins over the env file, as in production.
        .env("PMC_API_TOKENS", format!("rw:{}", crate::helpers::API_TOKEN))
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let client = crate::helpers::api_client();
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/health")).send().await
            && response.status() == 200
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not become healthy; see {}", data_dir.display());
}

/// Service processes (the real binary) sharing one environment, each with
/// its own data directory: replicas.
pub struct Processes {
    _children: Vec<Child>,
    /// Each one's base URL.
    pub urls: Vec<String>,
    /// Their env file and data directories (removed when dropped).
    _dir: tempfile::TempDir,
}

/// Starts `count` processes with `env` (written to an env file).
pub async fn start_processes(env: &[(&str, String)], count: usize) -> Processes {
    let dir = tempfile::tempdir().unwrap();
    let env_file = dir.path().join("replicas.env");
    let lines: Vec<String> = env.iter().map(|(name, value)| format!("{name}={value}")).collect();
    std::fs::write(&env_file, lines.join("\n")).unwrap();
    let mut children = Vec::new();
    let mut urls = Vec::new();
    for replica in 0..count {
        let data_dir = dir.path().join(format!("replica-{replica}"));
        std::fs::create_dir_all(&data_dir).unwrap();
        let port = free_port();
        children.push(start_service(&env_file, &data_dir, port).await);
        urls.push(format!("http://127.0.0.1:{port}"));
    }
    Processes { _children: children, urls, _dir: dir }
}

impl Processes {
    /// SIGKILLs replica `index` and waits for it to be gone.
    pub async fn kill(&mut self, index: usize) {
        let child = &mut self._children[index];
        child.start_kill().unwrap();
        let _status = child.wait().await.unwrap();
    }

    /// Sends SIGTERM to replica `index` (a graceful shutdown) without waiting for it.
    pub fn terminate(&mut self, index: usize) {
        let pid = self._children[index].id().expect("still running").to_string();
        assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    }

    /// Each replica's warnings and errors and its last lines, for a
    /// failing assertion.
    pub fn log_tails(&self) -> String {
        let mut tails = String::new();
        for replica in 0..self.urls.len() {
            let replica_dir = self._dir.path().join(format!("replica-{replica}"));
            for entry in std::fs::read_dir(&replica_dir).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if name.starts_with("service-") && name.ends_with(".log") {
                    let text = std::fs::read_to_string(entry.path()).unwrap_or_default();
                    // Warnings and errors, then the last lines.
                    let lines: Vec<&str> = text.lines().collect();
                    let notable = lines.iter().filter(|line| line.contains("WARN") || line.contains("ERROR"));
                    let mut kept: Vec<&str> = notable.copied().take(40).collect();
                    kept.push("…");
                    kept.extend(&lines[lines.len().saturating_sub(15)..]);
                    let tail = kept.join("\n");
                    tails.push_str(&format!("\n--- replica {replica} ({name}) ---\n{tail}"));
                }
            }
        }
        tails
    }
}

#[tokio::test]
async fn every_acknowledged_callback_survives_a_sigkill_exactly_once() {
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
    let acknowledged: Arc<Mutex<Vec<u64>>> = Arc::default();
    let client = crate::helpers::api_client();
    let mut burst = tokio::task::JoinSet::new();
    let total = 1500u64;
    let in_flight = Arc::new(tokio::sync::Semaphore::new(48));
    for msg_id in 1..=total {
        let (query, body) = app_text(msg_id, "durable");
        let url = format!("http://127.0.0.1:{port}/api/v1/webhooks/wechat/api?{query}");
        let (client, acknowledged, in_flight) =
            (client.clone(), Arc::clone(&acknowledged), Arc::clone(&in_flight));
        burst.spawn(async move {
            let _permit = in_flight.acquire_owned().await.unwrap();
            if let Ok(response) = client.post(url).body(body).send().await
                && response.status() == 200
            {
                acknowledged.lock().unwrap().push(msg_id);
            }
        });
    }
    // SIGKILL once a good part of the burst is acknowledged, while the rest is in flight.
    while acknowledged.lock().unwrap().len() < 400 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    service.start_kill().unwrap();
    let killed = service.wait().await.unwrap();
    assert!(!killed.success());
    while burst.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(acknowledged.len() < total as usize, "the kill landed mid-burst");

    let port = free_port();
    let _restarted = start_service(&env_file, &data_dir, port).await;
    let mut per_key: HashMap<String, u32> = HashMap::new();
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = client
            .get(format!("http://127.0.0.1:{port}/api/v1/events?limit=500{cursor}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for event in page["events"].as_array().unwrap() {
            *per_key.entry(event["dedupe_key"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    let missing: Vec<u64> = acknowledged
        .iter()
        .copied()
        .filter(|msg_id| !per_key.contains_key(&format!("msgid:{msg_id}")))
        .collect();
    assert!(missing.is_empty(), "{} acknowledged callbacks lost: {missing:?}", missing.len());
    assert!(per_key.values().all(|count| *count == 1), "a callback was stored twice");
    println!(
        "{} acknowledged before SIGKILL, all {} found once after restart ({} stored in total)",
        acknowledged.len(),
        acknowledged.len(),
        per_key.len()
    );
}

/// Lattice order of statuses (`sent < failed < delivered < read < recalled`).
fn rank(status: &str) -> u8 {
    match status {
        "sent" => 1,
        "failed" => 2,
        "delivered" => 3,
        "read" => 4,
        "recalled" => 5,
        _ => 0,
    }
}

#[tokio::test]
async fn tracking_replays_after_a_sigkill_without_losing_or_doubling_history() {
    use crate::tracking::STATUS_SECRET;
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    // A long writer delay: at the kill, acknowledged observations are
    // certainly not all tracked yet, so the restart must replay them.
    std::fs::write(
        &env_file,
        format!("STATUS_WEBHOOK_SECRET={STATUS_SECRET}\nPMC__TRACKING__WRITER_MAX_DELAY_MS=300\nPMC__TRACKING__WRITER_MAX_ROWS=100000\n"),
    )
    .unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let mut service = start_service(&env_file, &data_dir, port).await;

    let messages = 60;
    let mut updates = Vec::new();
    for message in 0..messages {
        let mut statuses = vec!["sent", "delivered", "read"];
        statuses.rotate_left(message % 3);
        for (step, status) in statuses.into_iter().enumerate() {
            updates.push((format!("crash-{message}"), status, format!("wh-{message}-{step}")));
        }
    }
    let client = crate::helpers::api_client();
    let acknowledged: Arc<Mutex<Vec<(String, &'static str)>>> = Arc::default();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(16));
    let mut burst = tokio::task::JoinSet::new();
    for (message_id, status, webhook_id) in updates {
        let body =
            serde_json::json!({"message_id": message_id, "recipient": "u", "status": status}).to_string();
        let timestamp = chrono::Utc::now().timestamp();
        let signature = standardwebhooks::Webhook::new(STATUS_SECRET)
            .unwrap()
            .sign(&webhook_id, timestamp, body.as_bytes())
            .unwrap();
        let (client, acknowledged, in_flight) =
            (client.clone(), Arc::clone(&acknowledged), Arc::clone(&in_flight));
        burst.spawn(async move {
            let _permit = in_flight.acquire_owned().await.unwrap();
            let response = client
                .post(format!("http://127.0.0.1:{port}/api/v1/webhooks/status"))
                .header("webhook-id", webhook_id)
                .header("webhook-timestamp", timestamp.to_string())
                .header("webhook-signature", signature)
                .body(body)
                .send()
                .await;
            if let Ok(response) = response
                && response.status() == 202
            {
                acknowledged.lock().unwrap().push((message_id, status));
            }
        });
    }
    while acknowledged.lock().unwrap().len() < 90 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    service.start_kill().unwrap();
    service.wait().await.unwrap();
    while burst.join_next().await.is_some() {}
    let acknowledged = acknowledged.lock().unwrap().clone();

    let port = free_port();
    let _restarted = start_service(&env_file, &data_dir, port).await;
    let get = |path: String| {
        let client = client.clone();
        async move {
            client
                .get(format!("http://127.0.0.1:{port}{path}"))
                .send()
                .await
                .unwrap()
                .json::<serde_json::Value>()
                .await
                .unwrap()
        }
    };
    // The feeder replays from the checkpoint in the background; wait until tracking caught up.
    for _ in 0..500 {
        let actors = get("/api/v1/actors".into()).await;
        if actors["pending_units"] == 0 && actors["checkpoint"] == actors["event_log_head"] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut stored_events = 0u64;
    let mut cursor = String::new();
    loop {
        let page = get(format!("/api/v1/events?channel=status_webhook&limit=500{cursor}")).await;
        stored_events += page["events"].as_array().unwrap().len() as u64;
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert!(stored_events >= acknowledged.len() as u64);

    let mut observed_rows = 0u64;
    for message in 0..messages {
        let id = format!("crash-{message}");
        let history = get(format!("/api/v1/messages/{id}/history")).await;
        let Some(rows) = history["history"].as_array() else { continue };
        let observed: Vec<&serde_json::Value> =
            rows.iter().filter(|row| row["outcome"] != "implied").collect();
        observed_rows += observed.len() as u64;
        let mut event_ids: Vec<i64> = observed.iter().map(|row| row["event_id"].as_i64().unwrap()).collect();
        event_ids.sort_unstable();
        event_ids.dedup();
        assert_eq!(event_ids.len(), observed.len(), "{id}: an observation was recorded twice");
        for (acked_id, status) in acknowledged.iter().filter(|(acked_id, _)| *acked_id == id) {
            assert!(
                observed.iter().any(|row| row["status"] == *status),
                "{acked_id}: acknowledged {status} lost"
            );
        }
        let highest = observed
            .iter()
            .map(|row| row["status"].as_str().unwrap())
            .max_by_key(|status| rank(status))
            .unwrap();
        let status = get(format!("/api/v1/messages/{id}/status")).await;
        assert_eq!(status["status"], highest, "{id}: final state");
    }
    assert_eq!(observed_rows, stored_events, "every stored observation is in a history exactly once");
    println!(
        "{} status callbacks acknowledged before SIGKILL; {stored_events} stored, all tracked once after replay",
        acknowledged.len()
    );
}
