//! Sending through WeCom, end to end against the fake WeCom: queued →
//! sent / failed per recipient, card click → read, card update and recall,
//! idempotent retries, faults and retries, the queue across a restart, and
//! the shared token across two service processes.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use serde_json::{Value, json};

use crate::{
    fake_wecom::{FakeWeCom, Fault},
    helpers::{TestApp, spawn_app_with},
    tracking::tracking_env,
};

pub(crate) fn env(fake: &FakeWeCom) -> Vec<(&'static str, String)> {
    let mut env = tracking_env();
    env.extend(fake.env());
    // Retries a second apart instead of WeCom's minute.
    env.push(("PMC__SENDING__RATE_LIMITED_BACKOFF_SECS", "1".to_owned()));
    env.push(("PMC__SENDING__FIRST_RETRY_SECS", "1".to_owned()));
    env
}

pub(crate) async fn send(app: &TestApp, body: Value, idempotency_key: Option<&str>) -> reqwest::Response {
    let mut request = app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body);
    if let Some(key) = idempotency_key {
        request = request.header("Idempotency-Key", key);
    }
    request.send().await.unwrap()
}

/// Polls `path` (up to 20 s) until `done` holds.
pub(crate) async fn until(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let response = app.get(path).await;
        let last: Value = if response.status() == 200 { response.json().await.unwrap() } else { Value::Null };
        if done(&last) {
            return last;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{path} never got there; last: {last}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub(crate) fn states(status: &Value) -> Vec<(String, String)> {
    let mut states: Vec<(String, String)> = status["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["recipient"].as_str().unwrap().to_owned(), r["status"].as_str().unwrap().to_owned()))
        .collect();
    states.sort();
    states
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test]
async fn an_app_message_is_queued_then_sent_or_failed_per_recipient() {
    let fake = FakeWeCom::start().await;
    fake.set_invalid_users(&["Ghost"]);
    let app = spawn_app_with(&env(&fake)).await;
    let body = json!({"id": "hello-1", "channel": "wecom_app", "recipients": ["alice", "bob", "Ghost"],
                      "msgtype": "text", "text": {"content": "你好"}, "enable_duplicate_check": true});
    let response = send(&app, body, None).await;
    assert_eq!(response.status(), 202);
    let queued: Value = response.json().await.unwrap();
    assert_eq!(queued["status"], "queued");
    assert_eq!(queued["counts"], json!({"queued": 3}));

    let status = until(&app, "/api/v1/messages/hello-1/status", |s| {
        s["counts"].is_object() && s["counts"]["queued"].is_null()
    })
    .await;
    assert_eq!(states(&status), pairs(&[("Ghost", "failed"), ("alice", "sent"), ("bob", "sent")]));
    let history = app.get_json("/api/v1/messages/hello-1/history").await;
    let ghost_failed = history["history"].as_array().unwrap().iter().any(|row| {
        row["recipient"] == "Ghost" && row["status"] == "failed" && row["detail"] == "invaliduser"
    });
    assert!(ghost_failed, "{history}");
    let sends = fake.calls("message/send");
    assert_eq!(sends.len(), 1);
    assert_eq!(
        sends[0].body,
        json!({"touser": "alice|bob|Ghost", "msgtype": "text", "agentid": 1000002,
               "text": {"content": "你好"}, "enable_duplicate_check": 1})
    );
    assert_eq!(fake.tokens_issued(), 1);
    let message = app.get_json("/api/v1/messages/hello-1").await;
    assert_eq!(message["channel"], "wecom_app");
    assert_eq!(message["wecom_msgid"], "msgid-1");
}

#[tokio::test]
async fn a_card_is_sent_clicked_read_updated_and_recalled() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let card = json!({"card_type": "button_interaction", "task_id": "task-e2e-1",
                      "main_title": {"title": "审批"}, "button_list": [{"text": "同意", "key": "approve"}]});
    let body = json!({"id": "card-1", "channel": "wecom_app", "recipients": ["alice", "bob"],
                      "msgtype": "template_card", "template_card": card});
    assert_eq!(send(&app, body, None).await.status(), 202);
    until(&app, "/api/v1/messages/card-1/status", |s| s["counts"] == json!({"sent": 2})).await;

    // Alice clicks: WeCom calls the service back; the click counts as read.
    assert_eq!(fake.click_card(&app.base_url, "alice", "task-e2e-1", "approve").await, 200);
    let status = until(&app, "/api/v1/messages/card-1/status", |s| s["counts"]["read"] == 1).await;
    assert_eq!(states(&status), pairs(&[("alice", "read"), ("bob", "sent")]));
    let clicks = app.get_json("/api/v1/interactions?message_id=card-1").await;
    assert_eq!(clicks["interactions"][0]["kind"], "card_click", "{clicks}");

    // Grey out the buttons with the send's response code (usable once).
    let patch = |body: Value| {
        app.client.patch(format!("{}/api/v1/messages/card-1/card", app.base_url)).json(&body).send()
    };
    let updated = patch(json!({"button": {"replace_name": "已处理"}})).await.unwrap();
    assert_eq!(updated.status(), 200);
    let call = &fake.calls("message/update_template_card")[0].body;
    assert_eq!(call["response_code"], "response-code-1");
    assert_eq!(call["atall"], 1);
    assert_eq!(call["agentid"], 1000002);
    let again = patch(json!({"button": {"replace_name": "again"}})).await.unwrap();
    assert_eq!(again.status(), 502, "WeCom refuses a used response code");
    assert_eq!(again.json::<Value>().await.unwrap()["errcode"], 40129);

    let recalled =
        app.client.post(format!("{}/api/v1/messages/card-1/recall", app.base_url)).send().await.unwrap();
    assert_eq!(recalled.status(), 200);
    assert_eq!(fake.calls("message/recall")[0].body, json!({"msgid": "msgid-1"}));
    let status = until(&app, "/api/v1/messages/card-1/status", |s| s["status"] == "recalled").await;
    assert_eq!(status["counts"], json!({"recalled": 2}));
}

#[tokio::test]
async fn a_retried_post_answers_the_first_result_and_sends_once() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let body = json!({"channel": "wecom_app", "recipients": ["carol"], "msgtype": "markdown",
                      "markdown": {"content": "**report** ready"}});
    let first: Value = send(&app, body.clone(), Some("order-77")).await.json().await.unwrap();
    let retry = send(&app, body.clone(), Some("order-77")).await;
    assert_eq!(retry.status(), 202);
    let retry: Value = retry.json().await.unwrap();
    assert_eq!(retry["id"], first["id"], "the same message");
    let path = format!("/api/v1/messages/{}/status", first["id"].as_str().unwrap());
    until(&app, &path, |s| s["status"] == "sent").await;
    let late_retry: Value = send(&app, body, Some("order-77")).await.json().await.unwrap();
    assert_eq!(late_retry["status"], "sent", "a later retry sees the outcome");

    let other =
        json!({"channel": "wecom_app", "recipients": ["carol"], "msgtype": "text", "text": {"content": "x"}});
    let reused = send(&app, other, Some("order-77")).await;
    assert_eq!(reused.status(), 409);
    assert_eq!(reused.json::<Value>().await.unwrap()["error"], "idempotency_key_reused");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(fake.calls("message/send").len(), 1, "sent once");
}

#[tokio::test]
async fn faults_are_retried_and_permanent_errors_fail_the_message() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    // 500, then 45009, then an expired token: each is waited out or refreshed.
    fake.fail_next("message/send", Fault::Http(500));
    fake.fail_next("message/send", Fault::Errcode(45009));
    fake.fail_next("gettoken", Fault::Slow(Duration::from_millis(300)));
    assert_eq!(fake.tokens_issued(), 0);
    let body = json!({"id": "retry-1", "channel": "wecom_app", "recipients": ["dave"], "msgtype": "text",
                      "text": {"content": "hi"}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    // The token is fetched on the first try; expire it before the third.
    let started = Instant::now();
    while fake.calls("message/send").len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    fake.expire_tokens();
    until(&app, "/api/v1/messages/retry-1/status", |s| s["status"] == "sent").await;
    assert_eq!(fake.calls("message/send").len(), 4, "500, 45009, 42001, ok");
    assert_eq!(fake.tokens_issued(), 2, "one refresh after 42001");

    // 60020 (IP not trusted) is configuration: no retry, the message fails with the code.
    fake.fail_next("message/send", Fault::Errcode(60020));
    let body = json!({"id": "untrusted-1", "channel": "wecom_app", "recipients": ["erin"], "msgtype": "text",
                      "text": {"content": "hi"}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    until(&app, "/api/v1/messages/untrusted-1/status", |s| s["status"] == "failed").await;
    let history = app.get_json("/api/v1/messages/untrusted-1/history").await;
    let detail = history["history"].as_array().unwrap().last().unwrap()["detail"].clone();
    assert!(detail.as_str().unwrap().contains("60020"), "{history}");
}

#[tokio::test]
async fn a_robot_message_is_sent_to_the_group() {
    let fake = FakeWeCom::start().await;
    let app = spawn_app_with(&env(&fake)).await;
    let body = json!({"id": "bot-1", "channel": "wecom_bot", "msgtype": "markdown",
                      "markdown": {"content": "## 构建成功"}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    let status = until(&app, "/api/v1/messages/bot-1/status", |s| s["status"] == "sent").await;
    assert_eq!(status["counts"], json!({"sent": 1}));
    assert_eq!(
        fake.calls("webhook/send")[0].body,
        json!({"msgtype": "markdown", "markdown": {"content": "## 构建成功"}})
    );
    // A file given as content is uploaded first, then sent by its media_id.
    use base64::Engine;
    let report = base64::engine::general_purpose::STANDARD.encode("月报 2026-11".repeat(100));
    let body = json!({"id": "bot-file-1", "channel": "wecom_bot", "msgtype": "file",
                      "file": {"filename": "report.txt", "base64": report}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    until(&app, "/api/v1/messages/bot-file-1/status", |s| s["status"] == "sent").await;
    let upload = &fake.calls("webhook/upload_media")[0];
    assert!(upload.body["bytes"].as_u64().unwrap() > 1300, "{:?}", upload.body);
    let sent = &fake.calls("webhook/send")[1].body;
    assert_eq!(sent["msgtype"], "file");
    assert!(sent["file"]["media_id"].as_str().unwrap().starts_with("media-"), "{sent}");
    // Bad sends are refused before queueing, with the reason.
    let bad = send(
        &app,
        json!({"channel": "wecom_bot", "msgtype": "template_card",
                                "template_card": {"card_type": "button_interaction", "task_id": "t"}}),
        None,
    )
    .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.text().await.unwrap().contains("card_type must be"));
}

#[tokio::test]
async fn queued_sends_survive_a_restart() {
    let fake = FakeWeCom::start().await;
    let env = env(&fake);
    for _ in 0..3 {
        fake.fail_next("message/send", Fault::Http(503));
    }
    let app = spawn_app_with(&env).await;
    for n in 0..3 {
        let body = json!({"id": format!("durable-{n}"), "channel": "wecom_app", "recipients": [format!("u{n}")],
                          "msgtype": "text", "text": {"content": "hi"}});
        assert_eq!(send(&app, body, None).await.status(), 202);
    }
    let started = Instant::now();
    while fake.calls("message/send").len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Stopped in the middle of the retry schedule.
    let app = app.restart(&env).await;
    for n in 0..3 {
        until(&app, &format!("/api/v1/messages/durable-{n}/status"), |s| s["status"] == "sent").await;
    }
    assert_eq!(fake.calls("message/send").len(), 6, "three 503s, then each sent once");
}

#[tokio::test]
async fn two_replicas_share_one_token_and_send_a_retried_post_once() {
    use crate::backends::shared;
    let Some(backends) = shared() else { return };
    let fake = FakeWeCom::start().await;
    let (replicas, _db) = two_replicas(&backends, &fake, "pmc_token").await;
    let urls = &replicas.urls;
    let client = crate::helpers::api_client();
    // Both replicas send at once, from a cold start: one gettoken between them.
    let messages = 200;
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..messages {
        let body = json!({"channel": "wecom_app", "recipients": [format!("user-{n}")], "msgtype": "text",
                          "text": {"content": format!("notice {n}")}});
        // Every POST is retried on the other replica with the same key.
        for url in urls {
            let request = client
                .post(format!("{url}/api/v1/messages"))
                .header("Idempotency-Key", format!("notice-{n}"))
                .json(&body);
            posts.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 202);
    }
    let started = Instant::now();
    let accepted = || fake.calls("message/send").iter().filter(|call| call.accepted()).count();
    while accepted() < messages {
        assert!(started.elapsed() < Duration::from_secs(60), "{} sent", accepted());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let sent: Vec<_> = fake.calls("message/send").into_iter().filter(|call| call.accepted()).collect();
    assert_eq!(sent.len(), messages, "each retried POST sent once across replicas");
    assert_eq!(fake.tokens_issued(), 1, "one gettoken for both replicas");

    // WeCom invalidates the token early: both replicas see 42001, one refreshes.
    fake.expire_tokens();
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..40 {
        let body = json!({"channel": "wecom_app", "recipients": [format!("late-{n}")], "msgtype": "text",
                          "text": {"content": format!("late {n}")}});
        let request = client.post(format!("{}/api/v1/messages", urls[n % 2])).json(&body);
        posts.spawn(async move { request.send().await.unwrap().status().as_u16() });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 202);
    }
    while accepted() < messages + 40 {
        assert!(started.elapsed() < Duration::from_secs(60), "{} sent", accepted());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(fake.tokens_issued(), 2, "one refresh for both replicas");
}

/// A measurement, not a test of speed (run by hand, see BENCHMARKS in the
/// README): 10 000 sends spread over two replicas sharing MySQL and Redis,
/// against the fake WeCom; prints sends per second and `gettoken` calls.
#[tokio::test]
#[ignore = "a measurement: cargo test --test api measure_ -- --ignored --nocapture"]
async fn measure_ten_thousand_sends_across_two_replicas() {
    use crate::backends::shared;
    let Some(backends) = shared() else { return };
    let fake = FakeWeCom::start().await;
    let (replicas, _db) = two_replicas(&backends, &fake, "pmc_sendload").await;
    let urls = &replicas.urls;
    let total = 10_000;
    let client = crate::helpers::api_client();
    let started = Instant::now();
    let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
    let mut posts = tokio::task::JoinSet::new();
    for n in 0..total {
        let body = json!({"channel": "wecom_app", "recipients": [format!("member-{n}")], "msgtype": "text",
                          "text": {"content": format!("notice {n}")}});
        let request = client.post(format!("{}/api/v1/messages", urls[n % 2])).json(&body);
        let permit = Arc::clone(&in_flight).acquire_owned().await.unwrap();
        posts.spawn(async move {
            let status = request.send().await.unwrap().status().as_u16();
            drop(permit);
            status
        });
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 202);
    }
    let queued_in = started.elapsed();
    let accepted = || fake.calls("message/send").iter().filter(|call| call.accepted()).count();
    while accepted() < total {
        assert!(started.elapsed() < Duration::from_secs(600), "{} sent", accepted());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let elapsed = started.elapsed();
    println!(
        "{total} sends over 2 replicas: queued (202) in {:.2} s, all sent to WeCom in {:.2} s = {:.0} sends/s; \
         gettoken calls: {}",
        queued_in.as_secs_f64(),
        elapsed.as_secs_f64(),
        total as f64 / elapsed.as_secs_f64(),
        fake.tokens_issued()
    );
    assert_eq!(fake.tokens_issued(), 1);
}

/// Two service processes sending to `fake`, on a fresh MySQL database and the shared Redis.
async fn two_replicas(
    backends: &crate::backends::Backends,
    fake: &FakeWeCom,
    prefix: &str,
) -> (crate::durability::Processes, sea_orm::DatabaseConnection) {
    let (mysql_env, db) = backends.fresh_mysql(prefix).await;
    let mut service_env = env(fake);
    service_env.extend(mysql_env);
    service_env.extend(backends.redis_env());
    (crate::durability::start_processes(&service_env, 2).await, db)
}
