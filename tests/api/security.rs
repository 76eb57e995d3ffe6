//! Security by default: bearer tokens on the management API, open callback,
//! health, metrics and docs routes, and the token generated at first start.

use pmc_webhook::wecom::EnvelopeFormat;
use serde_json::Value;

use crate::{
    durability::free_port,
    helpers::{
        API_TOKEN, CORP_ID, READ_ONLY_TOKEN, app_crypto, app_text, demo_env, spawn_app, spawn_app_with,
    },
};

/// Every management operation in the spec, with a body it accepts.
fn management_operations(spec: &Value) -> Vec<(String, String)> {
    let mut operations = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            if operation.get("security").is_some() {
                operations.push((method.to_uppercase(), path.replace("{id}", "msg_x")));
            }
        }
    }
    operations
}

#[tokio::test]
async fn every_management_operation_refuses_a_caller_without_a_valid_token() {
    let app = spawn_app().await;
    let spec = app.get_json("/openapi.json").await;
    let operations = management_operations(&spec);
    assert!(operations.len() >= 20, "guarded operations: {operations:?}");
    let anonymous = reqwest::Client::new();
    for (method, path) in &operations {
        let url = format!("{}{path}", app.base_url);
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        for token in [None, Some("not-a-token-of-ours-at-all"), Some("")] {
            let mut request = anonymous.request(method.clone(), &url).body("{}");
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 401, "{method} {path} with {token:?}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let body: Value = response.json().await.unwrap();
            assert!(["missing_token", "invalid_token"].contains(&body["error"].as_str().unwrap()), "{body}");
        }
    }
}

#[tokio::test]
async fn a_read_only_token_reads_but_cannot_change_anything() {
    let app = spawn_app().await;
    let read_only = reqwest::Client::new();
    let get = read_only
        .get(format!("{}/api/v1/messages", app.base_url))
        .bearer_auth(READ_ONLY_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(get.status(), 200);
    let post = read_only
        .post(format!("{}/api/v1/messages", app.base_url))
        .bearer_auth(READ_ONLY_TOKEN)
        .json(&serde_json::json!({"recipients": ["zhangsan"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 403);
    let body: Value = post.json().await.unwrap();
    assert_eq!(body["error"], "insufficient_scope");
    assert!(!body.to_string().contains(READ_ONLY_TOKEN));
    // The same call with the read-write token is taken.
    let taken = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&serde_json::json!({"recipients": ["zhangsan"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(taken.status(), 201);
}

#[tokio::test]
async fn callbacks_health_metrics_and_docs_need_no_token() {
    let app = spawn_app().await;
    let anonymous = reqwest::Client::new();
    let (query, body) = app_text(7, "no token needed");
    let callback = anonymous
        .post(format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(callback.status(), 200);
    for path in ["/health", "/metrics", "/openapi.json", "/openapi.yaml", "/docs/"] {
        let response = anonymous.get(format!("{}{path}", app.base_url)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    let spec = app.get_json("/openapi.json").await;
    let scheme = &spec["components"]["securitySchemes"]["ApiToken"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let guarded = operation.get("security").is_some();
            let callback = path.starts_with("/api/v1/webhooks/") && path != "/api/v1/webhooks/handlers";
            assert_eq!(guarded, !(callback || path == "/health"), "{method} {path}");
            if guarded {
                assert!(operation["responses"].get("401").is_some(), "{method} {path} documents 401");
                assert!(operation["responses"].get("403").is_some(), "{method} {path} documents 403");
            }
        }
    }
}

#[tokio::test]
async fn without_configured_tokens_one_is_generated_once_and_kept_in_the_data_directory() {
    let env: Vec<_> = demo_env().into_iter().filter(|(name, _)| *name != "PMC_API_TOKENS").collect();
    let app = spawn_app_with(&env).await;
    let stored = std::fs::read_to_string(app.data_dir.join("api_token")).unwrap();
    let token = stored.trim().strip_prefix("rw:").expect("a read-write token").to_owned();
    assert!(token.len() >= 40, "{token}");
    let anonymous = reqwest::Client::new();
    let url = format!("{}/api/v1/status", app.base_url);
    assert_eq!(anonymous.get(&url).send().await.unwrap().status(), 401);
    assert_eq!(anonymous.get(&url).bearer_auth(&token).send().await.unwrap().status(), 200);
    // The test tokens are not configured here, so they are refused.
    assert_eq!(anonymous.get(&url).bearer_auth(API_TOKEN).send().await.unwrap().status(), 401);
    // A restart keeps the same token.
    let app = app.restart(&env).await;
    assert_eq!(std::fs::read_to_string(app.data_dir.join("api_token")).unwrap(), stored);
    let url = format!("{}/api/v1/status", app.base_url);
    assert_eq!(anonymous.get(&url).bearer_auth(&token).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_binary_prints_a_generated_token_once_and_never_logs_it() {
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    let log_file = temp.path().join("logs/service.log");
    std::fs::write(&env_file, format!("LOG_FILE={}\nLOG_FORMAT=json\n", log_file.display())).unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_pmc-webhook"))
            .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
            .env_remove("PMC_API_TOKENS")
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let mut outputs = Vec::new();
    for _ in 0..2 {
        let child = run();
        let client = reqwest::Client::new();
        for _ in 0..200 {
            if client.get(format!("http://127.0.0.1:{port}/health")).send().await.is_ok() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert!(
            std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap()
                .success()
        );
        let output = child.wait_with_output().unwrap();
        outputs.push((
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        ));
    }
    let token = std::fs::read_to_string(data_dir.join("api_token"))
        .unwrap()
        .trim()
        .trim_start_matches("rw:")
        .to_owned();
    let (first_out, first_err) = &outputs[0];
    assert!(first_err.contains(&token), "the first start shows the token on stderr");
    assert!(!first_out.contains(&token), "standard output (the log) never holds it");
    let (second_out, second_err) = &outputs[1];
    assert!(!second_err.contains(&token) && !second_out.contains(&token), "shown only once");
    // Rotated daily: the file name carries the date.
    let logged: String = std::fs::read_dir(temp.path().join("logs"))
        .unwrap()
        .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
        .collect();
    assert!(logged.contains("generated"), "the log says a token was generated: {logged}");
    assert!(!logged.contains(&token), "the log file never holds the token");
}

/// An authentic app text message signed at `timestamp`.
fn app_text_at(msg_id: u64, timestamp: i64) -> (String, String) {
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>{timestamp}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[replayed?]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    );
    app_crypto()
        .seal_callback(&plaintext, EnvelopeFormat::Xml, &timestamp.to_string(), "42", &rand::random())
        .unwrap()
}

#[tokio::test]
async fn authentic_callbacks_signed_outside_the_window_are_refused_as_replays() {
    let app = spawn_app().await;
    let now = chrono::Utc::now().timestamp();
    for (offset, accepted) in
        [(0i64, true), (-590, true), (590, true), (-700, false), (3600, false), (-86_400, false)]
    {
        let (query, body) = app_text_at(9_000_000 + (offset + 100_000) as u64, now + offset);
        let response = app.post("/api/v1/webhooks/wechat/api", &query, body).await;
        if accepted {
            assert_eq!(response.status(), 200, "{offset} s");
        } else {
            assert_eq!(response.status(), 403, "{offset} s");
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"], "stale_timestamp");
        }
    }
    assert_eq!(app.all_events().await.len(), 3, "refused replays are not stored");
    // A forgery is still reported as a forgery, whatever its timestamp.
    let forged = app
        .post(
            "/api/v1/webhooks/wechat/api",
            "msg_signature=bad&timestamp=1&nonce=2",
            "<xml><Encrypt>AAAA</Encrypt></xml>",
        )
        .await;
    assert_eq!(forged.status(), 403);
    assert_eq!(forged.json::<Value>().await.unwrap()["error"], "signature_mismatch");
    // The URL check too: an old echostr request is refused.
    let stale_echo =
        app_crypto().seal_verification("hello", &(now - 3600).to_string(), "1", &[5; 16]).unwrap();
    let response = app.get(&format!("/api/v1/webhooks/wechat/api?{stale_echo}")).await;
    assert_eq!(response.status(), 403);
    let fresh_echo = app_crypto().seal_verification("hello", &now.to_string(), "1", &[5; 16]).unwrap();
    let response = app.get(&format!("/api/v1/webhooks/wechat/api?{fresh_echo}")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "hello");
}

#[tokio::test]
async fn the_timestamp_window_can_be_turned_off() {
    let mut env = demo_env();
    env.push(("PMC_TIMESTAMP_WINDOW_SECS", "0".to_owned()));
    let app = spawn_app_with(&env).await;
    let (query, body) = app_text_at(1, chrono::Utc::now().timestamp() - 86_400 * 365);
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
}

#[tokio::test]
async fn with_an_allowlist_only_wecom_addresses_may_call_back_even_through_a_trusted_proxy() {
    let mut env = demo_env();
    env.push(("PMC_CALLBACK_IPS", "101.226.0.0/16, 10.9.9.9".to_owned()));
    env.push(("PMC_TRUSTED_PROXIES", "127.0.0.1/32".to_owned()));
    let app = spawn_app_with(&env).await;
    let send = |forwarded: Option<&'static str>| {
        let (query, body) = app_text(rand::random::<u32>().into(), "allowlisted?");
        let mut request = reqwest::Client::new()
            .post(format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url))
            .body(body);
        if let Some(forwarded) = forwarded {
            request = request.header("X-Forwarded-For", forwarded);
        }
        request.send()
    };
    // Loopback is a trusted proxy here, not a WeCom address.
    let direct = send(None).await.unwrap();
    assert_eq!(direct.status(), 403);
    assert_eq!(direct.json::<Value>().await.unwrap()["error"], "address_not_allowed");
    assert_eq!(send(Some("101.226.7.8")).await.unwrap().status(), 200);
    assert_eq!(send(Some("6.6.6.6, 10.9.9.9")).await.unwrap().status(), 200, "the proxy's own entry counts");
    assert_eq!(send(Some("10.9.9.9, 6.6.6.6")).await.unwrap().status(), 403, "a spoofed left entry does not");
    // The management API is not behind the callback allowlist.
    assert_eq!(app.get("/api/v1/status").await.status(), 200);
    let events = app.all_events().await;
    assert_eq!(events.len(), 2);
    let mut sources = Vec::new();
    for event in &events {
        sources.push(app.get_json(&format!("/api/v1/events/{}", event["id"])).await["source_ip"].clone());
    }
    assert!(sources.contains(&Value::from("101.226.7.8")), "the forwarded client is recorded: {sources:?}");
}

#[tokio::test]
async fn a_flood_from_one_address_is_rate_limited_but_listed_addresses_never_are() {
    let mut env = demo_env();
    env.push(("PMC_CALLBACK_RATE_LIMIT", "5".to_owned()));
    env.push(("PMC__SECURITY__CALLBACK_RATE_LIMIT_BURST", "5".to_owned()));
    env.push(("PMC_CALLBACK_IPS", "101.226.0.0/16".to_owned()));
    env.push(("PMC__SECURITY__ENFORCE_CALLBACK_IPS", "false".to_owned()));
    env.push(("PMC_TRUSTED_PROXIES", "127.0.0.1".to_owned()));
    let app = spawn_app_with(&env).await;
    let mut statuses = Vec::new();
    for index in 0..30 {
        let (query, body) = app_text(50_000 + index, "flood");
        let response = app
            .client
            .post(format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url))
            .header("X-Real-IP", "198.51.100.77")
            .body(body)
            .send()
            .await
            .unwrap();
        statuses.push(response.status().as_u16());
        if response.status() == 429 {
            assert!(response.headers()["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
            assert_eq!(response.json::<Value>().await.unwrap()["error"], "rate_limited");
        }
    }
    let accepted = statuses.iter().filter(|status| **status == 200).count();
    assert!((5..=10).contains(&accepted), "{statuses:?}");
    assert!(statuses.contains(&429));
    for index in 0..30 {
        let (query, body) = app_text(60_000 + index, "wecom");
        let response = app
            .client
            .post(format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url))
            .header("X-Real-IP", "101.226.1.1")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "a WeCom address is never limited");
    }
    assert_eq!(app.get("/health").await.status(), 200);
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("pmc_callback_guard_refusals_total{reason=\"rate_limited\"}"), "{metrics}");
}

#[tokio::test]
async fn oversized_management_bodies_are_refused_before_they_are_read() {
    let app = spawn_app().await;
    let huge = vec![b'x'; 5 << 20];
    let response =
        app.client.post(format!("{}/api/v1/messages", app.base_url)).body(huge).send().await.unwrap();
    assert_eq!(response.status(), 413);
    assert_eq!(response.json::<Value>().await.unwrap()["error"], "body_too_large");
    // Without a length (chunked), it is cut off while streaming.
    let chunks = futures::stream::iter((0..80).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 << 10])));
    let response = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await;
    match response {
        Ok(response) => assert!(response.status().is_client_error(), "{}", response.status()),
        Err(error) => assert!(error.is_request() || error.is_body(), "{error}"),
    }
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn the_status_webhook_secret_rotates_with_an_overlap_window() {
    use crate::tracking::STATUS_SECRET;
    const NEW_SECRET: &str = "whsec_bmV3LXN0YXR1cy13ZWJob29rLXNlY3JldA==";
    let rotating = |expires_at: chrono::DateTime<chrono::Utc>| {
        let mut env = demo_env();
        env.push(("STATUS_WEBHOOK_SECRET", NEW_SECRET.to_owned()));
        env.push(("STATUS_WEBHOOK_PREVIOUS_SECRET", STATUS_SECRET.to_owned()));
        env.push(("STATUS_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT", expires_at.to_rfc3339()));
        env
    };
    let app = spawn_app_with(&rotating(chrono::Utc::now() + chrono::Duration::hours(1))).await;
    assert_eq!(post_read(&app, NEW_SECRET, "rot-new").await, 202);
    assert_eq!(post_read(&app, STATUS_SECRET, "rot-old").await, 202, "within the overlap");
    let other = "whsec_c29tZS1vdGhlci1zZWNyZXQtbm90LW91cnM=";
    assert_eq!(post_read(&app, other, "rot-forged").await, 401);
    drop(app);

    let app = spawn_app_with(&rotating(chrono::Utc::now() - chrono::Duration::seconds(1))).await;
    assert_eq!(post_read(&app, NEW_SECRET, "rot-new-2").await, 202);
    assert_eq!(post_read(&app, STATUS_SECRET, "rot-old-2").await, 401, "after the overlap");

    let mut no_expiry = demo_env();
    no_expiry.push(("STATUS_WEBHOOK_SECRET", NEW_SECRET.to_owned()));
    no_expiry.push(("STATUS_WEBHOOK_PREVIOUS_SECRET", STATUS_SECRET.to_owned()));
    let error =
        crate::helpers::settings_for(&no_expiry, std::path::Path::new("/tmp")).unwrap_err().to_string();
    assert!(error.contains("STATUS_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT"), "{error}");
    assert!(!error.contains(STATUS_SECRET), "never echoes a secret: {error}");
}

/// A status callback marking message `id` read, signed with `secret` now.
async fn post_read(app: &crate::helpers::TestApp, secret: &str, id: &str) -> u16 {
    let body = serde_json::json!({"message_id": id, "status": "read"});
    crate::tracking::post_status_signed(app, id, &body, secret, chrono::Utc::now().timestamp())
        .await
        .status()
        .as_u16()
}
