//! 微信客服 on the fake WeCom: `kf/sync_msg` serves the messages added with
//! [`FakeWeCom::add_kf_message`] (per `open_kfid`, in order; the cursor is
//! the index, two per page, so readers follow `has_more`), and
//! [`FakeWeCom::notify_kf`] plays the `kf_msg_or_event` callback WeCom
//! POSTs to the app's URL, with a token the pulls must carry; `kf/send_msg`
//! and `kf/send_msg_on_event` take sends.

use poem::{
    handler,
    web::{Data, Json, Query},
};
use serde_json::{Value, json};

use super::{FakeWeCom, State, TokenParam, answer, enter, note_via, token_error};
use crate::helpers::{CORP_ID, app_crypto};

type Shared = std::sync::Arc<std::sync::Mutex<State>>;

/// Messages per page of `kf/sync_msg`.
const PAGE: usize = 2;

#[derive(Default)]
pub(super) struct KfState {
    /// Every message and event, in the order WeCom would list them.
    messages: Vec<Value>,
}

impl FakeWeCom {
    /// A message (or event) of `open_kfid`, listed after the others.
    pub fn add_kf_message(&self, open_kfid: &str, mut item: Value) {
        item["open_kfid"] = json!(open_kfid);
        self.state.lock().unwrap().kf.messages.push(item);
    }

    /// POSTs the encrypted `kf_msg_or_event` callback to the service's
    /// app route; its HTTP status.
    pub async fn notify_kf(&self, service_url: &str, open_kfid: &str, token: &str) -> u16 {
        let now = chrono::Utc::now().timestamp();
        let plaintext = format!(
            "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><CreateTime>{now}</CreateTime>\
             <MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_msg_or_event]]></Event>\
             <Token><![CDATA[{token}]]></Token><OpenKfId><![CDATA[{open_kfid}]]></OpenKfId></xml>"
        );
        let (query, body) = app_crypto()
            .seal_callback(
                &plaintext,
                pmc_webhook::wecom::EnvelopeFormat::Xml,
                &now.to_string(),
                "nonce7",
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

#[handler]
pub(super) async fn sync_msg(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "kf/sync_msg";
    if let Some(faulted) = enter(state.0, api, body.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state.0, api, &query.access_token) {
        return expired;
    }
    note_via(&mut state.0.lock().unwrap(), api, &query.access_token, &Value::Null);
    let Some(open_kfid) = body["open_kfid"].as_str() else {
        return answer(state.0, api, json!({"errcode": 95000, "errmsg": "invalid open_kfid"}));
    };
    let listed: Vec<Value> = state
        .0
        .lock()
        .unwrap()
        .kf
        .messages
        .iter()
        .filter(|item| item["open_kfid"] == open_kfid)
        .cloned()
        .collect();
    let start = body["cursor"].as_str().and_then(|cursor| cursor.parse::<usize>().ok()).unwrap_or(0);
    let end = (start + PAGE).min(listed.len());
    let page = listed.get(start..end).unwrap_or_default().to_vec();
    answer(
        state.0,
        api,
        json!({"errcode": 0, "errmsg": "ok", "next_cursor": end.to_string(),
               "has_more": i32::from(end < listed.len()), "msg_list": page}),
    )
}

/// `kf/send_msg` and `kf/send_msg_on_event`: answered with the `msgid`
/// given (WeCom's own when none).
async fn send(state: &Shared, api: &str, token: &str, body: Value) -> poem::Response {
    if let Some(faulted) = enter(state, api, body.clone()).await {
        return faulted;
    }
    if let Some(expired) = token_error(state, api, token) {
        return expired;
    }
    note_via(&mut state.lock().unwrap(), api, token, &Value::Null);
    let msgtype = body["msgtype"].as_str().unwrap_or_default();
    if !body[msgtype].is_object() {
        return answer(state, api, json!({"errcode": 40008, "errmsg": "invalid message type"}));
    }
    let msgid = body["msgid"].as_str().map_or_else(|| "wecom-generated".to_owned(), str::to_owned);
    answer(state, api, json!({"errcode": 0, "errmsg": "ok", "msgid": msgid}))
}

#[handler]
pub(super) async fn send_msg(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if body["touser"].as_str().is_none_or(str::is_empty)
        || body["open_kfid"].as_str().is_none_or(str::is_empty)
    {
        return answer(
            state.0,
            "kf/send_msg",
            json!({"errcode": 95000, "errmsg": "invalid touser or open_kfid"}),
        );
    }
    send(state.0, "kf/send_msg", &query.access_token, body).await
}

#[handler]
pub(super) async fn send_msg_on_event(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    if body["code"].as_str().is_none_or(str::is_empty) {
        return answer(state.0, "kf/send_msg_on_event", json!({"errcode": 95018, "errmsg": "invalid code"}));
    }
    send(state.0, "kf/send_msg_on_event", &query.access_token, body).await
}
