//! Long-connection robots (`mode: websocket`) over a fake WeCom WebSocket,
//! with two replica processes of the real binary sharing the test Redis.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{backends::shared, fake_wecom_ws::FakeWeComWs, helpers::api_client};

const BOT: &str = "bot-ws-1";
const LEASE_MS: u64 = 3000;

fn msg_frame(msgid: &str) -> Value {
    json!({"cmd": "aibot_msg_callback", "headers": {"req_id": format!("req-{msgid}")},
           "body": {"msgid": msgid, "aibotid": BOT, "chattype": "single", "from": {"userid": "zhangsan"},
                    "msgtype": "text", "text": {"content": "hello"}}})
}

async fn wait_until(what: &str, deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// How many of a replica's own events carry `msgid`.
async fn stored(url: &str, msgid: &str) -> usize {
    let page: Value = api_client()
        .get(format!("{url}/api/v1/events?source=local&limit=200"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    page["events"].as_array().map_or(0, |events| {
        events
            .iter()
            .filter(|event| {
                event["dedupe_key"].as_str().is_some_and(|key| key.ends_with(&format!("msgid:{msgid}")))
            })
            .count()
    })
}

#[tokio::test]
async fn one_replica_holds_the_connection_stores_frames_once_and_the_other_takes_over() {
    let Some(backends) = shared() else { return };
    let fake = FakeWeComWs::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("accounts.yaml");
    std::fs::write(
        &config,
        format!(
            "accounts:\n  - {{id: wsbot, kind: robot, mode: websocket, bot_id: {BOT}, secret: s3cret}}\n"
        ),
    )
    .unwrap();
    let (mysql_env, _db) = backends.fresh_mysql("pmc_robot_ws").await;
    let mut env = crate::tracking::tracking_env();
    env.extend(mysql_env);
    env.extend(backends.redis_env());
    env.push(("PMC_CONFIG", config.display().to_string()));
    env.push(("WECHAT_BOT_WS_URL", fake.url.clone()));
    env.push(("PMC__ROBOT__WS_LEASE_MS", LEASE_MS.to_string()));
    env.push(("PMC__ROBOT__WS_HEARTBEAT_MS", "500".to_owned()));
    let mut replicas = crate::durability::start_processes(&env, 2).await;

    wait_until("a subscription", Duration::from_secs(20), async || fake.live(BOT) == 1).await;
    let subscribe = fake.received().into_iter().find(|frame| frame["cmd"] == "aibot_subscribe").unwrap();
    assert_eq!(subscribe["body"], json!({"bot_id": BOT, "secret": "s3cret"}));
    // Heartbeats flow and are answered (the connection stays up past them).
    wait_until("heartbeats", Duration::from_secs(10), async || {
        fake.received().iter().filter(|frame| frame["cmd"] == "ping").count() >= 2
    })
    .await;

    // A frame, re-sent: stored once, by the holder.
    assert_eq!(fake.push(BOT, &msg_frame("ws-msg-1")), 1);
    assert_eq!(fake.push(BOT, &msg_frame("ws-msg-1")), 1);
    let urls = replicas.urls.clone();
    wait_until("the frame stored", Duration::from_secs(10), async || {
        stored(&urls[0], "ws-msg-1").await + stored(&urls[1], "ws-msg-1").await >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (first, second) = (stored(&urls[0], "ws-msg-1").await, stored(&urls[1], "ws-msg-1").await);
    assert_eq!(first + second, 1, "stored once: {first} + {second}{}", replicas.log_tails());
    let holder = if first == 1 { 0 } else { 1 };

    // The holder dies: the other takes over within the lease time.
    replicas.kill(holder).await;
    let killed = Instant::now();
    let subscriptions = fake.subscriptions(BOT);
    wait_until("a takeover", Duration::from_millis(LEASE_MS * 3), async || {
        fake.subscriptions(BOT) > subscriptions && fake.live(BOT) == 1
    })
    .await;
    let takeover = killed.elapsed();
    println!("takeover after SIGKILL: {} ms (lease {LEASE_MS} ms)", takeover.as_millis());
    assert!(takeover < Duration::from_millis(LEASE_MS * 2), "took {takeover:?}");
    let survivor = &urls[1 - holder];
    assert_eq!(fake.push(BOT, &msg_frame("ws-msg-2")), 1);
    wait_until("the new holder stores", Duration::from_secs(10), async || {
        stored(survivor, "ws-msg-2").await == 1
    })
    .await;

    // A kick: the connection closes and nobody reconnects.
    let kick = json!({"cmd": "aibot_event_callback", "headers": {"req_id": "kick-1"},
                      "body": {"msgid": "ws-kick-1", "aibotid": BOT, "msgtype": "event",
                               "event": {"eventtype": "disconnected_event"}}});
    assert_eq!(fake.push(BOT, &kick), 1);
    wait_until("the kicked connection closed", Duration::from_secs(10), async || fake.live(BOT) == 0).await;
    let after_kick = fake.subscriptions(BOT);
    tokio::time::sleep(Duration::from_millis(LEASE_MS * 2)).await;
    assert_eq!(fake.subscriptions(BOT), after_kick, "no reconnection after a kick");
    println!("max concurrent connections for {BOT}: {}", fake.max_live(BOT));
    assert_eq!(fake.max_live(BOT), 1, "never two connections for one bot");
}
