//! Tracking through HTTP: registration, signed status callbacks out of
//! order and twice, card clicks implying `read`, interactions, member
//! events, passivation, and the introspection routes.

use std::time::Duration;

use pmc_webhook::wecom::EnvelopeFormat;
use serde_json::{Value, json};

use crate::helpers::{CORP_ID, TestApp, app_crypto, demo_env, spawn_app_with};

/// A Standard Webhooks secret for tests.
pub const STATUS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

pub fn tracking_env() -> Vec<(&'static str, String)> {
    let mut env = demo_env();
    env.push(("STATUS_WEBHOOK_SECRET", STATUS_SECRET.to_owned()));
    env
}

/// POSTs a signed status callback with this webhook id.
pub async fn post_status(app: &TestApp, webhook_id: &str, body: &Value) -> reqwest::Response {
    post_status_signed(app, webhook_id, body, STATUS_SECRET, chrono::Utc::now().timestamp()).await
}

pub async fn post_status_signed(
    app: &TestApp,
    webhook_id: &str,
    body: &Value,
    secret: &str,
    timestamp: i64,
) -> reqwest::Response {
    let payload = body.to_string();
    let signature = standardwebhooks::Webhook::new(secret)
        .unwrap()
        .sign(webhook_id, timestamp, payload.as_bytes())
        .unwrap();
    app.client
        .post(format!("{}/api/v1/webhooks/status", app.base_url))
        .header("webhook-id", webhook_id)
        .header("webhook-timestamp", timestamp.to_string())
        .header("webhook-signature", signature)
        .header("content-type", "application/json")
        .body(payload)
        .send()
        .await
        .unwrap()
}

/// Polls `path` until `done` holds (the actors apply asynchronously).
pub async fn eventually(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    let mut last = Value::Null;
    for _ in 0..300 {
        let response = app.get(path).await;
        if response.status() == 200 {
            last = response.json().await.unwrap();
            if done(&last) {
                return last;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} never satisfied the condition; last answer: {last}");
}

#[tokio::test]
async fn out_of_order_and_duplicate_status_callbacks_end_in_the_right_state() {
    let app = spawn_app_with(&tracking_env()).await;
    let registered = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&json!({"id": "order-1", "recipients": ["alice", "bob"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let body: Value = registered.json().await.unwrap();
    assert_eq!(body["status"], "sent");
    assert_eq!(body["counts"]["sent"], 2);

    // alice: read arrives before delivered; bob: a late failure after delivery.
    let updates = [
        ("w1", json!({"message_id": "order-1", "recipient": "alice", "status": "read"})),
        ("w2", json!({"message_id": "order-1", "recipient": "alice", "status": "delivered"})),
        (
            "w3",
            json!([{"message_id": "order-1", "recipient": "bob", "status": "delivered"}, {"message_id": "order-1", "recipient": "bob", "status": "failed", "detail": "late report"}]),
        ),
        ("w1", json!({"message_id": "order-1", "recipient": "alice", "status": "read"})),
    ];
    let mut duplicates = 0;
    for (webhook_id, body) in &updates {
        let response = post_status(&app, webhook_id, body).await;
        assert_eq!(response.status(), 202);
        let answer: Value = response.json().await.unwrap();
        duplicates += answer["duplicates"].as_u64().unwrap();
    }
    assert_eq!(duplicates, 1, "the retried webhook-id is recognised");

    let status = eventually(&app, "/api/v1/messages/order-1/status", |s| {
        s["recipients"]
            .as_array()
            .is_some_and(|r| r.iter().any(|r| r["recipient"] == "bob" && r["status"] == "delivered"))
            && s["recipients"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["recipient"] == "alice" && r["status"] == "read"))
    })
    .await;
    assert_eq!(status["message_id"], "order-1");
    assert_eq!(status["status"], "read", "the message follows its most advanced recipient");
    assert_eq!(status["counts"], json!({"delivered": 1, "read": 1}));

    let history =
        eventually(&app, "/api/v1/messages/order-1/history", |h| h["history"].as_array().unwrap().len() == 7)
            .await;
    let alice: Vec<(String, String)> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["recipient"] == "alice")
        .map(|row| (row["status"].as_str().unwrap().to_owned(), row["outcome"].as_str().unwrap().to_owned()))
        .collect();
    let pairs = |items: &[(&str, &str)]| {
        items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>()
    };
    assert_eq!(
        alice,
        pairs(&[("sent", "applied"), ("delivered", "implied"), ("read", "applied"), ("delivered", "stale")])
    );
    let bob_outcomes: Vec<&str> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["recipient"] == "bob")
        .map(|row| row["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(bob_outcomes, vec!["applied", "applied", "conflict"]);
}

#[tokio::test]
async fn unsigned_stale_and_invalid_status_callbacks_are_refused() {
    let app = spawn_app_with(&tracking_env()).await;
    let body = json!({"message_id": "x1", "status": "read"});
    let unsigned =
        app.client.post(format!("{}/api/v1/webhooks/status", app.base_url)).json(&body).send().await.unwrap();
    assert_eq!(unsigned.status(), 401);
    let other_secret = post_status_signed(
        &app,
        "a",
        &body,
        "whsec_b3RoZXItc2VjcmV0LW90aGVyLXNlY3JldA==",
        chrono::Utc::now().timestamp(),
    )
    .await;
    assert_eq!(other_secret.status(), 401);
    let stale =
        post_status_signed(&app, "b", &body, STATUS_SECRET, chrono::Utc::now().timestamp() - 3600).await;
    assert_eq!(stale.status(), 401);
    let error: Value = stale.json().await.unwrap();
    assert_eq!(error["error"], "unauthorized");
    let invalid = post_status(&app, "c", &json!({"message_id": "x1", "status": "opened"})).await;
    assert_eq!(invalid.status(), 422);
    let bad_id = post_status(&app, "d", &json!({"message_id": "has space", "status": "read"})).await;
    assert_eq!(bad_id.status(), 422);
    let not_json = post_status(&app, "e", &json!("just a string")).await;
    assert_eq!(not_json.status(), 400);
    let status = app.get_json("/api/v1/status").await;
    assert_eq!(status["storage"]["event_log"]["events_total"], 0, "nothing refused was stored");
}

#[tokio::test]
async fn the_first_observation_of_an_unknown_message_creates_it() {
    let app = spawn_app_with(&tracking_env()).await;
    assert_eq!(
        post_status(&app, "n1", &json!({"message_id": "new-1", "status": "delivered"})).await.status(),
        202
    );
    let message = eventually(&app, "/api/v1/messages/new-1", |m| m["status"] == "delivered").await;
    assert_eq!(message["registered"], false);
    assert_eq!(message["recipients"][0]["reached"], json!(["sent", "delivered"]));
}

#[tokio::test]
async fn a_card_click_from_wecom_is_an_interaction_and_implies_read() {
    let app = spawn_app_with(&tracking_env()).await;
    let registered = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&json!({"id": "card-7", "recipients": ["zhangsan", "lisi"], "task_id": "task-card-7"}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let click = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1717401599</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[approve]]></EventKey><TaskId><![CDATA[task-card-7]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc]]></ResponseCode><AgentID>1000002</AgentID></xml>"
    );
    let (query, body) = app_crypto()
        .seal_callback(&click, EnvelopeFormat::Xml, &crate::helpers::now(), "1", &[1; 16])
        .unwrap();
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);

    let status = eventually(&app, "/api/v1/messages/card-7/status", |s| s["status"] == "read").await;
    assert_eq!(status["counts"], json!({"read": 1, "sent": 1}));
    let interactions = eventually(&app, "/api/v1/interactions?message_id=card-7", |page| {
        page["interactions"].as_array().is_some_and(|list| !list.is_empty())
    })
    .await;
    let interaction = &interactions["interactions"][0];
    assert_eq!(interaction["kind"], "card_click");
    assert_eq!(interaction["user_id"], "zhangsan");
    assert_eq!(interaction["payload"]["content"]["event"]["event"], "template_card_event");
    let history = app.get_json("/api/v1/messages/card-7/history").await;
    assert!(
        history["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["source"] == "wecom_card" && row["outcome"] == "applied")
    );
}

#[tokio::test]
async fn replies_menu_clicks_and_member_events_are_recorded() {
    let app = spawn_app_with(&tracking_env()).await;
    let documents = [
        format!(
            "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>wangwu</FromUserName><CreateTime>1717401500</CreateTime><MsgType>text</MsgType><Content>收到</Content><MsgId>88001</MsgId><AgentID>1000002</AgentID></xml>"
        ),
        format!(
            "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>wangwu</FromUserName><CreateTime>1717401501</CreateTime><MsgType>event</MsgType><Event>click</Event><EventKey>MENU_1</EventKey><AgentID>1000002</AgentID></xml>"
        ),
        format!(
            "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>wangwu</FromUserName><CreateTime>1717401502</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey><AgentID>1000002</AgentID></xml>"
        ),
        format!(
            "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>sys</FromUserName><CreateTime>1717401503</CreateTime><MsgType>event</MsgType><Event>change_contact</Event><ChangeType>delete_user</ChangeType><UserID>zhaoliu</UserID></xml>"
        ),
    ];
    for (index, document) in documents.iter().enumerate() {
        let (query, body) = app_crypto()
            .seal_callback(
                document,
                EnvelopeFormat::Xml,
                &crate::helpers::now(),
                &index.to_string(),
                &[2; 16],
            )
            .unwrap();
        assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    }
    let interactions = eventually(&app, "/api/v1/interactions?user_id=wangwu", |p| {
        p["interactions"].as_array().unwrap().len() == 2
    })
    .await;
    let kinds: Vec<&str> = interactions["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["menu_click", "reply"], "newest first");
    let members =
        eventually(&app, "/api/v1/members/events", |p| p["events"].as_array().unwrap().len() == 2).await;
    let kinds: Vec<(&str, &str)> = members["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap(), e["user_id"].as_str().unwrap()))
        .collect();
    assert_eq!(kinds, vec![("delete_user", "zhaoliu"), ("subscribe", "wangwu")]);
    let only_subscribes = app.get_json("/api/v1/members/events?type=subscribe").await;
    assert_eq!(only_subscribes["events"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn registration_errors_and_message_listing() {
    let app = spawn_app_with(&tracking_env()).await;
    let post = |body: Value| {
        let client = app.client.clone();
        let url = format!("{}/api/v1/messages", app.base_url);
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    assert_eq!(post(json!({"id": "dup-1"})).await.status(), 201);
    let duplicate = post(json!({"id": "dup-1"})).await;
    assert_eq!(duplicate.status(), 409);
    assert_eq!(duplicate.json::<Value>().await.unwrap()["error"], "already_registered");
    assert_eq!(post(json!({"id": "bad id"})).await.status(), 422);
    assert_eq!(post(json!({"status": "opened"})).await.status(), 422);
    assert_eq!(post(json!({"channel": "carrier_pigeon"})).await.status(), 422);
    let generated = post(json!({"recipients": ["u1"], "status": "delivered"})).await;
    assert_eq!(generated.status(), 201);
    let generated: Value = generated.json().await.unwrap();
    assert!(generated["id"].as_str().unwrap().starts_with("msg_"));
    assert_eq!(generated["recipients"][0]["reached"], json!(["sent", "delivered"]));

    eventually(&app, "/api/v1/messages?limit=10", |page| page["messages"].as_array().unwrap().len() == 2)
        .await;
    let delivered = app.get_json("/api/v1/messages?status=delivered").await;
    assert_eq!(delivered["messages"].as_array().unwrap().len(), 1);
    let to_u1 = app.get_json("/api/v1/messages?recipient=u1").await;
    assert_eq!(to_u1["messages"][0]["id"], generated["id"]);
    let page = app.get_json("/api/v1/messages?limit=1").await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let second = app.get_json(&format!("/api/v1/messages?limit=1&cursor={cursor}")).await;
    assert_ne!(second["messages"][0]["id"], page["messages"][0]["id"]);
    assert!(second["next_cursor"].is_null());

    for (path, status) in [
        ("/api/v1/messages/nope", 404),
        ("/api/v1/messages/nope/status", 404),
        ("/api/v1/messages/nope/history", 404),
        ("/api/v1/messages?status=opened", 400),
        ("/api/v1/interactions?cursor=zz", 400),
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status(), status, "{path}");
        assert!(response.json::<Value>().await.unwrap()["error"].is_string());
    }
}

#[tokio::test]
async fn idle_message_actors_are_passivated_and_reactivated_through_the_api() {
    let mut env = tracking_env();
    env.push(("PMC__TRACKING__IDLE_TIMEOUT_SECS", "1".to_owned()));
    let app = spawn_app_with(&env).await;
    assert_eq!(
        post_status(&app, "p1", &json!({"message_id": "idle-1", "recipient": "u", "status": "sent"}))
            .await
            .status(),
        202
    );
    eventually(&app, "/api/v1/actors", |a| {
        a["passivations"].as_u64().unwrap() >= 1 && a["live_message_actors"] == 0
    })
    .await;
    assert_eq!(
        post_status(&app, "p2", &json!({"message_id": "idle-1", "recipient": "u", "status": "read"}))
            .await
            .status(),
        202
    );
    let actors =
        eventually(&app, "/api/v1/actors", |a| a["activations"] == 2 && a["pending_units"] == 0).await;
    assert_eq!(actors["restarts"], 0);
    let history =
        eventually(&app, "/api/v1/messages/idle-1/history", |h| h["history"].as_array().unwrap().len() == 3)
            .await;
    let outcomes: Vec<&str> =
        history["history"].as_array().unwrap().iter().map(|r| r["outcome"].as_str().unwrap()).collect();
    assert_eq!(outcomes, vec!["applied", "implied", "applied"], "state survived passivation");
    let handlers = app.get_json("/api/v1/webhooks/handlers").await;
    let status_source = handlers.as_array().unwrap().iter().find(|h| h["name"] == "status_webhook").unwrap();
    assert_eq!(status_source["invocations"], 2);
    assert_eq!(status_source["routes"][0], "POST /api/v1/webhooks/status");
}
