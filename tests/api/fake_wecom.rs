//! A fake WeCom for the tests: an HTTP server of ours that speaks the send
//! side of WeCom's API with its JSON shapes (`gettoken`, `message/send`,
//! `message/update_template_card`, `message/recall`, `webhook/send`,
//! `webhook/upload_media`; `media/upload` and `appchat/send` in [`media`];
//! customer mass sends in `external`; 微信客服 in `kf`), records what it received, injects faults, and
//! plays WeCom's other side: the encrypted `template_card_event` callback a
//! click on a sent card produces. The suite's service APIs are in [`suite`].

mod external;
mod kf;
pub mod media;
pub mod robot;
mod suite;

use std::{
    collections::{HashSet, VecDeque},
    sync::{Arc, Mutex},
    time::Duration,
};

use poem::{
    EndpointExt, Route, Server, handler,
    listener::{Acceptor, AcceptorExt, Listener, TcpListener},
    web::{Data, Json, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::helpers::{CORP_ID, app_crypto};

/// The robot key the fake accepts.
pub const ROBOT_KEY: &str = "fake-robot-key";

/// A fault for the next calls of one API.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer this errcode (and errmsg "injected").
    Errcode(i64),
    /// Answer this HTTP status.
    Http(u16),
    /// Answer normally, after this long.
    Slow(Duration),
}

/// What one call received.
#[derive(Debug, Clone)]
pub struct Call {
    /// `gettoken`, `message/send`, …
    pub api: String,
    /// The JSON body (Null for GETs).
    pub body: Value,
    /// What the fake answered: WeCom's errcode (`None`: an HTTP error).
    pub errcode: Option<i64>,
    /// Whose credentials it came with: `corp_id/agent_id` of the access
    /// token's app, or the robot key.
    pub via: Option<String>,
}

impl Call {
    /// Whether WeCom would have acted on it (errcode 0).
    pub fn accepted(&self) -> bool {
        self.errcode == Some(0)
    }
}

#[derive(Default)]
struct State {
    /// This fake's app secret: unique, so shared tokens cached in Redis
    /// by another test's services are not valid here.
    secret: String,
    calls: Vec<Call>,
    tokens_issued: u64,
    valid_tokens: HashSet<String>,
    faults: VecDeque<(String, Fault)>,
    invalid_users: HashSet<String>,
    messages: u64,
    response_codes: HashSet<String>,
    /// More apps (corp id, secret) → agent id, besides the default one.
    apps: std::collections::HashMap<(String, String), i64>,
    /// Which app each token was issued to.
    token_apps: std::collections::HashMap<String, (String, String)>,
    /// Tokens issued per app.
    issued_for: std::collections::HashMap<(String, String), u64>,
    /// More robot keys, besides [`ROBOT_KEY`].
    robot_keys: HashSet<String>,
    suite: suite::SuiteState,
    media: media::MediaState,
    robot: robot::RobotState,
    external: external::ExternalState,
    kf: kf::KfState,
}

/// The running fake.
#[derive(Clone)]
pub struct FakeWeCom {
    state: Arc<Mutex<State>>,
    /// Its base URL (`WECHAT_BASE_URL`).
    pub url: String,
}

impl FakeWeCom {
    /// Starts on a free loopback port.
    pub async fn start() -> Self {
        Self::start_on(None).await
    }

    /// Starts on a free loopback port over HTTPS, as the real
    /// `https://qyapi.weixin.qq.com`, with the server certificate of `ca`.
    pub async fn start_tls(ca: &crate::test_ca::TestCa) -> Self {
        Self::start_on(Some(ca.rustls_config())).await
    }

    async fn start_on(tls: Option<poem::listener::RustlsConfig>) -> Self {
        let secret = format!("fake-secret-{}", hex::encode(rand::random::<[u8; 6]>()));
        let state = Arc::new(Mutex::new(State { secret, ..State::default() }));
        let app = Route::new()
            .at("/cgi-bin/gettoken", poem::get(get_token))
            .at("/cgi-bin/message/send", poem::post(message_send))
            .at("/cgi-bin/message/update_template_card", poem::post(update_card))
            .at("/cgi-bin/message/recall", poem::post(recall))
            .at("/cgi-bin/media/upload", poem::post(media::media_upload))
            .at("/cgi-bin/appchat/send", poem::post(media::appchat_send))
            .at("/cgi-bin/kf/sync_msg", poem::post(kf::sync_msg))
            .at("/cgi-bin/kf/send_msg", poem::post(kf::send_msg))
            .at("/cgi-bin/kf/send_msg_on_event", poem::post(kf::send_msg_on_event))
            .at("/cgi-bin/externalcontact/add_msg_template", poem::post(external::add_msg_template))
            .at("/cgi-bin/externalcontact/get_groupmsg_task", poem::post(external::get_groupmsg_task))
            .at(
                "/cgi-bin/externalcontact/get_groupmsg_send_result",
                poem::post(external::get_groupmsg_send_result),
            )
            .at("/cgi-bin/webhook/send", poem::post(webhook_send))
            .at("/cgi-bin/webhook/upload_media", poem::post(upload_media))
            .at("/cgi-bin/aibot/response", poem::post(robot::response_url_post))
            .at("/cgi-bin/service/get_suite_token", poem::post(suite::get_suite_token))
            .at("/cgi-bin/service/get_permanent_code", poem::post(suite::get_permanent_code))
            .at("/cgi-bin/service/get_corp_token", poem::post(suite::get_corp_token))
            .at("/cgi-bin/service/get_auth_info", poem::post(suite::get_auth_info))
            .data(Arc::clone(&state));
        let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
        let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
        let scheme = if tls.is_some() { "https" } else { "http" };
        match tls {
            Some(config) => tokio::spawn(
                Server::new_with_acceptor(acceptor.rustls(futures::StreamExt::chain(
                    futures::stream::iter([config]),
                    futures::stream::pending(),
                )))
                .run(app),
            ),
            None => tokio::spawn(Server::new_with_acceptor(acceptor).run(app)),
        };
        Self { state, url: format!("{scheme}://127.0.0.1:{port}") }
    }

    /// The service environment that sends to this fake.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("WECHAT_BASE_URL", self.url.clone()),
            ("WECHAT_CORP_SECRET", self.state.lock().unwrap().secret.clone()),
            ("WECHAT_AGENT_ID", "1000002".to_owned()),
            ("WECHAT_BOT_WEBHOOK_URL", format!("{}/cgi-bin/webhook/send?key={ROBOT_KEY}", self.url)),
        ]
    }

    /// The next call of `api` meets `fault` (queued in order).
    pub fn fail_next(&self, api: &str, fault: Fault) {
        self.state.lock().unwrap().faults.push_back((api.to_owned(), fault));
    }

    /// Another app this fake knows: `gettoken` with its corp id and secret
    /// issues tokens for it, and `message/send` with them must name its
    /// agent id (else 301002, as WeCom answers for another app's agent).
    pub fn add_app(&self, corp_id: &str, secret: &str, agent_id: i64) {
        self.state.lock().unwrap().apps.insert((corp_id.to_owned(), secret.to_owned()), agent_id);
    }

    /// Another robot key this fake accepts.
    pub fn add_robot_key(&self, key: &str) {
        self.state.lock().unwrap().robot_keys.insert(key.to_owned());
    }

    /// Tokens `gettoken` issued for one app.
    pub fn tokens_issued_for(&self, corp_id: &str, secret: &str) -> u64 {
        let state = self.state.lock().unwrap();
        state.issued_for.get(&(corp_id.to_owned(), secret.to_owned())).copied().unwrap_or_default()
    }

    /// Every token issued so far becomes invalid (WeCom answers 42001).
    pub fn expire_tokens(&self) {
        self.state.lock().unwrap().valid_tokens.clear();
    }

    /// These users are reported in `invaliduser`.
    pub fn set_invalid_users(&self, users: &[&str]) {
        self.state.lock().unwrap().invalid_users = users.iter().map(|user| user.to_lowercase()).collect();
    }

    /// Calls received so far of `api`.
    pub fn calls(&self, api: &str) -> Vec<Call> {
        self.state.lock().unwrap().calls.iter().filter(|call| call.api == api).cloned().collect()
    }

    /// How many tokens `gettoken` issued.
    pub fn tokens_issued(&self) -> u64 {
        self.state.lock().unwrap().tokens_issued
    }

    /// Plays a click on a sent card: the encrypted `template_card_event`
    /// WeCom would POST to the service's app callback route.
    pub async fn click_card(&self, service_url: &str, user: &str, task_id: &str, key: &str) -> u16 {
        let plaintext = format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[{user}]]></FromUserName>\
             <CreateTime>{}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[template_card_event]]></Event>\
             <EventKey><![CDATA[{key}]]></EventKey><TaskId><![CDATA[{task_id}]]></TaskId>\
             <CardType><![CDATA[button_interaction]]></CardType><ResponseCode><![CDATA[rc-click-{user}]]></ResponseCode>\
             <AgentID>1000002</AgentID></xml>",
            chrono::Utc::now().timestamp()
        );
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let (query, body) = app_crypto()
            .seal_callback(
                &plaintext,
                pmc_webhook::wecom::EnvelopeFormat::Xml,
                &timestamp,
                "nonce42",
                &rand::random(),
            )
            .unwrap();
        reqwest::Client::new()
            .post(format!("{service_url}/api/v1/webhooks/wechat/api?{query}"))
            .body(body)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }
}

/// Records the call and takes the next fault for `api`, if any.
async fn enter(state: &Arc<Mutex<State>>, api: &str, body: Value) -> Option<poem::Response> {
    let fault = {
        let mut state = state.lock().unwrap();
        state.calls.push(Call { api: api.to_owned(), body, errcode: None, via: None });
        let position = state.faults.iter().position(|(name, _)| name == api);
        position.and_then(|index| state.faults.remove(index)).map(|(_, fault)| fault)
    };
    match fault {
        None => None,
        Some(Fault::Slow(delay)) => {
            tokio::time::sleep(delay).await;
            None
        }
        Some(Fault::Http(status)) => Some(
            poem::Response::builder()
                .status(poem::http::StatusCode::from_u16(status).unwrap())
                .body("injected"),
        ),
        Some(Fault::Errcode(errcode)) => {
            Some(json_response(json!({"errcode": errcode, "errmsg": "injected"})))
        }
    }
}

fn json_response(body: Value) -> poem::Response {
    poem::Response::builder().content_type("application/json").body(body.to_string())
}

/// Answers `body` and notes its errcode on the last call of `api`.
fn answer(state: &Arc<Mutex<State>>, api: &str, body: Value) -> poem::Response {
    let errcode = body["errcode"].as_i64();
    if let Some(call) = state.lock().unwrap().calls.iter_mut().rev().find(|call| call.api == api) {
        call.errcode = errcode;
    }
    json_response(body)
}

#[derive(Deserialize)]
struct TokenQuery {
    corpid: String,
    corpsecret: String,
}

#[handler]
async fn get_token(state: Data<&Arc<Mutex<State>>>, Query(query): Query<TokenQuery>) -> poem::Response {
    if let Some(faulted) = enter(state.0, "gettoken", Value::Null).await {
        return faulted;
    }
    let app = (query.corpid.clone(), query.corpsecret.clone());
    let known = {
        let state = state.0.lock().unwrap();
        (query.corpid == CORP_ID && query.corpsecret == state.secret) || state.apps.contains_key(&app)
    };
    if !known {
        return answer(state.0, "gettoken", json!({"errcode": 40001, "errmsg": "invalid credential"}));
    }
    let token = {
        let mut state = state.0.lock().unwrap();
        state.tokens_issued += 1;
        let token = format!("token-{}", state.tokens_issued);
        state.valid_tokens.insert(token.clone());
        state.token_apps.insert(token.clone(), app.clone());
        *state.issued_for.entry(app).or_default() += 1;
        token
    };
    answer(
        state.0,
        "gettoken",
        json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}),
    )
}

#[derive(Deserialize)]
struct TokenParam {
    access_token: String,
}

/// Notes on the last `api` call whose app the token belongs to
/// (`corp_id/agent_id`); `false` if the body names another agent than the
/// token's app (WeCom's 301002).
fn note_via(state: &mut State, api: &str, token: &str, body: &Value) -> bool {
    let app = state.token_apps.get(token).cloned();
    let expected_agent = app.as_ref().and_then(|app| state.apps.get(app).copied());
    let agent = body["agentid"].as_i64();
    if let Some(call) = state.calls.iter_mut().rev().find(|call| call.api == api) {
        call.via = app.as_ref().map(|(corp, _)| format!("{corp}/{}", agent.unwrap_or_default()));
    }
    expected_agent.is_none_or(|expected| Some(expected) == agent)
}

fn token_error(state: &Arc<Mutex<State>>, api: &str, token: &str) -> Option<poem::Response> {
    let valid = state.lock().unwrap().valid_tokens.contains(token);
    (!valid).then(|| answer(state, api, json!({"errcode": 42001, "errmsg": "access_token expired"})))
}

#[handler]
async fn message_send(
    state: Data<&Arc<Mutex<State>>>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if let Some(faulted) = enter(state.0, "message/send", body.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state.0, "message/send", &query.access_token) {
        return expired;
    }
    let shared = state.0;
    let mut state = state.0.lock().unwrap();
    if !note_via(&mut state, "message/send", &query.access_token, &body) {
        drop(state);
        return answer(
            shared,
            "message/send",
            json!({"errcode": 301002, "errmsg": "not allow operate another agent with this accesstoken"}),
        );
    }
    state.messages += 1;
    let users: Vec<&str> =
        body["touser"].as_str().unwrap_or_default().split('|').filter(|u| !u.is_empty()).collect();
    let invalid: Vec<String> = users
        .iter()
        .map(|user| user.to_lowercase())
        .filter(|user| state.invalid_users.contains(user))
        .collect();
    if !users.is_empty() && invalid.len() == users.len() && body.get("toparty").is_none() {
        drop(state);
        return answer(
            shared,
            "message/send",
            json!({"errcode": 81013, "errmsg": "user & party & tag all invalid"}),
        );
    }
    let mut reply = json!({
        "errcode": 0, "errmsg": "ok",
        "invaliduser": invalid.join("|"),
        "msgid": format!("msgid-{}", state.messages),
    });
    let interactive = body["template_card"]["card_type"]
        .as_str()
        .is_some_and(|card| !matches!(card, "text_notice" | "news_notice"));
    if interactive {
        let code = format!("response-code-{}", state.messages);
        state.response_codes.insert(code.clone());
        reply["response_code"] = Value::String(code);
    }
    drop(state);
    answer(shared, "message/send", reply)
}

#[handler]
async fn update_card(
    state: Data<&Arc<Mutex<State>>>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if let Some(faulted) = enter(state.0, "message/update_template_card", body.clone()).await {
        return faulted;
    }
    let api = "message/update_template_card";
    if let Some(expired) = token_error(state.0, api, &query.access_token) {
        return expired;
    }
    let code = body["response_code"].as_str().unwrap_or_default().to_owned();
    if !note_via(&mut state.0.lock().unwrap(), api, &query.access_token, &body) {
        return answer(state.0, api, json!({"errcode": 301002, "errmsg": "not allow operate another agent"}));
    }
    // Each response code works once.
    let known = state.0.lock().unwrap().response_codes.remove(&code);
    if !known {
        return answer(state.0, api, json!({"errcode": 40129, "errmsg": "invalid response_code"}));
    }
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok", "invaliduser": []}))
}

#[handler]
async fn recall(
    state: Data<&Arc<Mutex<State>>>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if let Some(faulted) = enter(state.0, "message/recall", body.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state.0, "message/recall", &query.access_token) {
        return expired;
    }
    note_via(&mut state.0.lock().unwrap(), "message/recall", &query.access_token, &body);
    answer(state.0, "message/recall", json!({"errcode": 0, "errmsg": "ok"}))
}

#[derive(Deserialize)]
struct KeyParam {
    key: String,
}

#[handler]
async fn webhook_send(
    state: Data<&Arc<Mutex<State>>>,
    Query(query): Query<KeyParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if let Some(faulted) = enter(state.0, "webhook/send", body).await {
        return faulted;
    }
    let known = {
        let mut state = state.0.lock().unwrap();
        if let Some(call) = state.calls.iter_mut().rev().find(|call| call.api == "webhook/send") {
            call.via = Some(query.key.clone());
        }
        query.key == ROBOT_KEY || state.robot_keys.contains(&query.key)
    };
    if !known {
        return answer(state.0, "webhook/send", json!({"errcode": 93000, "errmsg": "invalid webhook url"}));
    }
    answer(state.0, "webhook/send", json!({"errcode": 0, "errmsg": "ok"}))
}

#[handler]
async fn upload_media(
    state: Data<&Arc<Mutex<State>>>,
    Query(query): Query<KeyParam>,
    body: poem::Body,
) -> poem::Response {
    let size = body.into_bytes().await.map(|bytes| bytes.len()).unwrap_or_default();
    if let Some(faulted) = enter(state.0, "webhook/upload_media", json!({"bytes": size})).await {
        return faulted;
    }
    if query.key != ROBOT_KEY {
        return json_response(json!({"errcode": 93000, "errmsg": "invalid webhook url"}));
    }
    json_response(json!({"errcode": 0, "errmsg": "ok", "type": "file", "media_id": format!("media-{size}"),
                         "created_at": chrono::Utc::now().timestamp().to_string()}))
}
