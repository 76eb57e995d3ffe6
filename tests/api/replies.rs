//! Passive replies by rule or handler, over HTTP: each match kind and each
//! reply kind (app XML and robot JSON, decrypted here as WeCom would), a
//! `ReplyHandler` that decides, one that overruns its deadline and one that
//! panics (both fall back to the rules and are counted), robot welcomes as
//! text and as a template card, rules before `reply: stream`, and a bad
//! regex refused at start.

use std::time::Duration;

use pmc_webhook::{
    configuration::Settings,
    replies::{HandlerDecision, Reply, ReplyRequest},
    startup::Application,
    wecom::{CallbackQuery, EncodingAesKey, EnvelopeFormat, cipher},
};
use serde_json::{Value, json};

use crate::helpers::{
    BOT_KEY, CORP_ID, TestApp, app_crypto, app_text, bot_crypto, demo_env, now, settings_for, spawn_built,
};

fn rules(value: Value) -> Vec<pmc_webhook::replies::ReplyRuleSettings> {
    serde_json::from_value(value).expect("valid rules")
}

fn app_rules() -> Value {
    json!([
        {"match": {"keyword": "价格"}, "reply": {"text": "价格表见官网"}},
        {"match": {"regex": "^订单\\s*\\d+$"}, "reply": {"news": [{"title": "订单", "description": "查看订单", "url": "https://example.com/o", "picurl": "https://example.com/p.png"}]}},
        {"match": {"msg_type": "image"}, "reply": {"text": "图片已收到"}},
        {"match": {"event": "click", "event_key": "MENU_HELP"}, "reply": {"text": "帮助在此"}},
        {"match": {"task_id": "task-rename"}, "reply": {"update_button": "已处理"}},
        {"match": {"event": "template_card_event", "event_key": "approve"}, "reply": {"update_card": {"card_type": "text_notice", "main_title": {"title": "已同意"}}}},
    ])
}

fn bot_rules() -> Value {
    json!([
        {"match": {"event": "enter_chat"}, "reply": {"template_card": {"card_type": "text_notice", "main_title": {"title": "欢迎"}}}},
        {"match": {"keyword": "帮助"}, "reply": {"markdown": "**帮助**：输入问题"}},
        {"match": {"regex": "^卡片$"}, "reply": {"template_card": {"card_type": "text_notice", "main_title": {"title": "卡片"}}}},
        {"match": {"msg_type": "image"}, "reply": {"text": "看到图片了"}},
        {"match": {"task_id": "card-1"}, "reply": {"update_card": {"card_type": "button_interaction", "main_title": {"title": "已投票"}}}},
    ])
}

fn settings(env: &[(&str, String)], dir: &std::path::Path) -> Settings {
    let mut settings = settings_for(env, dir).expect("valid test settings");
    settings.channels.wechat_api.replies = rules(app_rules());
    settings.channels.wechat_bot.replies = rules(bot_rules());
    settings
}

async fn spawn(
    env: &[(&str, String)],
    shape: impl FnOnce(pmc_webhook::startup::ApplicationBuilder) -> pmc_webhook::startup::ApplicationBuilder,
) -> (TestApp, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let builder = Application::builder(settings(env, dir.path()));
    (spawn_built(shape(builder).build().await.expect("the service starts")).await, dir)
}

/// POSTs an app callback and returns the decrypted reply ("" when empty).
async fn app_reply(app: &TestApp, query: &str, body: String) -> String {
    let response = app.post("/api/v1/webhooks/wechat/api", query, body).await;
    assert_eq!(response.status(), 200);
    let reply = response.text().await.unwrap();
    if reply.is_empty() {
        return reply;
    }
    let root = pmc_webhook::wecom::xml_tree::parse_document(&reply).unwrap();
    let signed = CallbackQuery {
        msg_signature: root.child_text("MsgSignature").unwrap().to_owned(),
        timestamp: root.child_text("TimeStamp").unwrap().to_owned(),
        nonce: root.child_text("Nonce").unwrap().to_owned(),
        echostr: None,
    };
    app_crypto().open(&signed, reply.as_bytes()).expect("a reply signed and encrypted for the app").plaintext
}

fn app_xml(inner: &str) -> (String, String) {
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1717401599</CreateTime>{inner}<AgentID>1000002</AgentID></xml>"
    );
    app_crypto()
        .seal_callback(&plaintext, EnvelopeFormat::Xml, &now(), "1719203847", &rand::random())
        .unwrap()
}

/// POSTs a robot callback and returns the decrypted reply (`Null` when empty).
async fn bot_reply(app: &TestApp, plaintext: Value) -> Value {
    let (query, body) = bot_crypto()
        .seal_callback(&plaintext.to_string(), EnvelopeFormat::Json, &now(), "77", &rand::random())
        .unwrap();
    let response = app.post("/api/v1/webhooks/wechat/bot", &query, body).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    if text.is_empty() {
        return Value::Null;
    }
    let reply: Value = serde_json::from_str(&text).unwrap();
    let encrypt = reply["encrypt"].as_str().unwrap();
    let signature = pmc_webhook::wecom::signature::compute_signature(
        crate::helpers::BOT_TOKEN,
        &reply["timestamp"].to_string(),
        "77",
        encrypt,
    );
    assert_eq!(reply["msgsignature"], signature);
    let key = EncodingAesKey::parse(BOT_KEY).unwrap();
    serde_json::from_str(&cipher::decrypt(&key, encrypt, "").unwrap()).unwrap()
}

fn bot_message(msgtype: &str, body: Value) -> Value {
    let mut message = json!({
        "msgid": format!("m-{}", hex::encode(rand::random::<[u8; 6]>())),
        "aibotid": "aib", "chattype": "single", "from": {"userid": "lisi"},
        "response_url": "https://example.com/r", "msgtype": msgtype,
    });
    message.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
    message
}

fn bot_text(content: &str) -> Value {
    bot_message("text", json!({"text": {"content": content}}))
}

fn card_click(task_id: &str, key: &str) -> (String, String) {
    app_xml(&format!(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event><EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId><CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc]]></ResponseCode>"
    ))
}

async fn metric(app: &TestApp, line: &str) -> bool {
    let text = app.get("/metrics").await.text().await.unwrap();
    text.lines().any(|l| l == line)
}

#[tokio::test]
async fn app_rules_match_on_keyword_regex_type_event_key_and_task_id_with_each_reply_kind() {
    let (app, _dir) = spawn(&demo_env(), |builder| builder).await;

    let (query, body) = app_text(7001, "请问价格多少");
    let plain = app_reply(&app, &query, body).await;
    assert!(plain.contains("<ToUserName><![CDATA[zhangsan]]></ToUserName>"), "{plain}");
    assert!(
        plain.contains("<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[价格表见官网]]></Content>"),
        "{plain}"
    );

    let (query, body) = app_text(7002, "订单 123");
    let plain = app_reply(&app, &query, body).await;
    assert!(plain.contains("<MsgType><![CDATA[news]]></MsgType><ArticleCount>1</ArticleCount>"), "{plain}");
    assert!(plain.contains("<PicUrl><![CDATA[https://example.com/p.png]]></PicUrl><Url><![CDATA[https://example.com/o]]></Url>"), "{plain}");

    let (query, body) = app_xml(
        "<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[https://x/p]]></PicUrl><MediaId><![CDATA[m]]></MediaId><MsgId>7003</MsgId>",
    );
    assert!(app_reply(&app, &query, body).await.contains("<Content><![CDATA[图片已收到]]></Content>"));

    let (query, body) = app_xml(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event><EventKey><![CDATA[MENU_HELP]]></EventKey>",
    );
    assert!(app_reply(&app, &query, body).await.contains("<Content><![CDATA[帮助在此]]></Content>"));
    let (query, body) = app_xml(
        "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[click]]></Event><EventKey><![CDATA[OTHER]]></EventKey>",
    );
    assert_eq!(app_reply(&app, &query, body).await, "", "no rule matches another key");

    let (query, body) = card_click("task-rename", "any");
    let plain = app_reply(&app, &query, body).await;
    assert!(plain.contains("<MsgType><![CDATA[update_button]]></MsgType><Button><ReplaceName><![CDATA[已处理]]></ReplaceName></Button>"), "{plain}");

    let (query, body) = card_click("task-other", "approve");
    let plain = app_reply(&app, &query, body).await;
    assert!(plain.contains("<MsgType><![CDATA[update_template_card]]></MsgType><TemplateCard>"), "{plain}");
    assert!(plain.contains("<MainTitle><Title><![CDATA[已同意]]></Title></MainTitle>"), "{plain}");

    let (query, body) = app_text(7004, "没有规则");
    assert_eq!(app_reply(&app, &query, body).await, "");
    assert!(metric(&app, "pmc_passive_replies_total{source=\"rule\"} 6").await);
}

#[tokio::test]
async fn robot_rules_answer_messages_welcomes_and_card_events() {
    let (app, _dir) = spawn(&demo_env(), |builder| builder).await;

    let welcome = bot_reply(&app, bot_message("event", json!({"event": {"eventtype": "enter_chat"}}))).await;
    assert_eq!(
        welcome,
        json!({"msgtype": "template_card", "template_card": {"card_type": "text_notice", "main_title": {"title": "欢迎"}}})
    );

    let help = bot_reply(&app, bot_text("我需要帮助")).await;
    assert_eq!(help["msgtype"], "stream");
    assert_eq!(help["stream"]["finish"], true);
    assert_eq!(help["stream"]["content"], "**帮助**：输入问题");

    let card = bot_reply(&app, bot_text("卡片")).await;
    assert_eq!(card["msgtype"], "template_card");
    assert_eq!(card["template_card"]["main_title"]["title"], "卡片");
    assert_eq!(bot_reply(&app, bot_text("不是卡片")).await, Value::Null);

    let image = bot_reply(&app, bot_message("image", json!({"image": {"url": "https://x/i"}}))).await;
    assert_eq!(image["stream"]["content"], "看到图片了");

    let event = json!({"event": {"eventtype": "template_card_event", "template_card_event": {"card_type": "button_interaction", "event_key": "vote", "task_id": "card-1"}}});
    let update = bot_reply(&app, bot_message("event", event)).await;
    assert_eq!(update["response_type"], "update_template_card");
    assert_eq!(update["userids"], json!(["lisi"]));
    assert_eq!(update["template_card"]["task_id"], "card-1", "the callback's task id is filled in");
    assert_eq!(update["template_card"]["main_title"]["title"], "已投票");
}

#[tokio::test]
async fn a_robot_welcome_can_be_a_text_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(&demo_env(), dir.path()).unwrap();
    settings.channels.wechat_bot.replies =
        rules(json!([{"match": {"event": "enter_chat"}, "reply": {"text": "你好，我是助手"}}]));
    let app = spawn_built(Application::build(settings).await.unwrap()).await;
    let welcome = bot_reply(&app, bot_message("event", json!({"event": {"eventtype": "enter_chat"}}))).await;
    assert_eq!(welcome, json!({"msgtype": "text", "text": {"content": "你好，我是助手"}}));
}

#[tokio::test]
async fn rules_come_before_a_stream_and_unmatched_messages_open_one() {
    let mut env = demo_env();
    env.push(("WECHAT_BOT_REPLY", "stream".to_owned()));
    env.push(("WECHAT_BOT_THINKING_TEXT", "思考中".to_owned()));
    let (app, _dir) = spawn(&env, |builder| builder).await;
    let ruled = bot_reply(&app, bot_text("帮助")).await;
    assert_eq!(
        (ruled["stream"]["finish"].clone(), ruled["stream"]["content"].clone()),
        (json!(true), json!("**帮助**：输入问题"))
    );
    let streamed = bot_reply(&app, bot_text("查一下库存")).await;
    assert_eq!(
        (streamed["stream"]["finish"].clone(), streamed["stream"]["content"].clone()),
        (json!(false), json!("思考中"))
    );
}

fn handler(request: &ReplyRequest) -> HandlerDecision {
    match request.text.as_deref() {
        Some(text) if text.contains("价格") => HandlerDecision::Reply(Reply::Text(format!(
            "{} 问了价格",
            request.user_id.as_deref().unwrap_or("?")
        ))),
        Some("静默") => HandlerDecision::Empty,
        _ => HandlerDecision::UseRules,
    }
}

#[tokio::test]
async fn a_reply_handler_decides_before_the_rules() {
    let (app, _dir) = spawn(&demo_env(), |builder| builder.reply_handler(handler)).await;
    let (query, body) = app_text(8001, "价格");
    assert!(app_reply(&app, &query, body).await.contains("<Content><![CDATA[zhangsan 问了价格]]></Content>"));
    let (query, body) = app_text(8002, "静默");
    assert_eq!(app_reply(&app, &query, body).await, "", "the handler may answer empty");
    let (query, body) = app_text(8003, "订单 9");
    assert!(
        app_reply(&app, &query, body).await.contains("<MsgType><![CDATA[news]]></MsgType>"),
        "UseRules lets the rules decide"
    );
    let reply = bot_reply(&app, bot_text("价格呢")).await;
    assert_eq!(reply["stream"]["content"], "lisi 问了价格");
    assert!(metric(&app, "pmc_passive_replies_total{source=\"handler\"} 3").await);
    assert!(metric(&app, "pmc_passive_replies_total{source=\"rule\"} 1").await);
}

#[tokio::test]
async fn a_handler_that_overruns_falls_back_to_the_rules_and_is_counted() {
    let slow = |_: &ReplyRequest| {
        std::thread::sleep(Duration::from_millis(600));
        HandlerDecision::Reply(Reply::Text("too late".to_owned()))
    };
    let (app, _dir) = spawn(&demo_env(), |builder| {
        builder.reply_handler(slow).reply_handler_deadline(Duration::from_millis(50))
    })
    .await;
    let started = std::time::Instant::now();
    let (query, body) = app_text(8101, "价格");
    let plain = app_reply(&app, &query, body).await;
    assert!(started.elapsed() < Duration::from_millis(500), "the answer did not wait for the handler");
    assert!(plain.contains("<Content><![CDATA[价格表见官网]]></Content>"), "{plain}");
    assert!(metric(&app, "pmc_reply_handler_fallbacks_total{reason=\"overrun\"} 1").await);
    assert!(metric(&app, "pmc_reply_handler_fallbacks_total{reason=\"panic\"} 0").await);
}

#[tokio::test]
async fn a_handler_that_panics_falls_back_to_the_rules_and_is_counted() {
    let broken = |_: &ReplyRequest| -> HandlerDecision { panic!("a broken reply handler") };
    let (app, _dir) = spawn(&demo_env(), |builder| builder.reply_handler(broken)).await;
    let reply = bot_reply(&app, bot_text("帮助")).await;
    assert_eq!(reply["stream"]["content"], "**帮助**：输入问题");
    assert!(metric(&app, "pmc_reply_handler_fallbacks_total{reason=\"panic\"} 1").await);
    // The service is still whole (a failure names what /health said).
    let health = app.get("/health").await;
    let status = health.status();
    assert_eq!(status, 200, "{}", health.text().await.unwrap_or_default());
}

#[tokio::test]
async fn a_bad_regex_is_refused_at_start_naming_the_account_and_rule() {
    let dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(&demo_env(), dir.path()).unwrap();
    settings.channels.wechat_api.replies = rules(json!([
        {"match": {"keyword": "a"}, "reply": {"text": "ok"}},
        {"match": {"regex": "(unclosed"}, "reply": {"text": "never"}},
    ]));
    let error = Application::build(settings).await.err().expect("refused").to_string();
    assert!(
        error.contains("default (app)") && error.contains("replies[1]") && error.contains("(unclosed"),
        "{error}"
    );
}
