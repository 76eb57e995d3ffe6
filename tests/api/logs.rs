//! Logs: JSON lines into a daily-rotated file, each line of a request
//! carrying its request id (the caller's `X-Request-Id`, echoed back), and
//! the callback's dedupe key as a field.

use std::time::{Duration, Instant};

use crate::{
    durability::{free_port, start_service},
    helpers::{APP_KEY, APP_TOKEN, CORP_ID, app_text},
};

#[tokio::test]
async fn json_logs_go_to_a_rotated_file_with_the_request_id_on_every_line() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    let log_file = temp.path().join("logs/webhook_service.log");
    std::fs::write(
        &env_file,
        format!(
            "WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\n\
             LOG_FORMAT=json\nLOG_LEVEL=info,pmc_webhook::webhooks=debug\nLOG_FILE={}\n",
            log_file.display()
        ),
    )
    .unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let _service = start_service(&env_file, &data_dir, port).await;

    let (query, body) = app_text(4242, "logged");
    let response = crate::helpers::api_client()
        .post(format!("http://127.0.0.1:{port}/api/v1/webhooks/wechat/api?{query}"))
        .header("X-Request-Id", "req-test-42")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-request-id"], "req-test-42");
    let generated = reqwest::get(format!("http://127.0.0.1:{port}/health")).await.unwrap();
    assert_eq!(generated.headers()["x-request-id"].len(), 16, "an id is made when none is sent");

    // The file is written in the background: wait for the line.
    let started = Instant::now();
    let line = loop {
        let logs = std::fs::read_dir(temp.path().join("logs")).unwrap();
        let text: String = logs
            .filter_map(|entry| std::fs::read_to_string(entry.ok()?.path()).ok())
            .collect::<Vec<_>>()
            .join("\n");
        if let Some(line) =
            text.lines().find(|line| line.contains("req-test-42") && line.contains("dedupe_key"))
        {
            break line.to_owned();
        }
        assert!(started.elapsed() < Duration::from_secs(10), "no line with the request id in:\n{text}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let json: serde_json::Value = serde_json::from_str(&line).expect("a JSON line");
    assert_eq!(json["span"]["request_id"], "req-test-42", "{json}");
    assert!(json["dedupe_key"].as_str().unwrap().contains("4242"), "{json}");
}
