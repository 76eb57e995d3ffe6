//! Mass sends to customers (`wecom_external`) against the fake WeCom:
//! `add_msg_template` with the customers' external_userids; a customer in
//! nobody's contacts (`fail_list`) fails at once; the others stay `queued`
//! until `get_groupmsg_send_result` (read across members and pages) says
//! their member sent it (`sent`) or could not (`failed`: status 2, not a
//! contact any more; status 3, already received one); once every customer
//! has an outcome the watch ends.

use std::time::Duration;

use serde_json::{Value, json};

use crate::{
    fake_wecom::FakeWeCom,
    helpers::spawn_app_with,
    outbound::{env, send, states, until},
};

fn expect(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(a, b)| ((*a).to_owned(), (*b).to_owned())).collect()
}

#[tokio::test]
async fn a_mass_send_tracks_each_customer_as_their_member_sends_it_or_cannot() {
    let fake = FakeWeCom::start().await;
    // Three customers of zhangsan (two pages of results), one of lisi.
    for (customer, member) in [("wmA", "zhangsan"), ("wmB", "zhangsan"), ("wmE", "zhangsan"), ("wmC", "lisi")]
    {
        fake.set_customer(customer, member, 0);
    }
    let mut env = env(&fake);
    env.push(("PMC__SENDING__EXTERNAL_POLL_SECS", "1".to_owned()));
    let app = spawn_app_with(&env).await;

    let body = json!({"id": "mass-1", "channel": "wecom_external",
                      "recipients": ["wmA", "wmB", "wmE", "wmC", "wmGONE"],
                      "msgtype": "text", "text": {"content": "双十一会员专享"}});
    let response = send(&app, body, None).await;
    assert_eq!(response.status(), 202, "{}", response.text().await.unwrap());
    let path = "/api/v1/messages/mass-1/status";
    let status = until(&app, path, |s| {
        s["recipients"].as_array().is_some_and(|r| r.iter().any(|r| r["status"] == "failed"))
    })
    .await;
    assert_eq!(
        states(&status),
        expect(&[
            ("wmA", "queued"),
            ("wmB", "queued"),
            ("wmC", "queued"),
            ("wmE", "queued"),
            ("wmGONE", "failed")
        ])
    );
    let templates = fake.calls("externalcontact/add_msg_template");
    assert_eq!(templates.len(), 1);
    assert_eq!(
        templates[0].body,
        json!({"chat_type": "single", "external_userid": ["wmA", "wmB", "wmE", "wmC", "wmGONE"],
               "text": {"content": "双十一会员专享"}})
    );

    // zhangsan sends it: wmA and wmE (on the second page) get it; wmB left him.
    fake.set_customer("wmA", "zhangsan", 1);
    fake.set_customer("wmB", "zhangsan", 2);
    fake.set_customer("wmE", "zhangsan", 1);
    let status =
        until(&app, path, |s| states(s).iter().filter(|(_, state)| state != "queued").count() == 4).await;
    assert_eq!(
        states(&status),
        expect(&[
            ("wmA", "sent"),
            ("wmB", "failed"),
            ("wmC", "queued"),
            ("wmE", "sent"),
            ("wmGONE", "failed")
        ])
    );
    // lisi's customer had one today already.
    fake.set_customer("wmC", "lisi", 3);
    let status = until(&app, path, |s| states(s).iter().all(|(_, state)| state != "queued")).await;
    assert_eq!(states(&status).iter().find(|(c, _)| c == "wmC").unwrap().1, "failed");
    let history = app.get_json("/api/v1/messages/mass-1/history").await;
    let details: Vec<String> = history["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|row| row["detail"].as_str().map(str::to_owned))
        .collect();
    for reason in ["fail_list", "status 2", "already received"] {
        assert!(details.iter().any(|detail| detail.contains(reason)), "{reason}: {history}");
    }
    assert!(
        fake.calls("externalcontact/get_groupmsg_send_result").iter().any(|call| call.body["cursor"] == "2")
    );

    // Every customer decided: the watch ended, WeCom is not asked again.
    let asked = fake.calls("externalcontact/get_groupmsg_task").len();
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(fake.calls("externalcontact/get_groupmsg_task").len(), asked);

    // What add_msg_template cannot take is refused at the API.
    for (body, reason) in [
        (json!({"msgtype": "text", "text": {"content": "x"}}), "external_userids"),
        (
            json!({"recipients": ["wmA"], "msgtype": "markdown", "markdown": {"content": "x"}}),
            "cannot be sent on wecom_external",
        ),
        (
            json!({"recipients": ["wmA"], "safe": true, "msgtype": "text", "text": {"content": "x"}}),
            "no safe mode",
        ),
    ] {
        let mut body: Value = body;
        body["channel"] = json!("wecom_external");
        let response = send(&app, body, None).await;
        assert_eq!(response.status(), 422);
        let text = response.text().await.unwrap();
        assert!(text.contains(reason), "{reason}: {text}");
    }
}
