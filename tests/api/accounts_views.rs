//! Accounts in the views, over HTTP: two accounts beside the seed's
//! (`hr`, an app, and `ops-bot`, a robot) configured in a YAML file;
//! encrypted callbacks to `/api/v1/webhooks/wechat/api/hr` and to the seed's
//! route; then every list filters by `?account=` and answers the account,
//! subscriptions limited to `hr` receive only hr's events, and
//! `GET /api/v1/webhooks/handlers` names the account of each route.

use std::time::{Duration, Instant};

use pmc_webhook::wecom::{CallbackCrypto, EncodingAesKey, EnvelopeFormat};
use secrecy::SecretString;
use serde_json::{Value, json};

use crate::{
    forwarding::{Receiver, SECRET},
    helpers::{CORP_ID, TestApp, app_crypto, settings_for, shipped_config_without_accounts, spawn_app_with},
    tracking::{eventually, post_status, tracking_env},
};

const HR_CORP_ID: &str = "wwhr00000000000001";
const HR_TOKEN: &str = "HrTok3n";
const HR_KEY: &str = "hrD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio";
const HR_AGENT_ID: &str = "1000005";

/// The test configuration (the shipped file, so every other setting is as
/// usual) with `accounts:` and, optionally, configured subscriptions; written
/// to a temporary file for `PMC_CONFIG`.
fn config_file(subscriptions: &str) -> tempfile::NamedTempFile {
    let shipped = shipped_config_without_accounts();
    let mut text = if subscriptions.is_empty() {
        shipped
    } else {
        assert!(shipped.contains("\n  subscriptions: []"), "the shipped file lists no subscriptions");
        shipped.replacen("\n  subscriptions: []", &format!("\n  subscriptions:\n{subscriptions}"), 1)
    };
    text.push_str(&format!(
        "\naccounts:\n  \
         - {{id: hr, kind: app, corp_id: {HR_CORP_ID}, agent_id: '{HR_AGENT_ID}', token: {HR_TOKEN}, \
         encoding_aes_key: {HR_KEY}}}\n  \
         - {{id: ops-bot, kind: robot, token: OpsTok3n, \
         encoding_aes_key: opsdefghijklmnopqrstuvwxyz0123456789ABCDEFG}}\n"
    ));
    let mut file = tempfile::NamedTempFile::new().unwrap();
    std::io::Write::write_all(&mut file, text.as_bytes()).unwrap();
    file
}

fn env_with(
    config: &tempfile::NamedTempFile,
    mut env: Vec<(&'static str, String)>,
) -> Vec<(&'static str, String)> {
    env.push(("PMC_CONFIG", config.path().to_string_lossy().into_owned()));
    env
}

fn hr_crypto() -> CallbackCrypto {
    CallbackCrypto::new(SecretString::from(HR_TOKEN), EncodingAesKey::parse(HR_KEY).unwrap(), HR_CORP_ID)
}

/// A text message (a `reply`) and a `subscribe` of `user`, as the app of
/// `corp_id` and `agent_id` sends them.
fn reply_and_subscribe(corp_id: &str, agent_id: &str, user: &str, msg_id: u64) -> [String; 2] {
    [
        format!(
            "<xml><ToUserName>{corp_id}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1717401500</CreateTime><MsgType>text</MsgType><Content>收到</Content><MsgId>{msg_id}</MsgId><AgentID>{agent_id}</AgentID></xml>"
        ),
        format!(
            "<xml><ToUserName>{corp_id}</ToUserName><FromUserName>{user}</FromUserName><CreateTime>1717401502</CreateTime><MsgType>event</MsgType><Event>subscribe</Event><EventKey></EventKey><AgentID>{agent_id}</AgentID></xml>"
        ),
    ]
}

/// Sends hr's callbacks (user `hr-user`) to hr's route and the default app's
/// (user `wangwu`) to the seed's route.
async fn send_callbacks(app: &TestApp) {
    let routes = [
        (
            hr_crypto(),
            reply_and_subscribe(HR_CORP_ID, HR_AGENT_ID, "hr-user", 91001),
            "/api/v1/webhooks/wechat/api/hr",
        ),
        (
            app_crypto(),
            reply_and_subscribe(CORP_ID, "1000002", "wangwu", 91002),
            "/api/v1/webhooks/wechat/api",
        ),
    ];
    for (crypto, documents, path) in routes {
        for (index, document) in documents.iter().enumerate() {
            let (query, body) = crypto
                .seal_callback(
                    document,
                    EnvelopeFormat::Xml,
                    &crate::helpers::now(),
                    &index.to_string(),
                    &[3; 16],
                )
                .unwrap();
            assert_eq!(app.post(path, &query, body).await.status(), 200, "{path}");
        }
    }
}

/// Registers an external message, of `account` if given.
async fn register(app: &TestApp, id: &str, account: Option<&str>) {
    let mut body = json!({"id": id, "channel": "external", "recipients": ["u1"]});
    if let Some(account) = account {
        body["account"] = json!(account);
    }
    let response =
        app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201);
    assert_eq!(response.json::<Value>().await.unwrap()["account"], account.unwrap_or("default"));
}

fn list<'a>(page: &'a Value, key: &str) -> &'a Vec<Value> {
    page[key].as_array().unwrap()
}

/// The accounts of `rows`, sorted (two users' callbacks may be stored in
/// either order).
fn accounts_of(rows: &[Value]) -> Vec<&str> {
    let mut accounts: Vec<&str> = rows.iter().map(|row| row["account"].as_str().unwrap()).collect();
    accounts.sort_unstable();
    accounts
}

#[tokio::test]
async fn events_interactions_member_events_and_messages_filter_by_account() {
    filters_by_account(tracking_env()).await;
}

#[tokio::test]
async fn the_account_filters_work_in_external_mode_too() {
    let Some(backends) = crate::backends::shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_accounts").await;
    let mut env = tracking_env();
    env.extend(mysql_env);
    filters_by_account(env).await;
}

/// Callbacks of two accounts, then every list by account (embedded, or
/// with tracking in MySQL).
async fn filters_by_account(env: Vec<(&'static str, String)>) {
    let config = config_file("");
    let app = spawn_app_with(&env_with(&config, env)).await;
    send_callbacks(&app).await;
    register(&app, "hr-msg", Some("hr")).await;
    register(&app, "default-msg", None).await;

    let all = eventually(&app, "/api/v1/interactions", |page| list(page, "interactions").len() == 2).await;
    assert_eq!(accounts_of(list(&all, "interactions")), ["default", "hr"], "each with its account");
    let hr = app.get_json("/api/v1/interactions?account=hr").await;
    let hr = list(&hr, "interactions");
    assert_eq!(hr.len(), 1);
    assert_eq!(
        (&hr[0]["kind"], &hr[0]["user_id"], &hr[0]["account"]),
        (&json!("reply"), &json!("hr-user"), &json!("hr"))
    );
    let default = app.get_json("/api/v1/interactions?account=default&type=reply").await;
    assert_eq!(list(&default, "interactions")[0]["user_id"], "wangwu");
    assert!(list(&app.get_json("/api/v1/interactions?account=nobody").await, "interactions").is_empty());

    let all = eventually(&app, "/api/v1/members/events", |page| list(page, "events").len() == 2).await;
    assert_eq!(accounts_of(list(&all, "events")), ["default", "hr"]);
    let hr = app.get_json("/api/v1/members/events?account=hr").await;
    let hr = list(&hr, "events");
    assert_eq!(hr.len(), 1);
    assert_eq!(
        (&hr[0]["kind"], &hr[0]["user_id"], &hr[0]["account"]),
        (&json!("subscribe"), &json!("hr-user"), &json!("hr"))
    );

    // hr's two callbacks and its registration; none of the default app's.
    // In external mode the default source is MySQL's shared view, which follows the event log.
    let events = eventually(&app, "/api/v1/events?account=hr", |page| list(page, "events").len() == 3).await;
    let events = list(&events, "events");
    assert_eq!(accounts_of(events), ["hr", "hr", "hr"]);
    let users: Vec<&Value> =
        events.iter().filter(|e| e["channel"] == "wechat_api").map(|e| &e["user_id"]).collect();
    assert_eq!(users, [&json!("hr-user"), &json!("hr-user")]);
    let default = app.get_json("/api/v1/events?account=default").await;
    assert!(list(&default, "events").iter().all(|e| e["account"] == "default" && e["user_id"] != "hr-user"));

    let messages =
        eventually(&app, "/api/v1/messages?account=hr", |page| !list(page, "messages").is_empty()).await;
    let messages = list(&messages, "messages");
    assert_eq!(messages.len(), 1);
    assert_eq!((&messages[0]["id"], &messages[0]["account"]), (&json!("hr-msg"), &json!("hr")));
    let default =
        eventually(&app, "/api/v1/messages?account=default", |page| !list(page, "messages").is_empty()).await;
    let ids: Vec<&Value> = list(&default, "messages").iter().map(|m| &m["id"]).collect();
    assert_eq!(ids, [&json!("default-msg")]);

    // The seed's two routes (serving the default accounts' own routes too),
    // then one per other account, each naming its account.
    let handlers = app.get_json("/api/v1/webhooks/handlers").await;
    let wecom: Vec<(&str, &str, &str)> = handlers
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["name"].as_str().unwrap().starts_with("wechat_"))
        .map(|h| {
            let post =
                h["routes"].as_array().unwrap().iter().find(|r| r.as_str().unwrap().starts_with("POST"));
            (h["name"].as_str().unwrap(), h["account"].as_str().unwrap(), post.unwrap().as_str().unwrap())
        })
        .collect();
    assert_eq!(
        wecom,
        [
            ("wechat_api", "default", "POST /api/v1/webhooks/wechat/api"),
            ("wechat_bot", "default", "POST /api/v1/webhooks/wechat/bot"),
            ("wechat_api", "hr", "POST /api/v1/webhooks/wechat/api/hr"),
            ("wechat_bot", "ops-bot", "POST /api/v1/webhooks/wechat/bot/ops-bot"),
        ]
    );
    let hr_route = handlers.as_array().unwrap().iter().find(|h| h["account"] == "hr").unwrap();
    assert_eq!(
        (&hr_route["invocations"], &hr_route["failures"]),
        (&json!(2), &json!(0)),
        "hr's own requests"
    );
    assert!(hr_route["listens_to"].as_array().unwrap().contains(&json!("app messages (app account hr)")));
    assert_eq!(handlers[0]["invocations"], 2, "the seed's route counts the default app's requests, not hr's");
}

/// Waits (up to 20 s) until `done` holds for what `receiver` got (`what`
/// describes it, should it not).
async fn wait_until(receiver: &Receiver, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = Instant::now();
    loop {
        let events = receiver.events();
        if done(&events) {
            return events;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "never got {what}; got {:?}", summary(&events));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What each event is, in words (`type account what`), sorted.
fn summary(events: &[Value]) -> Vec<String> {
    let mut lines: Vec<String> = events
        .iter()
        .map(|event| {
            let data = &event["data"];
            let what = match event["type"].as_str().unwrap() {
                "message.status" => {
                    format!("{}:{}", data["message_id"].as_str().unwrap(), data["status"].as_str().unwrap())
                }
                "callback" => data["callback_type"].as_str().unwrap().to_owned(),
                _ => data["kind"].as_str().unwrap().to_owned(),
            };
            format!("{} {} {what}", event["type"].as_str().unwrap(), data["account"].as_str().unwrap_or("?"))
        })
        .collect();
    lines.sort();
    lines
}

/// What one account's callbacks and message (`message`, registered `sent`,
/// then `read` by a status callback) forward, in [`summary`]'s words.
fn forwarded(account: &str, message: &str) -> Vec<String> {
    let mut lines = vec![
        format!("callback {account} event.subscribe"),
        format!("callback {account} message.text"),
        format!("interaction {account} reply"),
        format!("member {account} subscribe"),
    ];
    for status in ["sent", "delivered", "read"] {
        lines.push(format!("message.status {account} {message}:{status}"));
    }
    lines.sort();
    lines
}

#[tokio::test]
async fn subscriptions_limited_to_an_account_receive_only_its_events() {
    limited_subscriptions(crate::forwarding::env()).await;
}

#[tokio::test]
async fn subscriptions_limited_to_an_account_work_in_external_mode_too() {
    let Some(backends) = crate::backends::shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_accounts_fw").await;
    let mut env = crate::forwarding::env();
    env.extend(mysql_env);
    limited_subscriptions(env).await;
}

/// Three subscribers — hr only (configured), every account, hr's
/// interactions only — and both accounts' callbacks and messages.
async fn limited_subscriptions(env: Vec<(&'static str, String)>) {
    let (configured, every, api_hr) =
        (Receiver::start().await, Receiver::start().await, Receiver::start().await);
    // In the configuration: every kind, hr only.
    let config = config_file(&format!(
        "    - {{id: hr-erp, url: '{}', kinds: [status, interaction, member, callback], accounts: [hr], secret: {SECRET}}}\n",
        configured.url
    ));
    let app = spawn_app_with(&env_with(&config, env)).await;
    // The configured subscription is stored once the store answers (in
    // external mode, once MySQL is migrated, shortly after the start).
    eventually(&app, "/api/v1/subscriptions", |page| !list(page, "subscriptions").is_empty()).await;
    let subscribe = |url: &str, kinds: Value, accounts: Option<Value>| {
        let mut body = json!({"url": url, "kinds": kinds, "secret": SECRET});
        if let Some(accounts) = accounts {
            body["accounts"] = accounts;
        }
        app.client.post(format!("{}/api/v1/subscriptions", app.base_url)).json(&body).send()
    };
    let created =
        subscribe(&every.url, json!(["status", "interaction", "member", "callback"]), None).await.unwrap();
    assert_eq!(created.status(), 201);
    assert!(created.json::<Value>().await.unwrap().get("accounts").is_none(), "every account");
    let created = subscribe(&api_hr.url, json!(["interaction"]), Some(json!(["hr", "hr"]))).await.unwrap();
    assert_eq!(created.status(), 201);
    let created: Value = created.json().await.unwrap();
    assert_eq!(created["accounts"], json!(["hr"]));
    // Malformed ids are refused, saying which; ids not configured (yet) are fine.
    let refused = subscribe(&api_hr.url, json!(["member"]), Some(json!(["hr", "Ops Bot"]))).await.unwrap();
    assert_eq!(refused.status(), 422);
    let refused: Value = refused.json().await.unwrap();
    assert_eq!(refused["error"], "invalid_subscription");
    assert!(refused["message"].as_str().unwrap().contains("accounts: \"Ops Bot\""), "{refused}");
    let later = subscribe(&api_hr.url, json!(["member"]), Some(json!(["added-later"]))).await.unwrap();
    assert_eq!(later.status(), 201);
    let listed = app.get_json("/api/v1/subscriptions").await;
    let mut listed: Vec<(&str, &Value)> =
        list(&listed, "subscriptions").iter().map(|s| (s["url"].as_str().unwrap(), &s["accounts"])).collect();
    listed.sort_unstable_by_key(|(url, accounts)| (*url, accounts.to_string()));
    let mut expected = [
        (configured.url.as_str(), json!(["hr"])),
        (every.url.as_str(), Value::Null),
        (api_hr.url.as_str(), json!(["added-later"])),
        (api_hr.url.as_str(), json!(["hr"])),
    ];
    expected.sort_unstable_by_key(|(url, accounts)| (*url, accounts.to_string()));
    assert_eq!(listed, expected.iter().map(|(url, accounts)| (*url, accounts)).collect::<Vec<_>>());

    send_callbacks(&app).await;
    register(&app, "hr-order", Some("hr")).await;
    register(&app, "default-order", None).await;
    for (n, message) in ["hr-order", "default-order"].iter().enumerate() {
        let update = json!({"message_id": message, "recipient": "u1", "status": "read"});
        assert_eq!(post_status(&app, &format!("acc-{n}"), &update).await.status(), 202);
    }

    // Everything reaches the unlimited subscriber, both accounts' alike;
    // the limited ones get hr's: its callbacks, reply and subscribe, and the
    // status changes of its message (a status change is its message's).
    let mut everything = [forwarded("hr", "hr-order"), forwarded("default", "default-order")].concat();
    everything.sort();
    let expected = [
        (&every, everything),
        (&configured, forwarded("hr", "hr-order")),
        (&api_hr, vec!["interaction hr reply".to_owned()]),
    ];
    for (receiver, events) in &expected {
        wait_until(receiver, &format!("{events:?}"), |got| summary(got) == *events).await;
    }
    // Deliveries to every subscription are made in the same passes, so by
    // now nothing of the default app's can still be on its way to the
    // limited ones; a moment more lets a wrong one show.
    tokio::time::sleep(Duration::from_millis(500)).await;
    for (receiver, events) in &expected {
        assert_eq!(summary(&receiver.events()), *events);
    }
}

#[test]
fn a_configured_subscription_with_a_malformed_account_is_refused_at_start() {
    let config = config_file(&format!(
        "    - {{id: erp, url: 'https://erp.example.com/hook', kinds: [member], accounts: [HR], secret: {SECRET}}}\n"
    ));
    let temp = tempfile::tempdir().unwrap();
    let error = settings_for(&env_with(&config, tracking_env()), temp.path()).unwrap_err().to_string();
    assert!(
        error.contains("forwarding.subscriptions") && error.contains("subscription erp: accounts: \"HR\""),
        "{error}"
    );
}
