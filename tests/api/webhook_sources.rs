//! A custom webhook source (the seed's BaseWebhookHandler) registered on the
//! builder: mounted at /api/v1/webhooks/{name}, its events stored,
//! deduplicated and tracked like every other callback.

use async_trait::async_trait;
use pmc_webhook::{
    startup::Application,
    tracking::derive::StatusUpdate,
    webhooks::{Handled, IncomingEvent, WebhookError, WebhookHandler, WebhookRequest},
};
use serde_json::{Value, json};

use crate::{
    helpers::{TestApp, settings_for, spawn_built},
    tracking::{eventually, tracking_env},
};

/// A link-tracking service that posts `{click_id, user, message}` with a
/// shared token: each click is an interaction and a `read`.
struct LinkClicks;

#[async_trait]
impl WebhookHandler for LinkClicks {
    fn name(&self) -> &str {
        "link-clicks"
    }

    fn listens_to(&self) -> Vec<String> {
        vec!["tracked link clicks".to_owned()]
    }

    fn verify_signature(&self, request: &WebhookRequest) -> Result<(), WebhookError> {
        match request.headers.get("x-token").and_then(|v| v.to_str().ok()) {
            Some("s3cret") => Ok(()),
            _ => Err(WebhookError::Unauthorized("x-token is missing or wrong".to_owned())),
        }
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let click: Value =
            serde_json::from_slice(&request.body).map_err(|e| WebhookError::BadRequest(e.to_string()))?;
        let (Some(id), Some(user), Some(message)) =
            (click["click_id"].as_str(), click["user"].as_str(), click["message"].as_str())
        else {
            return Err(WebhookError::Invalid("click_id, user and message are required".to_owned()));
        };
        let read = StatusUpdate {
            message_id: message.to_owned(),
            status: pmc_actors::Status::Read,
            recipient: Some(user.to_owned()),
            occurred_at_ms: None,
            detail: Some("clicked a tracked link".to_owned()),
        };
        Ok(vec![
            IncomingEvent::interaction(
                format!("{id}:click"),
                user,
                "link_click",
                Some(message),
                click.clone(),
            ),
            IncomingEvent::status_updates(format!("{id}:read"), vec![read]),
        ]
        .into())
    }
}

/// A source in the style of Meta's webhooks: a GET handshake that echoes
/// `hub.challenge` when `hub.verify_token` matches, and events answered
/// with the literal text `EVENT_RECEIVED`.
struct Handshake;

#[async_trait]
impl WebhookHandler for Handshake {
    fn name(&self) -> &str {
        "meta"
    }

    fn listens_to(&self) -> Vec<String> {
        vec!["page events".to_owned()]
    }

    fn routes(&self) -> Vec<String> {
        vec!["GET /api/v1/webhooks/meta".to_owned(), "POST /api/v1/webhooks/meta".to_owned()]
    }

    fn verify_url(&self, request: &WebhookRequest) -> Result<String, WebhookError> {
        let query: std::collections::HashMap<String, String> =
            form_urlencoded::parse(request.raw_query.as_bytes()).into_owned().collect();
        match (query.get("hub.verify_token").map(String::as_str), query.get("hub.challenge")) {
            (Some("tok"), Some(challenge)) => Ok(challenge.clone()),
            _ => Err(WebhookError::Unauthorized("hub.verify_token is wrong".to_owned())),
        }
    }

    fn verify_signature(&self, _request: &WebhookRequest) -> Result<(), WebhookError> {
        Ok(())
    }

    async fn handle_request(&self, request: &WebhookRequest) -> Result<Handled, WebhookError> {
        let event: Value =
            serde_json::from_slice(&request.body).map_err(|e| WebhookError::BadRequest(e.to_string()))?;
        Ok(Handled {
            events: vec![IncomingEvent::other("meta.page", "", event)],
            reply: Some("EVENT_RECEIVED".to_owned()),
        })
    }
}

async fn spawn() -> (tempfile::TempDir, TestApp) {
    let temp = tempfile::tempdir().unwrap();
    let settings = settings_for(&tracking_env(), temp.path()).unwrap();
    let application = Application::builder(settings)
        .webhook_handler(LinkClicks)
        .webhook_handler(Handshake)
        .build()
        .await
        .unwrap();
    let app = spawn_built(application).await;
    (temp, app)
}

async fn post(app: &TestApp, path: &str, token: &str, body: Value) -> reqwest::Response {
    app.client
        .post(format!("{}{path}", app.base_url))
        .header("x-token", token)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_custom_source_feeds_the_event_log_dedupe_and_tracking() {
    let (_temp, app) = spawn().await;
    let registered = app
        .client
        .post(format!("{}/api/v1/messages", app.base_url))
        .json(&json!({"id": "link-msg", "recipients": ["ann", "ben"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(registered.status(), 201);
    let click = json!({"click_id": "c1", "user": "ann", "message": "link-msg"});
    let first = post(&app, "/api/v1/webhooks/link-clicks", "s3cret", click.clone()).await;
    assert_eq!(first.status(), 202);
    assert_eq!(first.json::<Value>().await.unwrap(), json!({"stored": 2, "duplicates": 0}));
    let retry = post(&app, "/api/v1/webhooks/link-clicks", "s3cret", click).await;
    assert_eq!(retry.json::<Value>().await.unwrap(), json!({"stored": 0, "duplicates": 2}));

    let status = eventually(&app, "/api/v1/messages/link-msg/status", |s| s["status"] == "read").await;
    assert_eq!(status["counts"], json!({"read": 1, "sent": 1}));
    let interactions = eventually(&app, "/api/v1/interactions?type=link_click", |p| {
        !p["interactions"].as_array().unwrap().is_empty()
    })
    .await;
    assert_eq!(interactions["interactions"][0]["user_id"], "ann");
    assert_eq!(interactions["interactions"][0]["channel"], "link-clicks");
    assert_eq!(interactions["interactions"][0]["message_id"], "link-msg");
    let history = app.get_json("/api/v1/messages/link-msg/history").await;
    assert!(
        history["history"]
            .as_array()
            .unwrap()
            .iter()
            .any(|row| row["source"] == "link-clicks" && row["status"] == "read")
    );

    assert_eq!(post(&app, "/api/v1/webhooks/link-clicks", "wrong", json!({})).await.status(), 401);
    assert_eq!(
        post(&app, "/api/v1/webhooks/link-clicks", "s3cret", json!({"user": "x"})).await.status(),
        422
    );
    assert_eq!(post(&app, "/api/v1/webhooks/nobody", "s3cret", json!({})).await.status(), 404);

    let handlers = app.get_json("/api/v1/webhooks/handlers").await;
    let source = handlers.as_array().unwrap().iter().find(|h| h["name"] == "link-clicks").unwrap();
    assert_eq!(source["routes"][0], "POST /api/v1/webhooks/link-clicks");
    assert_eq!(source["invocations"], 4);
    assert_eq!(source["failures"], 2);
}

#[tokio::test]
async fn a_source_with_a_reserved_name_is_refused_at_start() {
    struct Reserved;
    #[async_trait]
    impl WebhookHandler for Reserved {
        fn name(&self) -> &str {
            "status"
        }
        fn listens_to(&self) -> Vec<String> {
            Vec::new()
        }
        fn verify_signature(&self, _request: &WebhookRequest) -> Result<(), WebhookError> {
            Ok(())
        }
        async fn handle_request(&self, _request: &WebhookRequest) -> Result<Handled, WebhookError> {
            Ok(Handled::default())
        }
    }
    let temp = tempfile::tempdir().unwrap();
    let settings = settings_for(&tracking_env(), temp.path()).unwrap();
    let error = Application::builder(settings).webhook_handler(Reserved).build().await.err().unwrap();
    assert!(error.to_string().contains("\"status\""), "{error}");
}

#[tokio::test]
async fn a_source_can_answer_a_url_handshake_and_its_own_reply() {
    let (_temp, app) = spawn().await;
    let url = |query: &str| format!("{}/api/v1/webhooks/meta?{query}", app.base_url);
    let verified = app
        .client
        .get(url("hub.mode=subscribe&hub.verify_token=tok&hub.challenge=8071"))
        .send()
        .await
        .unwrap();
    assert_eq!(verified.status(), 200);
    assert_eq!(verified.text().await.unwrap(), "8071");
    let refused = app.client.get(url("hub.verify_token=nope&hub.challenge=1")).send().await.unwrap();
    assert_eq!(refused.status(), 401);
    // A source without a handshake answers GET with 405.
    let no_check =
        app.client.get(format!("{}/api/v1/webhooks/link-clicks", app.base_url)).send().await.unwrap();
    assert_eq!(no_check.status(), 405);

    let event = app
        .client
        .post(format!("{}/api/v1/webhooks/meta", app.base_url))
        .json(&json!({"object": "page", "entry": [{"id": "p1"}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(event.status(), 200);
    assert_eq!(event.text().await.unwrap(), "EVENT_RECEIVED");
    let events = app.get_json("/api/v1/events?channel=meta").await;
    let stored = &events["events"].as_array().unwrap()[0];
    assert_eq!(stored["callback_type"], "meta.page");
    let detail = app.get_json(&format!("/api/v1/events/{}", stored["id"])).await;
    assert_eq!(detail["payload"]["entry"][0]["id"], "p1");
}

#[tokio::test]
async fn the_built_in_wecom_routes_are_webhook_sources_too() {
    let (_temp, app) = spawn().await;
    let handlers = app.get_json("/api/v1/webhooks/handlers").await;
    let names: Vec<&str> = handlers.as_array().unwrap().iter().map(|h| h["name"].as_str().unwrap()).collect();
    // The seed's two fixed routes (which also serve the default accounts'
    // own routes), then the other sources.
    assert_eq!(&names[..5], ["wechat_api", "wechat_bot", "status_webhook", "link-clicks", "meta"]);
    let accounts: Vec<&Value> = handlers.as_array().unwrap().iter().map(|h| &h["account"]).collect();
    assert_eq!(accounts[..3], [&json!("default"), &json!("default"), &Value::Null]);
    let app_source = &handlers[0];
    assert_eq!(app_source["kind"], "webhook");
    let routes = app_source["routes"].as_array().unwrap();
    assert!(routes.contains(&json!("POST /api/v1/webhooks/wechat/api")));
    assert!(routes.contains(&json!("POST /api/v1/webhooks/wechat/api/default")));
    // A refused WeCom callback counts as a failure of that source.
    let refused = app
        .client
        .post(format!("{}/api/v1/webhooks/wechat/api?msg_signature=00&timestamp=1&nonce=n", app.base_url))
        .body("<xml><Encrypt><![CDATA[abcd]]></Encrypt></xml>")
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let handlers = app.get_json("/api/v1/webhooks/handlers").await;
    assert_eq!(handlers[0]["invocations"], 1);
    assert_eq!(handlers[0]["failures"], 1);
}
