//! The management API: health, status, events (filters, cursors, errors),
//! the OpenAPI spec and Swagger UI.

use serde_json::Value;

use crate::helpers::{app_text, spawn_app};

#[tokio::test]
async fn health_reports_the_event_log_ready() {
    let app = spawn_app().await;
    let health = app.get_json("/health").await;
    assert_eq!(health["status"], "ok");
    assert_eq!(health["event_log_ready"], true);
}

#[tokio::test]
async fn status_names_the_service_backends_and_counters() {
    let app = spawn_app().await;
    let (query, body) = app_text(1, "a");
    app.post("/api/v1/webhooks/wechat/api", &query, body.clone()).await;
    app.post("/api/v1/webhooks/wechat/api", &query, body).await;
    app.post(
        "/api/v1/webhooks/wechat/api",
        "msg_signature=bad&timestamp=1&nonce=2",
        "<xml><Encrypt>AAAA</Encrypt></xml>",
    )
    .await;
    let status = app.get_json("/api/v1/status").await;
    assert_eq!(status["service"], "PMC通知服务");
    assert_eq!(status["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(status["storage"]["mode"], "embedded");
    let backends = status["storage"]["backends"].as_array().unwrap();
    assert_eq!(backends[0]["name"], "event_log");
    assert_eq!(backends[0]["in_use"], true);
    assert_eq!(backends[0]["healthy"], true);
    assert!(backends.iter().any(|b| b["name"] == "mysql" && b["configured"] == false));
    let count = |outcome: &str| -> u64 {
        status["callbacks"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|row| row["outcome"] == outcome)
            .map(|row| row["count"].as_u64().unwrap())
            .sum()
    };
    assert_eq!(count("stored"), 1);
    assert_eq!(count("duplicate"), 1);
    assert_eq!(count("-40001"), 1);
    // The supervisor applies committed events asynchronously; poll briefly.
    for _ in 0..50 {
        if app.get_json("/api/v1/status").await["actors"]["events_applied"] == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the supervisor never applied the stored event");
}

#[tokio::test]
async fn events_filter_by_type_user_and_time_and_page_with_cursors() {
    let app = spawn_app().await;
    for msg_id in 0..7u64 {
        let (query, body) = app_text(msg_id, "page");
        assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    }
    let first = app.get_json("/api/v1/events?limit=3").await;
    let ids: Vec<i64> =
        first["events"].as_array().unwrap().iter().map(|e| e["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![7, 6, 5], "newest first");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app.get_json(&format!("/api/v1/events?limit=3&cursor={cursor}")).await;
    assert_eq!(second["events"][0]["id"], 4);
    let last = app.get_json("/api/v1/events?limit=3&cursor=2").await;
    assert_eq!(last["events"].as_array().unwrap().len(), 1);
    assert!(last["next_cursor"].is_null());

    assert_eq!(app.get_json("/api/v1/events?type=message.text").await["events"].as_array().unwrap().len(), 7);
    assert_eq!(app.get_json("/api/v1/events?type=message.*").await["events"].as_array().unwrap().len(), 7);
    assert_eq!(app.get_json("/api/v1/events?type=event.*").await["events"].as_array().unwrap().len(), 0);
    assert_eq!(app.get_json("/api/v1/events?user_id=zhangsan").await["events"].as_array().unwrap().len(), 7);
    assert_eq!(app.get_json("/api/v1/events?user_id=nobody").await["events"].as_array().unwrap().len(), 0);
    assert_eq!(
        app.get_json("/api/v1/events?since=2000-01-01T00:00:00Z").await["events"].as_array().unwrap().len(),
        7
    );
    assert_eq!(
        app.get_json("/api/v1/events?until=2000-01-01T00:00:00Z").await["events"].as_array().unwrap().len(),
        0
    );
}

#[tokio::test]
async fn bad_parameters_and_unknown_ids_get_json_errors() {
    let app = spawn_app().await;
    for (path, status, kind) in [
        ("/api/v1/events/424242", 404, "not_found"),
        ("/api/v1/events/not-a-number", 400, "invalid_parameter"),
        ("/api/v1/events?limit=0", 400, "invalid_parameter"),
        ("/api/v1/events?limit=10000", 400, "invalid_parameter"),
        ("/api/v1/events?since=yesterday", 400, "invalid_parameter"),
        ("/api/v1/events?cursor=abc", 400, "invalid_parameter"),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        let body: Value = response.json().await.unwrap_or_else(|_| panic!("{path}: not JSON"));
        assert_eq!(body["error"], kind, "{path}");
    }
}

#[tokio::test]
async fn the_openapi_spec_and_swagger_ui_are_served_from_the_binary() {
    let app = spawn_app().await;
    let spec = app.get_json("/openapi.json").await;
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/webhooks/wechat/api",
        "/api/v1/webhooks/wechat/bot",
        "/health",
        "/api/v1/status",
        "/api/v1/events",
        "/api/v1/events/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "{path} missing from the spec");
    }
    let docs = app.get("/docs").await;
    assert_eq!(docs.status(), 200);
    let html = docs.text().await.unwrap();
    assert!(html.contains("swagger"), "Swagger UI page");
    assert!(!html.contains("cdn.jsdelivr") && !html.contains("unpkg.com"), "no CDN");
}
