//! `spawn_app()` and friends.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::LazyLock,
    time::Duration,
};

use pmc_webhook::{
    configuration::{CliOverrides, Settings, load_from},
    startup::Application,
    wecom::{CallbackCrypto, EncodingAesKey, EnvelopeFormat},
};
use secrecy::SecretString;
use tokio::{sync::oneshot, task::JoinHandle};

/// The generated vectors' app configuration.
pub const CORP_ID: &str = "ww0a1b2c3d4e5f6789";
pub const APP_TOKEN: &str = "Tok3nForV3ctors";
pub const APP_KEY: &str = "pTD5bzLbh2r9V223o61L16+lc3GdqxJZejprMkkVZio";
/// The management API token every test service accepts (read-write).
pub const API_TOKEN: &str = "test-api-token-read-write-0001";
/// A read-only token, also accepted.
pub const READ_ONLY_TOKEN: &str = "test-api-token-read-only-0001";

/// The generated vectors' robot configuration.
pub const BOT_TOKEN: &str = "RobotTok3n";
pub const BOT_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";

static TRACING: LazyLock<()> = LazyLock::new(|| {
    if std::env::var_os("TEST_LOG").is_some() {
        let _ = tracing_subscriber::fmt().with_env_filter("info").with_test_writer().try_init();
    }
});

/// A running service and what a test needs to talk to it.
pub struct TestApp {
    pub base_url: String,
    pub client: reqwest::Client,
    pub data_dir: PathBuf,
    // Keeps the temporary directory alive for the test's duration.
    _temp: Option<tempfile::TempDir>,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<JoinHandle<()>>,
}

/// The environment for the demo channels (both configured).
pub fn demo_env() -> Vec<(&'static str, String)> {
    vec![
        ("WECHAT_CORP_ID", CORP_ID.to_owned()),
        ("WECHAT_TOKEN", APP_TOKEN.to_owned()),
        ("WECHAT_ENCODING_AES_KEY", APP_KEY.to_owned()),
        ("WECHAT_BOT_TOKEN", BOT_TOKEN.to_owned()),
        ("WECHAT_BOT_ENCODING_AES_KEY", BOT_KEY.to_owned()),
        ("PMC_API_TOKENS", format!("rw:{API_TOKEN},ro:{READ_ONLY_TOKEN}")),
    ]
}

/// A client that sends the read-write [`API_TOKEN`] on every request, as a
/// business system would.
pub fn api_client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {API_TOKEN}").parse().unwrap());
    reqwest::Client::builder().default_headers(headers).build().unwrap()
}

/// Settings as the real loader builds them (reading config/notification.yaml),
/// with this environment, on 127.0.0.1:0 and `data_dir`.
pub fn settings_for(
    env: &[(&str, String)],
    data_dir: &Path,
) -> Result<Settings, pmc_webhook::configuration::ConfigError> {
    let environment: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
    load_from(
        &environment,
        &CliOverrides {
            host: Some("127.0.0.1".into()),
            port: Some(0),
            data_dir: Some(data_dir.to_owned()),
            ..CliOverrides::default()
        },
    )
}

/// Starts the service with the demo channels in a fresh data directory.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&demo_env()).await
}

/// Starts the service with this environment in a fresh data directory.
pub async fn spawn_app_with(env: &[(&str, String)]) -> TestApp {
    let temp = tempfile::tempdir().unwrap();
    let data_dir = temp.path().to_owned();
    let mut app = spawn_app_in(env, &data_dir).await;
    app._temp = Some(temp);
    app
}

/// Starts the service on an existing data directory (restarts).
pub async fn spawn_app_in(env: &[(&str, String)], data_dir: &Path) -> TestApp {
    LazyLock::force(&TRACING);
    let settings = settings_for(env, data_dir).expect("valid test settings");
    spawn_with_settings(settings).await
}

/// Starts the service with explicit settings.
pub async fn spawn_with_settings(settings: Settings) -> TestApp {
    spawn_built(Application::build(settings).await.expect("the service starts")).await
}

/// Runs an already built application (e.g. with handlers from the builder).
pub async fn spawn_built(application: Application) -> TestApp {
    let data_dir = application.data_dir().to_owned();
    let base_url = format!("http://127.0.0.1:{}", application.port());
    let (shutdown, stopped) = oneshot::channel::<()>();
    let handle = tokio::spawn(async move {
        application
            .run_until_stopped(async {
                let _ = stopped.await;
            })
            .await
            .expect("clean shutdown");
    });
    TestApp {
        base_url,
        client: api_client(),
        data_dir,
        _temp: None,
        shutdown: Some(shutdown),
        handle: Some(handle),
    }
}

impl TestApp {
    /// Graceful shutdown; waits until the event log and actors are drained.
    pub async fn stop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(handle) = self.handle.take() {
            handle.await.unwrap();
        }
    }

    /// Stops this instance and starts a new one on the same data directory.
    pub async fn restart(mut self, env: &[(&str, String)]) -> TestApp {
        self.stop().await;
        let mut next = spawn_app_in(env, &self.data_dir).await;
        next._temp = self._temp.take();
        next
    }

    /// POSTs a raw body to `path?query` with no Content-Type at all.
    pub async fn post(&self, path: &str, query: &str, body: impl Into<reqwest::Body>) -> reqwest::Response {
        self.client.post(format!("{}{path}?{query}", self.base_url)).body(body).send().await.unwrap()
    }

    /// GETs `path` (with its query) and returns the response.
    pub async fn get(&self, path_and_query: &str) -> reqwest::Response {
        self.client.get(format!("{}{path_and_query}", self.base_url)).send().await.unwrap()
    }

    /// GETs JSON.
    pub async fn get_json(&self, path_and_query: &str) -> serde_json::Value {
        let response = self.get(path_and_query).await;
        assert_eq!(response.status(), 200, "GET {path_and_query}");
        response.json().await.unwrap()
    }

    /// Every stored event (summaries), newest first, following cursors.
    pub async fn all_events(&self) -> Vec<serde_json::Value> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = match &cursor {
                Some(cursor) => format!("/api/v1/events?limit=500&cursor={cursor}"),
                None => "/api/v1/events?limit=500".to_owned(),
            };
            let page = self.get_json(&query).await;
            events.extend(page["events"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return events,
            }
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

/// The demo app channel's crypto.
pub fn app_crypto() -> CallbackCrypto {
    CallbackCrypto::new(SecretString::from(APP_TOKEN), EncodingAesKey::parse(APP_KEY).unwrap(), CORP_ID)
}

/// The demo robot channel's crypto.
pub fn bot_crypto() -> CallbackCrypto {
    CallbackCrypto::new(SecretString::from(BOT_TOKEN), EncodingAesKey::parse(BOT_KEY).unwrap(), "")
}

/// An encrypted app text message with this MsgId: (query, body).
pub fn app_text(msg_id: u64, content: &str) -> (String, String) {
    let plaintext = format!(
        "<xml><ToUserName><![CDATA[{CORP_ID}]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1717401599</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId><AgentID>1000002</AgentID></xml>"
    );
    app_crypto()
        .seal_callback(&plaintext, EnvelopeFormat::Xml, &crate::helpers::now(), "1719203847", &rand::random())
        .unwrap()
}

/// Loads a vector file's cases.
pub fn vector_cases(name: &str) -> Vec<serde_json::Value> {
    let path = format!("{}/tests/fixtures/wecom/{name}", env!("CARGO_MANIFEST_DIR"));
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    file["cases"].as_array().unwrap().clone()
}

/// Waits (at most 15 s) until tracking has compared at least `at_least`
/// callbacks it got in memory with what replay derives from their stored
/// rows (every one, in debug builds), and asserts that none differed.
pub async fn assert_hand_off_agrees_with_replay(base_url: &str, at_least: u64) {
    let sample = |text: &str, result: &str| -> u64 {
        let line = format!("pmc_event_log_handoff_replay_checks_total{{result=\"{result}\"}} ");
        text.lines()
            .find_map(|row| row.strip_prefix(line.as_str()))
            .and_then(|value| value.trim().parse::<f64>().ok())
            .map_or(0, |value| value as u64)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(15);
    loop {
        let text = reqwest::get(format!("{base_url}/metrics")).await.unwrap().text().await.unwrap();
        let (agreed, differed) = (sample(&text, "agreed"), sample(&text, "differed"));
        assert_eq!(differed, 0, "live and replayed signals differ for {differed} callbacks");
        if agreed >= at_least {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "only {agreed} of {at_least} callbacks compared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Now, as WeCom writes a callback's `timestamp` (seconds, as text).
pub fn now() -> String {
    chrono::Utc::now().timestamp().to_string()
}

/// The shipped `config/notification.yaml` without its (empty) `accounts:`
/// list, so a test can append its own.
pub fn shipped_config_without_accounts() -> String {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/config/notification.yaml")).unwrap();
    assert!(shipped.contains("\naccounts: []"), "the shipped file lists no accounts");
    shipped.replacen("\naccounts: []", "", 1)
}

impl TestApp {
    /// Waits until message `id` has `status` (404 while the tracking actors
    /// have not applied its registration yet, milliseconds), failing after
    /// `limit`; its full body.
    pub async fn wait_for_message_status(
        &self,
        id: &str,
        status: &str,
        limit: Duration,
    ) -> serde_json::Value {
        let started = std::time::Instant::now();
        loop {
            let response = self.get(&format!("/api/v1/messages/{id}")).await;
            let body: serde_json::Value = response.json().await.unwrap_or(serde_json::Value::Null);
            if body["status"] == status {
                return body;
            }
            assert!(started.elapsed() < limit, "{id}: not {status} after {limit:?}: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
