//! Sending as a suite: `"account": "isv", "corp_id": …` sends with that
//! corp's token and the suite's agent there, paced per corp; a corp that has
//! not authorised the suite (or a send without a corp) is refused up front;
//! recall and card updates go through the corp the message was sent to.

use std::{sync::Arc, time::Duration};

use serde_json::{Value, json};

use crate::{
    helpers::TestApp,
    suites::{SUITE, SuiteSetup, create_auth, start, ticket, wait_for},
};

const CORP_A: &str = "wwCorpA";
const CORP_B: &str = "wwcorpa";
const LIMIT: Duration = Duration::from_secs(15);

async fn send(app: &TestApp, body: Value) -> (u16, Value) {
    let response =
        app.client.post(format!("{}/api/v1/messages", app.base_url)).json(&body).send().await.unwrap();
    (response.status().as_u16(), response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_suite_sends_as_its_app_in_each_authorised_corp() {
    let setup = SuiteSetup::start().await;
    let fake = &setup.fake;
    fake.add_auth_code("code-a", CORP_A, "Corp A", 1000001);
    fake.add_auth_code("code-b", CORP_B, "corp a (lower case)", 1000002);
    let data = tempfile::tempdir().unwrap();
    let (app, suites) = start(&setup.env(), data.path()).await;
    assert_eq!(ticket(&app, "ticket-1").await.0, 200);
    assert_eq!(create_auth(&app, "code-a").await.0, 200);
    assert_eq!(create_auth(&app, "code-b").await.0, 200);
    for corp in [CORP_A, CORP_B] {
        let suites = Arc::clone(&suites);
        wait_for(corp, LIMIT, move || suites.authorised().contains(SUITE, corp)).await;
    }

    // Refused up front: no corp, a corp that did not authorise the suite
    // (corp ids are case-sensitive), a corp id on an app account.
    let text = |id: &str| {
        json!({"id": id, "channel": "wecom_app", "account": SUITE, "recipients": ["lisi"],
               "msgtype": "text", "text": {"content": "hi"}})
    };
    for (id, corp, account) in [
        ("no-corp", None, SUITE),
        ("stranger", Some("wwCORPA"), SUITE),
        ("app-corp", Some(CORP_A), "default"),
    ] {
        let mut body = text(id);
        body["account"] = json!(account);
        if let Some(corp) = corp {
            body["corp_id"] = json!(corp);
        }
        let (status, answer) = send(&app, body).await;
        assert_eq!(status, 422, "{id}: {answer}");
        assert_eq!(answer["error"], "channel_not_configured", "{id}: {answer}");
    }

    // One send per corp, and a card to corp B: each with its corp's token
    // and the suite's agent there; one corp token per corp.
    for (id, corp) in [("to-a", CORP_A), ("to-b", CORP_B)] {
        let mut body = text(id);
        body["corp_id"] = json!(corp);
        assert_eq!(send(&app, body).await.0, 202, "{id}");
    }
    let card = json!({"id": "card-b", "channel": "wecom_app", "account": SUITE, "corp_id": CORP_B,
        "recipients": ["lisi"], "msgtype": "template_card", "template_card": {
            "card_type": "button_interaction", "main_title": {"title": "Approve?"}, "task_id": "task-b",
            "button_list": [{"text": "Yes", "key": "yes"}]}});
    let (status, answer) = send(&app, card).await;
    assert_eq!(status, 202, "{answer}");
    for id in ["to-a", "to-b", "card-b"] {
        let message = app.wait_for_message_status(id, "sent", LIMIT).await;
        assert_eq!(message["account"], SUITE, "{message}");
    }
    let sends = fake.calls("message/send");
    let via: Vec<Option<&str>> = sends.iter().map(|call| call.via.as_deref()).collect();
    assert_eq!(via.iter().filter(|via| **via == Some("wwCorpA/1000001")).count(), 1, "{sends:?}");
    assert_eq!(via.iter().filter(|via| **via == Some("wwcorpa/1000002")).count(), 2, "{sends:?}");
    assert!(sends.iter().all(|call| call.accepted()), "{sends:?}");
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_A), 1);
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_B), 1);
    assert_eq!(fake.tokens_issued(), 0, "no gettoken: a suite has no corp secret");

    // Media given as content is uploaded with the corp's token, then sent by its media id.
    use base64::Engine;
    let file = base64::engine::general_purpose::STANDARD.encode("季度报表".repeat(50));
    let body = json!({"id": "file-a", "channel": "wecom_app", "account": SUITE, "corp_id": CORP_A,
        "recipients": ["lisi"], "msgtype": "file", "file": {"filename": "q4.txt", "base64": file}});
    assert_eq!(send(&app, body).await.0, 202);
    app.wait_for_message_status("file-a", "sent", LIMIT).await;
    let uploads = fake.calls("media/upload");
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert_eq!(uploads[0].via.as_deref(), Some("wwCorpA/0"), "{uploads:?}");
    let sent = fake.calls("message/send").last().cloned().unwrap();
    assert_eq!(sent.via.as_deref(), Some("wwCorpA/1000001"));
    let media_id = sent.body["file"]["media_id"].as_str().unwrap();
    assert_eq!(fake.uploaded(media_id).unwrap().filename, "q4.txt");
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_A), 1, "the cached corp token");

    // The card update and the recall go through corp B's token and agent.
    let patch = app
        .client
        .patch(format!("{}/api/v1/messages/card-b/card", app.base_url))
        .json(&json!({"button": {"replace_name": "Done"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), 200, "{}", patch.text().await.unwrap());
    let updates = fake.calls("message/update_template_card");
    assert_eq!(updates.last().and_then(|call| call.via.as_deref()), Some("wwcorpa/1000002"), "{updates:?}");
    let recall =
        app.client.post(format!("{}/api/v1/messages/to-b/recall", app.base_url)).send().await.unwrap();
    assert_eq!(recall.status(), 200, "{}", recall.text().await.unwrap());
    let recalls = fake.calls("message/recall");
    assert_eq!(recalls.last().and_then(|call| call.via.as_deref()), Some("wwcorpa/0"), "{recalls:?}");

    // A rejected corp token (42001) is replaced and the send goes out.
    fake.expire_tokens();
    let mut body = text("after-expiry");
    body["corp_id"] = json!(CORP_A);
    assert_eq!(send(&app, body).await.0, 202);
    app.wait_for_message_status("after-expiry", "sent", LIMIT).await;
    assert_eq!(fake.corp_calls("service/get_corp_token", CORP_A), 2);
}
