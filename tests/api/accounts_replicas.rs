//! Two replicas (the real binary, sharing MySQL and Redis) share every
//! account's access token: one `gettoken` per app for both, however many
//! sends each makes.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{
    accounts::{EXTRAS, accounts_yaml},
    backends::shared,
    fake_wecom::FakeWeCom,
    helpers::api_client,
};

#[tokio::test]
async fn two_replicas_share_every_accounts_token() {
    let Some(backends) = shared() else { return };
    let fake = FakeWeCom::start().await;
    let apps: Vec<_> = EXTRAS.iter().filter(|extra| extra.kind == "app").collect();
    for extra in &apps {
        fake.add_app(extra.corp_id, extra.secret, extra.agent_id);
    }
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("accounts.yaml");
    std::fs::write(&config, accounts_yaml(Some(&fake.url))).unwrap();
    let (mysql_env, _db) = backends.fresh_mysql("pmc_accounts").await;
    let mut env = crate::tracking::tracking_env();
    env.extend(fake.env());
    env.extend(mysql_env);
    env.extend(backends.redis_env());
    env.push(("PMC_CONFIG", config.display().to_string()));
    let replicas = crate::durability::start_processes(&env, 2).await;
    let client = api_client();

    // Both replicas send through every app at once, from a cold start.
    let per_app = 20;
    let mut posts = tokio::task::JoinSet::new();
    for extra in &apps {
        for n in 0..per_app {
            let body = json!({"channel": "wecom_app", "account": extra.id, "recipients": [format!("u{n}")],
                              "msgtype": "text", "text": {"content": "hi"}});
            let request = client.post(format!("{}/api/v1/messages", replicas.urls[n % 2])).json(&body);
            posts.spawn(async move { request.send().await.unwrap().status().as_u16() });
        }
    }
    while let Some(status) = posts.join_next().await {
        assert_eq!(status.unwrap(), 202);
    }
    let expected = apps.len() * per_app;
    let started = Instant::now();
    let accepted = || fake.calls("message/send").iter().filter(|call| call.accepted()).count();
    while accepted() < expected {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{} of {expected} sent; refused: {:?}{}",
            accepted(),
            fake.calls("message/send").into_iter().filter(|call| !call.accepted()).collect::<Vec<_>>(),
            replicas.log_tails()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for extra in &apps {
        assert_eq!(
            fake.tokens_issued_for(extra.corp_id, extra.secret),
            1,
            "{}: one gettoken for both",
            extra.id
        );
    }
    let refused: Vec<_> = fake.calls("message/send").into_iter().filter(|call| !call.accepted()).collect();
    assert!(refused.is_empty(), "no send refused (wrong agent id, unknown token): {refused:?}");
}
