//! Suites in external mode against a real MariaDB (and Redis): corp ids
//! that differ only in case stay two corps in MySQL's tables, the
//! authorisations survive a restart from MySQL, and replicas sharing the
//! database learn each other's corps and share one suite token and one
//! corp token through Redis.

use std::time::Duration;

use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};

use crate::{
    backends::shared,
    suites::{SUITE, SuiteSetup, corp_message, create_auth, start, ticket, wait_for},
};

const CORP_A: &str = "wwCorpA";
const CORP_B: &str = "wwcorpa";
const LIMIT: Duration = Duration::from_secs(20);

async fn corps_in(db: &DatabaseConnection) -> Vec<(String, String)> {
    let sql = "SELECT corp_id, state FROM suite_corps ORDER BY corp_id";
    let rows =
        db.query_all_raw(Statement::from_string(db.get_database_backend(), sql.to_owned())).await.unwrap();
    rows.iter()
        .map(|row| (row.try_get_by_index::<String>(0).unwrap(), row.try_get_by_index::<String>(1).unwrap()))
        .collect()
}

#[tokio::test]
async fn suite_corps_in_mysql_are_case_sensitive_and_survive_a_restart() {
    let Some(backends) = shared() else { return };
    let (mysql_env, db) = backends.fresh_mysql("pmc_suites").await;
    let setup = SuiteSetup::start().await;
    setup.fake.add_auth_code("auth-code-a", CORP_A, "Corp A", 1000001);
    setup.fake.add_auth_code("auth-code-b", CORP_B, "corp a", 1000002);
    let mut env = setup.env();
    env.extend(mysql_env);
    let data = tempfile::tempdir().unwrap();
    let (mut app, suites) = start(&env, data.path()).await;

    assert_eq!(ticket(&app, "ticket-mysql").await.0, 200);
    assert_eq!(create_auth(&app, "auth-code-a").await.0, 200);
    assert_eq!(create_auth(&app, "auth-code-b").await.0, 200);
    let both = {
        let suites = suites.clone();
        move || suites.authorised().of(SUITE).len() == 2
    };
    wait_for("both corps authorised", LIMIT, both).await;
    // Two rows: a case-insensitive collation would have made the second
    // create_auth overwrite the first.
    let active = |corp: &str| (corp.to_owned(), "active".to_owned());
    assert_eq!(corps_in(&db).await, vec![active(CORP_A), active(CORP_B)]);
    assert_eq!(corp_message(&app, CORP_A, 9001).await.0, 200);
    assert_eq!(corp_message(&app, CORP_B, 9002).await.0, 200);
    assert_eq!(corp_message(&app, "wwCORPA", 9003).await.0, 403);

    // A restart: loaded from MySQL, each corp with its own permanent code.
    app.stop().await;
    let (app, suites) = start(&env, data.path()).await;
    let both = {
        let suites = suites.clone();
        move || suites.authorised().of(SUITE).len() == 2
    };
    wait_for("both corps loaded from MySQL", LIMIT, both).await;
    assert_eq!(corp_message(&app, CORP_A, 9004).await.0, 200);
    let (a, b) =
        (suites.corp_sender(SUITE, CORP_A).await.unwrap(), suites.corp_sender(SUITE, CORP_B).await.unwrap());
    assert_eq!((a.agent_id, b.agent_id), (Some(1000001), Some(1000002)));
    assert!(
        a.access_token.starts_with("corp-token-wwCorpA-")
            && b.access_token.starts_with("corp-token-wwcorpa-")
    );
    assert_eq!(setup.fake.calls("service/get_permanent_code").len(), 2, "nothing exchanged twice");
}

#[tokio::test]
async fn replicas_learn_each_others_corps_and_share_the_tokens() {
    let Some(backends) = shared() else { return };
    let (mysql_env, _db) = backends.fresh_mysql("pmc_suites_replicas").await;
    let setup = SuiteSetup::start().await;
    setup.fake.add_auth_code("auth-code-a", CORP_A, "Corp A", 1000001);
    let mut env = setup.env();
    env.extend(mysql_env);
    env.extend(backends.redis_env());
    let (first_data, second_data) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (first, first_suites) = start(&env, first_data.path()).await;
    let (second, second_suites) = start(&env, second_data.path()).await;

    // WeCom's balancer sends the ticket and the authorisation to the first.
    assert_eq!(ticket(&first, "ticket-shared").await.0, 200);
    assert_eq!(create_auth(&first, "auth-code-a").await.0, 200);
    let learned = {
        let suites = second_suites.clone();
        move || suites.authorised().contains(SUITE, CORP_A)
    };
    // The second learns it from MySQL (its reload runs every 5 s).
    wait_for("the second replica learns corp A", LIMIT, learned).await;
    assert_eq!(corp_message(&second, CORP_A, 9101).await.0, 200);

    // Both send as the suite in corp A at once: one suite token (the first
    // fetched it for get_permanent_code), one corp token, through Redis.
    let (one, two) =
        tokio::join!(first_suites.corp_sender(SUITE, CORP_A), second_suites.corp_sender(SUITE, CORP_A));
    assert_eq!(one.unwrap().access_token, two.unwrap().access_token);
    assert_eq!(setup.fake.suite_tokens_issued(), 1);
    assert_eq!(setup.fake.corp_calls("service/get_corp_token", CORP_A), 1);
}
