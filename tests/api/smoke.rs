//! The artifact smoke: the service *binary* (`PMC_SERVICE_BINARY`, which CI
//! points at the build without dev-dependencies, see `.ci/run`) against TLS
//! endpoints on loopback with a CA the test makes, trusted the way
//! production trusts a private CA — `SSL_CERT_FILE`. Sends (token, app
//! message, card update, recall, robot) reach a fake WeCom over HTTPS; an
//! encrypted callback is forwarded to an HTTPS subscriber; the simulator
//! drives a service served over HTTPS with API tokens; and a CA that does
//! not match fails the send at once, naming the endpoint. Every test here
//! is named `smoke_` so CI can run just these against the artifact.

use std::{
    path::PathBuf,
    process::Stdio,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use poem::{
    EndpointExt, Route, Server, handler,
    http::{HeaderMap, StatusCode},
    listener::{Acceptor, AcceptorExt, Listener, TcpListener},
    web::Data,
};
use serde_json::{Value, json};
use tokio::process::{Child, Command};

use crate::{
    durability::free_port,
    fake_wecom::FakeWeCom,
    helpers::{API_TOKEN, app_text, demo_env},
    test_ca::{TestCa, env_file, service_binary},
};

const SUBSCRIBER_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// A running service binary.
struct Service {
    _child: Child,
    base_url: String,
    client: reqwest::Client,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

impl Service {
    /// Starts the binary with `env` in its env file and `trust` as its
    /// `SSL_CERT_FILE`; served over HTTPS with `serve_tls`'s certificate.
    async fn start(env: &[(&str, String)], trust: &TestCa, serve_tls: Option<&TestCa>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut env = env.to_vec();
        if let Some(ca) = serve_tls {
            env.push(("PMC_TLS_CERT", ca.cert_file().display().to_string()));
            env.push(("PMC_TLS_KEY", ca.key_file().display().to_string()));
        }
        let env_file = env_file(dir.path(), &env);
        let data_dir = dir.path().join("data");
        std::fs::create_dir_all(&data_dir).unwrap();
        let port = free_port();
        let log = dir.path().join("service.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(service_binary())
            .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
            .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
            .env("SSL_CERT_FILE", trust.ca_file())
            .env_remove("SSL_CERT_DIR")
            .stdin(Stdio::null())
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .kill_on_drop(true)
            .spawn()
            .expect("the service binary starts");
        let (scheme, builder) = match serve_tls {
            Some(ca) => (
                "https",
                reqwest::Client::builder()
                    .tls_certs_only([reqwest::Certificate::from_pem(ca.ca_pem.as_bytes()).unwrap()]),
            ),
            None => ("http", reqwest::Client::builder()),
        };
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {API_TOKEN}").parse().unwrap());
        let client = builder.default_headers(headers).build().unwrap();
        let service =
            Self { _child: child, base_url: format!("{scheme}://127.0.0.1:{port}"), client, log, _dir: dir };
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let health = service.client.get(format!("{}/health", service.base_url)).send().await;
            if health.is_ok_and(|response| response.status() == 200) {
                return service;
            }
            assert!(Instant::now() < deadline, "the service did not start; log:\n{}", service.log_text());
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    async fn send(&self, body: Value) {
        let response =
            self.client.post(format!("{}/api/v1/messages", self.base_url)).json(&body).send().await.unwrap();
        assert_eq!(response.status(), 202, "{}", response.text().await.unwrap_or_default());
    }

    /// Polls `path` (deadline 20 s) until `done` holds.
    async fn until(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let response = self.client.get(format!("{}{path}", self.base_url)).send().await.unwrap();
            let last: Value =
                if response.status() == 200 { response.json().await.unwrap() } else { Value::Null };
            if done(&last) {
                return last;
            }
            assert!(
                Instant::now() < deadline,
                "{path} never got there; last: {last}\nlog:\n{}",
                self.log_text()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn wecom_env(fake: &FakeWeCom) -> Vec<(&'static str, String)> {
    let mut env = demo_env();
    env.extend(fake.env());
    env
}

#[tokio::test]
async fn smoke_sends_reach_a_tls_wecom_trusted_through_ssl_cert_file() {
    pmc_webhook::security::install_crypto_provider();
    let ca = TestCa::new("wecom");
    let fake = FakeWeCom::start_tls(&ca).await;
    assert!(fake.url.starts_with("https://"));
    let service = Service::start(&wecom_env(&fake), &ca, None).await;

    // gettoken + message/send over HTTPS.
    service
        .send(json!({"id": "tls-text-1", "channel": "wecom_app", "recipients": ["alice"],
                     "msgtype": "text", "text": {"content": "over TLS"}}))
        .await;
    service.until("/api/v1/messages/tls-text-1/status", |s| s["status"] == "sent").await;
    assert_eq!(fake.tokens_issued(), 1);
    assert_eq!(fake.calls("message/send").len(), 1);

    // A card: sent, then updated and recalled, each over HTTPS.
    let card = json!({"card_type": "button_interaction", "task_id": "task-tls-1",
                      "main_title": {"title": "审批"}, "button_list": [{"text": "同意", "key": "approve"}]});
    service
        .send(json!({"id": "tls-card-1", "channel": "wecom_app", "recipients": ["alice"],
                     "msgtype": "template_card", "template_card": card}))
        .await;
    service.until("/api/v1/messages/tls-card-1/status", |s| s["status"] == "sent").await;
    let updated = service
        .client
        .patch(format!("{}/api/v1/messages/tls-card-1/card", service.base_url))
        .json(&json!({"button": {"replace_name": "已处理"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(updated.status(), 200, "{}", updated.text().await.unwrap());
    assert_eq!(fake.calls("message/update_template_card").len(), 1);
    let recalled = service
        .client
        .post(format!("{}/api/v1/messages/tls-card-1/recall", service.base_url))
        .send()
        .await
        .unwrap();
    assert_eq!(recalled.status(), 200);
    assert_eq!(fake.calls("message/recall").len(), 1);

    // The group robot's webhook over HTTPS.
    service
        .send(json!({"id": "tls-bot-1", "channel": "wecom_bot", "msgtype": "markdown",
                     "markdown": {"content": "## TLS"}}))
        .await;
    service.until("/api/v1/messages/tls-bot-1/status", |s| s["status"] == "sent").await;
    assert_eq!(fake.calls("webhook/send").len(), 1);
}

#[tokio::test]
async fn smoke_a_wrong_ca_fails_the_send_at_once_naming_the_endpoint() {
    pmc_webhook::security::install_crypto_provider();
    let (served, trusted) = (TestCa::new("served"), TestCa::new("someone-else"));
    let fake = FakeWeCom::start_tls(&served).await;
    let service = Service::start(&wecom_env(&fake), &trusted, None).await;
    let started = Instant::now();
    service
        .send(json!({"id": "tls-wrong-ca", "channel": "wecom_app", "recipients": ["alice"],
                     "msgtype": "text", "text": {"content": "x"}}))
        .await;
    service.until("/api/v1/messages/tls-wrong-ca/status", |s| s["status"] == "failed").await;
    // Not retried for minutes: the first try decides (max_attempts is 12).
    assert!(started.elapsed() < Duration::from_secs(10), "took {:?}", started.elapsed());
    let history = service.until("/api/v1/messages/tls-wrong-ca/history", |h| h["history"].is_array()).await;
    let detail =
        history["history"].as_array().unwrap().last().unwrap()["detail"].as_str().unwrap().to_owned();
    assert!(detail.contains(&fake.url), "names the endpoint: {detail}");
    assert!(detail.contains("TLS") && detail.to_lowercase().contains("certificate"), "says why: {detail}");
    let log = service.log_text();
    assert!(log.contains(&fake.url) && log.contains("UnknownIssuer"), "logged with the endpoint:\n{log}");
    assert!(fake.calls("message/send").is_empty() && fake.tokens_issued() == 0);
}

#[derive(Default)]
struct Received {
    events: Vec<Value>,
}

#[handler]
async fn receive(state: Data<&Arc<Mutex<Received>>>, headers: &HeaderMap, body: String) -> StatusCode {
    if standardwebhooks::Webhook::new(SUBSCRIBER_SECRET).unwrap().verify(body.as_bytes(), headers).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    state.0.lock().unwrap().events.push(serde_json::from_str(&body).unwrap());
    StatusCode::OK
}

/// A business system's receiver served over HTTPS with `ca`'s certificate.
async fn https_subscriber(ca: &TestCa) -> (String, Arc<Mutex<Received>>) {
    let state = Arc::new(Mutex::new(Received::default()));
    let app = Route::new().at("/hook", poem::post(receive)).data(Arc::clone(&state));
    let acceptor = TcpListener::bind("127.0.0.1:0").into_acceptor().await.unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let config = ca.rustls_config();
    let acceptor = acceptor
        .rustls(futures::StreamExt::chain(futures::stream::iter([config]), futures::stream::pending()));
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (format!("https://127.0.0.1:{port}/hook"), state)
}

#[tokio::test]
async fn smoke_an_encrypted_callback_is_stored_and_forwarded_to_an_https_subscriber() {
    pmc_webhook::security::install_crypto_provider();
    let ca = TestCa::new("subscriber");
    let (url, received) = https_subscriber(&ca).await;
    let mut env = demo_env();
    // The receiver is on loopback, which forwarding refuses by default (SSRF).
    env.push(("PMC__FORWARDING__ALLOW_PRIVATE_TARGETS", "true".to_owned()));
    env.push(("PMC__FORWARDING__FIRST_RETRY_SECS", "1".to_owned()));
    let service = Service::start(&env, &ca, None).await;
    let subscribed = service
        .client
        .post(format!("{}/api/v1/subscriptions", service.base_url))
        .json(&json!({"url": url, "kinds": ["callback"], "secret": SUBSCRIBER_SECRET}))
        .send()
        .await
        .unwrap();
    assert_eq!(subscribed.status(), 201);
    let (query, body) = app_text(7_700_001, "TLS 转发");
    let answer = service
        .client
        .post(format!("{}/api/v1/webhooks/wechat/api?{query}", service.base_url))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the encrypted callback is stored");
    let deadline = Instant::now() + Duration::from_secs(20);
    while received.lock().unwrap().events.is_empty() {
        assert!(Instant::now() < deadline, "nothing forwarded over HTTPS; log:\n{}", service.log_text());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let event = received.lock().unwrap().events[0].clone();
    assert!(event.to_string().contains("TLS 转发"), "{event}");
}

#[tokio::test]
async fn smoke_the_simulator_drives_a_service_served_over_https_with_tokens() {
    pmc_webhook::security::install_crypto_provider();
    let ca = TestCa::new("service");
    let service = Service::start(&demo_env(), &ca, Some(&ca)).await;
    let dir = tempfile::tempdir().unwrap();
    let env_file = env_file(dir.path(), &demo_env());
    // The simulator trusts the service's CA the same way: SSL_CERT_FILE. The
    // token goes by PMC_API_TOKEN (the simulator's `--token` flag is being
    // added separately; the variable is its documented equivalent).
    let simulated = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(service_binary())
            .args(["--env-file", env_file.to_str().unwrap(), "simulate", "--url", &service.base_url])
            .env("SSL_CERT_FILE", ca.ca_file())
            .env("PMC_API_TOKEN", API_TOKEN)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the simulator finishes within 60 s")
    .unwrap();
    let out =
        String::from_utf8_lossy(&simulated.stdout).into_owned() + &String::from_utf8_lossy(&simulated.stderr);
    assert!(simulated.status.success(), "simulate failed:\n{out}");
    let status = service
        .until("/api/v1/status", |s| s["storage"]["event_log"]["events_total"].as_i64() > Some(0))
        .await;
    assert!(status["storage"]["event_log"]["events_total"].as_i64().unwrap() > 5, "{status}");
}
