//! HTTPS in the service itself, with certificates this test makes: served,
//! reloaded on SIGHUP (and on change) without dropping open connections, a
//! bad pair refused at start and ignored at reload.

use std::{path::Path, time::Duration};

use crate::{
    durability::free_port,
    helpers::{API_TOKEN, demo_env, settings_for},
};

/// A fresh self-signed certificate for 127.0.0.1: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let made =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
    (made.cert.pem(), made.signing_key.serialize_pem())
}

/// A client that trusts only `cert_pem`, keeping its connection open.
fn client_trusting(cert_pem: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .tls_certs_only([reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap()])
        .pool_idle_timeout(Duration::from_secs(300))
        .build()
        .unwrap()
}

fn install(dir: &Path, (cert, key): &(String, String)) {
    // Written beside and renamed, as cert tools do, so a reload never reads half a file.
    std::fs::write(dir.join("cert.pem.new"), cert).unwrap();
    std::fs::write(dir.join("key.pem.new"), key).unwrap();
    std::fs::rename(dir.join("key.pem.new"), dir.join("key.pem")).unwrap();
    std::fs::rename(dir.join("cert.pem.new"), dir.join("cert.pem")).unwrap();
}

async fn health(client: &reqwest::Client, base: &str) -> Result<u16, reqwest::Error> {
    Ok(client.get(format!("{base}/health")).send().await?.status().as_u16())
}

#[tokio::test]
async fn https_is_served_and_a_new_certificate_is_taken_on_sighup_without_dropping_connections() {
    let temp = tempfile::tempdir().unwrap();
    let first = certificate();
    install(temp.path(), &first);
    let env_file = temp.path().join("tls.env");
    let mut env: Vec<String> = demo_env().iter().map(|(name, value)| format!("{name}={value}")).collect();
    env.push(format!("PMC_TLS_CERT={}", temp.path().join("cert.pem").display()));
    env.push(format!("PMC_TLS_KEY={}", temp.path().join("key.pem").display()));
    std::fs::write(&env_file, env.join("\n")).unwrap();
    let data_dir = temp.path().join("data");
    std::fs::create_dir_all(&data_dir).unwrap();
    let port = free_port();
    let log = std::fs::File::create(temp.path().join("service.log")).unwrap();
    let mut service = tokio::process::Command::new(env!("CARGO_BIN_EXE_pmc-webhook"))
        .args(["--env-file", env_file.to_str().unwrap(), "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--data-dir", data_dir.to_str().unwrap()])
        .stdout(std::process::Stdio::from(log.try_clone().unwrap()))
        .stderr(std::process::Stdio::from(log))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let base = format!("https://127.0.0.1:{port}");
    let old = client_trusting(&first.0);
    let mut up = false;
    for _ in 0..200 {
        if health(&old, &base).await.is_ok_and(|status| status == 200) {
            up = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(up, "served over HTTPS with the first certificate");
    // Plain HTTP on the TLS port gets no answer.
    let plain = reqwest::Client::new().get(format!("http://127.0.0.1:{port}/health")).send().await;
    assert!(plain.is_err() || plain.unwrap().status() == 400);
    // The management API over HTTPS, on the connection `old` keeps open.
    let status = old.get(format!("{base}/api/v1/status")).bearer_auth(API_TOKEN).send().await.unwrap();
    assert_eq!(status.status(), 200);

    // A broken pair is ignored: the first certificate stays.
    std::fs::write(temp.path().join("key.pem"), "not a key").unwrap();
    let pid = service.id().unwrap().to_string();
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(health(&client_trusting(&first.0), &base).await.unwrap(), 200, "still the first certificate");

    let second = certificate();
    install(temp.path(), &second);
    assert!(std::process::Command::new("kill").args(["-HUP", &pid]).status().unwrap().success());
    let renewed = client_trusting(&second.0);
    let mut reloaded = false;
    for _ in 0..100 {
        if health(&renewed, &base).await.is_ok_and(|status| status == 200) {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(reloaded, "new connections get the second certificate");
    assert!(health(&client_trusting(&first.0), &base).await.is_err(), "and no longer the first");
    // The connection opened before the reload is still served.
    assert_eq!(health(&old, &base).await.unwrap(), 200, "open connections survive the reload");

    assert!(std::process::Command::new("kill").args(["-TERM", &pid]).status().unwrap().success());
    assert!(service.wait().await.unwrap().success());
    let log = std::fs::read_to_string(temp.path().join("service.log")).unwrap();
    assert!(log.contains("TLS reload failed"), "{log}");
    assert!(log.contains("SIGHUP"), "{log}");
}

#[tokio::test]
async fn an_unusable_certificate_stops_the_start_with_a_clear_error() {
    let temp = tempfile::tempdir().unwrap();
    let (cert, _) = certificate();
    let (_, other_key) = certificate();
    std::fs::write(temp.path().join("cert.pem"), cert).unwrap();
    std::fs::write(temp.path().join("key.pem"), other_key).unwrap();
    let cases: [(&str, &str, &str); 3] = [
        ("cert.pem", "missing.pem", "cannot read"),
        ("cert.pem", "key.pem", "unusable certificate/key"),
        ("key.pem", "key.pem", "unusable certificate/key"),
    ];
    for (cert, key, expected) in cases {
        let mut env = demo_env();
        env.push(("PMC_TLS_CERT", temp.path().join(cert).display().to_string()));
        env.push(("PMC_TLS_KEY", temp.path().join(key).display().to_string()));
        let settings = settings_for(&env, &temp.path().join("data")).unwrap();
        let error = match pmc_webhook::startup::Application::build(settings).await {
            Ok(_) => panic!("{cert} + {key} must not start"),
            Err(error) => error.to_string(),
        };
        assert!(error.contains(expected), "{cert} + {key}: {error}");
    }
    let mut only_cert = demo_env();
    only_cert.push(("PMC_TLS_CERT", temp.path().join("cert.pem").display().to_string()));
    let settings = settings_for(&only_cert, &temp.path().join("data")).unwrap();
    let error = pmc_webhook::startup::Application::build(settings).await.err().unwrap().to_string();
    assert!(error.contains("PMC_TLS_KEY"), "{error}");
}
