//! MariaDB, Redis and the MongoDB-compatible server over TLS, on loopback,
//! with certificates from a CA the test makes, each started privately here
//! (the shared servers speak plain TCP). The service binary reaches them as
//! a managed deployment would: MySQL with `verify_ca` and `MYSQL_SSL_CA`
//! for a user that `REQUIRE SSL`s, Redis on `rediss://` only (its plain
//! port is closed) trusting `SSL_CERT_FILE`, MongoDB through `MONGODB_URI`
//! with a user, a password, `authSource`, `tls=true` and `tlsCAFile`. With
//! the wrong CA, each backend is reported unhealthy with an error naming
//! its endpoint.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{
    backends::shared,
    durability::free_port,
    helpers::{API_TOKEN, demo_env},
    test_ca::{TestCa, env_file, service_binary},
};

/// Private TLS servers; killed when dropped.
struct TlsServers {
    children: Vec<Child>,
    mysql_port: u16,
    redis_port: u16,
    mongo_port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for TlsServers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Runs `ready` every 100 ms until it holds, for at most `secs`.
fn wait(what: &str, secs: u64, ready: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !ready() {
        assert!(Instant::now() < deadline, "{what} not ready in {secs} s");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn quiet(command: &mut Command) -> bool {
    command.stdout(Stdio::null()).stderr(Stdio::null()).status().is_ok_and(|status| status.success())
}

fn spawn(command: &mut Command, log: &Path) -> Child {
    let log = std::fs::File::create(log).unwrap();
    command.stdout(Stdio::from(log.try_clone().unwrap())).stderr(Stdio::from(log)).spawn().unwrap()
}

impl TlsServers {
    /// MariaDB, Redis and SecantusDB serving `ca`'s server certificate, on
    /// ports below the ephemeral range (see tests/backends/up.sh).
    async fn start(ca: &TestCa, ports: (u16, u16, u16)) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        let (mysql_port, redis_port, mongo_port) = ports;
        let mut servers = Self {
            children: Vec::new(),
            mysql_port,
            redis_port,
            mongo_port,
            _dir: tempfile::tempdir().unwrap(),
        };
        // MariaDB with TLS, and a user that must use it.
        let data = d.join("mysql");
        assert!(quiet(
            Command::new("mariadb-install-db")
                .args([
                    "--no-defaults",
                    "--user=root",
                    "--skip-test-db",
                    "--auth-root-authentication-method=socket"
                ])
                .arg(format!("--datadir={}", data.display()))
        ));
        let socket = d.join("mysqld.sock");
        servers.children.push(spawn(
            Command::new("mariadbd")
                .args(["--no-defaults", "--user=root", "--bind-address=127.0.0.1", "--skip-name-resolve"])
                .args(["--innodb-buffer-pool-size=32M", &format!("--port={mysql_port}")])
                .arg(format!("--datadir={}", data.display()))
                .arg(format!("--socket={}", socket.display()))
                .arg(format!("--pid-file={}", d.join("mysqld.pid").display()))
                .arg(format!("--ssl-cert={}", ca.cert_file().display()))
                .arg(format!("--ssl-key={}", ca.key_file().display()))
                .arg(format!("--ssl-ca={}", ca.ca_file().display())),
            &d.join("mysqld.log"),
        ));
        let socket_arg = format!("--socket={}", socket.display());
        wait("MariaDB", 30, || {
            quiet(Command::new("mariadb-admin").args([socket_arg.as_str(), "-uroot", "ping"]))
        });
        assert!(quiet(Command::new("mariadb").args([socket_arg.as_str(), "-uroot", "-e"]).arg(
            "CREATE DATABASE pmc_tls; CREATE USER 'tls_user'@'127.0.0.1' IDENTIFIED BY 'tls_pw' REQUIRE SSL; \
             GRANT ALL PRIVILEGES ON *.* TO 'tls_user'@'127.0.0.1';"
        )));
        // Redis on its TLS port only.
        servers.children.push(spawn(
            Command::new("redis-server")
                .args(["--port", "0", "--tls-port", &redis_port.to_string(), "--bind", "127.0.0.1"])
                .arg("--tls-cert-file")
                .arg(ca.cert_file())
                .arg("--tls-key-file")
                .arg(ca.key_file())
                .arg("--tls-ca-cert-file")
                .arg(ca.ca_file())
                .args([
                    "--tls-auth-clients",
                    "no",
                    "--requirepass",
                    "redis_tls_pw",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                ])
                .arg("--dir")
                .arg(d),
            &d.join("redis.log"),
        ));
        wait("Redis", 30, || std::net::TcpStream::connect(("127.0.0.1", redis_port)).is_ok());
        // SecantusDB: a user made first, then restarted with auth and TLS.
        let secantus = std::env::var("SECANTUS_VENV")
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|_| {
                std::path::PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/pmc-test-venv")
            })
            .join("bin/secantusd-py");
        let storage = d.join("mongo");
        let mongo = |extra: &[String]| {
            let mut command = Command::new(&secantus);
            command
                .args(["--host", "127.0.0.1", "--port", &mongo_port.to_string(), "--log-level", "WARNING"])
                .arg("--storage-path")
                .arg(&storage)
                .args(extra);
            spawn(&mut command, &d.join("mongo.log"))
        };
        let mut plain = mongo(&[]);
        wait("SecantusDB", 60, || std::net::TcpStream::connect(("127.0.0.1", mongo_port)).is_ok());
        let client =
            mongodb::Client::with_uri_str(format!("mongodb://127.0.0.1:{mongo_port}/")).await.unwrap();
        client
            .database("admin")
            .run_command(mongodb::bson::doc! {"createUser": "pmc_raw", "pwd": "raw_pw",
            "roles": [{"role": "root", "db": "admin"}]})
            .await
            .expect("SecantusDB creates a user");
        drop(client);
        // SIGTERM, so that it writes the user down before stopping.
        assert!(quiet(Command::new("kill").args(["-TERM", &plain.id().to_string()])));
        let _ = plain.wait();
        servers.children.push(mongo(&[
            "--auth".to_owned(),
            "--tls-cert-file".to_owned(),
            ca.cert_file().display().to_string(),
            "--tls-key-file".to_owned(),
            ca.key_file().display().to_string(),
        ]));
        wait("SecantusDB with TLS", 60, || std::net::TcpStream::connect(("127.0.0.1", mongo_port)).is_ok());
        servers._dir = dir;
        servers
    }

    /// The service environment for these servers, trusting `ca`.
    fn env(&self, ca: &TestCa) -> Vec<(&'static str, String)> {
        let mut env = demo_env();
        env.extend([
            ("PMC_STORAGE", "external".to_owned()),
            ("MYSQL_HOST", "127.0.0.1".to_owned()),
            ("MYSQL_PORT", self.mysql_port.to_string()),
            ("MYSQL_USER", "tls_user".to_owned()),
            ("MYSQL_PASSWORD", "tls_pw".to_owned()),
            ("MYSQL_DATABASE", "pmc_tls".to_owned()),
            ("MYSQL_SSL_MODE", "verify_ca".to_owned()),
            ("MYSQL_SSL_CA", ca.ca_file().display().to_string()),
            ("REDIS_HOST", "127.0.0.1".to_owned()),
            ("REDIS_PORT", self.redis_port.to_string()),
            ("REDIS_PASSWORD", "redis_tls_pw".to_owned()),
            ("REDIS_TLS", "true".to_owned()),
            (
                "MONGODB_URI",
                format!(
                    "mongodb://pmc_raw:raw_pw@127.0.0.1:{}/tls_logs?authSource=admin&authMechanism=SCRAM-SHA-256&tls=true&tlsCAFile={}",
                    self.mongo_port,
                    ca.ca_file().display()
                ),
            ),
        ]);
        env
    }
}

/// Starts the binary with `env`, trusting `trust` through SSL_CERT_FILE;
/// returns it, its URL and its log file.
async fn service(
    env: &[(&str, String)],
    trust: &TestCa,
    dir: &Path,
) -> (tokio::process::Child, String, std::path::PathBuf) {
    let port = free_port();
    let log = dir.join("service.log");
    let out = std::fs::File::create(&log).unwrap();
    let data = dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let child = tokio::process::Command::new(service_binary())
        .args(["--env-file", env_file(dir, env).to_str().unwrap(), "--host", "127.0.0.1"])
        .args(["--port", &port.to_string(), "--data-dir", data.to_str().unwrap()])
        .env("SSL_CERT_FILE", trust.ca_file())
        .stdout(Stdio::from(out.try_clone().unwrap()))
        .stderr(Stdio::from(out))
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    (child, format!("http://127.0.0.1:{port}"), log)
}

/// Polls `/api/v1/status` (deadline 30 s) until `done` holds for the backends by name.
async fn status_until(base: &str, log: &Path, done: impl Fn(&dyn Fn(&str) -> Value) -> bool) -> Value {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let status: Value =
            match client.get(format!("{base}/api/v1/status")).bearer_auth(API_TOKEN).send().await {
                Ok(response) if response.status() == 200 => response.json().await.unwrap(),
                _ => Value::Null,
            };
        let backend = |name: &str| {
            status["storage"]["backends"]
                .as_array()
                .and_then(|all| all.iter().find(|backend| backend["name"] == name).cloned())
                .unwrap_or(Value::Null)
        };
        if done(&backend) {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "status never got there: {status}\nlog:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn mysql_redis_and_mongodb_over_tls_with_the_test_ca_and_a_wrong_ca_named_in_the_status() {
    if shared().is_none() {
        return;
    }
    pmc_webhook::security::install_crypto_provider();
    let ca = TestCa::new("backends");
    let servers = TlsServers::start(&ca, (23461, 26461, 27261)).await;
    let dir = tempfile::tempdir().unwrap();
    let (_service, base, log) = service(&servers.env(&ca), &ca, dir.path()).await;
    let status = status_until(&base, &log, |backend| {
        backend("tracking")["healthy"] == true
            && backend("redis")["healthy"] == true
            && backend("mongodb")["healthy"] == true
    })
    .await;
    let text = status.to_string();
    assert!(!text.contains("tls_pw") && !text.contains("raw_pw"), "no password in the status: {text}");
    let log_text = std::fs::read_to_string(&log).unwrap();
    assert!(
        !log_text.contains("tls_pw") && !log_text.contains("raw_pw") && !log_text.contains("redis_tls_pw")
    );
    assert!(log_text.contains("pmc_raw:***@127.0.0.1"), "the endpoint is logged, redacted:\n{log_text}");

    // The same servers, trusting another CA: each one unhealthy, its endpoint and the reason shown.
    let other = TestCa::new("not-the-servers");
    let mut env = servers.env(&other);
    env.retain(|(name, _)| *name != "MYSQL_SSL_CA");
    env.push(("MYSQL_SSL_CA", other.ca_file().display().to_string()));
    let wrong_dir = tempfile::tempdir().unwrap();
    let (_wrong, wrong_base, wrong_log) = service(&env, &other, wrong_dir.path()).await;
    let status = status_until(&wrong_base, &wrong_log, |backend| {
        backend("tracking")["healthy"] == false
            && backend("redis")["healthy"] == false
            && backend("mongodb")["healthy"] == false
            && backend("mongodb")["detail"].as_str().is_some_and(|detail| detail.contains("last error"))
    })
    .await;
    let backend = |name: &str| {
        status["storage"]["backends"].as_array().unwrap().iter().find(|b| b["name"] == name).unwrap()["detail"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let mysql = backend("tracking");
    assert!(
        mysql.contains(&format!("127.0.0.1:{}", servers.mysql_port)) && mysql.contains("UnknownIssuer"),
        "{mysql}"
    );
    let mongo = backend("mongodb");
    assert!(mongo.contains(&format!("pmc_raw:***@127.0.0.1:{}", servers.mongo_port)), "{mongo}");
    let health: Value = reqwest::get(format!("{wrong_base}/health")).await.unwrap().json().await.unwrap();
    assert_eq!(health["status"], "degraded", "{health}");
    let wrong_log_text = std::fs::read_to_string(&wrong_log).unwrap();
    assert!(
        wrong_log_text.contains("Redis connection failed")
            && wrong_log_text.contains(&format!("127.0.0.1:{}", servers.redis_port)),
        "Redis's failure is logged with its endpoint:\n{wrong_log_text}"
    );
}
