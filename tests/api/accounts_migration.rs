//! The new build on a data directory the build before accounts wrote
//! (`tests/fixtures/legacy-data-v0`, see its README): everything in it
//! becomes account `default`, in place, and keeps working — its dedupe
//! keys still recognise retries, its messages still move.

use std::time::{Duration, Instant};

use pmc_webhook::wecom::EnvelopeFormat;
use serde_json::{Value, json};

use crate::helpers::{app_crypto, demo_env, spawn_app_in};

fn copy_fixture(to: &std::path::Path) {
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/legacy-data-v0");
    for name in ["events.db", "tracking.db", "outbound.db", "instance_id"] {
        std::fs::copy(fixture.join(name), to.join(name)).unwrap();
    }
}

#[tokio::test]
async fn a_data_directory_from_before_accounts_becomes_account_default_in_place() {
    let dir = tempfile::tempdir().unwrap();
    copy_fixture(dir.path());
    let mut env = demo_env();
    env.push(("STATUS_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw".to_owned()));
    // The fixture ages: keep its events and dedupe keys whatever its date
    // (the defaults would prune them after 30 days and stop recognising its
    // retries after 24 hours).
    env.push(("PMC__STORAGE__RETENTION__EVENTS", "0".to_owned()));
    env.push(("PMC__STORAGE__RETENTION__HISTORY", "0".to_owned()));
    env.push(("PMC__STORAGE__DEDUPE_WINDOW_SECS", "3153600000".to_owned()));
    let app = spawn_app_in(&env, dir.path()).await;

    // Every stored event is the default account's.
    let all = app.all_events().await;
    assert_eq!(all.len(), 45, "the fixture's 41 callbacks, a registration and 3 status callbacks");
    assert!(all.iter().all(|event| event["account"] == "default"), "{all:?}");
    let by_filter = app.get_json("/api/v1/events?account=default&limit=500").await;
    assert_eq!(by_filter["events"].as_array().unwrap().len(), 45);
    assert_eq!(app.get_json("/api/v1/events?account=hr").await["events"], json!([]));

    // Tracked messages and interactions too.
    let message = app.get_json("/api/v1/messages/legacy-1").await;
    assert_eq!(message["account"], "default");
    assert_eq!(message["status"], "sent");
    let interactions = app.get_json("/api/v1/interactions?limit=100").await;
    let interactions = interactions["interactions"].as_array().unwrap().clone();
    assert!(!interactions.is_empty());

    // A retry of a callback stored by the old build is still a retry (bare keys).
    let plaintext = "<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6789]]></ToUserName><FromUserName><![CDATA[user0000]]></FromUserName><CreateTime>1796184093</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好 round 0]]></Content><MsgId>1796184093694000001</MsgId><AgentID>1000002</AgentID></xml>";
    let now = chrono::Utc::now().timestamp().to_string();
    let (query, body) =
        app_crypto().seal_callback(plaintext, EnvelopeFormat::Xml, &now, "n", &rand::random()).unwrap();
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    assert_eq!(app.all_events().await.len(), 45, "recognised as a retry, not stored again");

    // The old message still moves: a read for it is applied.
    let update = json!({"message_id": "legacy-1", "status": "read", "recipient": "zhangsan"});
    let response = crate::tracking::post_status(&app, "after-upgrade", &update).await;
    assert_eq!(response.status(), 202);
    let started = Instant::now();
    loop {
        let status: Value = app.get_json("/api/v1/messages/legacy-1/status").await;
        let zhangsan = status["recipients"].as_array().unwrap().iter().find(|r| r["recipient"] == "zhangsan");
        if zhangsan.is_some_and(|r| r["status"] == "read") {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{status}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let new = app.all_events().await;
    assert_eq!(new.len(), 46);
    assert_eq!(new[0]["account"], "default");
}
