//! Long-connection robots (`mode: websocket`) over a fake WeCom WebSocket,
//! with three replica processes of the real binary sharing the lease store
//! (Redis, or MySQL alone): frames stored once by the holder; the holder stopped by SIGTERM
//! (its lease released: the next takes over at once), then SIGKILLed (the
//! next takes over within the lease time); a kick ends it; at no moment two
//! connections for the bot (the fake counts). A send accepted by a standby
//! goes out on the holder's connection.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::{backends::shared, durability::Processes, fake_wecom_ws::FakeWeComWs, helpers::api_client};

const LEASE_MS: u64 = 3000;

fn msg_frame(bot: &str, msgid: &str) -> Value {
    json!({"cmd": "aibot_msg_callback", "headers": {"req_id": format!("req-{msgid}")},
           "body": {"msgid": msgid, "aibotid": bot, "chattype": "single", "from": {"userid": "zhangsan"},
                    "msgtype": "text", "text": {"content": "hello"}}})
}

pub async fn wait_until(what: &str, deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// How many of a replica's own events carry `msgid`.
async fn stored(url: &str, msgid: &str) -> usize {
    let Ok(response) = api_client().get(format!("{url}/api/v1/events?source=local&limit=200")).send().await
    else {
        return 0;
    };
    let page: Value = response.json().await.unwrap_or_default();
    page["events"].as_array().map_or(0, |events| {
        events
            .iter()
            .filter(|event| {
                event["dedupe_key"].as_str().is_some_and(|key| key.ends_with(&format!("msgid:{msgid}")))
            })
            .count()
    })
}

/// The connection of account `wsbot` as replica `url` shows it.
pub async fn connection(url: &str) -> Value {
    let Ok(response) = api_client().get(format!("{url}/api/v1/accounts")).send().await else {
        return Value::Null;
    };
    let body: Value = response.json().await.unwrap_or_default();
    body["accounts"]
        .as_array()
        .and_then(|accounts| accounts.iter().find(|account| account["id"] == "wsbot"))
        .map(|account| account["connection"].clone())
        .unwrap_or_default()
}

/// A message's status as replica `url` answers it.
async fn message_status(url: &str, id: &str) -> String {
    let Ok(response) = api_client().get(format!("{url}/api/v1/messages/{id}")).send().await else {
        return String::new();
    };
    let body: Value = response.json().await.unwrap_or_default();
    body["status"].as_str().unwrap_or_default().to_owned()
}

/// Which of `alive` holds the connection (says `connected`), once one does.
async fn holder(urls: &[String], alive: &[usize]) -> usize {
    let started = Instant::now();
    loop {
        for &index in alive {
            if connection(&urls[index]).await["state"] == "connected" {
                return index;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(20), "no replica connected");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Replicas sharing `store_env` (the lease store): the takeover after
/// SIGTERM and after SIGKILL, in ms.
pub async fn takeovers(bot: &str, store_env: Vec<(&'static str, String)>) -> (u128, u128) {
    let fake = FakeWeComWs::start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("accounts.yaml");
    std::fs::write(
        &config,
        format!(
            "accounts:\n  - {{id: wsbot, kind: robot, mode: websocket, bot_id: {bot}, secret: s3cret}}\n"
        ),
    )
    .unwrap();
    let mut env = crate::tracking::tracking_env();
    env.extend(store_env);
    env.push(("PMC_CONFIG", config.display().to_string()));
    env.push(("WECHAT_BOT_WS_URL", fake.url.clone()));
    env.push(("PMC__ROBOT__WS_LEASE_MS", LEASE_MS.to_string()));
    env.push(("PMC__ROBOT__WS_HEARTBEAT_MS", "500".to_owned()));
    let mut replicas: Processes = crate::durability::start_processes(&env, 3).await;
    let urls = replicas.urls.clone();

    wait_until("a subscription", Duration::from_secs(20), async || fake.live(bot) == 1).await;
    let subscribe = fake.received().into_iter().find(|frame| frame["cmd"] == "aibot_subscribe").unwrap();
    assert_eq!(subscribe["body"], json!({"bot_id": bot, "secret": "s3cret"}));
    wait_until("heartbeats", Duration::from_secs(10), async || {
        fake.received().iter().filter(|frame| frame["cmd"] == "ping").count() >= 2
    })
    .await;
    let mut alive = vec![0, 1, 2];
    let first = holder(&urls, &alive).await;
    let shown = connection(&urls[first]).await;
    assert!(shown["holder"].as_str().is_some_and(|holder| !holder.is_empty()), "{shown}");
    assert!(shown["since"].is_string(), "{shown}");
    let other = alive.iter().copied().find(|index| *index != first).unwrap();
    let standby = connection(&urls[other]).await;
    assert_eq!(
        (standby["state"].clone(), standby["holder"].clone()),
        (json!("standby"), shown["holder"].clone())
    );

    // A frame, re-sent: stored once, by the holder.
    assert_eq!(fake.push(bot, &msg_frame(bot, "ws-msg-1")), 1);
    assert_eq!(fake.push(bot, &msg_frame(bot, "ws-msg-1")), 1);
    wait_until("the frame stored", Duration::from_secs(10), async || {
        stored(&urls[first], "ws-msg-1").await == 1
    })
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let copies: usize = {
        let mut total = 0;
        for url in &urls {
            total += stored(url, "ws-msg-1").await;
        }
        total
    };
    assert_eq!(copies, 1, "stored once{}", replicas.log_tails());

    // A proactive send accepted by a standby goes out once, on the holder's
    // connection (relayed through the lease's store), and is tracked there.
    let id = format!("{bot}-relayed-1");
    let send = json!({"id": id, "channel": "wecom_aibot", "account": "wsbot", "recipients": ["zhangsan"],
                      "msgtype": "markdown", "markdown": {"content": "relayed"}});
    let response =
        api_client().post(format!("{}/api/v1/messages", urls[other])).json(&send).send().await.unwrap();
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
    wait_until("the relayed send sent", Duration::from_secs(20), async || {
        message_status(&urls[other], &id).await == "sent"
    })
    .await;
    let sends = fake.received_cmd("aibot_send_msg");
    assert_eq!(sends.len(), 1, "sent once{}", replicas.log_tails());
    assert_eq!(
        sends[0]["body"],
        json!({"chatid": "zhangsan", "msgtype": "markdown", "markdown": {"content": "relayed"}})
    );
    assert_eq!(message_status(&urls[first], &id).await, "sent", "every replica sees it sent");

    // SIGTERM: the holder closes and releases its lease; another takes over at once.
    let subscriptions = fake.subscriptions(bot);
    replicas.terminate(first);
    let stopped = Instant::now();
    wait_until("a takeover after SIGTERM", Duration::from_millis(LEASE_MS * 3), async || {
        fake.subscriptions(bot) > subscriptions && fake.live(bot) == 1
    })
    .await;
    let after_term = stopped.elapsed().as_millis();
    alive.retain(|index| *index != first);
    let second = holder(&urls, &alive).await;

    // SIGKILL: the lease runs out; another takes over within the lease time.
    let subscriptions = fake.subscriptions(bot);
    replicas.kill(second).await;
    let killed = Instant::now();
    wait_until("a takeover after SIGKILL", Duration::from_millis(LEASE_MS * 3), async || {
        fake.subscriptions(bot) > subscriptions && fake.live(bot) == 1
    })
    .await;
    let after_kill = killed.elapsed().as_millis();
    alive.retain(|index| *index != second);
    let third = alive[0];
    assert_eq!(holder(&urls, &alive).await, third);
    assert_eq!(fake.push(bot, &msg_frame(bot, "ws-msg-2")), 1);
    wait_until("the new holder stores", Duration::from_secs(10), async || {
        stored(&urls[third], "ws-msg-2").await == 1
    })
    .await;

    // A kick: the connection closes and nobody reconnects, until told to.
    let kick = json!({"cmd": "aibot_event_callback", "headers": {"req_id": "kick-1"},
                      "body": {"msgid": "ws-kick-1", "aibotid": bot, "msgtype": "event",
                               "event": {"eventtype": "disconnected_event"}}});
    assert_eq!(fake.push(bot, &kick), 1);
    wait_until("the kicked connection closed", Duration::from_secs(10), async || fake.live(bot) == 0).await;
    wait_until("kicked shown", Duration::from_secs(10), async || {
        connection(&urls[third]).await["state"] == "kicked"
    })
    .await;
    let after_kick = fake.subscriptions(bot);
    tokio::time::sleep(Duration::from_millis(LEASE_MS * 2)).await;
    assert_eq!(fake.subscriptions(bot), after_kick, "no reconnection after a kick");
    let reconnect =
        api_client().post(format!("{}/api/v1/accounts/wsbot/reconnect", urls[third])).send().await.unwrap();
    assert_eq!(reconnect.status(), 202);
    wait_until("a reconnection", Duration::from_millis(LEASE_MS * 3), async || fake.live(bot) == 1).await;
    wait_until("connected shown", Duration::from_secs(10), async || {
        connection(&urls[third]).await["state"] == "connected"
    })
    .await;

    println!(
        "{bot}: takeover after SIGTERM {after_term} ms, after SIGKILL {after_kill} ms (lease {LEASE_MS} ms); \
         max concurrent connections {}",
        fake.max_live(bot)
    );
    assert_eq!(fake.max_live(bot), 1, "never two connections for one bot{}", replicas.log_tails());
    assert!(after_kill < u128::from(LEASE_MS) * 2, "SIGKILL takeover took {after_kill} ms");
    assert!(after_term < after_kill.max(1000), "SIGTERM takeover took {after_term} ms");
    (after_term, after_kill)
}

#[tokio::test]
async fn replicas_sharing_redis_hold_one_connection_and_take_over_after_sigterm_and_sigkill() {
    let Some(backends) = shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_robot_ws").await;
    let mut env = mysql_env;
    env.extend(backends.redis_env());
    takeovers("bot-ws-redis", env).await;
}

#[tokio::test]
async fn replicas_sharing_only_mysql_hold_one_connection_and_take_over_after_sigterm_and_sigkill() {
    let Some(backends) = shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_robot_ws_sql").await;
    takeovers("bot-ws-mysql", mysql_env).await;
}

/// A stream being pushed when its holder is SIGKILLed is pushed on by the
/// replica that takes the connection over: the business system's last
/// write reaches the user under the callback's `req_id`.
#[tokio::test]
async fn a_stream_left_unfinished_by_a_killed_holder_is_pushed_on_by_the_next() {
    let Some(backends) = shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_robot_ws_push").await;
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-push");
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("accounts.yaml");
    std::fs::write(&config, crate::robot_ws_answers::ws_accounts(bot)).unwrap();
    let mut env = crate::tracking::tracking_env();
    env.extend(mysql_env);
    env.extend(backends.redis_env());
    env.push(("PMC_CONFIG", config.display().to_string()));
    env.push(("WECHAT_BOT_WS_URL", fake.url.clone()));
    env.push(("PMC__ROBOT__WS_LEASE_MS", LEASE_MS.to_string()));
    env.push(("PMC__ROBOT__WS_HEARTBEAT_MS", "500".to_owned()));
    let mut replicas: Processes = crate::durability::start_processes(&env, 2).await;
    let urls = replicas.urls.clone();
    wait_until("a subscription", Duration::from_secs(20), async || fake.live(bot) == 1).await;
    let first = holder(&urls, &[0, 1]).await;
    let second = 1 - first;

    // Streams live in Redis, which outlives a run: a message id of this run.
    let msgid = format!("wsk-{}", chrono::Utc::now().timestamp_micros());
    let req_id = format!("req-{msgid}");
    let answers = |fake: &FakeWeComWs| crate::robot_ws_answers::responses(fake, "aibot_respond_msg", &req_id);
    assert_eq!(fake.push(bot, &crate::robot_ws_answers::msg_frame(bot, &msgid, "我的订单到哪了？")), 1);
    wait_until("the opening answer", Duration::from_secs(10), async || !answers(&fake).is_empty()).await;
    let opening = answers(&fake)[0]["body"]["stream"].clone();
    assert_eq!(opening["finish"], false, "{opening}");
    let stream = opening["id"].as_str().unwrap().to_owned();

    let subscriptions = fake.subscriptions(bot);
    replicas.kill(first).await;
    wait_until("a takeover after SIGKILL", Duration::from_millis(LEASE_MS * 3), async || {
        fake.subscriptions(bot) > subscriptions && fake.live(bot) == 1
    })
    .await;
    let written = api_client()
        .put(format!("{}/api/v1/robot/streams/{stream}", urls[second]))
        .json(&json!({"content": "已查到：顺丰 SF123", "finish": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(written.status(), 200, "{}", written.text().await.unwrap_or_default());
    wait_until("the write pushed by the new holder", Duration::from_secs(15), async || {
        answers(&fake).iter().any(|frame| {
            frame["body"]["stream"]["content"] == "已查到：顺丰 SF123"
                && frame["body"]["stream"]["finish"] == true
        })
    })
    .await;
    let last = answers(&fake).last().unwrap()["body"]["stream"].clone();
    assert_eq!(last["id"], stream.as_str());
    assert_eq!(fake.max_live(bot), 1, "never two connections for one bot{}", replicas.log_tails());
}
