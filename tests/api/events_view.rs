//! One view across replicas: two service processes on one MariaDB (no
//! MongoDB), callbacks sent to replica A only, and replica B lists and
//! reads every one of them — approvals and unknown events included.

use std::{collections::HashSet, time::Duration};

use serde_json::Value;

use crate::{
    backends::shared,
    durability::start_processes,
    helpers::{api_client, app_text, demo_env},
};

async fn get_json(client: &reqwest::Client, url: &str) -> Value {
    let response = client.get(url).timeout(Duration::from_secs(10)).send().await.unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.json().await.unwrap()
}

/// Every event listed by `base`, paging 4 at a time, and whether every page
/// came from MySQL (until the replica's schema is migrated it falls back to
/// its own event log).
async fn list_all(client: &reqwest::Client, base: &str, query: &str) -> (bool, Vec<Value>) {
    let mut events = Vec::new();
    let mut cursor = String::new();
    let mut shared = true;
    loop {
        let page = get_json(client, &format!("{base}/api/v1/events?limit=4{query}{cursor}")).await;
        shared &= page["source"] == "mysql";
        events.extend(page["events"].as_array().unwrap().iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => return (shared, events),
        }
    }
}

#[tokio::test]
async fn callbacks_sent_to_one_replica_are_listed_by_the_other() {
    let Some(backends) = shared() else { return };
    let (mut env, _db) = backends.fresh_mysql("pmc_view").await;
    env.extend(demo_env());
    let replicas = start_processes(&env, 2).await;
    let (a, b) = (&replicas.urls[0], &replicas.urls[1]);
    let client = reqwest::Client::new();
    for msg_id in 1..=9u64 {
        let (query, body) = app_text(8_800_000 + msg_id, "to replica A");
        let response =
            client.post(format!("{a}/api/v1/webhooks/wechat/api?{query}")).body(body).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }
    // An approval and an event nobody types: they too must reach MySQL.
    let crypto = crate::helpers::app_crypto();
    for plaintext in [
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1717401600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[sys_approval_change]]></Event><AgentID>1000002</AgentID><ApprovalInfo><SpNo>202406010001</SpNo><SpName><![CDATA[请假]]></SpName><SpStatus>2</SpStatus></ApprovalInfo></xml>",
            crate::helpers::CORP_ID
        ),
        format!(
            "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1717401600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[an_event_from_2030]]></Event><Extra>x</Extra></xml>",
            crate::helpers::CORP_ID
        ),
    ] {
        let (query, body) = crypto
            .seal_callback(
                &plaintext,
                pmc_webhook::wecom::EnvelopeFormat::Xml,
                &crate::helpers::now(),
                "42",
                &rand::random(),
            )
            .unwrap();
        let response =
            client.post(format!("{a}/api/v1/webhooks/wechat/api?{query}")).body(body).send().await.unwrap();
        assert_eq!(response.status(), 200);
    }

    let api = api_client();
    let started = std::time::Instant::now();
    let listed = loop {
        let (shared, listed) = list_all(&api, b, "").await;
        if shared && listed.len() >= 11 {
            break listed;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "replica B lists {} of 11", listed.len());
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(listed.len(), 11, "each event once, paged without gaps or repeats");
    let keys: HashSet<(String, i64)> = listed
        .iter()
        .map(|event| (event["instance"].as_str().unwrap().to_owned(), event["id"].as_i64().unwrap()))
        .collect();
    assert_eq!(keys.len(), 11);
    let local_b = get_json(&api, &format!("{b}/api/v1/events?source=local")).await;
    assert!(local_b["events"].as_array().unwrap().is_empty(), "replica B itself received nothing");
    // Both replicas answer the same.
    assert_eq!(list_all(&api, a, "").await, (true, listed.clone()));
    // Filters apply in MySQL.
    let (_, approvals) = list_all(&api, b, "&type=event.sys_approval_change").await;
    assert_eq!(approvals.len(), 1, "{approvals:?}");
    let (_, unknown) = list_all(&api, b, "&type=event.an_event_from_2030").await;
    assert_eq!(unknown.len(), 1, "{unknown:?}");
    // One of A's events, read in full through B.
    let approval = &approvals[0];
    let detail = get_json(
        &api,
        &format!("{b}/api/v1/events/{}?instance={}", approval["id"], approval["instance"].as_str().unwrap()),
    )
    .await;
    assert_eq!(detail["callback_type"], "event.sys_approval_change");
    assert!(detail["plaintext"].as_str().unwrap().contains("202406010001"), "{detail}");
    assert_eq!(detail["ciphertext"], "", "MySQL keeps no ciphertext");
    assert!(!detail["payload"].is_null(), "{detail}");
}
