//! Third-party suites end to end over HTTP: a suite account from the YAML
//! `accounts:` list, its instruction callbacks (`suite_ticket`,
//! `create_auth`, `cancel_auth`) turned into authorised corps by the suite
//! keeper against the fake WeCom, each authorised corp's data callbacks
//! accepted and every other corp's quarantined (-40005), corp tokens for
//! sending, and the authorisations kept across a restart.

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use pmc_webhook::{
    startup::Application,
    suite::{SuiteDirectory, SuiteError},
    wecom::{CallbackCrypto, EncodingAesKey, EnvelopeFormat},
};
use secrecy::SecretString;
use serde_json::Value;

use crate::{
    fake_wecom::{FakeWeCom, Fault},
    helpers::{TestApp, demo_env, settings_for, shipped_config_without_accounts, spawn_built},
};

/// The suite account's id, route segment and stored `account`.
pub const SUITE: &str = "isv";
pub const SUITE_ID: &str = "wwsuite5f0a1b2c3d";
const SUITE_TOKEN: &str = "SuiteTok3n";
const SUITE_KEY: &str = "c3VpdGVLZXlGb3JUaGVUaGlyZFBhcnR5VGVzdHMwMTI";

/// The fake WeCom serving one suite, and the configuration that points a
/// suite account at it.
pub struct SuiteSetup {
    pub fake: FakeWeCom,
    config: tempfile::TempDir,
}

impl SuiteSetup {
    /// A fake with the suite and a YAML config file (the shipped
    /// `config/notification.yaml` plus an `accounts:` list).
    pub async fn start() -> Self {
        let fake = FakeWeCom::start().await;
        let secret = fake.set_suite(SUITE_ID);
        let config = tempfile::tempdir().unwrap();
        let shipped = shipped_config_without_accounts();
        let accounts = format!(
            "\naccounts:\n  - id: {SUITE}\n    kind: suite\n    suite_id: {SUITE_ID}\n    suite_secret: {secret}\n    \
             token: {SUITE_TOKEN}\n    encoding_aes_key: {SUITE_KEY}\n    base_url: {}\n",
            fake.url
        );
        std::fs::write(config.path().join("pmc.yaml"), shipped + &accounts).unwrap();
        Self { fake, config }
    }

    /// The service environment: the demo channels, the fake, the config file.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        let mut env = demo_env();
        env.extend(self.fake.env());
        env.push(("PMC_CONFIG", self.config.path().join("pmc.yaml").display().to_string()));
        env
    }
}

/// Starts the service on `data_dir`, with its suite directory.
pub async fn start(env: &[(&str, String)], data_dir: &Path) -> (TestApp, Arc<SuiteDirectory>) {
    let application =
        Application::build(settings_for(env, data_dir).unwrap()).await.expect("the service starts");
    let suites = application.suites();
    (spawn_built(application).await, suites)
}

/// The crypto WeCom uses towards the suite, sealing for `receive_id`: the
/// SuiteID for instruction callbacks, a corp's CorpID for its data callbacks.
fn crypto_for(receive_id: &str) -> CallbackCrypto {
    CallbackCrypto::new(
        SecretString::from(SUITE_TOKEN),
        EncodingAesKey::parse(SUITE_KEY).unwrap(),
        receive_id,
    )
}

/// POSTs `plaintext` sealed for `receive_id` to the suite's route: (status, body).
pub async fn post_sealed(app: &TestApp, receive_id: &str, plaintext: &str) -> (u16, String) {
    let timestamp = chrono::Utc::now().timestamp().to_string();
    let (query, body) = crypto_for(receive_id)
        .seal_callback(plaintext, EnvelopeFormat::Xml, &timestamp, "n0nce", &rand::random())
        .unwrap();
    let response = app.post(&format!("/api/v1/webhooks/wechat/api/{SUITE}"), &query, body).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

/// An instruction callback: `InfoType` and its fields.
pub async fn notice(app: &TestApp, info_type: &str, fields: &str) -> (u16, String) {
    let plaintext = format!(
        "<xml><SuiteId><![CDATA[{SUITE_ID}]]></SuiteId><InfoType><![CDATA[{info_type}]]></InfoType>\
         <TimeStamp>{}</TimeStamp>{fields}</xml>",
        chrono::Utc::now().timestamp()
    );
    post_sealed(app, SUITE_ID, &plaintext).await
}

pub async fn ticket(app: &TestApp, ticket: &str) -> (u16, String) {
    notice(app, "suite_ticket", &format!("<SuiteTicket><![CDATA[{ticket}]]></SuiteTicket>")).await
}

pub async fn create_auth(app: &TestApp, code: &str) -> (u16, String) {
    notice(app, "create_auth", &format!("<AuthCode><![CDATA[{code}]]></AuthCode>")).await
}

pub async fn cancel_auth(app: &TestApp, corp_id: &str) -> (u16, String) {
    notice(app, "cancel_auth", &format!("<AuthCorpId><![CDATA[{corp_id}]]></AuthCorpId>")).await
}

/// A corp's data callback: a member's text message to the suite's app there.
pub async fn corp_message(app: &TestApp, corp_id: &str, msg_id: u64) -> (u16, String) {
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{corp_id}]]></ToUserName><FromUserName><![CDATA[lisi]]></FromUserName>\
         <CreateTime>{}</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hi from {corp_id}]]></Content>\
         <MsgId>{msg_id}</MsgId><AgentID>1000001</AgentID></xml>",
        chrono::Utc::now().timestamp()
    );
    post_sealed(app, corp_id, &plaintext).await
}

/// Waits until `done` holds, failing after `limit`.
pub async fn wait_for(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not after {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

pub async fn quarantined(app: &TestApp) -> u64 {
    app.get_json("/api/v1/status").await["storage"]["event_log"]["quarantined_total"].as_u64().unwrap()
}

/// The texts stored for the suite account.
pub async fn suite_texts(app: &TestApp) -> Vec<Value> {
    let page = app.get_json(&format!("/api/v1/events?account={SUITE}&type=message.text&source=local")).await;
    page["events"].as_array().unwrap().clone()
}

const CORP_A: &str = "wwCorpA";
/// Differs from [`CORP_A`] only in case: another corp.
const CORP_B: &str = "wwcorpa";
/// Has not authorised the suite.
const STRANGER: &str = "wwCORPA";
const LIMIT: Duration = Duration::from_secs(15);

#[tokio::test]
async fn corps_that_authorise_a_suite_are_served_and_the_others_quarantined() {
    let setup = SuiteSetup::start().await;
    setup.fake.add_auth_code("auth-code-a", CORP_A, "Corp A", 1000001);
    setup.fake.add_auth_code("auth-code-b", CORP_B, "corp a (lower case)", 1000002);
    let data = tempfile::tempdir().unwrap();
    let env = setup.env();
    let (mut app, suites) = start(&env, data.path()).await;

    assert_eq!(ticket(&app, "ticket-1").await, (200, "success".to_owned()));
    assert_eq!(create_auth(&app, "auth-code-a").await, (200, "success".to_owned()));
    assert_eq!(create_auth(&app, "auth-code-b").await, (200, "success".to_owned()));
    let authorised = |corp: &'static str| {
        let suites = Arc::clone(&suites);
        move || suites.authorised().contains(SUITE, corp)
    };
    wait_for("corp A authorised", LIMIT, authorised(CORP_A)).await;
    wait_for("corp B authorised", LIMIT, authorised(CORP_B)).await;
    assert!(!suites.authorised().contains(SUITE, STRANGER), "case matters");

    // Each authorised corp's data callbacks are stored with the suite's account.
    assert_eq!(corp_message(&app, CORP_A, 7001).await.0, 200);
    assert_eq!(corp_message(&app, CORP_B, 7002).await.0, 200);
    let texts = suite_texts(&app).await;
    assert_eq!(texts.len(), 2, "{texts:?}");
    assert!(texts.iter().all(|event| event["account"] == SUITE && event["channel"] == "wechat_api"));

    // A corp that has not authorised the suite: refused, kept in quarantine.
    assert_eq!(quarantined(&app).await, 0);
    let (status, body) = corp_message(&app, STRANGER, 7003).await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(serde_json::from_str::<Value>(&body).unwrap()["code"], -40005);
    assert_eq!(quarantined(&app).await, 1);

    // One exchange per auth code; the ticket received is the one used.
    let fake = &setup.fake;
    assert_eq!(fake.corp_calls("service/get_permanent_code", CORP_A), 1);
    assert_eq!(fake.corp_calls("service/get_permanent_code", CORP_B), 1);
    assert_eq!(fake.calls("service/get_permanent_code").len(), 2);
    assert_eq!(fake.suite_tokens_issued(), 1, "one suite token for both");
    assert_eq!(fake.calls("service/get_suite_token")[0].body["suite_ticket"], "ticket-1");

    // Sending as the suite's app in a corp: its own token and agent, cached.
    let sender = suites.corp_sender(SUITE, CORP_B).await.unwrap();
    assert!(sender.access_token.starts_with("corp-token-wwcorpa-"), "{sender:?}");
    assert_eq!((sender.corp_id.as_str(), sender.agent_id), (CORP_B, Some(1000002)));
    assert_eq!(suites.corp_sender(SUITE, CORP_B).await.unwrap(), sender);
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_B), 1);
    // A rejected corp token is replaced; the suite token it needs has
    // expired meanwhile (42009), so that one is replaced first.
    fake.expire_suite_tokens();
    let replaced = suites.replace(SUITE, CORP_B, &sender.access_token).await.unwrap();
    assert_ne!(replaced.access_token, sender.access_token);
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_B), 2);
    assert_eq!(fake.suite_tokens_issued(), 2);
    let other = suites.corp_sender(SUITE, CORP_A).await.unwrap();
    assert_eq!(other.agent_id, Some(1000001));
    assert!(matches!(suites.corp_sender(SUITE, STRANGER).await, Err(SuiteError::NotAuthorised { .. })));

    // cancel_auth: that corp is refused again; the other stays.
    assert_eq!(cancel_auth(&app, CORP_A).await, (200, "success".to_owned()));
    let suites_now = Arc::clone(&suites);
    wait_for("corp A cancelled", LIMIT, move || !suites_now.authorised().contains(SUITE, CORP_A)).await;
    assert_eq!(corp_message(&app, CORP_A, 7004).await.0, 403);
    assert_eq!(quarantined(&app).await, 2);
    assert_eq!(corp_message(&app, CORP_B, 7005).await.0, 200);
    assert!(matches!(suites.corp_sender(SUITE, CORP_A).await, Err(SuiteError::NotAuthorised { .. })));

    // A restart on the same data: the authorisations come from the store,
    // before the first callback (no waiting).
    app.stop().await;
    let (app, suites) = start(&env, data.path()).await;
    assert_eq!(corp_message(&app, CORP_B, 7006).await.0, 200);
    assert_eq!(corp_message(&app, CORP_A, 7007).await.0, 403);
    assert_eq!(suites.authorised().of(SUITE), vec![CORP_B.to_owned()]);
    // Nothing was exchanged again.
    assert_eq!(fake.calls("service/get_permanent_code").len(), 2);
}

#[tokio::test]
async fn a_failed_exchange_is_retried_and_a_refused_auth_code_skipped() {
    let setup = SuiteSetup::start().await;
    setup.fake.add_auth_code("auth-code-a", CORP_A, "Corp A", 1000001);
    let data = tempfile::tempdir().unwrap();
    let (app, suites) = start(&setup.env(), data.path()).await;
    let fake = &setup.fake;

    // Before any ticket: the exchange waits for one (nothing dropped), and
    // the first answer is a WeCom outage.
    fake.fail_next("service/get_permanent_code", Fault::Http(502));
    assert_eq!(create_auth(&app, "auth-code-unknown").await.0, 200);
    assert_eq!(create_auth(&app, "auth-code-a").await.0, 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.calls("service/get_permanent_code").is_empty(), "no suite token without a ticket");
    assert_eq!(ticket(&app, "ticket-late").await.0, 200);

    let suites_now = Arc::clone(&suites);
    wait_for("corp A authorised", LIMIT, move || suites_now.authorised().contains(SUITE, CORP_A)).await;
    let calls = fake.calls("service/get_permanent_code");
    let answers: Vec<Option<i64>> = calls.iter().map(|call| call.errcode).collect();
    // The unknown code: the 502, then 40078 (skipped); then corp A's.
    assert_eq!(answers, vec![None, Some(40078), Some(0)], "{calls:?}");
    assert_eq!(corp_message(&app, CORP_A, 8001).await.0, 200);
}
