//! The typed-payload vectors (`tests/fixtures/wecom/payload_vectors.json`,
//! documented samples of customer contact, 微信客服, schedules, meetings,
//! notices and suite `InfoType`s) through the running service: each
//! encrypted callback POSTed to the callback route, read back from
//! `/api/v1/events` with its typed payload, and the customer and
//! customer-group changes read back as member events of the account.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::{
    forwarding::{Receiver, SECRET},
    helpers::{TestApp, assert_hand_off_agrees_with_replay, spawn_app_with, vector_cases},
    tracking::eventually,
    vectors_over_http::env_for,
};

/// Whether every key of `want` is in `got` with the same value (objects
/// recursively, arrays and scalars exactly); `Err` names the difference.
fn contains(got: &Value, want: &Value, path: &str) -> Result<(), String> {
    match (got, want) {
        (Value::Object(got), Value::Object(want)) => want.iter().try_for_each(|(key, value)| {
            contains(got.get(key).unwrap_or(&Value::Null), value, &format!("{path}.{key}"))
        }),
        _ if got == want => Ok(()),
        _ => Err(format!("{path}: got {got}, want {want}")),
    }
}

/// POSTs every case of one config and checks each stored event's type and
/// typed payload; returns the stored events by case id.
async fn post_and_read_back(app: &TestApp, cases: &[&Value]) -> BTreeMap<String, Value> {
    for case in cases {
        let request = &case["request"];
        let response = app
            .post(
                "/api/v1/webhooks/wechat/api",
                request["raw_query"].as_str().unwrap(),
                request["body"].as_str().unwrap().to_owned(),
            )
            .await;
        let want = if case["category"] == "suite" { "success" } else { "" };
        assert_eq!(response.status(), 200, "{}", case["id"]);
        assert_eq!(response.text().await.unwrap(), want, "{}", case["id"]);
    }
    let summaries = app.all_events().await;
    let mut stored = BTreeMap::new();
    let mut failures = Vec::new();
    for case in cases {
        let (id, expected) = (case["id"].as_str().unwrap(), &case["expected"]);
        let Some(summary) = summaries.iter().find(|event| event["dedupe_key"] == expected["dedupe_key"])
        else {
            failures.push(format!("{id}: not stored under {}", expected["dedupe_key"]));
            continue;
        };
        if summary["callback_type"] != expected["callback_type"] {
            failures.push(format!("{id}: stored as {}", summary["callback_type"]));
        }
        let detail = app.get_json(&format!("/api/v1/events/{}", summary["id"])).await;
        let typed = if case["category"] == "suite" {
            &detail["payload"]["detail"]
        } else {
            &detail["payload"]["content"]["event"]
        };
        if let Err(error) = contains(typed, &expected["typed"], "") {
            failures.push(format!("{id}: {error}"));
        }
        stored.insert(id.to_owned(), detail);
    }
    assert!(failures.is_empty(), "{failures:#?}");
    stored
}

/// The member events of one kind: (user, event id, payload), oldest first.
async fn members_of_kind(app: &TestApp, kind: &str, count: usize) -> Vec<(String, i64, Value)> {
    let page = eventually(app, &format!("/api/v1/members/events?type={kind}"), |page| {
        page["events"].as_array().unwrap().len() >= count
    })
    .await;
    let mut events: Vec<(String, i64, Value)> = page["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|event| {
            (
                event["user_id"].as_str().unwrap_or("").to_owned(),
                event["event_id"].as_i64().unwrap(),
                event.clone(),
            )
        })
        .collect();
    events.reverse();
    assert_eq!(events.len(), count, "{kind}: {events:#?}");
    events
}

#[tokio::test]
async fn documented_payloads_round_trip_typed_and_customer_changes_become_member_events() {
    let cases = vector_cases("payload_vectors.json");
    let (app_cases, suite_cases): (Vec<&Value>, Vec<&Value>) =
        cases.iter().partition(|case| case["category"] != "suite");
    assert_eq!((app_cases.len(), suite_cases.len()), (40, 23));

    let app = spawn_app_with(&env_for(&app_cases[0]["config"])).await;
    let stored = post_and_read_back(&app, &app_cases).await;
    // Tracking got each typed callback from memory; replaying its stored
    // plaintext gives the same signals.
    assert_hand_off_agrees_with_replay(&app.base_url, app_cases.len() as u64).await;
    let event_id = |case: &str| stored[case]["id"].as_i64().unwrap();
    let account = stored["chat-del-member-two"]["account"].clone();

    // Two members left one group: one member event each, with the scene.
    let left = members_of_kind(&app, "customer_group_member_left", 2).await;
    let users: Vec<&str> = left.iter().map(|(user, _, _)| user.as_str()).collect();
    assert_eq!(users, ["woAJ2GCAAAXtWyujaWJHDDGi0mACH71w", "lisi"]);
    for (_, id, event) in &left {
        assert_eq!(*id, event_id("chat-del-member-two"));
        assert_eq!(event["account"], account);
        assert_eq!(event["payload"]["content"]["event"]["quit_scene"], 1);
        assert_eq!(event["payload"]["content"]["event"]["chat_id"], "wrOgQhDgAAMYQiS5ol9G7gK9JVAAAA");
    }
    let joined = members_of_kind(&app, "customer_group_member_joined", 1).await;
    assert_eq!(joined[0].0, "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w");
    assert_eq!(joined[0].2["payload"]["content"]["event"]["join_scene"], 1);
    for (kind, case, count) in [
        ("customer_group_created", "chat-create", 1),
        ("customer_group_dismissed", "chat-dismiss", 1),
        ("customer_group_owner_changed", "chat-change-owner", 1),
        ("external_contact_added", "ec-add-external-contact", 1),
        ("external_contact_deleted", "ec-del-external-contact", 1),
        ("external_contact_follow_user_deleted", "ec-del-follow-user", 1),
        ("external_contact_transfer_failed", "ec-transfer-fail", 1),
    ] {
        let events = members_of_kind(&app, kind, count).await;
        assert_eq!(events[0].1, event_id(case), "{kind}");
    }
    let added = &members_of_kind(&app, "external_contact_added", 1).await[0];
    assert_eq!(added.0, "zhangsan", "the member who added the customer");
    assert_eq!(added.2["payload"]["content"]["event"]["state"], "teststate");
    // Tag changes and the other notices are events, not member events.
    let all = app.get_json("/api/v1/members/events?limit=100").await;
    let kinds: Vec<&str> =
        all["events"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds.len(), 15, "{kinds:?}");
    drop(app);

    // Suite notices, and the changes relayed to a suite, on a suite-id route.
    let app = spawn_app_with(&env_for(&suite_cases[0]["config"])).await;
    post_and_read_back(&app, &suite_cases).await;
    assert_hand_off_agrees_with_replay(&app.base_url, suite_cases.len() as u64).await;
    let joined = members_of_kind(&app, "customer_group_member_joined", 1).await;
    assert_eq!(joined[0].0, "Jack");
    assert_eq!(joined[0].2["payload"]["detail"]["join_scene"], 3);
    assert_eq!(members_of_kind(&app, "external_contact_added", 1).await[0].0, "zhangsan");
}

#[tokio::test]
async fn members_leaving_a_customer_group_are_forwarded_as_member_events() {
    let receiver = Receiver::start().await;
    let mut env = crate::forwarding::env();
    env.push(("PMC_TIMESTAMP_WINDOW_SECS", "0".to_owned()));
    let app = spawn_app_with(&env).await;
    let response = app
        .client
        .post(format!("{}/api/v1/subscriptions", app.base_url))
        .json(&json!({"url": receiver.url, "kinds": ["member"], "secret": SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let case =
        vector_cases("payload_vectors.json").into_iter().find(|c| c["id"] == "chat-del-member-two").unwrap();
    let request = &case["request"];
    let query = request["raw_query"].as_str().unwrap();
    let body = request["body"].as_str().unwrap().to_owned();
    assert_eq!(app.post("/api/v1/webhooks/wechat/api", query, body).await.status(), 200);

    let events = receiver.wait_for(2).await;
    let mut left: Vec<(&str, &str)> = events
        .iter()
        .map(|event| {
            assert_eq!(event["type"], "member");
            assert_eq!(event["data"]["payload"]["content"]["event"]["quit_scene"], 1);
            (event["data"]["kind"].as_str().unwrap(), event["data"]["user_id"].as_str().unwrap())
        })
        .collect();
    left.sort();
    assert_eq!(
        left,
        [
            ("customer_group_member_left", "lisi"),
            ("customer_group_member_left", "woAJ2GCAAAXtWyujaWJHDDGi0mACH71w")
        ]
    );
}
