//! A change of `accounts:` is picked up on SIGHUP by the real binary:
//! callbacks in flight during the reloads are all answered and stored, a
//! removed account stops being served while its data stays queryable, and
//! an invalid file changes nothing.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{
    accounts::{EXTRAS, accounts_yaml},
    durability::{free_port, start_service},
    helpers::{APP_KEY, APP_TOKEN, CORP_ID, api_client, app_text},
};

fn hup(pid: u32) {
    let sent = std::process::Command::new("kill").args(["-HUP", &pid.to_string()]).status().unwrap();
    assert!(sent.success());
}

async fn account_ids(client: &reqwest::Client, base: &str) -> Vec<String> {
    let listed: Value =
        client.get(format!("{base}/api/v1/accounts")).send().await.unwrap().json().await.unwrap();
    listed["accounts"].as_array().unwrap().iter().map(|a| a["id"].as_str().unwrap().to_owned()).collect()
}

async fn wait_for_accounts(client: &reqwest::Client, base: &str, wanted: &[&str]) {
    let started = Instant::now();
    loop {
        let ids = account_ids(client, base).await;
        if ids == wanted {
            return;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "accounts {ids:?}, wanted {wanted:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn accounts_are_reloaded_on_sighup_without_dropping_a_callback() {
    let temp = tempfile::tempdir().unwrap();
    let config = temp.path().join("accounts.yaml");
    let hr_only = format!("accounts:\n{}", accounts_yaml(None).lines().nth(1).unwrap());
    std::fs::write(&config, format!("{hr_only}\n")).unwrap();
    let env_file = temp.path().join("test.env");
    std::fs::write(
        &env_file,
        format!(
            "WECHAT_CORP_ID={CORP_ID}\nWECHAT_TOKEN={APP_TOKEN}\nWECHAT_ENCODING_AES_KEY={APP_KEY}\nPMC_CONFIG={}\n",
            config.display()
        ),
    )
    .unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let service = start_service(&env_file, &data_dir, port).await;
    let pid = service.id().unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = api_client();
    assert_eq!(account_ids(&client, &base).await, ["default", "hr", "default"]);

    // hr's callback is served, and stored under hr.
    let hr = &EXTRAS[0];
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[u]]></FromUserName>\
         <CreateTime>1</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[x]]></Content>\
         <MsgId>77</MsgId><AgentID>1</AgentID></xml>"
    );
    let now = chrono::Utc::now().timestamp().to_string();
    let (query, body) = hr
        .crypto()
        .seal_callback(&plaintext, pmc_webhook::wecom::EnvelopeFormat::Xml, &now, "n", &rand::random())
        .unwrap();
    let hr_url = format!("{base}/api/v1/webhooks/wechat/api/hr?{query}");
    assert_eq!(client.post(&hr_url).body(body.clone()).send().await.unwrap().status(), 200);

    // A burst on the default route while the accounts are reloaded again and again.
    let burst = {
        let (client, base) = (client.clone(), base.clone());
        tokio::spawn(async move {
            let mut answered = Vec::new();
            for msg_id in 1..=600u64 {
                let (query, body) = app_text(msg_id, "during reloads");
                let url = format!("{base}/api/v1/webhooks/wechat/api?{query}");
                answered.push(client.post(url).body(body).send().await.unwrap().status().as_u16());
            }
            answered
        })
    };
    // Now: the robot `ops` instead of `hr`.
    let ops_only = format!("accounts:\n{}\n", accounts_yaml(None).lines().nth(4).unwrap());
    for round in 0..6 {
        std::fs::write(&config, if round % 2 == 0 { &ops_only } else { &hr_only }).unwrap();
        hup(pid);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    std::fs::write(&config, &ops_only).unwrap();
    hup(pid);
    let answered =
        tokio::time::timeout(Duration::from_secs(60), burst).await.expect("the burst ends").unwrap();
    assert!(answered.iter().all(|status| *status == 200), "{answered:?}");
    wait_for_accounts(&client, &base, &["default", "default", "ops"]).await;

    // hr is gone: its route answers 404, its data stays.
    let gone = client.post(&hr_url).body(body).send().await.unwrap();
    assert_eq!(gone.status(), 404);
    let kept: Value =
        client.get(format!("{base}/api/v1/events?account=hr")).send().await.unwrap().json().await.unwrap();
    assert_eq!(kept["events"].as_array().unwrap().len(), 1);
    let mut stored = 0;
    let mut cursor = String::new();
    loop {
        let page: Value = client
            .get(format!("{base}/api/v1/events?account=default&limit=500{cursor}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        stored += page["events"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(next) => cursor = format!("&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(stored, 600, "every callback acknowledged during the reloads is stored");

    // An invalid file is refused whole: nothing changes.
    std::fs::write(&config, "accounts:\n  - {id: BAD, kind: app}\n").unwrap();
    hup(pid);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(account_ids(&client, &base).await, ["default", "default", "ops"]);
    let health = client.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(health.status(), 200, "still serving");
}
