//! Forwarding events to a business system's receiver (a local HTTP server
//! of ours that checks the Standard Webhooks signature): delivery, order,
//! retries, dead letters and manual retry, replay, restarts, SSRF refusal.

use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use poem::{
    EndpointExt, Route, Server, handler,
    http::{HeaderMap, StatusCode},
    listener::{Acceptor, Listener, TcpListener},
    web::Data,
};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, app_text, spawn_app_with},
    tracking::{post_status, tracking_env},
};

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Default)]
struct ReceiverState {
    /// Statuses to answer before answering 200 (in order).
    plan: VecDeque<u16>,
    /// Answer this to everything (overrides the plan).
    always: Option<u16>,
    /// (webhook-id, event) of every request whose signature checked out.
    received: Vec<(String, Value)>,
    /// Requests whose signature did not.
    forged: u32,
    /// (webhook-id, webhook-timestamp, webhook-signature, body) of every request.
    raw: Vec<(String, String, String, String)>,
}

/// A business system's webhook receiver.
#[derive(Clone)]
pub struct Receiver {
    state: Arc<Mutex<ReceiverState>>,
    pub url: String,
}

#[handler]
async fn receive(state: Data<&Arc<Mutex<ReceiverState>>>, headers: &HeaderMap, body: String) -> StatusCode {
    let verified = standardwebhooks::Webhook::new(SECRET).unwrap().verify(body.as_bytes(), headers).is_ok();
    let mut state = state.0.lock().unwrap();
    let header =
        |name: &str| headers.get(name).map(|value| value.to_str().unwrap().to_owned()).unwrap_or_default();
    state.raw.push((
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
        body.clone(),
    ));
    if !verified {
        state.forged += 1;
        return StatusCode::UNAUTHORIZED;
    }
    let status = state.always.or_else(|| state.plan.pop_front()).unwrap_or(200);
    if status == 200 {
        let id = headers.get("webhook-id").unwrap().to_str().unwrap().to_owned();
        state.received.push((id, serde_json::from_str(&body).unwrap()));
    }
    StatusCode::from_u16(status).unwrap()
}

impl Receiver {
    pub async fn start() -> Self {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        let app = Route::new().at("/hook", poem::post(receive)).data(Arc::clone(&state));
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
        Self { state, url: format!("http://127.0.0.1:{port}/hook") }
    }

    pub fn events(&self) -> Vec<Value> {
        self.state.lock().unwrap().received.iter().map(|(_, event)| event.clone()).collect()
    }

    /// Waits (up to 20 s) until `count` events arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let events = self.events();
            if events.len() >= count {
                return events;
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "{} of {count} events: {events:?}",
                events.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub fn env() -> Vec<(&'static str, String)> {
    let mut env = tracking_env();
    env.push(("PMC__FORWARDING__ALLOW_PRIVATE_TARGETS", "true".to_owned()));
    env.push(("PMC__FORWARDING__FIRST_RETRY_SECS", "1".to_owned()));
    env.push(("PMC__FORWARDING__MAX_ATTEMPTS", "3".to_owned()));
    env
}

async fn subscribe(app: &TestApp, url: &str, kinds: &[&str]) -> Value {
    let response = app
        .client
        .post(format!("{}/api/v1/subscriptions", app.base_url))
        .json(&json!({"url": url, "kinds": kinds, "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    response.json().await.unwrap()
}

async fn deliveries(app: &TestApp, query: &str) -> Vec<Value> {
    app.get_json(&format!("/api/v1/deliveries?{query}")).await["deliveries"].as_array().unwrap().clone()
}

fn statuses_of(events: &[Value], message: &str) -> Vec<String> {
    events
        .iter()
        .filter(|event| event["type"] == "message.status" && event["data"]["message_id"] == message)
        .map(|event| event["data"]["status"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn status_changes_and_interactions_are_delivered_signed_and_in_order() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&env()).await;
    subscribe(&app, &receiver.url, &["status", "interaction"]).await;
    // The first delivery of the message fails once: the later ones wait for it.
    receiver.state.lock().unwrap().plan.push_back(503);
    let updates = [
        json!({"message_id": "fw-1", "status": "sent"}),
        json!({"message_id": "fw-1", "status": "delivered"}),
    ];
    for (n, update) in updates.iter().enumerate() {
        assert_eq!(post_status(&app, &format!("fw-{n}"), update).await.status(), 202);
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        post_status(&app, "fw-2", &json!({"message_id": "fw-1", "status": "read"})).await.status(),
        202
    );
    let (query, body) = app_text(9001, "收到");
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);

    let events = receiver.wait_for(4).await;
    assert_eq!(
        statuses_of(&events, "fw-1"),
        ["sent", "delivered", "read"],
        "in the order applied: {events:?}"
    );
    let reply = events.iter().find(|event| event["type"] == "interaction").unwrap();
    assert_eq!(reply["data"]["kind"], "reply");
    assert_eq!(reply["data"]["user_id"], "zhangsan");
    assert_eq!(receiver.state.lock().unwrap().forged, 0);
    let first = deliveries(&app, "state=delivered").await.into_iter().find(|row| row["attempts"] == 2);
    assert!(first.is_some(), "the first delivery took two tries");
}

#[tokio::test]
async fn failing_receivers_get_retries_then_dead_letters_then_a_manual_retry() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&env()).await;
    let subscription = subscribe(&app, &receiver.url, &["status"]).await;
    receiver.state.lock().unwrap().always = Some(500);
    assert_eq!(
        post_status(&app, "dl-0", &json!({"message_id": "dl-1", "status": "failed"})).await.status(),
        202
    );

    // Three tries (1 s, then 4 s apart), then dead.
    let started = Instant::now();
    let dead = loop {
        let dead =
            deliveries(&app, &format!("state=dead&subscription_id={}", subscription["id"].as_str().unwrap()))
                .await;
        if !dead.is_empty() {
            break dead;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{:?}", deliveries(&app, "").await);
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(dead[0]["attempts"], 3);
    assert_eq!(dead[0]["last_status"], 500);
    assert!(receiver.events().is_empty());

    receiver.state.lock().unwrap().always = None;
    let id = dead[0]["id"].as_i64().unwrap();
    let retried =
        app.client.post(format!("{}/api/v1/deliveries/{id}/retry", app.base_url)).send().await.unwrap();
    assert_eq!(retried.status(), 200);
    let events = receiver.wait_for(1).await;
    assert_eq!(events[0]["data"]["status"], "failed");

    // A 4xx other than 408/429 is a refusal: dead at once, no retries.
    receiver.state.lock().unwrap().always = Some(400);
    assert_eq!(
        post_status(&app, "dl-1", &json!({"message_id": "dl-2", "status": "sent"})).await.status(),
        202
    );
    let started = Instant::now();
    loop {
        let dead = deliveries(&app, "state=dead").await;
        if let Some(row) = dead.iter().find(|row| row["payload"]["data"]["message_id"] == "dl-2") {
            assert_eq!(row["attempts"], 1);
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn pending_deliveries_survive_a_restart_and_stored_events_can_be_replayed() {
    let receiver = Receiver::start().await;
    let env = env();
    let app = spawn_app_with(&env).await;
    subscribe(&app, &receiver.url, &["status"]).await;
    let since = chrono::Utc::now() - chrono::Duration::seconds(1);
    receiver.state.lock().unwrap().always = Some(503);
    assert_eq!(
        post_status(&app, "rs-0", &json!({"message_id": "rs-1", "status": "delivered"})).await.status(),
        202
    );
    let started = Instant::now();
    while deliveries(&app, "state=pending").await.iter().all(|row| row["attempts"] == 0) {
        assert!(started.elapsed() < Duration::from_secs(10));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Restarted in the middle of the retry schedule.
    let app = app.restart(&env).await;
    receiver.state.lock().unwrap().always = None;
    let events = receiver.wait_for(2).await;
    assert_eq!(statuses_of(&events, "rs-1"), ["sent", "delivered"], "the implied step, then the observation");

    let replay = app
        .client
        .post(format!("{}/api/v1/events/replay", app.base_url))
        .json(&json!({"since": since.to_rfc3339(), "kinds": ["status"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(replay.status(), 200);
    assert_eq!(replay.json::<Value>().await.unwrap()["deliveries"], 2);
    let events = receiver.wait_for(4).await;
    assert_eq!(statuses_of(&events, "rs-1"), ["sent", "delivered", "sent", "delivered"]);
    let ids: std::collections::HashSet<String> =
        receiver.state.lock().unwrap().received.iter().map(|(id, _)| id.clone()).collect();
    assert_eq!(ids.len(), 4, "a replay is a new delivery");
}

#[tokio::test]
async fn subscriptions_to_private_addresses_are_refused_by_default() {
    let app = spawn_app_with(&tracking_env()).await;
    for url in ["http://127.0.0.1:9/hook", "http://169.254.169.254/latest", "http://10.0.0.8/hook"] {
        let response = app
            .client
            .post(format!("{}/api/v1/subscriptions", app.base_url))
            .json(&json!({"url": url, "kinds": ["status"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 422, "{url}");
        assert!(response.text().await.unwrap().contains("private or local"));
    }
    let bad_kind = app
        .client
        .post(format!("{}/api/v1/subscriptions", app.base_url))
        .json(&json!({"url": "http://93.184.216.34/hook", "kinds": ["everything"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad_kind.status(), 422);
    // Generated secret, shown once.
    let created = app
        .client
        .post(format!("{}/api/v1/subscriptions", app.base_url))
        .json(&json!({"url": "http://93.184.216.34/hook", "kinds": ["member", "callback"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let listed = app.get_json("/api/v1/subscriptions").await;
    assert_eq!(listed["subscriptions"][0]["secret"], Value::Null);
    let id = created["id"].as_str().unwrap();
    let deleted =
        app.client.delete(format!("{}/api/v1/subscriptions/{id}", app.base_url)).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    assert_eq!(app.get_json("/api/v1/subscriptions").await["subscriptions"], json!([]));
}

#[tokio::test]
async fn a_subscription_in_the_configuration_is_delivered_and_read_only() {
    use pmc_webhook::configuration::ConfiguredSubscription;
    let receiver = Receiver::start().await;
    let temp = tempfile::tempdir().unwrap();
    let mut settings = crate::helpers::settings_for(&env(), temp.path()).unwrap();
    settings.forwarding.subscriptions.push(ConfiguredSubscription {
        id: "erp".to_owned(),
        url: receiver.url.clone(),
        kinds: vec!["member".to_owned(), "status".to_owned()],
        accounts: Vec::new(),
        secret: SECRET.to_owned().into(),
    });
    let app = crate::helpers::spawn_with_settings(settings).await;
    assert_eq!(
        post_status(&app, "cfg-0", &json!({"message_id": "cfg-1", "status": "read"})).await.status(),
        202
    );
    let events = receiver.wait_for(3).await;
    assert_eq!(statuses_of(&events, "cfg-1"), ["sent", "delivered", "read"]);
    let listed = app.get_json("/api/v1/subscriptions").await;
    assert_eq!(listed["subscriptions"][0]["source"], "config");
    let deleted =
        app.client.delete(format!("{}/api/v1/subscriptions/erp", app.base_url)).send().await.unwrap();
    assert_eq!(deleted.status(), 409);
}

/// Whether a captured request verifies with `secret`.
fn verifies_with(secret: &str, (id, timestamp, signature, body): &(String, String, String, String)) -> bool {
    let mut headers = HeaderMap::new();
    headers.insert("webhook-id", id.parse().unwrap());
    headers.insert("webhook-timestamp", timestamp.parse().unwrap());
    headers.insert("webhook-signature", signature.parse().unwrap());
    standardwebhooks::Webhook::new(secret).unwrap().verify(body.as_bytes(), &headers).is_ok()
}

#[tokio::test]
async fn a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends() {
    const NEW_SECRET: &str = "whsec_bmV3LXNlY3JldC1mb3ItdGhlLXJvdGF0aW9u";
    let receiver = Receiver::start().await;
    let app = spawn_app_with(&env()).await;
    let subscription = subscribe(&app, &receiver.url, &["status"]).await;
    let id = subscription["id"].as_str().unwrap();
    let rotate = |body: Value| {
        app.client
            .post(format!("{}/api/v1/subscriptions/{id}/rotate-secret", app.base_url))
            .json(&body)
            .send()
    };
    let rotated = rotate(json!({"secret": NEW_SECRET, "overlap_secs": 3600})).await.unwrap();
    assert_eq!(rotated.status(), 200);
    let rotated: Value = rotated.json().await.unwrap();
    assert_eq!(rotated["secret"], NEW_SECRET, "shown once, in the answer");
    assert!(rotated["previous_secret_expires_at"].is_string());
    let listed = app.get_json("/api/v1/subscriptions").await;
    assert!(listed["subscriptions"][0].get("secret").is_none(), "never listed");

    // During the overlap: both signatures; the receiver still on the old secret accepts.
    assert_eq!(
        post_status(&app, "rot-1", &json!({"message_id": "rot-1", "status": "read"})).await.status(),
        202
    );
    receiver.wait_for(1).await;
    let first = receiver.state.lock().unwrap().raw[0].clone();
    assert_eq!(first.2.split(' ').count(), 2, "two signatures: {}", first.2);
    assert!(verifies_with(SECRET, &first) && verifies_with(NEW_SECRET, &first));

    // Rotating again with no overlap: only the new secret signs, the old receiver refuses.
    let third = "whsec_dGhpcmQtc2VjcmV0LWZvci10aGUtcm90YXRpb24=";
    assert_eq!(rotate(json!({"secret": third, "overlap_secs": 0})).await.unwrap().status(), 200);
    assert_eq!(
        post_status(&app, "rot-2", &json!({"message_id": "rot-2", "status": "read"})).await.status(),
        202
    );
    let started = Instant::now();
    while receiver.state.lock().unwrap().forged == 0 {
        assert!(started.elapsed() < Duration::from_secs(20), "the second delivery never came");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let second = receiver.state.lock().unwrap().raw.last().unwrap().clone();
    assert_eq!(second.2.split(' ').count(), 1);
    assert!(
        verifies_with(third, &second)
            && !verifies_with(SECRET, &second)
            && !verifies_with(NEW_SECRET, &second)
    );

    // Bad rotations are refused, and configured subscriptions rotate in the configuration.
    assert_eq!(rotate(json!({"overlap_secs": 999_999})).await.unwrap().status(), 422);
    assert_eq!(rotate(json!({"secret": "not-whsec"})).await.unwrap().status(), 422);
    let missing = app
        .client
        .post(format!("{}/api/v1/subscriptions/sub_missing/rotate-secret", app.base_url))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    // A generated secret when none is given.
    let generated: Value = rotate(json!({})).await.unwrap().json().await.unwrap();
    assert!(generated["secret"].as_str().unwrap().starts_with("whsec_"));
}
