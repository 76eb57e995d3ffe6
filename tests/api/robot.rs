//! Robot conversations over HTTP, in URL mode: a `reply: stream` robot
//! answers a user's message with a stream; the business system writes it
//! through the API while the fake WeCom polls (on two replicas sharing
//! Redis); keepalive and the force-finish on a hand-moved clock, then a
//! late write through `response_url`; `response_url` replies once, twice
//! (409) and late (410); `feedback_event`s linked to their reply.

use std::time::Duration;

use pmc_webhook::{robot::ManualClock, startup::Application};
use serde_json::{Value, json};

use crate::{
    backends::shared,
    fake_wecom::{
        FakeWeCom,
        robot::{Poller, RobotUser, USED_ERRCODE},
    },
    helpers::{TestApp, api_client, bot_crypto, demo_env, settings_for, spawn_built},
    tracking::eventually,
};

const THINKING: &str = "正在查询…";
const FALLBACK: &str = "超时了，稍后补发";

fn robot_env(fake: &FakeWeCom) -> Vec<(&'static str, String)> {
    let mut env = demo_env();
    env.extend(fake.env());
    env.push(("WECHAT_BOT_REPLY", "stream".to_owned()));
    env.push(("WECHAT_BOT_THINKING_TEXT", THINKING.to_owned()));
    env.push(("PMC__ROBOT__STREAM_FALLBACK_TEXT", FALLBACK.to_owned()));
    env
}

/// A service on `clock` (the app and its data directory).
async fn spawn_on(env: &[(&str, String)], clock: &ManualClock) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let settings = settings_for(env, dir.path()).expect("valid test settings");
    let application =
        Application::builder(settings).robot_clock(clock.clock()).build().await.expect("the service starts");
    (spawn_built(application).await, dir)
}

fn user() -> RobotUser {
    RobotUser {
        crypto: bot_crypto(),
        route: "/api/v1/webhooks/wechat/bot".to_owned(),
        user_id: "zhangsan".into(),
    }
}

fn unique(prefix: &str) -> String {
    format!("{prefix}-{}", hex::encode(rand::random::<[u8; 6]>()))
}

async fn write(base_url: &str, stream_id: &str, body: Value) -> reqwest::Response {
    api_client().put(format!("{base_url}/api/v1/robot/streams/{stream_id}")).json(&body).send().await.unwrap()
}

async fn reply(base_url: &str, body: Value) -> reqwest::Response {
    api_client().post(format!("{base_url}/api/v1/robot/replies")).json(&body).send().await.unwrap()
}

/// Waits (at most 10 s) until the fake has `count` posts to a `response_url`.
async fn response_posts(fake: &FakeWeCom, count: usize) -> Vec<crate::fake_wecom::Call> {
    let started = std::time::Instant::now();
    loop {
        let calls = fake.calls("aibot/response");
        if calls.len() >= count && calls.iter().all(|call| call.errcode.is_some()) {
            return calls;
        }
        assert!(started.elapsed() < Duration::from_secs(10), "{} of {count} response_url posts", calls.len());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_stream_grows_under_polls_sent_to_alternating_replicas_and_finishes() {
    let Some(backends) = shared() else { return };
    let fake = FakeWeCom::start().await;
    let (mysql_env, _db) = backends.fresh_mysql("pmc_robot").await;
    let mut env = robot_env(&fake);
    env.extend(crate::tracking::tracking_env());
    env.extend(mysql_env);
    env.extend(backends.redis_env());
    let clock = ManualClock::starting_now();
    let (a, _dir_a) = spawn_on(&env, &clock).await;
    let (b, _dir_b) = spawn_on(&env, &clock).await;
    for app in [&a, &b] {
        eventually(app, "/api/v1/status", |status| {
            status["storage"]["backends"]
                .as_array()
                .unwrap()
                .iter()
                .any(|b| b["name"] == "redis" && b["healthy"] == true)
        })
        .await;
    }
    let user = user();
    let msgid = unique("m-stream");

    // The user's message, on replica a: a new stream, not finished, thinking.
    let opened =
        user.deliver(&a.base_url, &user.text(&msgid, "我的订单到哪了？", &fake.issue_response_url())).await;
    assert_eq!(opened["msgtype"], "stream", "{opened}");
    assert_eq!(opened["stream"]["finish"], false);
    assert_eq!(opened["stream"]["content"], THINKING);
    let stream_id = opened["stream"]["id"].as_str().unwrap().to_owned();
    let feedback_id = opened["stream"]["feedback"]["id"].as_str().unwrap().to_owned();
    assert!(!feedback_id.is_empty());
    // Subscribers learn the stream id with the message.
    let linked =
        eventually(&a, &format!("/api/v1/interactions?type=robot_message&message_id={stream_id}"), |page| {
            page["interactions"].as_array().is_some_and(|rows| rows.len() == 1)
        })
        .await;
    assert_eq!(linked["interactions"][0]["user_id"], "zhangsan");
    // The callback is stored marked with its stream, and handed to tracking as
    // WeCom sent it: the same signals as replaying the stored row.
    crate::helpers::assert_hand_off_agrees_with_replay(&a.base_url, 1).await;

    // The business system writes three times, through both replicas, while
    // the fake polls them in turn.
    let services = vec![a.base_url.clone(), b.base_url.clone()];
    let writes =
        [(1, "已查到", false), (3, "已查到：顺丰 SF123", false), (5, "已查到：顺丰 SF123，明天送达。", true)];
    let card = json!({"card_type": "button_interaction", "task_id": unique("t-sign"),
                      "main_title": {"title": "签收"}, "button_list": [{"text": "已签收", "key": "signed"}]});
    let poller = Poller {
        user: &user,
        services: services.clone(),
        every: Duration::from_secs(1),
        clock: None,
        real_pause: Duration::ZERO,
    };
    let answers = poller
        .run(&stream_id, |n| {
            let (services, stream_id, card) = (services.clone(), stream_id.clone(), card.clone());
            async move {
                if let Some((_, content, finish)) = writes.iter().find(|(at, _, _)| *at == n) {
                    let mut body = json!({"content": content, "finish": finish});
                    if *finish {
                        body["template_card"] = card;
                    }
                    let response = write(&services[(n + 1) % 2], &stream_id, body).await;
                    assert_eq!(response.status(), 200);
                }
            }
        })
        .await;
    let contents: Vec<&str> =
        answers.iter().map(|answer| answer["stream"]["content"].as_str().unwrap()).collect();
    assert_eq!(
        contents,
        [
            THINKING,
            "已查到",
            "已查到",
            "已查到：顺丰 SF123",
            "已查到：顺丰 SF123",
            "已查到：顺丰 SF123，明天送达。"
        ],
        "polls 0..5 alternate between the replicas"
    );
    assert_eq!(answers.last().unwrap()["stream"]["finish"], true);
    assert_eq!(answers.last().unwrap()["msgtype"], "stream_with_template_card");
    assert_eq!(answers.last().unwrap()["template_card"], card);
    assert!(answers.iter().all(|answer| answer["stream"]["id"] == stream_id.as_str()
        && answer["stream"]["feedback"]["id"] == feedback_id.as_str()));

    // Finished: a further write is refused, on either replica.
    assert_eq!(write(&b.base_url, &stream_id, json!({"content": "x"})).await.status(), 409);
    // The message's response_url is claimed once across both replicas.
    let first = reply(
        &a.base_url,
        json!({"message_id": msgid, "msgtype": "markdown", "markdown": {"content": "补充：已签收"}}),
    )
    .await;
    assert_eq!(first.status(), 202);
    let second = reply(
        &b.base_url,
        json!({"message_id": msgid, "msgtype": "markdown", "markdown": {"content": "再补充"}}),
    )
    .await;
    assert_eq!(second.status(), 409);
    assert!(response_posts(&fake, 1).await[0].accepted());
    // A retry of the user's message (WeCom did not get the answer) finds the same stream.
    let again = user.deliver(&b.base_url, &user.text(&msgid, "我的订单到哪了？", "")).await;
    assert_eq!(again["stream"]["id"], stream_id.as_str());
}

#[tokio::test]
async fn keepalive_and_force_finish_on_a_moved_clock_and_a_late_write_goes_through_response_url() {
    let fake = FakeWeCom::start().await;
    let clock = ManualClock::starting_now();
    let (app, _dir) = spawn_on(&robot_env(&fake), &clock).await;
    let user = user();
    let msgid = unique("m-slow");
    let opened =
        user.deliver(&app.base_url, &user.text(&msgid, "生成年度报表", &fake.issue_response_url())).await;
    let stream_id = opened["stream"]["id"].as_str().unwrap().to_owned();
    // The stored callback names its stream, for subscribers.
    let first = app.all_events().await.last().cloned().unwrap();
    let stored = app.get_json(&format!("/api/v1/events/{}", first["id"])).await;
    assert_eq!(stored["payload"]["reply"]["stream_id"], stream_id.as_str(), "{stored}");
    assert_eq!(stored["payload"]["reply"]["feedback_id"], format!("fb.{stream_id}"));
    assert_eq!(write(&app.base_url, &stream_id, json!({"content": "正在汇总"})).await.status(), 200);

    // WeCom polls every second for 6 minutes of the service's time.
    let poller = Poller {
        user: &user,
        services: vec![app.base_url.clone()],
        every: Duration::from_secs(1),
        clock: Some(clock.clone()),
        real_pause: Duration::from_millis(1),
    };
    let keepalive_seen_at = std::sync::Arc::new(std::sync::Mutex::new(None));
    let answers = poller
        .run(&stream_id, |n| {
            let (base_url, stream_id) = (app.base_url.clone(), stream_id.clone());
            let seen = std::sync::Arc::clone(&keepalive_seen_at);
            async move {
                if seen.lock().unwrap().is_none() {
                    let stream: Value = api_client()
                        .get(format!("{base_url}/api/v1/robot/streams/{stream_id}"))
                        .send()
                        .await
                        .unwrap()
                        .json()
                        .await
                        .unwrap();
                    if stream["keepalives"] == 1 {
                        *seen.lock().unwrap() = Some(n);
                    }
                }
            }
        })
        .await;
    let seen = keepalive_seen_at.lock().unwrap().expect("a keepalive after 4 minutes without a write");
    assert!((240..=250).contains(&seen), "keepalive seen at poll {seen}");
    let last = answers.last().unwrap();
    assert_eq!(last["stream"]["finish"], true, "force-finished before WeCom gives up");
    assert_eq!(last["stream"]["content"], format!("正在汇总\n\n{FALLBACK}"));
    assert!((349..=352).contains(&answers.len()), "{} polls: finished at the 350 s deadline", answers.len());
    assert!(answers[..answers.len() - 1].iter().all(|answer| answer["stream"]["finish"] == false));
    let stream = app.get_json(&format!("/api/v1/robot/streams/{stream_id}")).await;
    assert_eq!((stream["forced"].clone(), stream["keepalives"].clone()), (json!(true), json!(1)));

    // The business system's answer comes late: it goes out through response_url.
    let partial = write(&app.base_url, &stream_id, json!({"content": "报表生成中"})).await;
    assert_eq!(partial.status(), 202);
    assert!(partial.json::<Value>().await.unwrap()["late_reply"].is_null(), "only the last write is sent");
    let late = write(
        &app.base_url,
        &stream_id,
        json!({"content": "报表已生成：[下载](https://example.com/r.xlsx)", "finish": true}),
    )
    .await;
    assert_eq!(late.status(), 202);
    let late: Value = late.json().await.unwrap();
    let reply_id = late["late_reply"]["id"].as_str().unwrap().to_owned();
    let posts = response_posts(&fake, 1).await;
    assert_eq!(posts.len(), 1);
    assert!(posts[0].accepted());
    assert_eq!(posts[0].body["msgtype"], "markdown");
    assert_eq!(posts[0].body["markdown"]["content"], "报表已生成：[下载](https://example.com/r.xlsx)");
    assert_eq!(posts[0].body["markdown"]["feedback"]["id"], format!("fb.{reply_id}"));
    eventually(&app, &format!("/api/v1/messages/{reply_id}/status"), |status| status["status"] == "sent")
        .await;
    let metrics = app.get("/metrics").await.text().await.unwrap();
    let polls = format!(r#"pmc_robot_stream_polls_total{{found="true"}} {}"#, answers.len());
    for line in [
        "pmc_robot_streams_opened_total 1",
        &polls,
        "pmc_robot_stream_keepalives_total 1",
        "pmc_robot_streams_forced_total 1",
        r#"pmc_robot_response_url_claims_total{outcome="taken"} 1"#,
    ] {
        assert!(metrics.lines().any(|metric| metric == line), "{line} in\n{metrics}");
    }
}

#[tokio::test]
async fn a_response_url_answers_once_then_409_and_after_an_hour_410_and_feedback_finds_its_reply() {
    let fake = FakeWeCom::start().await;
    let clock = ManualClock::starting_now();
    let mut env = demo_env();
    env.extend(fake.env());
    let (app, _dir) = spawn_on(&env, &clock).await;
    let user = user();

    // Once: posted to the URL, tracked as a message that is sent.
    let first = unique("m-reply");
    assert_eq!(
        user.deliver(&app.base_url, &user.text(&first, "请假流程？", &fake.issue_response_url())).await,
        Value::Null
    );
    let card = json!({"card_type": "text_notice", "main_title": {"title": "请假流程"}, "task_id": "t-leave"});
    let answered = reply(
        &app.base_url,
        json!({"id": "r-leave-1", "message_id": first, "msgtype": "template_card", "template_card": card}),
    )
    .await;
    assert_eq!(answered.status(), 202);
    let answered: Value = answered.json().await.unwrap();
    assert_eq!(answered["feedback_id"], "fb.r-leave-1");
    let posts = response_posts(&fake, 1).await;
    assert_eq!(posts[0].body["template_card"]["feedback"]["id"], "fb.r-leave-1");
    assert_eq!(posts[0].body["template_card"]["task_id"], "t-leave");
    eventually(&app, "/api/v1/messages/r-leave-1/status", |status| status["status"] == "sent").await;

    // Twice: refused before anything is sent.
    let twice = reply(
        &app.base_url,
        json!({"message_id": first, "msgtype": "markdown", "markdown": {"content": "再答一次"}}),
    )
    .await;
    assert_eq!(twice.status(), 409);
    assert_eq!(twice.json::<Value>().await.unwrap()["error"], "response_url_used");
    assert_eq!(fake.calls("aibot/response").len(), 1);

    // Late: the URL's hour has passed.
    let second = unique("m-late");
    user.deliver(&app.base_url, &user.text(&second, "加班怎么报？", &fake.issue_response_url())).await;
    tokio::time::sleep(Duration::from_millis(200)).await; // the record is stored in the background
    clock.advance(Duration::from_secs(3601));
    let late = reply(
        &app.base_url,
        json!({"message_id": second, "msgtype": "markdown", "markdown": {"content": "迟到的回答"}}),
    )
    .await;
    assert_eq!(late.status(), 410);
    // Unknown: no callback brought one.
    let unknown = reply(
        &app.base_url,
        json!({"message_id": "m-never", "msgtype": "markdown", "markdown": {"content": "?"}}),
    )
    .await;
    assert_eq!(unknown.status(), 404);

    // WeCom refuses a URL (used elsewhere): the reply fails with its errcode.
    let third = unique("m-refused");
    let url = fake.issue_response_url();
    user.deliver(&app.base_url, &user.text(&third, "还在吗", &url)).await;
    reqwest::Client::new()
        .post(&url)
        .json(&json!({"msgtype": "markdown", "markdown": {"content": "抢先"}}))
        .send()
        .await
        .unwrap();
    let refused = reply(
        &app.base_url,
        json!({"id": "r-refused", "message_id": third, "msgtype": "markdown", "markdown": {"content": "在"}}),
    )
    .await;
    assert_eq!(refused.status(), 202);
    eventually(&app, "/api/v1/messages/r-refused/status", |status| status["status"] == "failed").await;
    let history = app.get_json("/api/v1/messages/r-refused/history").await;
    assert!(history.to_string().contains(&USED_ERRCODE.to_string()), "{history}");

    // The user rates the first reply: the feedback event is an interaction of it.
    let rated = user.deliver(&app.base_url, &user.feedback(&unique("m-fb"), "fb.r-leave-1", 1)).await;
    assert_eq!(rated, Value::Null, "feedback events are answered empty");
    let linked = eventually(&app, "/api/v1/interactions?type=robot_feedback&message_id=r-leave-1", |page| {
        page["interactions"].as_array().is_some_and(|rows| rows.len() == 1)
    })
    .await;
    assert_eq!(linked["interactions"][0]["payload"]["body"]["event"]["feedback_event"]["type"], 1);
    // A rating of someone else's answer is linked to nothing.
    user.deliver(&app.base_url, &user.feedback(&unique("m-fb"), "foreign-id", 2)).await;
    let all = eventually(&app, "/api/v1/interactions?type=robot_feedback", |page| {
        page["interactions"].as_array().is_some_and(|rows| rows.len() == 2)
    })
    .await;
    assert!(all["interactions"].as_array().unwrap().iter().any(|row| row["message_id"].is_null()));
}
