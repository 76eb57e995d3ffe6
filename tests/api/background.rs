//! The real binary runs everything after the acknowledgement on background
//! threads at a lower priority: read from the kernel, per thread
//! (/proc/PID/task/*/stat), after a callback went all the way to tracking.

use std::collections::HashMap;

use crate::{
    durability::{free_port, start_service},
    helpers::{app_text, demo_env},
};

/// (thread name, nice) of every thread of `pid`.
fn threads_of(pid: u32) -> Vec<(String, i32)> {
    let mut threads = Vec::new();
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(stat) = std::fs::read_to_string(task.unwrap().path().join("stat")) else { continue };
        // "tid (comm) state ppid …": comm may hold spaces, so split at the last ')'.
        let (head, rest) = stat.rsplit_once(") ").unwrap();
        let name = head.split_once(" (").unwrap().1.to_owned();
        // After comm: field 3 (state) is index 0, so field 19 (nice) is index 16.
        let nice = rest.split(' ').nth(16).unwrap().parse().unwrap();
        threads.push((name, nice));
    }
    threads
}

fn own_nice() -> i32 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
    stat.rsplit_once(") ").unwrap().1.split(' ').nth(16).unwrap().parse().unwrap()
}

#[tokio::test]
async fn tracking_runs_on_lower_priority_threads_and_acknowledging_does_not() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    let mut env = demo_env();
    env.push(("PMC__TRACKING__BACKGROUND_NICE", "7".to_owned()));
    env.push(("PMC__TRACKING__BACKGROUND_THREADS", "3".to_owned()));
    let lines: Vec<String> = env.iter().map(|(name, value)| format!("{name}={value}")).collect();
    std::fs::write(&env_file, lines.join("\n")).unwrap();
    let port = free_port();
    let child = start_service(&env_file, temp.path(), port).await;
    let pid = child.id().unwrap();

    // One callback through the whole pipeline, so every pool has connected.
    let (query, body) = app_text(1, "hello background");
    let client = crate::helpers::api_client();
    let url = format!("http://127.0.0.1:{port}");
    let answer =
        client.post(format!("{url}/api/v1/webhooks/wechat/api?{query}")).body(body).send().await.unwrap();
    assert_eq!(answer.status(), 200);
    for _ in 0..100 {
        let metrics = client.get(format!("{url}/metrics")).send().await.unwrap().text().await.unwrap();
        if metrics.lines().any(|line| line == "pmc_tracking_checkpoint 1") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    let base = own_nice();
    let lowered = (base + 7).min(19);
    let mut by_name: HashMap<String, Vec<i32>> = HashMap::new();
    for (name, nice) in threads_of(pid) {
        by_name.entry(name).or_default().push(nice);
    }
    let background = &by_name["pmc-background"];
    assert!(background.len() >= 3, "three workers (and maybe blocking threads): {by_name:?}");
    assert!(background.iter().all(|nice| *nice == lowered), "{by_name:?}");
    assert!(
        by_name["tokio-rt-worker"].iter().all(|nice| *nice == base),
        "acknowledging keeps its priority: {by_name:?}"
    );
    // SQLite runs each connection on a thread of its own ("sqlx-sqlite-worker",
    // cut to 15 characters by the kernel): the event log's at normal priority,
    // the tracking store's at the background's, which they inherit.
    let sqlite = &by_name["sqlx-sqlite-wor"];
    assert!(sqlite.contains(&base), "the event log's connections keep their priority: {by_name:?}");
    assert!(sqlite.contains(&lowered), "the tracking store's connections are lowered: {by_name:?}");
}
