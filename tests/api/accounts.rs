//! Many accounts behind one service: two apps of one corp and an app of a
//! second corp beside the seed's default app, a robot beside the default
//! robot. Every route verifies and decrypts with its own credentials only,
//! stores with its account (identical MsgIds in two apps are two
//! callbacks), and every account sends with its own token and agent id.

use std::time::Duration;

use pmc_webhook::wecom::{CallbackCrypto, EncodingAesKey, EnvelopeFormat};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    fake_wecom::FakeWeCom,
    helpers::{CORP_ID, TestApp, app_crypto, bot_crypto, demo_env, now, spawn_app_with},
};

/// A second corp (corp ids are opaque and case-sensitive).
pub const SECOND_CORP: &str = "wwSecondCorp0042";

/// One extra account's callback credentials.
pub struct Extra {
    pub id: &'static str,
    pub kind: &'static str,
    pub corp_id: &'static str,
    pub agent_id: i64,
    pub token: &'static str,
    pub key: &'static str,
    pub secret: &'static str,
}

impl Extra {
    pub fn crypto(&self) -> CallbackCrypto {
        let receive_id = if self.kind == "robot" { "" } else { self.corp_id };
        CallbackCrypto::new(
            SecretString::from(self.token),
            EncodingAesKey::parse(self.key).unwrap(),
            receive_id,
        )
    }
}

pub const EXTRAS: [Extra; 4] = [
    Extra {
        id: "hr",
        kind: "app",
        corp_id: CORP_ID,
        agent_id: 1_000_005,
        token: "HrTok3n",
        key: "bcdefghijklmnopqrstuvwxyz0123456789ABCDEFGH",
        secret: "hr-secret",
    },
    Extra {
        id: "it",
        kind: "app",
        corp_id: CORP_ID,
        agent_id: 1_000_006,
        token: "ItTok3n",
        key: "cdefghijklmnopqrstuvwxyz0123456789ABCDEFGHI",
        secret: "it-secret",
    },
    Extra {
        id: "corp2",
        kind: "app",
        corp_id: SECOND_CORP,
        agent_id: 1_000_009,
        token: "Corp2Tok3n",
        key: "defghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
        secret: "corp2-secret",
    },
    Extra {
        id: "ops",
        kind: "robot",
        corp_id: "",
        agent_id: 0,
        token: "OpsTok3n",
        key: "efghijklmnopqrstuvwxyz0123456789ABCDEFGHIJK",
        secret: "ops-robot-key",
    },
];

/// The YAML of [`EXTRAS`], sending to `base_url` when given.
pub fn accounts_yaml(base_url: Option<&str>) -> String {
    let mut yaml = String::from("accounts:\n");
    for extra in &EXTRAS {
        yaml.push_str(&format!(
            "  - {{id: {}, kind: {}, token: {}, encoding_aes_key: '{}'",
            extra.id, extra.kind, extra.token, extra.key
        ));
        if extra.kind == "app" {
            yaml.push_str(&format!(
                ", corp_id: {}, agent_id: '{}', secret: {}",
                extra.corp_id, extra.agent_id, extra.secret
            ));
            if let Some(url) = base_url {
                yaml.push_str(&format!(", base_url: '{url}'"));
            }
        } else if let Some(url) = base_url {
            yaml.push_str(&format!(", webhook_url: '{url}/cgi-bin/webhook/send?key={}'", extra.secret));
        }
        yaml.push_str("}\n");
    }
    yaml
}

/// The demo environment plus a config file holding `yaml`.
pub fn env_with_config(dir: &std::path::Path, yaml: &str) -> Vec<(&'static str, String)> {
    let file = dir.join("accounts.yaml");
    std::fs::write(&file, yaml).unwrap();
    let mut env = demo_env();
    env.push(("PMC_CONFIG", file.display().to_string()));
    env
}

fn app_text(crypto: &CallbackCrypto, corp_id: &str, msg_id: u64) -> (String, String) {
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi]]></Content>\
         <MsgId>{msg_id}</MsgId><AgentID>1</AgentID></xml>",
        now()
    );
    crypto.seal_callback(&plaintext, EnvelopeFormat::Xml, &now(), "n0nce", &rand::random()).unwrap()
}

fn robot_text(crypto: &CallbackCrypto, msg_id: &str) -> (String, String) {
    let plaintext = json!({"msgid": msg_id, "aibotid": "bot-1", "chattype": "single",
        "from": {"userid": "lisi"}, "msgtype": "text", "text": {"content": "hello"}})
    .to_string();
    crypto.seal_callback(&plaintext, EnvelopeFormat::Json, &now(), "n0nce", &rand::random()).unwrap()
}

async fn events_of(app: &TestApp, account: &str) -> Vec<Value> {
    let page = app.get_json(&format!("/api/v1/events?account={account}&limit=500")).await;
    page["events"].as_array().unwrap().clone()
}

#[tokio::test]
async fn every_account_verifies_and_decrypts_with_its_own_credentials_only() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_app_with(&env_with_config(dir.path(), &accounts_yaml(None))).await;
    let api = "/api/v1/webhooks/wechat/api";
    let bot = "/api/v1/webhooks/wechat/bot";

    // URL checks, each with its own credentials.
    for extra in &EXTRAS {
        let route = if extra.kind == "robot" { bot } else { api };
        let query = extra.crypto().seal_verification("echo-42", &now(), "n", &rand::random()).unwrap();
        let response = app.get(&format!("{route}/{}?{query}", extra.id)).await;
        assert_eq!(response.status(), 200, "{}", extra.id);
        assert_eq!(response.text().await.unwrap(), "echo-42");
    }

    // The same MsgId in four apps: four callbacks.
    let apps: Vec<(&str, CallbackCrypto, &str)> = std::iter::once(("default", app_crypto(), CORP_ID))
        .chain(EXTRAS.iter().filter(|extra| extra.kind == "app").map(|e| (e.id, e.crypto(), e.corp_id)))
        .collect();
    for (id, crypto, corp_id) in &apps {
        let (query, body) = app_text(crypto, corp_id, 4242);
        let route = if *id == "default" { api.to_owned() } else { format!("{api}/{id}") };
        assert_eq!(app.post(&route, &query, body.clone()).await.status(), 200, "{id}");
        // WeCom's retry of it is recognised as one.
        assert_eq!(app.post(&route, &query, body).await.status(), 200, "{id} retry");
    }
    for (id, _, _) in &apps {
        let events = events_of(&app, id).await;
        let texts: Vec<&Value> = events.iter().filter(|e| e["callback_type"] == "message.text").collect();
        assert_eq!(texts.len(), 1, "{id}: {events:?}");
        assert_eq!(texts[0]["account"], *id);
        let expected_key =
            if *id == "default" { "msgid:4242".to_owned() } else { format!("account:{id}:msgid:4242") };
        assert_eq!(texts[0]["dedupe_key"], expected_key);
    }

    // Another account's credentials are refused on every route.
    let (query, body) = app_text(&EXTRAS[0].crypto(), CORP_ID, 7);
    for route in [format!("{api}/it"), format!("{api}/corp2"), api.to_owned()] {
        let refused = app.post(&route, &query, body.clone()).await;
        assert_eq!(refused.status(), 403, "{route}");
        assert_eq!(refused.json::<Value>().await.unwrap()["code"], -40001, "{route}");
    }
    // The seed's default app answers on its own account route too.
    let (query, body) = app_text(&app_crypto(), CORP_ID, 8);
    assert_eq!(app.post(&format!("{api}/default"), &query, body).await.status(), 200);

    // Robots: each its own.
    let (query, body) = robot_text(&EXTRAS[3].crypto(), "r-1");
    assert_eq!(app.post(&format!("{bot}/ops"), &query, body.clone()).await.status(), 200);
    assert_eq!(app.post(bot, &query, body).await.status(), 403, "the default robot's route");
    let (query, body) = robot_text(&bot_crypto(), "r-2");
    assert_eq!(app.post(&format!("{bot}/ops"), &query, body.clone()).await.status(), 403);
    assert_eq!(app.post(bot, &query, body).await.status(), 200);
    assert_eq!(events_of(&app, "ops").await.len(), 1);

    // Unknown accounts and the wrong family: 404 with a JSON error.
    for path in [format!("{api}/nope"), format!("{bot}/hr"), format!("{api}/ops")] {
        let missing = app.post(&path, "msg_signature=a&timestamp=1&nonce=2", "<xml/>").await;
        assert_eq!(missing.status(), 404, "{path}");
        assert_eq!(missing.json::<Value>().await.unwrap()["error"], "unknown_account");
    }

    // The account list: every account, which credentials are set, no secret.
    let listed = app.get("/api/v1/accounts").await.text().await.unwrap();
    for extra in &EXTRAS {
        assert!(
            !listed.contains(extra.token) && !listed.contains(extra.key) && !listed.contains(extra.secret)
        );
    }
    let listed: Value = serde_json::from_str(&listed).unwrap();
    let ids: Vec<String> = listed["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| format!("{}:{}", a["kind"].as_str().unwrap(), a["id"].as_str().unwrap()))
        .collect();
    assert_eq!(ids, ["app:corp2", "app:default", "app:hr", "app:it", "robot:default", "robot:ops"]);
    let hr = &listed["accounts"][2];
    assert_eq!(hr["routes"], json!(["/api/v1/webhooks/wechat/api/hr"]));
    assert_eq!(hr["credentials_set"], json!(["token", "encoding_aes_key", "corp_id", "agent_id", "secret"]));
    assert_eq!(hr["can_send"], true);
    assert_eq!(listed["accounts"][1]["routes"][0], "/api/v1/webhooks/wechat/api");

    // Counters carry the account.
    let metrics = reqwest::get(format!("{}/metrics", app.base_url)).await.unwrap().text().await.unwrap();
    assert!(
        metrics.contains(
            r#"pmc_callbacks_total{channel="wechat_api",account="hr",type="message.text",outcome="stored"} 1"#
        ),
        "{metrics}"
    );
    assert!(metrics.contains(
        r#"pmc_callbacks_total{channel="wechat_api",account="hr",type="message.text",outcome="duplicate"} 1"#
    ));
}

#[tokio::test]
async fn every_account_sends_with_its_own_token_and_agent_id() {
    let fake = FakeWeCom::start().await;
    for extra in EXTRAS.iter().filter(|extra| extra.kind == "app") {
        fake.add_app(extra.corp_id, extra.secret, extra.agent_id);
    }
    fake.add_robot_key(EXTRAS[3].secret);
    let dir = tempfile::tempdir().unwrap();
    let mut env = env_with_config(dir.path(), &accounts_yaml(Some(&fake.url)));
    env.extend(fake.env());
    let app = spawn_app_with(&env).await;

    let mut expected = Vec::new();
    for round in 0..2 {
        for account in ["default", "hr", "it", "corp2"] {
            let id = format!("send-{account}-{round}");
            let body = json!({"id": id, "channel": "wecom_app", "account": account, "recipients": ["zhangsan"],
                              "msgtype": "text", "text": {"content": "hi"}});
            let response =
                app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await;
            let response = response.unwrap();
            assert_eq!(response.status(), 202, "{account}");
            assert_eq!(response.json::<Value>().await.unwrap()["account"], account);
            expected.push(id);
        }
        let body = json!({"id": format!("send-ops-{round}"), "channel": "wecom_bot", "account": "ops",
                          "msgtype": "text", "text": {"content": "hi"}});
        let response = app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await;
        assert_eq!(response.unwrap().status(), 202);
        expected.push(format!("send-ops-{round}"));
    }
    for id in &expected {
        app.wait_for_message_status(id, "sent", Duration::from_secs(30)).await;
    }
    // One token per app, however many sends; each send with its own agent id.
    for extra in EXTRAS.iter().filter(|extra| extra.kind == "app") {
        assert_eq!(fake.tokens_issued_for(extra.corp_id, extra.secret), 1, "{}", extra.id);
    }
    let sends = fake.calls("message/send");
    assert!(sends.iter().all(|call| call.accepted()), "{sends:?}");
    for extra in EXTRAS.iter().filter(|extra| extra.kind == "app") {
        let via = format!("{}/{}", extra.corp_id, extra.agent_id);
        assert_eq!(sends.iter().filter(|call| call.via.as_deref() == Some(via.as_str())).count(), 2, "{via}");
    }
    let robot: Vec<_> = fake.calls("webhook/send");
    assert_eq!(robot.len(), 2);
    assert!(robot.iter().all(|call| call.accepted() && call.via.as_deref() == Some(EXTRAS[3].secret)));
    let message = app.get_json("/api/v1/messages/send-hr-0").await;
    assert_eq!(message["account"], "hr");
    let sent_events = events_of(&app, "hr").await;
    assert!(sent_events.iter().any(|e| e["callback_type"] == "message.send_result"), "{sent_events:?}");

    // An external message is filed under a configured account, or refused.
    let external = json!({"id": "ext-hr", "channel": "external", "account": "hr", "recipients": ["u"]});
    let filed = app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&external).send().await;
    assert_eq!(filed.unwrap().status(), 201);
    let typo = json!({"id": "ext-typo", "channel": "external", "account": "hrr", "recipients": ["u"]});
    let refused = app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&typo).send().await;
    assert_eq!(refused.unwrap().status(), 422);

    // An account that does not exist or cannot send is refused up front.
    for (account, channel) in [("nope", "wecom_app"), ("ops", "wecom_app"), ("hr", "wecom_bot")] {
        let mut body =
            json!({"channel": channel, "account": account, "msgtype": "text", "text": {"content": "hi"}});
        if channel == "wecom_app" {
            body["recipients"] = json!(["zhangsan"]);
        }
        let refused = app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await;
        let refused = refused.unwrap();
        assert_eq!(refused.status(), 422, "{account} on {channel}");
        assert_eq!(refused.json::<Value>().await.unwrap()["error"], "channel_not_configured");
    }
}
