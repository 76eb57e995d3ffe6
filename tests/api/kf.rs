//! 微信客服 end to end against the fake WeCom: a `kf_msg_or_event` callback
//! (acknowledged at once) makes the service pull `kf/sync_msg` after the
//! acknowledgement — with the callback's token, page by page from the
//! account's cursor — and store each message and event as an event of its
//! own, once even when WeCom lists one twice; the periodic pull finds
//! messages no callback announced; and the real binary SIGKILLed in the
//! middle of a cursor, restarted, has every message exactly once.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{
    durability::{free_port, start_service},
    fake_wecom::{FakeWeCom, Fault},
    helpers::{TestApp, api_client, spawn_app_with},
    outbound::env,
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
