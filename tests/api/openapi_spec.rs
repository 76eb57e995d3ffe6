//! openapi/openapi.json is generated from the code and committed; this test
//! fails when it drifts. Refresh with:
//!   UPDATE_OPENAPI=1 cargo test --test api openapi

use crate::helpers::spawn_app;

#[tokio::test]
async fn the_committed_openapi_spec_matches_the_code() {
    let app = spawn_app().await;
    let served = app.get_json("/openapi.json").await;
    let rendered = serde_json::to_string_pretty(&served).unwrap() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &rendered).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == rendered,
        "openapi/openapi.json is out of date; run: UPDATE_OPENAPI=1 cargo test --test api openapi"
    );
}
