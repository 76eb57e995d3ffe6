//! Callback behaviour beyond the vectors: storage, replies, limits, errors.

use pmc_webhook::wecom::{CallbackQuery, EnvelopeFormat, cipher};
use serde_json::Value;

use crate::helpers::{app_crypto, app_text, bot_crypto, demo_env, spawn_app, spawn_app_with};

#[tokio::test]
async fn an_acknowledged_callback_is_stored_with_its_typed_payload() {
    let app = spawn_app().await;
    let (query, body) = app_text(7_390_000_000_000_001_234, "你好");
    let response = app.post("/api/v1/webhooks/wechat/api", &query, body).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.text().await.unwrap(), "");

    let page = app.get_json("/api/v1/events?type=message.text").await;
    let id = page["events"][0]["id"].as_i64().unwrap();
    let event = app.get_json(&format!("/api/v1/events/{id}")).await;
    assert_eq!(event["dedupe_key"], "msgid:7390000000000001234");
    assert_eq!(event["user_id"], "zhangsan");
    assert_eq!(event["channel"], "wechat_api");
    assert_eq!(event["source_ip"], "127.0.0.1");
    assert_eq!(event["payload"]["source"], "app");
    assert_eq!(event["payload"]["content"]["message"]["msg_type"], "text");
    assert_eq!(event["payload"]["content"]["message"]["content"], "你好");
    assert!(event["plaintext"].as_str().unwrap().contains("<Content><![CDATA[你好]]></Content>"));
}

#[tokio::test]
async fn an_auto_reply_comes_back_encrypted_and_signed() {
    let mut env = demo_env();
    env.push(("PMC__CHANNELS__WECHAT_API__AUTO_REPLY_TEXT", "已收到，稍后处理".to_owned()));
    let app = spawn_app_with(&env).await;
    let (query, body) = app_text(42, "hi");
    let response = app.post("/api/v1/webhooks/wechat/api", &query, body).await;
    assert_eq!(response.status(), 200);
    let reply = response.text().await.unwrap();
    // Read the reply as WeCom would: verify its signature, then decrypt.
    let envelope = pmc_webhook::wecom::Envelope::parse(reply.as_bytes()).unwrap();
    let root = pmc_webhook::wecom::xml_tree::parse_document(&reply).unwrap();
    let signed = CallbackQuery {
        msg_signature: root.child_text("MsgSignature").unwrap().to_owned(),
        timestamp: root.child_text("TimeStamp").unwrap().to_owned(),
        nonce: root.child_text("Nonce").unwrap().to_owned(),
        echostr: None,
    };
    assert_eq!(signed.nonce, "1719203847", "the reply reuses the callback's nonce");
    let opened = app_crypto().open(&signed, reply.as_bytes()).unwrap();
    assert_eq!(opened.envelope.ciphertext, envelope.ciphertext);
    assert!(opened.plaintext.contains("<ToUserName><![CDATA[zhangsan]]></ToUserName>"));
    assert!(opened.plaintext.contains("<Content><![CDATA[已收到，稍后处理]]></Content>"));
}

#[tokio::test]
async fn a_robot_enter_chat_gets_the_welcome_text_as_encrypted_json() {
    let mut env = demo_env();
    env.push(("PMC__CHANNELS__WECHAT_BOT__WELCOME_TEXT", "欢迎".to_owned()));
    let app = spawn_app_with(&env).await;
    let plaintext = r#"{"msgid":"m-enter-1","create_time":1717401599,"aibotid":"aib","chattype":"single","from":{"userid":"lisi"},"msgtype":"event","event":{"eventtype":"enter_chat"}}"#;
    let (query, body) = bot_crypto()
        .seal_callback(plaintext, EnvelopeFormat::Json, &crate::helpers::now(), "55", &[3; 16])
        .unwrap();
    let response = app.post("/api/v1/webhooks/wechat/bot", &query, body).await;
    assert_eq!(response.status(), 200);
    let reply: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(reply["nonce"], "55");
    assert!(reply["timestamp"].is_i64());
    let key = pmc_webhook::wecom::EncodingAesKey::parse(crate::helpers::BOT_KEY).unwrap();
    let decrypted = cipher::decrypt(&key, reply["encrypt"].as_str().unwrap(), "").unwrap();
    assert_eq!(decrypted, r#"{"msgtype":"text","text":{"content":"欢迎"}}"#);
    let expected_signature = pmc_webhook::wecom::signature::compute_signature(
        crate::helpers::BOT_TOKEN,
        &reply["timestamp"].to_string(),
        "55",
        reply["encrypt"].as_str().unwrap(),
    );
    assert_eq!(reply["msgsignature"], expected_signature);
}

#[tokio::test]
async fn a_callback_is_read_whatever_its_content_type() {
    let app = spawn_app().await;
    for (number, content_type) in
        ["application/xml", "text/xml", "application/json", "application/octet-stream"].iter().enumerate()
    {
        let (query, body) = app_text(900 + number as u64, "ct");
        let response = app
            .client
            .post(format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url))
            .header("content-type", *content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "{content_type}");
    }
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_413_and_the_service_stays_up() {
    let app = spawn_app().await;
    let (query, _) = app_text(1, "x");
    let response = app.post("/api/v1/webhooks/wechat/api", &query, vec![b'<'; 2 * 1024 * 1024]).await;
    assert_eq!(response.status(), 413);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "body_too_large");
    assert_eq!(app.get("/health").await.status(), 200);
}

#[tokio::test]
async fn a_channel_without_credentials_answers_503_and_the_rest_runs() {
    let app = spawn_app_with(&[("PMC_API_TOKENS", crate::helpers::API_TOKEN.to_owned())]).await;
    let response = app.get("/api/v1/webhooks/wechat/api?msg_signature=a&timestamp=1&nonce=2&echostr=x").await;
    assert_eq!(response.status(), 503);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["error"], "channel_unavailable");
    assert!(error["message"].as_str().unwrap().contains("WECHAT_TOKEN"), "{error}");
    let response = app.post("/api/v1/webhooks/wechat/bot", "msg_signature=a&timestamp=1&nonce=2", "{}").await;
    assert_eq!(response.status(), 503);
    assert_eq!(app.get("/health").await.status(), 200);
    let status = app.get_json("/api/v1/status").await;
    assert_eq!(status["channels"][0]["state"], "unconfigured");
}

#[tokio::test]
async fn a_repeated_query_parameter_is_refused_not_guessed() {
    let app = spawn_app().await;
    let (query, body) = app_text(5, "dup");
    let response = app.post("/api/v1/webhooks/wechat/api", &format!("{query}&nonce=other"), body).await;
    assert_eq!(response.status(), 400);
    let error: Value = response.json().await.unwrap();
    assert_eq!(error["code"], -40002);
}

#[tokio::test]
async fn a_signed_but_unparseable_payload_is_quarantined_not_lost() {
    let app = spawn_app().await;
    let (query, body) = app_crypto()
        .seal_callback("this is not xml", EnvelopeFormat::Xml, &crate::helpers::now(), "1", &[9; 16])
        .unwrap();
    for _ in 0..2 {
        let response = app.post("/api/v1/webhooks/wechat/api", &query, body.clone()).await;
        assert_eq!(response.status(), 400);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"], "payload_unparseable");
        assert_eq!(error["code"], -40002);
    }
    let status = app.get_json("/api/v1/status").await;
    assert_eq!(status["storage"]["event_log"]["quarantined_total"], 1, "a retry is quarantined once");
    assert_eq!(status["storage"]["event_log"]["events_total"], 0);
}

#[tokio::test]
async fn a_500_never_happens_for_hostile_input() {
    let app = spawn_app().await;
    let hostile = [
        (
            "msg_signature=a&timestamp=1&nonce=2",
            "<!DOCTYPE x [<!ENTITY a \"b\">]><xml><Encrypt>&a;</Encrypt></xml>".to_owned(),
        ),
        ("msg_signature=a&timestamp=1&nonce=2", "<xml>".repeat(5000)),
        ("msg_signature=a&timestamp=1&nonce=2", String::from_utf8_lossy(&[0xff, 0xfe, 0x00]).into_owned()),
        ("", "<xml><Encrypt>abc</Encrypt></xml>".to_owned()),
        ("msg_signature=a&timestamp=1&nonce=2", String::new()),
    ];
    for (query, body) in hostile {
        let response = app.post("/api/v1/webhooks/wechat/api", query, body.clone()).await;
        assert!(
            response.status().is_client_error(),
            "{query} {} -> {}",
            &body[..body.len().min(40)],
            response.status()
        );
        let error: Value = response.json().await.unwrap();
        assert!(error["code"].is_i64(), "{error}");
    }
}
