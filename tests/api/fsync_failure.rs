//! A failed fsync: after it the kernel may have dropped the pages it could
//! not write, so no later fsync proves them durable. The event log must stop
//! acknowledging (503, `/health` 503) until the process restarts — even once
//! fsync works again — and every callback answered 200 before it must be
//! stored after the restart, with WeCom's retries of the refused ones stored
//! once. The fault is injected beneath the real binary by an `LD_PRELOAD`
//! shim (`fsync_fault/failing_fsync.c`, built here with the C compiler) that
//! fails fsync and fdatasync of `events.db-wal` with EIO while a flag file
//! exists.

use std::{path::Path, sync::Arc, time::Duration};

use crate::{
    disk_full::{Answers, count, send, stored_keys},
    durability::{free_port, start_service_with},
    helpers::{APP_KEY, APP_TOKEN, CORP_ID},
};

/// Builds the shim into `dir`; `None` when there is no C compiler.
fn build_shim(dir: &Path) -> Option<std::path::PathBuf> {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/api/fsync_fault/failing_fsync.c");
    let library = dir.join("libfailing_fsync.so");
    let status = std::process::Command::new("cc")
        .args(["-shared", "-fPIC", "-O2", "-o"])
        .arg(&library)
        .arg(&source)
        .arg("-ldl")
        .status()
        .ok()?;
    status.success().then_some(library)
}

async fn health(port: u16) -> u16 {
    reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap().status().as_u16()
}

#[tokio::test]
async fn after_a_failed_fsync_nothing_is_acknowledged_until_restart_and_every_200_is_stored() {
    let temp = tempfile::tempdir().unwrap();
    let Some(shim) = build_shim(temp.path()) else {
        assert!(std::env::var_os("CI").is_none(), "CI has a C compiler (Rust links with it)");
        eprintln!("SKIPPED: no C compiler to build the fsync shim");
        return;
    };
    let data_dir = temp.path().join("data");
    let env_file = temp.path().join("test.env");
    std::fs::write(
        &env_file,
        format!("WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\n"),
    )
    .unwrap();
    let flag = temp.path().join("fail-fsync-now");
    let faulty =
        [("LD_PRELOAD", shim.display().to_string()), ("FAILING_FSYNC_FLAG", flag.display().to_string())];
    let port = free_port();
    let mut service = start_service_with(&env_file, &data_dir, port, temp.path(), &faulty).await;
    let answers: Answers = Arc::default();

    // Healthy: everything acknowledged.
    send(port, 1..201, Arc::clone(&answers)).await;
    assert_eq!(count(&answers, 1..201, 200), 200);

    // The disk starts failing fsync: the first batch fails, and from then on
    // nothing is acknowledged.
    std::fs::write(&flag, b"").unwrap();
    send(port, 201..401, Arc::clone(&answers)).await;
    assert_eq!(count(&answers, 201..401, 200), 0, "a callback was acknowledged after a failed fsync");
    assert_eq!(count(&answers, 201..401, 503), 200, "refused with 503, so that WeCom retries");
    assert_eq!(health(port).await, 503);

    // fsync works again, but what it failed to write may be gone: still refused.
    std::fs::remove_file(&flag).unwrap();
    send(port, 401..501, Arc::clone(&answers)).await;
    assert_eq!(count(&answers, 401..501, 503), 100, "acknowledging again before a restart");
    assert_eq!(health(port).await, 503);
    let log = std::fs::read_to_string(temp.path().join(format!("service-{port}.log"))).unwrap();
    assert!(log.contains("fsync failed"), "the log says why: {log}");

    // The operator restarts it (a crash, to be hard on it): every 200 is there.
    service.start_kill().unwrap();
    tokio::time::timeout(Duration::from_secs(30), service.wait()).await.expect("killed within 30 s").unwrap();
    let port = free_port();
    let _restarted = start_service_with(&env_file, &data_dir, port, temp.path(), &[]).await;
    assert_eq!(health(port).await, 200);
    let stored = stored_keys(port).await;
    let missing: Vec<u64> = (1..201).filter(|id| !stored.contains_key(&format!("msgid:{id}"))).collect();
    assert!(missing.is_empty(), "answered 200 but not stored: {missing:?}");
    let after_failure = (201..501).filter(|id| stored.contains_key(&format!("msgid:{id}"))).count();

    // WeCom retries the refused ones: each is stored once (or recognised as
    // already there, if its failed batch reached the disk after all).
    send(port, 201..501, Arc::clone(&answers)).await;
    assert_eq!(count(&answers, 201..501, 200), 300);
    let stored = stored_keys(port).await;
    assert!((1..501).all(|id| stored.get(&format!("msgid:{id}")) == Some(&1)), "each callback stored once");
    println!(
        "fsync failure: 200 acknowledged before it, 300 refused after it (100 of them with fsync working \
         again), {after_failure} of the refused on disk anyway; after the restart all 500 stored once"
    );
}
