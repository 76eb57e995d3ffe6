//! A full disk under load: every callback answered 200 is in the log after
//! the restart — after a clean SIGTERM and after a SIGKILL — and answers go
//! back to 200 once space is freed. The data directory is a size-limited
//! tmpfs (mounting needs root, as CI has; elsewhere the test says it skipped).

use std::{
    collections::{BTreeMap, HashSet},
    io::Write,
    path::{Path, PathBuf},
    sync::{Arc, Mutex},
    time::Duration,
};

use crate::{
    durability::{free_port, start_service_logging_to},
    helpers::{APP_KEY, APP_TOKEN, CORP_ID, api_client, app_text},
};

/// A tmpfs mounted for the test's life.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Option<Self> {
        std::fs::create_dir_all(dir).unwrap();
        let status = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .status()
            .ok()?;
        status.success().then(|| Self(dir.to_owned()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros to `path` until the filesystem is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 256 * 1024];
    while file.write_all(&chunk).is_ok() {}
    let _ = file.sync_all();
}

pub type Answers = Arc<Mutex<BTreeMap<u64, u16>>>;

/// Sends callbacks `ids` (48 at a time), recording each one's status.
pub async fn send(port: u16, ids: std::ops::Range<u64>, answers: Answers) {
    let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().unwrap();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(48));
    let mut burst = tokio::task::JoinSet::new();
    // Big enough that a few hundred callbacks fill what the filler leaves.
    let content = "满".repeat(700);
    for msg_id in ids {
        let (query, body) = app_text(msg_id, &content);
        let url = format!("http://127.0.0.1:{port}/api/v1/webhooks/wechat/api?{query}");
        let (client, answers, in_flight) = (client.clone(), Arc::clone(&answers), Arc::clone(&in_flight));
        burst.spawn(async move {
            let _permit = in_flight.acquire_owned().await.unwrap();
            let status = match client.post(url).body(body).send().await {
                Ok(response) => response.status().as_u16(),
                Err(_) => 0,
            };
            answers.lock().unwrap().insert(msg_id, status);
        });
    }
    while burst.join_next().await.is_some() {}
}

pub fn count(answers: &Answers, ids: std::ops::Range<u64>, status: u16) -> usize {
    let answers = answers.lock().unwrap();
    ids.filter(|id| answers.get(id) == Some(&status)).count()
}

/// Every `msgid:N` key in the log, with how often it occurs.
pub async fn stored_keys(port: u16) -> BTreeMap<String, u32> {
    let client = api_client();
    let mut keys = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page: serde_json::Value = client
            .get(format!("http://127.0.0.1:{port}/api/v1/events?limit=500{cursor}"))
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        for event in page["events"].as_array().unwrap() {
            *keys.entry(event["dedupe_key"].as_str().unwrap().to_owned()).or_default() += 1;
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return keys,
        }
    }
}

async fn fill_free_restart(kill: bool) {
    let temp = tempfile::tempdir().unwrap();
    let Some(tmpfs) = Tmpfs::mount(&temp.path().join("data"), "40m") else {
        assert!(std::env::var_os("CI").is_none(), "CI runs as root and must be able to mount a tmpfs");
        eprintln!("SKIPPED: mounting a tmpfs was refused (not root)");
        return;
    };
    let data_dir = tmpfs.0.clone();
    let env_file = temp.path().join("test.env");
    std::fs::write(
        &env_file,
        format!(
            "WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\n\
             PMC__STORAGE__MIN_FREE_BYTES=0\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let mut service = start_service_logging_to(&env_file, &data_dir, port, temp.path()).await;
    let answers: Answers = Arc::default();

    // Healthy, then the disk fills while a burst is in flight, then a burst on the full disk.
    send(port, 1..301, Arc::clone(&answers)).await;
    let filler = data_dir.join("filler");
    let in_flight = tokio::spawn(send(port, 301..901, Arc::clone(&answers)));
    fill(&filler);
    in_flight.await.unwrap();
    send(port, 901..1501, Arc::clone(&answers)).await;
    let refused = count(&answers, 301..1501, 503);
    assert!(refused > 0, "the full disk refused nothing: the test did not reach the fault");
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
    assert_eq!(health.status(), 503, "health while commits fail: {:?}", health.text().await);

    // Space freed: the service must acknowledge again (and keep its word).
    std::fs::remove_file(&filler).unwrap();
    send(port, 1501..2101, Arc::clone(&answers)).await;
    let recovered = count(&answers, 1501..2101, 200);
    assert!(recovered >= 500, "only {recovered} of 600 acknowledged after the space was freed");
    let health = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
    assert_eq!(health.status(), 200, "health once commits succeed again");

    if kill {
        service.start_kill().unwrap();
    } else {
        let pid = service.id().unwrap().to_string();
        std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    }
    let exit = tokio::time::timeout(Duration::from_secs(60), service.wait())
        .await
        .expect("the service stops within 60 s")
        .unwrap();
    assert_eq!(exit.success(), !kill, "exit status {exit:?}");

    let port = free_port();
    let _restarted = start_service_logging_to(&env_file, &data_dir, port, temp.path()).await;
    let stored = stored_keys(port).await;
    let answers = answers.lock().unwrap().clone();
    let acknowledged: Vec<u64> =
        answers.iter().filter(|(_, status)| **status == 200).map(|(id, _)| *id).collect();
    let missing: Vec<u64> =
        acknowledged.iter().copied().filter(|id| !stored.contains_key(&format!("msgid:{id}"))).collect();
    assert!(missing.is_empty(), "{} callbacks answered 200 are not stored: {missing:?}", missing.len());
    assert!(stored.values().all(|count| *count == 1), "a callback was stored twice");
    let statuses: HashSet<u16> = answers.values().copied().collect();
    println!(
        "disk full ({}): {} answered 200, {refused} refused while full, all 200s stored after the restart \
         ({} events in the log); answers seen: {statuses:?}",
        if kill { "SIGKILL" } else { "SIGTERM" },
        acknowledged.len(),
        stored.len(),
    );
}

#[tokio::test]
async fn a_full_disk_never_turns_a_200_into_a_lost_callback_sigterm() {
    fill_free_restart(false).await;
}

#[tokio::test]
async fn a_full_disk_never_turns_a_200_into_a_lost_callback_sigkill() {
    fill_free_restart(true).await;
}
