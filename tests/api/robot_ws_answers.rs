//! Answers over the long connection (one process, embedded): a user's
//! message answered by a stream the holder pushes as the business system
//! writes; keepalive and force-finish on a hand-moved clock; `enter_chat`
//! answered with a welcome; a card click answered with a card update; all
//! through `aibot_respond_*` frames carrying the callback's `req_id`.

use std::time::{Duration, Instant};

use pmc_webhook::{robot::ManualClock, startup::Application};
use serde_json::{Value, json};

use crate::{
    fake_wecom_ws::FakeWeComWs,
    helpers::{TestApp, api_client, demo_env, settings_for, spawn_built},
};

pub const THINKING: &str = "思考中";
const FALLBACK: &str = "超时了";

/// The accounts file of one websocket robot `bot` (`reply: stream`, a
/// welcome text and a card-update rule).
pub fn ws_accounts(bot: &str) -> String {
    format!(
        r#"accounts:
  - id: wsbot
    kind: robot
    mode: websocket
    bot_id: {bot}
    secret: s3cret
    reply: stream
    thinking_text: "{THINKING}"
    welcome_text: "欢迎使用"
    replies:
      - match: {{task_id: "ack-1"}}
        reply: {{update_card: {{card_type: button_interaction, main_title: {{title: "已确认"}}}}}}
"#
    )
}

pub fn msg_frame(bot: &str, msgid: &str, content: &str) -> Value {
    json!({"cmd": "aibot_msg_callback", "headers": {"req_id": format!("req-{msgid}")},
           "body": {"msgid": msgid, "aibotid": bot, "chattype": "single", "from": {"userid": "zhangsan"},
                    "msgtype": "text", "text": {"content": content}}})
}

pub async fn wait_until(what: &str, deadline: Duration, mut done: impl AsyncFnMut() -> bool) {
    let started = Instant::now();
    while !done().await {
        assert!(started.elapsed() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
}

/// The `aibot_respond_msg` frames answering `req_id`, in order.
pub fn responses(fake: &FakeWeComWs, cmd: &str, req_id: &str) -> Vec<Value> {
    fake.received_cmd(cmd).into_iter().filter(|frame| frame["headers"]["req_id"] == req_id).collect()
}

async fn spawn(fake: &FakeWeComWs, bot: &str, clock: &ManualClock) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("accounts.yaml");
    std::fs::write(&config, ws_accounts(bot)).unwrap();
    let mut env = demo_env();
    env.push(("PMC_CONFIG", config.display().to_string()));
    env.push(("WECHAT_BOT_WS_URL", fake.url.clone()));
    env.push(("PMC__ROBOT__STREAM_FALLBACK_TEXT", FALLBACK.to_owned()));
    let data = dir.path().join("data");
    let settings = settings_for(&env, &data).expect("valid test settings");
    let application =
        Application::builder(settings).robot_clock(clock.clock()).build().await.expect("the service starts");
    let app = spawn_built(application).await;
    wait_until("a subscription", Duration::from_secs(10), async || fake.live(bot) == 1).await;
    (app, dir)
}

async fn write(app: &TestApp, stream: &str, body: Value) {
    let response = api_client()
        .put(format!("{}/api/v1/robot/streams/{stream}", app.base_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{}", response.text().await.unwrap());
}

#[tokio::test]
async fn a_message_is_answered_by_a_stream_the_holder_pushes_as_the_business_system_writes() {
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-stream");
    let clock = ManualClock::starting_now();
    let (app, _dir) = spawn(&fake, bot, &clock).await;

    assert_eq!(fake.push(bot, &msg_frame(bot, "wsa-1", "我的订单到哪了？")), 1);
    wait_until("the opening answer", Duration::from_secs(10), async || {
        !responses(&fake, "aibot_respond_msg", "req-wsa-1").is_empty()
    })
    .await;
    let opening = &responses(&fake, "aibot_respond_msg", "req-wsa-1")[0]["body"];
    assert_eq!(opening["msgtype"], "stream");
    assert_eq!(
        (opening["stream"]["finish"].clone(), opening["stream"]["content"].clone()),
        (json!(false), json!(THINKING))
    );
    let stream = opening["stream"]["id"].as_str().unwrap().to_owned();
    assert_eq!(opening["stream"]["feedback"]["id"], format!("fb.{stream}"));
    // The stored callback names its stream.
    let events = app.all_events().await;
    let listed = events
        .iter()
        .find(|event| event["dedupe_key"].as_str().is_some_and(|key| key.ends_with("msgid:wsa-1")))
        .expect("stored");
    let stored = app.get_json(&format!("/api/v1/events/{}", listed["id"])).await;
    assert_eq!(stored["payload"]["reply"]["stream_id"], stream.as_str(), "{stored}");

    let texts = ["已查到", "已查到：顺丰 SF123", "已查到：顺丰 SF123，明天送达。"];
    for (n, text) in texts.iter().enumerate() {
        let finish = n == texts.len() - 1;
        write(&app, &stream, json!({"content": text, "finish": finish})).await;
        wait_until("the update pushed", Duration::from_secs(10), async || {
            responses(&fake, "aibot_respond_msg", "req-wsa-1")
                .iter()
                .any(|frame| frame["body"]["stream"]["content"] == *text)
        })
        .await;
    }
    let frames = responses(&fake, "aibot_respond_msg", "req-wsa-1");
    let contents: Vec<&str> =
        frames.iter().map(|frame| frame["body"]["stream"]["content"].as_str().unwrap()).collect();
    assert_eq!(contents, [THINKING, texts[0], texts[1], texts[2]], "each state pushed once, in order");
    let last = &frames.last().unwrap()["body"]["stream"];
    assert_eq!((last["finish"].clone(), last["id"].clone()), (json!(true), json!(stream)));
    // Finished: nothing more is pushed.
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(responses(&fake, "aibot_respond_msg", "req-wsa-1").len(), 4);

    // A re-sent frame (stored once) is answered with the stream as it stands, once.
    assert_eq!(fake.push(bot, &msg_frame(bot, "wsa-1", "我的订单到哪了？")), 1);
    wait_until("the re-sent frame answered", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wsa-1").len() == 5
    })
    .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let frames = responses(&fake, "aibot_respond_msg", "req-wsa-1");
    assert_eq!(frames.len(), 5);
    assert_eq!(frames[4]["body"]["stream"], frames[3]["body"]["stream"]);
    let copies = app
        .all_events()
        .await
        .into_iter()
        .filter(|event| event["dedupe_key"].as_str().is_some_and(|key| key.ends_with("msgid:wsa-1")))
        .count();
    assert_eq!(copies, 1);
}

#[tokio::test]
async fn an_unwritten_stream_gets_a_keepalive_then_is_force_finished_over_the_connection() {
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-keepalive");
    let clock = ManualClock::starting_now();
    let (_app, _dir) = spawn(&fake, bot, &clock).await;
    assert_eq!(fake.push(bot, &msg_frame(bot, "wsk-1", "在吗")), 1);
    wait_until("the opening answer", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wsk-1").len() == 1
    })
    .await;
    clock.advance(Duration::from_secs(241));
    wait_until("a keepalive update", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wsk-1").len() == 2
    })
    .await;
    assert_eq!(responses(&fake, "aibot_respond_msg", "req-wsk-1")[1]["body"]["stream"]["finish"], false);
    clock.advance(Duration::from_secs(110));
    wait_until("the force-finish", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wsk-1").len() == 3
    })
    .await;
    let last = &responses(&fake, "aibot_respond_msg", "req-wsk-1")[2]["body"]["stream"];
    assert_eq!((last["finish"].clone(), last["content"].clone()), (json!(true), json!(FALLBACK)));
}

#[tokio::test]
async fn a_stream_update_wecom_refuses_with_846608_ends_the_pushing() {
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-expired");
    let clock = ManualClock::starting_now();
    let (app, _dir) = spawn(&fake, bot, &clock).await;
    assert_eq!(fake.push(bot, &msg_frame(bot, "wse-1", "在吗")), 1);
    wait_until("the opening answer", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wse-1").len() == 1
    })
    .await;
    let stream = responses(&fake, "aibot_respond_msg", "req-wse-1")[0]["body"]["stream"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    fake.answer_with("aibot_respond_msg", 846608);
    write(&app, &stream, json!({"content": "一"})).await;
    wait_until("the refused update", Duration::from_secs(10), async || {
        responses(&fake, "aibot_respond_msg", "req-wse-1").len() == 2
    })
    .await;
    fake.answer_with("aibot_respond_msg", 0);
    write(&app, &stream, json!({"content": "一二"})).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(responses(&fake, "aibot_respond_msg", "req-wse-1").len(), 2, "no update after 846608");
}

#[tokio::test]
async fn enter_chat_gets_a_welcome_and_a_card_click_a_card_update() {
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-events");
    let clock = ManualClock::starting_now();
    let (_app, _dir) = spawn(&fake, bot, &clock).await;
    let enter = json!({"cmd": "aibot_event_callback", "headers": {"req_id": "req-enter-1"},
        "body": {"msgid": "wse-enter-1", "aibotid": bot, "chattype": "single", "from": {"userid": "zhangsan"},
                 "create_time": 1700000000, "msgtype": "event", "event": {"eventtype": "enter_chat"}}});
    assert_eq!(fake.push(bot, &enter), 1);
    wait_until("the welcome", Duration::from_secs(10), async || {
        !responses(&fake, "aibot_respond_welcome_msg", "req-enter-1").is_empty()
    })
    .await;
    let welcome = &responses(&fake, "aibot_respond_welcome_msg", "req-enter-1")[0]["body"];
    assert_eq!(*welcome, json!({"msgtype": "text", "text": {"content": "欢迎使用"}}));

    let click = json!({"cmd": "aibot_event_callback", "headers": {"req_id": "req-click-1"},
        "body": {"msgid": "wse-click-1", "aibotid": bot, "chattype": "single", "from": {"userid": "lisi"},
                 "create_time": 1700000001, "msgtype": "event",
                 "event": {"eventtype": "template_card_event",
                           "template_card_event": {"card_type": "button_interaction", "event_key": "ok", "task_id": "ack-1"}}}});
    assert_eq!(fake.push(bot, &click), 1);
    wait_until("the card update", Duration::from_secs(10), async || {
        !responses(&fake, "aibot_respond_update_msg", "req-click-1").is_empty()
    })
    .await;
    let update = &responses(&fake, "aibot_respond_update_msg", "req-click-1")[0]["body"];
    assert_eq!(update["response_type"], "update_template_card");
    assert_eq!(update["userids"], json!(["lisi"]));
    assert_eq!(update["template_card"]["task_id"], "ack-1");
    assert_eq!(update["template_card"]["main_title"]["title"], "已确认");
    // Neither was answered with anything else.
    assert!(responses(&fake, "aibot_respond_msg", "req-enter-1").is_empty());
    assert!(responses(&fake, "aibot_respond_msg", "req-click-1").is_empty());
}

async fn send(app: &TestApp, body: Value) -> reqwest::Response {
    api_client().post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await.unwrap()
}

#[tokio::test]
async fn proactive_sends_go_out_as_aibot_send_msg_and_are_tracked_sent_or_failed() {
    let (fake, bot) = (FakeWeComWs::start().await, "bot-ws-send");
    let clock = ManualClock::starting_now();
    let (app, _dir) = spawn(&fake, bot, &clock).await;

    let body = json!({"id": "aibot-send-1", "channel": "wecom_aibot", "account": "wsbot",
                      "recipients": ["zhangsan"], "msgtype": "markdown", "markdown": {"content": "**您的工单已处理**"}});
    let response = send(&app, body).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let sent = app.wait_for_message_status("aibot-send-1", "sent", Duration::from_secs(10)).await;
    assert_eq!(sent["recipients"][0]["recipient"], "zhangsan", "{sent}");
    let frames = fake.received_cmd("aibot_send_msg");
    assert_eq!(frames.len(), 1);
    assert_eq!(
        frames[0]["body"],
        json!({"chatid": "zhangsan", "msgtype": "markdown", "markdown": {"content": "**您的工单已处理**"}})
    );
    assert!(frames[0]["headers"]["req_id"].as_str().unwrap().starts_with("aibot_send_msg_"));

    // WeCom refuses: the message fails with its errcode.
    fake.answer_with("aibot_send_msg", 40008);
    let card = json!({"card_type": "text_notice", "main_title": {"title": "告警"}});
    let body = json!({"id": "aibot-send-2", "channel": "wecom_aibot", "account": "wsbot", "chatid": "wrOgAAAA",
                      "msgtype": "template_card", "template_card": card});
    assert_eq!(send(&app, body).await.status(), 202);
    app.wait_for_message_status("aibot-send-2", "failed", Duration::from_secs(10)).await;
    let history = app.get_json("/api/v1/messages/aibot-send-2/history").await;
    let detail = history["history"].as_array().unwrap().last().unwrap()["detail"].clone();
    assert!(detail.as_str().unwrap().contains("40008"), "{history}");
    assert_eq!(fake.received_cmd("aibot_send_msg")[1]["body"]["chatid"], "wrOgAAAA");

    // One conversation per send; a robot that is not in websocket mode cannot.
    let body = json!({"id": "aibot-send-3", "channel": "wecom_aibot", "account": "wsbot",
                      "recipients": ["a", "b"], "msgtype": "markdown", "markdown": {"content": "x"}});
    assert_eq!(send(&app, body).await.status(), 422);
    let body = json!({"id": "aibot-send-4", "channel": "wecom_aibot", "recipients": ["a"],
                      "msgtype": "markdown", "markdown": {"content": "x"}});
    assert_eq!(send(&app, body).await.status(), 422);
}
