//! `GET /metrics` after some traffic: the families ops rely on are there
//! with the right values, and `promtool check metrics` (Prometheus's own
//! linter, installed by the test command) accepts the scrape.

use serde_json::json;

use crate::{
    helpers::{app_text, spawn_app_with},
    tracking::{eventually, post_status, tracking_env},
};

#[tokio::test]
async fn a_live_scrape_passes_promtool_and_counts_what_happened() {
    let app = spawn_app_with(&tracking_env()).await;
    let (query, body) = app_text(77, "metrics");
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body.clone()).await.status(), 200);
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200, "a retry");
    assert_eq!(
        app.post("/api/v1/webhooks/wechat/api", "msg_signature=x&timestamp=1&nonce=n", "<xml/>")
            .await
            .status(),
        400
    );
    assert_eq!(
        post_status(&app, "m-0", &json!({"message_id": "metered", "status": "read"})).await.status(),
        202
    );
    eventually(&app, "/api/v1/messages/metered/status", |status| status["status"] == "read").await;

    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    for expected in [
        r#"pmc_callbacks_total{channel="wechat_api",account="default",type="message.text",outcome="stored"} 1"#,
        r#"pmc_callbacks_total{channel="wechat_api",account="default",type="message.text",outcome="duplicate"} 1"#,
        r#"pmc_callback_ack_seconds_count{channel="wechat_api"} 3"#,
        r#"pmc_callback_ack_seconds_bucket{channel="wechat_api",le="+Inf"} 3"#,
        "pmc_tracking_running 1",
        "pmc_actors_live 1",
        r#"pmc_backend_up{backend="sqlite"} 1"#,
        r#"pmc_deliveries{state="dead"} 0"#,
        "pmc_dead_letters_total 0",
    ] {
        assert!(text.contains(expected), "missing {expected}:\n{text}");
    }
    assert!(text.contains("-40001") || text.contains("outcome=\"-400"), "refusals by WeCom code:\n{text}");

    // Every metric the dashboard and the alert rules query exists.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy");
    for file in ["grafana/pmc-webhook.json", "prometheus/alerts.yml"] {
        let queries = std::fs::read_to_string(root.join(file)).unwrap();
        for name in metric_names(&queries) {
            let family = name.trim_end_matches("_bucket");
            // Only exported when MongoDB is configured (tested in external mode).
            if family == "pmc_raw_log_lag_events" {
                continue;
            }
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{file} queries {name}, which is not exported"
            );
        }
    }

    match which("promtool") {
        Some(promtool) => {
            let mut child = std::process::Command::new(promtool)
                .args(["check", "metrics"])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes()).unwrap();
            let output = child.wait_with_output().unwrap();
            assert!(
                output.status.success(),
                "promtool check metrics: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        None => assert!(std::env::var_os("CI").is_none(), "CI must run promtool (tests/tools/install.sh)"),
    }
}

fn which(tool: &str) -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|dir| std::path::Path::new(dir).join(tool))
        .find(|path| path.is_file())
}

/// The `pmc_…` names in a text.
fn metric_names(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("pmc_") {
        let tail = &rest[start..];
        let end = tail.find(|c: char| !(c.is_ascii_lowercase() || c == '_')).unwrap_or(tail.len());
        names.insert(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names.retain(|name| name != "pmc_" && !name.ends_with('_'));
    names
}
