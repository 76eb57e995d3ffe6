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

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

async fn start_service(env_file: &Path, data_dir: &Path, port: u16) -> Child {
    let log = std::fs::File::create(data_dir.join(format!("service-{port}.log"))).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_pmc-webhook"))
        .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .expect("the binary starts");
    let client = reqwest::Client::new();
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
    let client = reqwest::Client::new();
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
