//! openapi/openapi.json and openapi.yaml are generated from the code and
//! committed; this test fails when they drift. Refresh with:
//!   UPDATE_OPENAPI=1 cargo test --test api openapi

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_committed_openapi_spec_matches_the_code() {
    let app = spawn_app().await;
    let served = app.get_json("/openapi.json").await;
    let rendered = serde_json::to_string_pretty(&served).unwrap() + "\n";
    matches_or_update("openapi.json", &rendered);
}

/// Fails when `openapi/{file}` differs from `rendered`; rewrites it instead
/// with `UPDATE_OPENAPI` set.
fn matches_or_update(file: &str, rendered: &str) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi").join(file);
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(&path, rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "openapi/{file} is out of date; run: UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}

#[tokio::test]
async fn the_committed_yaml_spec_matches_the_code() {
    let app = spawn_app().await;
    let response = app.get("/openapi.yaml").await;
    assert_eq!(response.status(), 200);
    let rendered = response.text().await.unwrap();
    matches_or_update("openapi.yaml", &rendered);
}
