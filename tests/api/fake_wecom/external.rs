//! The customer-contact side of the fake WeCom: mass sends to customers
//! (`externalcontact/add_msg_template`, answering `{errcode, errmsg,
//! fail_list, msgid}`), and their outcomes as WeCom reports them after
//! members confirm: `get_groupmsg_task` (the members holding the task) and
//! `get_groupmsg_send_result` (each customer's status 0–3, two per page,
//! so readers must follow `next_cursor`).

use std::collections::BTreeMap;

use poem::{
    handler,
    web::{Data, Json, Query},
};
use serde_json::{Value, json};

use super::{FakeWeCom, State, TokenParam, answer, enter, note_via, token_error};

type Shared = std::sync::Arc<std::sync::Mutex<State>>;

/// Results per page of `get_groupmsg_send_result`.
const PAGE: usize = 2;

#[derive(Default)]
pub(super) struct ExternalState {
    /// Customer → (their member, status 0–3). Customers not here are in
    /// nobody's contacts: `add_msg_template` lists them in `fail_list`.
    customers: BTreeMap<String, (String, i64)>,
    /// msgid → the customers it was sent to (minus its fail_list).
    templates: BTreeMap<String, Vec<String>>,
}

impl FakeWeCom {
    /// `customer` is a contact of `member`, with status `status` for every
    /// mass send (0 not sent yet, 1 sent, 2 not a contact any more, 3
    /// already received one).
    pub fn set_customer(&self, customer: &str, member: &str, status: i64) {
        self.state
            .lock()
            .unwrap()
            .external
            .customers
            .insert(customer.to_owned(), (member.to_owned(), status));
    }
}

fn page_of(items: Vec<Value>, cursor: Option<&str>) -> (Vec<Value>, String) {
    let start = cursor.and_then(|cursor| cursor.parse::<usize>().ok()).unwrap_or(0);
    let end = (start + PAGE).min(items.len());
    let next = if end < items.len() { end.to_string() } else { String::new() };
    (items.get(start..end).unwrap_or_default().to_vec(), next)
}

async fn authorised(state: &Shared, api: &str, token: &str, body: &Value) -> Option<poem::Response> {
    if let Some(faulted) = enter(state, api, body.clone()).await {
        return Some(faulted);
    }
    if let Some(expired) = token_error(state, api, token) {
        return Some(expired);
    }
    note_via(&mut state.lock().unwrap(), api, token, &Value::Null);
    None
}

#[handler]
pub(super) async fn add_msg_template(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "externalcontact/add_msg_template";
    if let Some(refused) = authorised(state.0, api, &query.access_token, &body).await {
        return refused;
    }
    let customers: Vec<String> = body["external_userid"]
        .as_array()
        .map(|ids| ids.iter().filter_map(Value::as_str).map(str::to_owned).collect())
        .unwrap_or_default();
    if body["chat_type"] != "single" || customers.is_empty() || body["text"]["content"].as_str().is_none() {
        return answer(state.0, api, json!({"errcode": 41048, "errmsg": "invalid mass message"}));
    }
    let mut shared = state.0.lock().unwrap();
    let (known, fail_list): (Vec<String>, Vec<String>) =
        customers.into_iter().partition(|customer| shared.external.customers.contains_key(customer));
    let msgid = format!("msgGCAAAX{}", shared.external.templates.len() + 1);
    shared.external.templates.insert(msgid.clone(), known);
    drop(shared);
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok", "fail_list": fail_list, "msgid": msgid}))
}

#[handler]
pub(super) async fn get_groupmsg_task(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "externalcontact/get_groupmsg_task";
    if let Some(refused) = authorised(state.0, api, &query.access_token, &body).await {
        return refused;
    }
    let shared = state.0.lock().unwrap();
    let Some(sent_to) = body["msgid"].as_str().and_then(|msgid| shared.external.templates.get(msgid)) else {
        drop(shared);
        return answer(state.0, api, json!({"errcode": 41063, "errmsg": "msgid not exists"}));
    };
    let mut members: Vec<&str> = sent_to
        .iter()
        .filter_map(|customer| shared.external.customers.get(customer))
        .map(|(m, _)| m.as_str())
        .collect();
    members.sort_unstable();
    members.dedup();
    let tasks: Vec<Value> = members.iter().map(|member| json!({"userid": member, "status": 0})).collect();
    drop(shared);
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok", "task_list": tasks, "next_cursor": ""}))
}

#[handler]
pub(super) async fn get_groupmsg_send_result(
    state: Data<&Shared>,
    Query(query): Query<TokenParam>,
    Json(body): Json<Value>,
) -> poem::Response {
    let api = "externalcontact/get_groupmsg_send_result";
    if let Some(refused) = authorised(state.0, api, &query.access_token, &body).await {
        return refused;
    }
    let shared = state.0.lock().unwrap();
    let (Some(sent_to), Some(member)) = (
        body["msgid"].as_str().and_then(|msgid| shared.external.templates.get(msgid)),
        body["userid"].as_str(),
    ) else {
        drop(shared);
        return answer(state.0, api, json!({"errcode": 41063, "errmsg": "msgid not exists"}));
    };
    let results: Vec<Value> = sent_to
        .iter()
        .filter_map(|customer| {
            let (owner, status) = shared.external.customers.get(customer)?;
            (owner == member).then(|| json!({"external_userid": customer, "userid": owner, "status": status}))
        })
        .collect();
    drop(shared);
    let (page, next_cursor) = page_of(results, body["cursor"].as_str());
    answer(state.0, api, json!({"errcode": 0, "errmsg": "ok", "send_list": page, "next_cursor": next_cursor}))
}
