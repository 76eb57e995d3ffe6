//! Every vector through HTTP: the GET with the vector's `raw_query` exactly as
//! WeCom percent-encodes it, the POST with the vector's body, and the status
//! and body the service answers.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::helpers::{TestApp, settings_for, spawn_app_with, vector_cases};

/// The environment that configures a service for one vector config: the app
/// route when the receiveid is a corp/suite id, the robot route when empty.
pub fn env_for(config: &Value) -> Vec<(&'static str, String)> {
    let token = config["token"].as_str().unwrap().to_owned();
    let key = config["encoding_aes_key"].as_str().unwrap().to_owned();
    let receive_id = config["receive_id"].as_str().unwrap().to_owned();
    let mut env = if receive_id.is_empty() {
        vec![("WECHAT_BOT_TOKEN", token), ("WECHAT_BOT_ENCODING_AES_KEY", key)]
    } else {
        vec![("WECHAT_TOKEN", token), ("WECHAT_ENCODING_AES_KEY", key), ("WECHAT_CORP_ID", receive_id)]
    };
    // The vectors were signed at fixed past times: replay protection (tested
    // in `security`) would refuse them all.
    env.push(("PMC_TIMESTAMP_WINDOW_SECS", "0".to_owned()));
    env.push(("PMC_API_TOKENS", crate::helpers::API_TOKEN.to_owned()));
    env
}

fn path_for(case: &Value) -> &'static str {
    if case["config"]["receive_id"] == "" {
        "/api/v1/webhooks/wechat/bot"
    } else {
        "/api/v1/webhooks/wechat/api"
    }
}

async fn check(app: &TestApp, case: &Value) -> Result<(), String> {
    let id = case["id"].as_str().unwrap();
    let expected = &case["expected"];
    let request = &case["request"];
    let raw_query = request["raw_query"].as_str().unwrap();
    let response = if case["kind"] == "verify_url" {
        app.get(&format!("{}?{raw_query}", path_for(case))).await
    } else {
        app.post(path_for(case), raw_query, request["body"].as_str().unwrap().to_owned()).await
    };
    let status = response.status().as_u16();
    let body = response.text().await.unwrap();
    if expected["ok"] == true {
        // Decrypt-level positives whose payload is not a document are refused
        // at the payload layer (and quarantined).
        if matches!(id, "msg-len-zero" | "sbzhu-json-decrypt-post") {
            let error: Value =
                serde_json::from_str(&body).map_err(|_| format!("{id}: non-JSON error body {body:?}"))?;
            return if status == 400 && error["code"] == -40002 {
                Ok(())
            } else {
                Err(format!("{id}: expected 400/-40002, got {status} {body}"))
            };
        }
        let want = if case["kind"] == "verify_url" {
            expected["http_response_body"].as_str().unwrap()
        } else if id == "suite-ticket" {
            "success"
        } else {
            ""
        };
        return if status == 200 && body == want {
            Ok(())
        } else {
            Err(format!("{id}: expected 200 {want:?}, got {status} {body:?}"))
        };
    }
    let code = expected["error_code"].as_i64().unwrap();
    let error: Value =
        serde_json::from_str(&body).map_err(|_| format!("{id}: non-JSON error body {body:?}"))?;
    let want_status = if matches!(code, -40001 | -40005) { 403 } else { 400 };
    let acceptable = expected["any_rejection_acceptable"] == true
        && (400..500).contains(&status)
        && error["code"].is_i64();
    if (status == want_status && error["code"] == code) || acceptable {
        Ok(())
    } else {
        Err(format!("{id}: expected {want_status}/{code}, got {status} {body}"))
    }
}

async fn run_file(name: &str, expected_count: usize) {
    let cases = vector_cases(name);
    assert_eq!(cases.len(), expected_count);
    let mut by_config: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for case in cases.iter().filter(|case| !case["kind"].as_str().unwrap().starts_with("encrypt_reply")) {
        by_config.entry(case["config"].to_string()).or_default().push(case);
    }
    let mut failures = Vec::new();
    let mut passed = 0;
    for group in by_config.values() {
        let config = &group[0]["config"];
        if config["encoding_aes_key"].as_str().unwrap().len() != 43 {
            // A bad key is a configuration error: the service must refuse to start, naming the key.
            let dir = tempfile::tempdir().unwrap();
            let error = settings_for(&env_for(config), dir.path()).unwrap_err().to_string();
            assert!(error.contains("WECHAT_ENCODING_AES_KEY") && error.contains("43"), "{error}");
            passed += group.len();
            continue;
        }
        let app = spawn_app_with(&env_for(config)).await;
        for case in group {
            match check(&app, case).await {
                Ok(()) => passed += 1,
                Err(failure) => failures.push(failure),
            }
        }
    }
    println!(
        "{name}: {passed} HTTP cases pass ({} reply-encryption cases are checked in protocol_vectors)",
        cases.len() - passed - failures.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

#[tokio::test]
async fn every_official_sample_gets_the_right_http_answer() {
    run_file("official_vectors.json", 7).await;
}

#[tokio::test]
async fn every_generated_case_gets_the_right_http_answer() {
    run_file("generated_vectors.json", 84).await;
}

#[tokio::test]
async fn the_seed_verify_path_is_an_alias_of_the_callback_url() {
    let case = vector_cases("generated_vectors.json")
        .into_iter()
        .find(|case| case["id"] == "verify-corp-plus-slash")
        .unwrap();
    let app = spawn_app_with(&env_for(&case["config"])).await;
    let response = app
        .get(&format!(
            "/api/v1/webhooks/wechat/api/verify?{}",
            case["request"]["raw_query"].as_str().unwrap()
        ))
        .await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/plain; charset=utf-8");
    assert_eq!(response.text().await.unwrap(), case["expected"]["http_response_body"].as_str().unwrap());
}
