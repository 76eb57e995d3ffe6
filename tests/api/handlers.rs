//! Handlers registered on the application builder fire through the real
//! pipeline (HTTP → event log → actors → callback actors), isolated.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use pmc_actors::{HandlerError, InteractionHandler, InteractionRecord, Status, StatusChange, StatusHandler};
use pmc_webhook::{startup::Application, wecom::EnvelopeFormat};
use serde_json::json;

use crate::{
    helpers::{CORP_ID, app_crypto, settings_for},
    tracking::{eventually, post_status, tracking_env},
};

#[derive(Clone, Default)]
struct Seen(Arc<Mutex<Vec<String>>>);

#[async_trait]
impl StatusHandler for Seen {
    async fn on_status(&self, change: &StatusChange) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(format!(
            "{}:{}:{}",
            change.message_id,
            change.recipient,
            change.status.as_str()
        ));
        Ok(())
    }
}

#[async_trait]
impl InteractionHandler for Seen {
    async fn on_interaction(&self, interaction: &InteractionRecord) -> Result<(), HandlerError> {
        self.0.lock().unwrap().push(format!("{}:{}", interaction.user_id, interaction.kind));
        Ok(())
    }
}

struct Broken;

#[async_trait]
impl InteractionHandler for Broken {
    async fn on_interaction(&self, _interaction: &InteractionRecord) -> Result<(), HandlerError> {
        panic!("a bug in a user handler")
    }
}

#[tokio::test]
async fn builder_handlers_fire_for_status_changes_and_interactions_and_failures_are_counted() {
    let reads = Seen::default();
    let interactions = Seen::default();
    let temp = tempfile::tempdir().unwrap();
    let settings = settings_for(&tracking_env(), temp.path()).unwrap();
    // `temp` outlives `app`: it is declared first.
    let application = Application::builder(settings)
        .on_status("reads", Status::Read, reads.clone())
        .on_interaction("interactions", interactions.clone())
        .on_interaction("broken", Broken);
    let app = spawn_builder(application).await;

    assert_eq!(
        post_status(&app, "h1", &json!({"message_id": "hm-1", "recipient": "alice", "status": "read"}))
            .await
            .status(),
        202
    );
    let reply = format!(
        "<xml><ToUserName>{CORP_ID}</ToUserName><FromUserName>bob</FromUserName><CreateTime>1717401500</CreateTime><MsgType>text</MsgType><Content>ok</Content><MsgId>99001</MsgId><AgentID>1000002</AgentID></xml>"
    );
    let (query, body) = app_crypto()
        .seal_callback(&reply, EnvelopeFormat::Xml, &crate::helpers::now(), "7", &[4; 16])
        .unwrap();
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);

    let handlers = eventually(&app, "/api/v1/webhooks/handlers", |list| {
        list.as_array().unwrap().iter().any(|h| h["name"] == "broken" && h["failures"] == 1)
            && list.as_array().unwrap().iter().any(|h| h["name"] == "reads" && h["invocations"] == 1)
    })
    .await;
    let broken = handlers.as_array().unwrap().iter().find(|h| h["name"] == "broken").unwrap();
    assert_eq!(broken["kind"], "interaction");
    assert!(broken["last_error"].as_str().unwrap().contains("a bug in a user handler"));
    assert_eq!(reads.0.lock().unwrap().as_slice(), ["hm-1:alice:read"], "only the `read` handler's status");
    assert_eq!(interactions.0.lock().unwrap().as_slice(), ["bob:reply"]);
    // The panicking handler did not stop the pipeline.
    assert_eq!(post_status(&app, "h2", &json!({"message_id": "hm-2", "status": "read"})).await.status(), 202);
    eventually(&app, "/api/v1/webhooks/handlers", |list| {
        list.as_array().unwrap().iter().any(|h| h["name"] == "reads" && h["invocations"] == 2)
    })
    .await;
}

async fn spawn_builder(builder: pmc_webhook::startup::ApplicationBuilder) -> crate::helpers::TestApp {
    crate::helpers::spawn_built(builder.build().await.expect("the service starts")).await
}
