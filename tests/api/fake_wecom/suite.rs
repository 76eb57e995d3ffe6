//! The suite side of the fake WeCom: `service/get_suite_token`,
//! `service/get_permanent_code`, `service/get_corp_token` and
//! `service/get_auth_info`, with WeCom's JSON shapes and error codes
//! (40078 unknown or used auth code, 40082 invalid suite token, 40084
//! invalid permanent code, 40085 invalid ticket). Auth codes are configured
//! by the test (code → corp) and work once, as WeCom's do; calls are
//! counted per API and per corp.

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
};

use poem::{
    handler,
    web::{Data, Json, Query},
};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{FakeWeCom, State, answer, enter};

/// A corp an auth code stands for.
#[derive(Debug, Clone)]
pub struct AuthCorp {
    pub corp_id: String,
    pub corp_name: String,
    pub agent_id: i64,
}

#[derive(Default)]
pub(super) struct SuiteState {
    suite_id: String,
    suite_secret: String,
    suite_tokens: HashSet<String>,
    suite_tokens_issued: u64,
    auth_codes: HashMap<String, AuthCorp>,
    used_codes: HashSet<String>,
    /// permanent code → corp.
    permanent_codes: HashMap<String, AuthCorp>,
    corp_tokens_issued: u64,
    per_corp: HashMap<(String, String), u64>,
}

impl FakeWeCom {
    /// The suite this fake serves, with a secret unique to it (so suite
    /// tokens shared in Redis by another test's services are not valid here).
    pub fn set_suite(&self, suite_id: &str) -> String {
        let secret = format!("suite-secret-{}", hex::encode(rand::random::<[u8; 6]>()));
        let mut state = self.state.lock().unwrap();
        state.suite.suite_id = suite_id.to_owned();
        state.suite.suite_secret = secret.clone();
        secret
    }

    /// `code` is a valid auth code for `corp_id` (once).
    pub fn add_auth_code(&self, code: &str, corp_id: &str, corp_name: &str, agent_id: i64) {
        let corp = AuthCorp { corp_id: corp_id.to_owned(), corp_name: corp_name.to_owned(), agent_id };
        self.state.lock().unwrap().suite.auth_codes.insert(code.to_owned(), corp);
    }

    /// How many suite tokens `get_suite_token` issued.
    pub fn suite_tokens_issued(&self) -> u64 {
        self.state.lock().unwrap().suite.suite_tokens_issued
    }

    /// Every suite token issued so far becomes invalid (42009).
    pub fn expire_suite_tokens(&self) {
        self.state.lock().unwrap().suite.suite_tokens.clear();
    }

    /// Successful calls of `api` (`service/get_permanent_code`, …) for `corp_id`.
    pub fn corp_calls(&self, api: &str, corp_id: &str) -> u64 {
        let state = self.state.lock().unwrap();
        state.suite.per_corp.get(&(api.to_owned(), corp_id.to_owned())).copied().unwrap_or(0)
    }
}

type Shared = Arc<Mutex<State>>;

/// Stands for the suite's app in `apps` (never a `gettoken` secret).
const SUITE_APP: &str = "\u{0}suite-app";

#[derive(Deserialize)]
pub(super) struct SuiteTokenParam {
    suite_access_token: String,
}

fn text<'a>(body: &'a Value, key: &str) -> &'a str {
    body[key].as_str().unwrap_or_default()
}

fn refuse(state: &Shared, api: &str, errcode: i64, errmsg: &str) -> poem::Response {
    answer(state, api, json!({"errcode": errcode, "errmsg": errmsg}))
}

/// The suite token's check, as WeCom makes it first.
fn bad_suite_token(state: &Shared, api: &str, token: &str) -> Option<poem::Response> {
    let valid = state.lock().unwrap().suite.suite_tokens.contains(token);
    (!valid).then(|| refuse(state, api, 42009, "suite_access_token expired"))
}

fn count(state: &Shared, api: &str, corp_id: &str) {
    *state.lock().unwrap().suite.per_corp.entry((api.to_owned(), corp_id.to_owned())).or_default() += 1;
}

fn corp_info(corp: &AuthCorp) -> Value {
    json!({
        "corpid": corp.corp_id, "corp_name": corp.corp_name, "corp_type": "verified",
        "corp_square_logo_url": "", "corp_user_max": 50, "corp_full_name": corp.corp_name,
        "subject_type": 1, "verified_end_time": 0, "corp_wxqrcode": "", "corp_scale": "1-50人",
        "corp_industry": "IT服务", "corp_sub_industry": "计算机软件/硬件/信息服务"
    })
}

fn auth_info(corp: &AuthCorp) -> Value {
    json!({"agent": [{
        "agentid": corp.agent_id, "name": "PMC", "round_logo_url": "", "square_logo_url": "",
        "appid": 1, "auth_mode": 1, "is_customized_app": false,
        "privilege": {"level": 1, "allow_party": [1], "allow_user": [], "allow_tag": [],
                      "extra_party": [], "extra_user": [], "extra_tag": []}
    }]})
}

#[handler]
pub(super) async fn get_suite_token(state: Data<&Shared>, Json(body): Json<Value>) -> poem::Response {
    const API: &str = "service/get_suite_token";
    if let Some(faulted) = enter(state.0, API, body.clone()).await {
        return faulted;
    }
    let (suite_id, secret) = {
        let state = state.0.lock().unwrap();
        (state.suite.suite_id.clone(), state.suite.suite_secret.clone())
    };
    if text(&body, "suite_id") != suite_id {
        return refuse(state.0, API, 40083, "invalid suite_id");
    }
    if text(&body, "suite_secret") != secret {
        return refuse(state.0, API, 40080, "invalid suite_secret");
    }
    if text(&body, "suite_ticket").is_empty() {
        return refuse(state.0, API, 40085, "invalid suite_ticket");
    }
    let token = {
        let mut state = state.0.lock().unwrap();
        state.suite.suite_tokens_issued += 1;
        let token = format!("suite-token-{}", state.suite.suite_tokens_issued);
        state.suite.suite_tokens.insert(token.clone());
        token
    };
    answer(
        state.0,
        API,
        json!({"errcode": 0, "errmsg": "ok", "suite_access_token": token, "expires_in": 7200}),
    )
}

#[handler]
pub(super) async fn get_permanent_code(
    state: Data<&Shared>,
    Query(query): Query<SuiteTokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    const API: &str = "service/get_permanent_code";
    if let Some(faulted) = enter(state.0, API, body.clone()).await {
        return faulted;
    }
    if let Some(refused) = bad_suite_token(state.0, API, &query.suite_access_token) {
        return refused;
    }
    let code = text(&body, "auth_code").to_owned();
    let issued = {
        let mut state = state.0.lock().unwrap();
        let corp = state.suite.auth_codes.get(&code).cloned();
        match corp {
            Some(corp) if state.suite.used_codes.insert(code) => {
                let permanent_code =
                    format!("perm-{}-{}", corp.corp_id, hex::encode(rand::random::<[u8; 4]>()));
                state.suite.permanent_codes.insert(permanent_code.clone(), corp.clone());
                Some((corp, permanent_code))
            }
            _ => None,
        }
    };
    let Some((corp, permanent_code)) = issued else {
        return refuse(state.0, API, 40078, "invalid auth_code");
    };
    count(state.0, API, &corp.corp_id);
    answer(
        state.0,
        API,
        json!({
            "errcode": 0, "errmsg": "ok",
            "access_token": format!("corp-token-at-auth-{}", corp.corp_id), "expires_in": 7200,
            "permanent_code": permanent_code,
            "dealer_corp_info": {"corpid": "", "corp_name": ""},
            "auth_corp_info": corp_info(&corp),
            "auth_info": auth_info(&corp),
            "auth_user_info": {"userid": "admin", "open_userid": "oadmin", "name": "Admin", "avatar": ""}
        }),
    )
}

/// The corp a `{auth_corpid, permanent_code}` body stands for.
fn corp_of(state: &Shared, body: &Value) -> Option<AuthCorp> {
    let state = state.lock().unwrap();
    state
        .suite
        .permanent_codes
        .get(text(body, "permanent_code"))
        .filter(|corp| corp.corp_id == text(body, "auth_corpid"))
        .cloned()
}

#[handler]
pub(super) async fn get_corp_token(
    state: Data<&Shared>,
    Query(query): Query<SuiteTokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    const API: &str = "service/get_corp_token";
    if let Some(faulted) = enter(state.0, API, body.clone()).await {
        return faulted;
    }
    if let Some(refused) = bad_suite_token(state.0, API, &query.suite_access_token) {
        return refused;
    }
    let Some(corp) = corp_of(state.0, &body) else {
        return refuse(state.0, API, 40084, "invalid permanent_code");
    };
    count(state.0, API, &corp.corp_id);
    let token = {
        let mut state = state.0.lock().unwrap();
        state.suite.corp_tokens_issued += 1;
        let token = format!("corp-token-{}-{}", corp.corp_id, state.suite.corp_tokens_issued);
        // Valid for the app APIs (message/send, …) like gettoken's, for the
        // suite's app in that corp only (message/send checks the agent).
        state.valid_tokens.insert(token.clone());
        let app = (corp.corp_id.clone(), SUITE_APP.to_owned());
        state.apps.insert(app.clone(), corp.agent_id);
        state.token_apps.insert(token.clone(), app);
        token
    };
    answer(state.0, API, json!({"errcode": 0, "errmsg": "ok", "access_token": token, "expires_in": 7200}))
}

#[handler]
pub(super) async fn get_auth_info(
    state: Data<&Shared>,
    Query(query): Query<SuiteTokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    const API: &str = "service/get_auth_info";
    if let Some(faulted) = enter(state.0, API, body.clone()).await {
        return faulted;
    }
    if let Some(refused) = bad_suite_token(state.0, API, &query.suite_access_token) {
        return refused;
    }
    let Some(corp) = corp_of(state.0, &body) else {
        return refuse(state.0, API, 40084, "invalid permanent_code");
    };
    count(state.0, API, &corp.corp_id);
    answer(
        state.0,
        API,
        json!({"errcode": 0, "errmsg": "ok", "auth_corp_info": corp_info(&corp), "auth_info": auth_info(&corp)}),
    )
}
