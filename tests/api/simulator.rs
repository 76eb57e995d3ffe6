//! `pmc-webhook simulate` against a secured service, as the README runs it:
//! the tracking benchmark presents a token (flag, environment, or the one the
//! local service generated) and fails fast, with a clear message, without one.

use std::{path::Path, process::Stdio, time::Duration};

use tokio::process::{Child, Command};

use crate::{
    durability::free_port,
    helpers::{API_TOKEN, api_client},
    tracking::STATUS_SECRET,
};

/// The real binary serving `data_dir`, with `tokens` as `PMC_API_TOKENS` (none: it generates one).
async fn serve(env_file: &Path, data_dir: &Path, port: u16, tokens: Option<&str>) -> Child {
    let log = std::fs::File::create(data_dir.with_extension(format!("{port}.log"))).unwrap();
    let mut command = Command::new(crate::test_ca::service_binary());
    command
        .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
        .env_remove("PMC_API_TOKENS")
        .env_remove("PMC_API_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    if let Some(tokens) = tokens {
        command.env("PMC_API_TOKENS", tokens);
    }
    let child = command.spawn().unwrap();
    let client = api_client();
    for _ in 0..200 {
        if let Ok(response) = client.get(format!("http://127.0.0.1:{port}/health")).send().await
            && response.status() == 200
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the service did not become healthy");
}

/// Runs `simulate --status-messages 60` against `port`; returns (success, output).
async fn simulate(
    env_file: &Path,
    data_dir: &Path,
    port: u16,
    extra: &[&str],
    token_env: Option<&str>,
) -> (bool, String) {
    let mut command = Command::new(crate::test_ca::service_binary());
    command
        .args([
            "--env-file",
            env_file.to_str().unwrap(),
            "--data-dir",
            data_dir.to_str().unwrap(),
            "simulate",
        ])
        .args([
            "--url",
            &format!("http://127.0.0.1:{port}"),
            "--status-messages",
            "60",
            "--status-batch",
            "20",
        ])
        .args(extra)
        .env_remove("PMC_API_TOKENS")
        .env_remove("PMC_API_TOKEN")
        .stdin(Stdio::null())
        .kill_on_drop(true);
    if let Some(token) = token_env {
        command.env("PMC_API_TOKEN", token);
    }
    let output = tokio::time::timeout(Duration::from_secs(120), command.output())
        .await
        .expect("simulate finishes within 120 s")
        .unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    (output.status.success(), text)
}

#[tokio::test]
async fn smoke_the_tracking_benchmark_runs_against_a_secured_service_and_fails_fast_without_a_token() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    std::fs::write(&env_file, format!("STATUS_WEBHOOK_SECRET={STATUS_SECRET}\n")).unwrap();
    let (configured, generated) = (temp.path().join("configured"), temp.path().join("generated"));
    std::fs::create_dir_all(&configured).unwrap();
    std::fs::create_dir_all(&generated).unwrap();
    let elsewhere = temp.path().join("elsewhere");

    let port = free_port();
    let _service = serve(&env_file, &configured, port, Some(&format!("rw:{API_TOKEN}"))).await;
    let (ok, output) = simulate(&env_file, &elsewhere, port, &[], None).await;
    assert!(!ok, "no token: {output}");
    assert!(output.contains("401") && output.contains("--token"), "a clear error: {output}");
    let (ok, output) =
        simulate(&env_file, &elsewhere, port, &["--token", "wrong-token-000000000"], None).await;
    assert!(!ok && output.contains("401"), "a wrong token: {output}");
    let (ok, output) = simulate(&env_file, &elsewhere, port, &["--token", API_TOKEN], None).await;
    assert!(ok && output.contains("180 observations"), "--token: {output}");
    let (ok, output) = simulate(&env_file, &elsewhere, port, &[], Some(API_TOKEN)).await;
    assert!(ok && output.contains("180 observations"), "PMC_API_TOKEN: {output}");

    // No token configured: the service generates one; the simulator finds it in the same data directory.
    let port = free_port();
    let _service = serve(&env_file, &generated, port, None).await;
    assert!(generated.join("api_token").exists());
    let (ok, output) = simulate(&env_file, &generated, port, &[], None).await;
    assert!(ok && output.contains("180 observations"), "the generated token: {output}");
}
