//! 微信客服 end to end against the fake WeCom: a `kf_msg_or_event` callback
//! (acknowledged at once) makes the service pull `kf/sync_msg` after the
//! acknowledgement — with the callback's token, page by page from the
//! account's cursor — and store each message and event as an event of its
//! own, once even when WeCom lists one twice; the periodic pull finds
//! messages no callback announced; and the real binary SIGKILLed in the
//! middle of a cursor, restarted, has every message exactly once. Sends:
//! `kf/send_msg` tracked, failed by a pulled `msg_send_fail`; a welcome
//! through `kf/send_msg_on_event` once per code; retries stopped by a
//! closed session.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    durability::{free_port, start_service},
    fake_wecom::{FakeWeCom, Fault},
    helpers::{TestApp, api_client, spawn_app_with},
    outbound::{env, send, until},
};

const KF: &str = "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q";

fn text(msgid: &str, content: &str) -> Value {
    json!({"msgid": msgid, "external_userid": "wmAJ2GCAAAme1XQRC", "send_time": 1_615_478_585,
           "origin": 3, "msgtype": "text", "text": {"content": content}})
}

fn enter_session(msgid: &str) -> Value {
    json!({"msgid": msgid, "send_time": 1_615_478_585, "origin": 4, "msgtype": "event",
           "event": {"event_type": "enter_session", "open_kfid": KF, "external_userid": "wmAJ2GCAAAme1XQRC",
                     "scene": "123", "welcome_code": "aaaaaa"}})
}

/// The kf events among `events`: (callback_type, dedupe_key).
fn kf_events(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .filter(|event| event["dedupe_key"].as_str().is_some_and(|key| key.starts_with("kf:")))
        .map(|event| {
            (
                event["callback_type"].as_str().unwrap().to_owned(),
                event["dedupe_key"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn wait_for_kf(app: &TestApp, count: usize) -> Vec<(String, String)> {
    let started = Instant::now();
    loop {
        let events = kf_events(&app.all_events().await);
        if events.len() >= count {
            return events;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{} of {count} kf events: {events:?}",
            events.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_kf_callback_pulls_its_messages_after_the_ack_once_each_and_the_periodic_pull_finds_the_rest() {
    let fake = FakeWeCom::start().await;
    fake.add_kf_message(KF, enter_session("m1"));
    fake.add_kf_message(KF, text("m2", "你好"));
    fake.add_kf_message(KF, text("m3", "我的订单"));
    let mut env = env(&fake);
    env.push(("PMC__KF__POLL_SECS", "2".to_owned()));
    let app = spawn_app_with(&env).await;

    assert_eq!(fake.notify_kf(&app.base_url, KF, "ENCApHxnGDNAVNY4").await, 200);
    let events = wait_for_kf(&app, 3).await;
    let mut types: Vec<&str> = events.iter().map(|(kind, _)| kind.as_str()).collect();
    types.sort_unstable();
    assert_eq!(types, ["kf.event.enter_session", "kf.msg.text", "kf.msg.text"]);
    assert!(events.iter().any(|(_, key)| key == &format!("kf:{KF}:m2")));
    let pulls = fake.calls("kf/sync_msg");
    assert_eq!(pulls[0].body["token"], "ENCApHxnGDNAVNY4", "the callback's token is used");
    assert_eq!((pulls[0].body["cursor"].clone(), pulls[1].body["cursor"].clone()), (json!(""), json!("2")));

    // The customer's messages and the session's start are interactions (for `kind: interaction` subscribers).
    let interactions = until(&app, "/api/v1/interactions?user_id=wmAJ2GCAAAme1XQRC", |page| {
        page["interactions"].as_array().is_some_and(|list| list.len() >= 3)
    })
    .await;
    let mut kinds: Vec<String> = interactions["interactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|interaction| interaction["kind"].as_str().unwrap().to_owned())
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["kf_enter_session", "kf_message", "kf_message"]);

    // WeCom lists m3 again (cursors replay) beside a new one: stored once.
    fake.add_kf_message(KF, text("m3", "我的订单"));
    fake.add_kf_message(KF, text("m4", "到哪了？"));
    assert_eq!(fake.notify_kf(&app.base_url, KF, "ENCAsecond").await, 200);
    let events = wait_for_kf(&app, 4).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let events_now = kf_events(&app.all_events().await);
    assert_eq!(events_now.len(), 4, "m3 once: {events:?}");
    let second =
        fake.calls("kf/sync_msg").into_iter().find(|call| call.body["token"] == "ENCAsecond").unwrap();
    assert_eq!(second.body["cursor"], "3", "the next pull goes on from the cursor");

    // No callback: the periodic pull finds it.
    fake.add_kf_message(KF, text("m5", "在吗"));
    let events = wait_for_kf(&app, 5).await;
    assert!(events.iter().any(|(_, key)| key == &format!("kf:{KF}:m5")));
}

/// The service's own events carrying kf dedupe keys, over HTTP.
async fn stored_kf(port: u16) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}/api/v1/events?source=local&limit=500");
    let Ok(response) = api_client().get(url).send().await else { return Vec::new() };
    let page: Value = response.json().await.unwrap_or_default();
    page["events"]
        .as_array()
        .map(|events| {
            events
                .iter()
                .filter_map(|event| {
                    event["dedupe_key"].as_str().filter(|key| key.starts_with("kf:")).map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_sigkill_in_the_middle_of_a_cursor_loses_and_doubles_no_message() {
    let fake = FakeWeCom::start().await;
    for n in 1..=7 {
        fake.add_kf_message(KF, text(&format!("k{n}"), "消息"));
    }
    // The second page hangs: the process is killed while it waits.
    fake.fail_next("kf/sync_msg", Fault::Slow(Duration::ZERO));
    fake.fail_next("kf/sync_msg", Fault::Slow(Duration::from_secs(30)));
    let temp = tempfile::tempdir().unwrap();
    let env_file = temp.path().join("test.env");
    let lines: Vec<String> = env(&fake).iter().map(|(name, value)| format!("{name}={value}")).collect();
    std::fs::write(&env_file, lines.join("\n")).unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let mut service = start_service(&env_file, &data_dir, port).await;
    assert_eq!(fake.notify_kf(&format!("http://127.0.0.1:{port}"), KF, "ENCAkill").await, 200);
    let started = Instant::now();
    while stored_kf(port).await.len() < 2 || fake.calls("kf/sync_msg").len() < 2 {
        assert!(started.elapsed() < Duration::from_secs(20), "the first page was not stored");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    service.start_kill().unwrap();
    service.wait().await.unwrap();

    // Restarted: the notice is read again, the pull goes on from the cursor.
    let _service = start_service(&env_file, &data_dir, port).await;
    let started = Instant::now();
    let mut keys = stored_kf(port).await;
    while keys.len() < 7 {
        assert!(started.elapsed() < Duration::from_secs(30), "after the restart: {keys:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
        keys = stored_kf(port).await;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut keys = stored_kf(port).await;
    keys.sort();
    let expected: Vec<String> = (1..=7).map(|n| format!("kf:{KF}:k{n}")).collect();
    assert_eq!(keys, expected, "every message once");
    let cursors: Vec<Value> =
        fake.calls("kf/sync_msg").iter().map(|call| call.body["cursor"].clone()).collect();
    assert!(
        cursors.iter().filter(|cursor| **cursor == json!("2")).count() >= 2,
        "page 2 asked again: {cursors:?}"
    );
}

async fn status_of(app: &TestApp, id: &str, status: &str) -> Value {
    until(app, &format!("/api/v1/messages/{id}/status"), |body| body["status"] == status).await
}

async fn last_detail(app: &TestApp, id: &str) -> String {
    let history = app.get_json(&format!("/api/v1/messages/{id}/history")).await;
    history["history"].as_array().unwrap().last().unwrap()["detail"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn kf_sends_are_tracked_and_wecoms_msg_send_fail_and_a_closed_session_fail_them() {
    let fake = FakeWeCom::start().await;
    let mut env = env(&fake);
    env.push(("PMC__KF__POLL_SECS", "1".to_owned()));
    let app = spawn_app_with(&env).await;

    // A send: kf/send_msg with our id as WeCom's msgid.
    let body = json!({"channel": "wecom_kf", "recipients": ["wmCustomer1"], "open_kfid": KF,
                      "msgtype": "text", "text": {"content": "您好，订单已发货"}});
    let response = send(&app, body, None).await;
    assert_eq!(response.status(), 202);
    let id = response.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert!(id.len() <= 32, "{id}");
    status_of(&app, &id, "sent").await;
    let sent = fake.calls("kf/send_msg");
    assert_eq!(
        sent[0].body,
        json!({"touser": "wmCustomer1", "open_kfid": KF, "msgid": id, "msgtype": "text",
               "text": {"content": "您好，订单已发货"}})
    );
    // WeCom could not deliver it after all: msg_send_fail, pulled, fails it.
    fake.add_kf_message(
        KF,
        json!({"msgid": "evt-fail-1", "send_time": 1_700_000_000, "origin": 4, "msgtype": "event",
        "event": {"event_type": "msg_send_fail", "open_kfid": KF, "external_userid": "wmCustomer1",
                  "fail_msgid": id, "fail_type": 6}}),
    );
    assert_eq!(fake.notify_kf(&app.base_url, KF, "ENCAfail").await, 200);
    status_of(&app, &id, "failed").await;
    assert!(last_detail(&app, &id).await.contains("over the limit of 5"), "{}", last_detail(&app, &id).await);

    // A welcome for an enter_session: kf/send_msg_on_event, once per code.
    let welcome = json!({"channel": "wecom_kf", "recipients": ["wmCustomer2"], "welcome_code": "WELCOME-aaaaaa",
                         "msgtype": "text", "text": {"content": "欢迎咨询"}});
    let first = send(&app, welcome.clone(), None).await;
    assert_eq!(first.status(), 202);
    let welcome_id = first.json::<Value>().await.unwrap()["id"].as_str().unwrap().to_owned();
    assert!(welcome_id.starts_with("kfw_"));
    status_of(&app, &welcome_id, "sent").await;
    let again = send(&app, welcome, None).await;
    assert!(again.status().is_success(), "{}", again.status());
    tokio::time::sleep(Duration::from_millis(500)).await;
    let welcomes = fake.calls("kf/send_msg_on_event");
    assert_eq!(welcomes.len(), 1, "one welcome per code");
    assert_eq!(welcomes[0].body["code"], "WELCOME-aaaaaa");
    assert_eq!(welcomes[0].body["msgid"], welcome_id.as_str());

    // WeCom busy (-1): retried — until the customer's session is closed.
    for _ in 0..10 {
        fake.fail_next("kf/send_msg", Fault::Errcode(-1));
    }
    let body = json!({"id": "kf-retry-1", "channel": "wecom_kf", "recipients": ["wmCustomer3"], "open_kfid": KF,
                      "msgtype": "text", "text": {"content": "还在吗"}});
    assert_eq!(send(&app, body, None).await.status(), 202);
    let started = Instant::now();
    while !fake.calls("kf/send_msg").iter().any(|call| call.body["msgid"] == "kf-retry-1") {
        assert!(started.elapsed() < Duration::from_secs(10), "never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    fake.add_kf_message(
        KF,
        json!({"msgid": "evt-close-1", "send_time": chrono::Utc::now().timestamp(), "origin": 4,
        "msgtype": "event", "event": {"event_type": "session_status_change", "open_kfid": KF,
                                      "external_userid": "wmCustomer3", "change_type": 3}}),
    );
    assert_eq!(fake.notify_kf(&app.base_url, KF, "ENCAclose").await, 200);
    status_of(&app, "kf-retry-1", "failed").await;
    assert!(last_detail(&app, "kf-retry-1").await.contains("session was closed"));
    let tries = fake.calls("kf/send_msg").iter().filter(|call| call.body["msgid"] == "kf-retry-1").count();
    assert!(tries < 10, "retries stopped: {tries}");

    // What kf/send_msg cannot take is refused at the API.
    for (body, reason) in [
        (json!({"recipients": ["a", "b"], "open_kfid": KF}), "one customer"),
        (json!({"recipients": ["a"]}), "needs open_kfid"),
        (json!({"id": "an.id.with.dots", "recipients": ["a"], "open_kfid": KF}), "kf msgid"),
    ] {
        let mut body: Value = body;
        body["channel"] = json!("wecom_kf");
        body["msgtype"] = json!("text");
        body["text"] = json!({"content": "x"});
        let response = send(&app, body, None).await;
        assert_eq!(response.status(), 422);
        let text = response.text().await.unwrap();
        assert!(text.contains(reason), "{reason}: {text}");
    }
}
