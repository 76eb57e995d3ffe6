//! WeCom retries: the same callback again is answered 200 and stored once,
//! also after a restart.

use crate::helpers::{app_text, demo_env, spawn_app};

#[tokio::test]
async fn a_retried_callback_is_answered_200_and_stored_once_even_across_a_restart() {
    let app = spawn_app().await;
    let (query, body) = app_text(7_390_000_000_000_000_777, "retry me");
    // Deliveries racing each other land in one group-commit batch or in consecutive ones.
    let first_wave = futures_like_join(&app, &query, &body, 5).await;
    assert!(first_wave.iter().all(|status| *status == 200), "{first_wave:?}");
    assert_eq!(app.all_events().await.len(), 1);

    let app = app.restart(&demo_env()).await;
    let response = app.post("/api/v1/webhooks/wechat/api", &query, body.clone()).await;
    assert_eq!(response.status(), 200);
    let events = app.all_events().await;
    assert_eq!(events.len(), 1, "the dedupe window survives a restart");
    let status = app.get_json("/api/v1/status").await;
    let duplicates: u64 = status["callbacks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|row| row["outcome"] == "duplicate")
        .map(|row| row["count"].as_u64().unwrap())
        .sum();
    assert_eq!(duplicates, 1, "only this instance's retry is counted here");
}

#[tokio::test]
async fn distinct_callbacks_in_one_burst_are_all_stored() {
    let app = spawn_app().await;
    let mut requests = tokio::task::JoinSet::new();
    for msg_id in 0..200u64 {
        let client = app.client.clone();
        let (query, body) = app_text(10_000 + msg_id, "burst");
        let url = format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url);
        requests.spawn(async move { client.post(url).body(body).send().await.unwrap().status() });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    assert_eq!(app.all_events().await.len(), 200);
    let status = app.get_json("/api/v1/status").await;
    assert!(
        status["storage"]["event_log"]["largest_batch"].as_u64().unwrap() > 1,
        "concurrent callbacks share a transaction (group commit): {}",
        status["storage"]["event_log"]
    );
}

async fn futures_like_join(
    app: &crate::helpers::TestApp,
    query: &str,
    body: &str,
    copies: usize,
) -> Vec<u16> {
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..copies {
        let client = app.client.clone();
        let url = format!("{}/api/v1/webhooks/wechat/api?{query}", app.base_url);
        let body = body.to_owned();
        requests.spawn(async move { client.post(url).body(body).send().await.unwrap().status().as_u16() });
    }
    let mut statuses = Vec::new();
    while let Some(status) = requests.join_next().await {
        statuses.push(status.unwrap());
    }
    statuses
}

/// Seals an app callback `plaintext` with a fresh nonce, as WeCom does on every delivery.
fn sealed(plaintext: &str) -> (String, String) {
    let nonce = format!("{}", rand::random::<u32>());
    crate::helpers::app_crypto()
        .seal_callback(
            plaintext,
            pmc_webhook::wecom::EnvelopeFormat::Xml,
            &crate::helpers::now(),
            &nonce,
            &rand::random(),
        )
        .unwrap()
}

fn system_event(event: &str, body: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[{}]]></ToUserName><FromUserName><![CDATA[sys]]></FromUserName><CreateTime>1717401600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{body}</xml>",
        crate::helpers::CORP_ID
    )
}

/// Events without `MsgId` that share sender, second and event name but
/// differ in one field are distinct callbacks (WxJava shipped this bug,
/// PR #3002); the same document re-encrypted is a retry.
#[tokio::test]
async fn id_less_events_that_differ_in_any_field_are_all_stored_and_retries_are_not() {
    let app = spawn_app().await;
    let contact = |external: &str| {
        system_event(
            "change_external_contact",
            &format!(
                "<ChangeType><![CDATA[add_external_contact]]></ChangeType><UserID><![CDATA[zhangsan]]></UserID><ExternalUserID><![CDATA[{external}]]></ExternalUserID><State><![CDATA[s]]></State><WelcomeCode><![CDATA[w-{external}]]></WelcomeCode>"
            ),
        )
    };
    let chat = |detail: &str, version: &str| {
        system_event(
            "change_external_chat",
            &format!(
                "<ChatId><![CDATA[wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA]]></ChatId><ChangeType><![CDATA[update]]></ChangeType><UpdateDetail><![CDATA[{detail}]]></UpdateDetail><JoinScene>1</JoinScene><MemChangeCnt>1</MemChangeCnt><MemChangeList><Item>wmA</Item></MemChangeList><LastMemVer>1</LastMemVer><CurMemVer>{version}</CurMemVer>"
            ),
        )
    };
    let kf = |token: &str| {
        system_event(
            "kf_msg_or_event",
            &format!(
                "<Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[wkAJ2GCAAAZSfhHCt7IFSvLKtMPxyJTw]]></OpenKfId>"
            ),
        )
    };
    let change_contact = system_event(
        "change_contact",
        "<ChangeType><![CDATA[update_user]]></ChangeType><UserID><![CDATA[lisi]]></UserID><Position><![CDATA[lead]]></Position>",
    );
    let distinct = [
        contact("wmAAAA1"),
        contact("wmAAAA2"),
        chat("add_member", "2"),
        chat("del_member", "3"),
        kf("ENCApHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NR"),
        kf("ENCBpHxnGDNAVNY4AaSJKj4Tb5mwsEMzxhFmHVGcra996NS"),
        change_contact.clone(),
    ];
    for plaintext in &distinct {
        let (query, body) = sealed(plaintext);
        assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    }
    // WeCom's retry: the same document, a new nonce, timestamp and signature.
    let (query, body) = sealed(&change_contact);
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", &query, body).await.status(), 200);
    let events = app.all_events().await;
    let keys: std::collections::HashSet<&str> =
        events.iter().map(|event| event["dedupe_key"].as_str().unwrap()).collect();
    assert_eq!(events.len(), distinct.len(), "each distinct event once, the retry not again: {keys:?}");
    assert_eq!(keys.len(), distinct.len());
}
