//! Real MariaDB, Redis and MongoDB-compatible servers for the tests, as
//! started by `tests/backends/test.sh` (the README's test command), which
//! names their addresses in `PMC_TEST_BACKENDS`. Run with plain
//! `cargo test`, these tests say they are skipped — unless `CI` is set, where
//! a missing server is a failure.

use std::{collections::HashMap, path::PathBuf, process::Command};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

/// The servers' settings, as the seed's variable names.
#[derive(Debug, Clone)]
pub struct Backends {
    pub env: HashMap<String, String>,
}

/// The shared servers, or `None` (skip) outside the test command.
pub fn shared() -> Option<Backends> {
    let Some(path) = std::env::var_os("PMC_TEST_BACKENDS") else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI is set but PMC_TEST_BACKENDS is not: run the suite with tests/backends/test.sh"
        );
        eprintln!("skipped: no test backends (run tests/backends/test.sh for the MySQL/Redis/MongoDB tests)");
        return None;
    };
    Some(Backends { env: read_env_file(&PathBuf::from(path)) })
}

/// `export A=1 B=2` lines into a map.
fn read_env_file(path: &std::path::Path) -> HashMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.split_whitespace()
        .filter(|word| *word != "export")
        .filter_map(|pair| pair.split_once('='))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect()
}

impl Backends {
    fn get(&self, name: &str) -> String {
        self.env.get(name).cloned().unwrap_or_else(|| panic!("{name} missing from the backends env"))
    }

    /// The service environment of the shared Redis.
    pub fn redis_env(&self) -> Vec<(&'static str, String)> {
        ["REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD"]
            .into_iter()
            .map(|name| (name, self.get(name)))
            .collect()
    }

    /// The server URL without a database.
    pub fn mysql_server_url(&self) -> String {
        format!(
            "mysql://{}:{}@{}:{}",
            self.get("MYSQL_USER"),
            self.get("MYSQL_PASSWORD"),
            self.get("MYSQL_HOST"),
            self.get("MYSQL_PORT")
        )
    }

    /// Creates a fresh database for one test (with the server's default
    /// character set, latin1 on MariaDB, as a user's might be) and returns the service
    /// environment pointing at it (external mode), and a connection to it.
    pub async fn fresh_mysql(&self, prefix: &str) -> (Vec<(&'static str, String)>, DatabaseConnection) {
        let name = format!("{prefix}_{}", hex::encode(rand::random::<[u8; 4]>()));
        let server = Database::connect(self.mysql_server_url()).await.expect("MariaDB is reachable");
        server.execute_unprepared(&format!("CREATE DATABASE `{name}`")).await.unwrap();
        let database = Database::connect(format!("{}/{name}", self.mysql_server_url())).await.unwrap();
        let env = vec![
            ("PMC_STORAGE", "external".to_owned()),
            ("MYSQL_HOST", self.get("MYSQL_HOST")),
            ("MYSQL_PORT", self.get("MYSQL_PORT")),
            ("MYSQL_USER", self.get("MYSQL_USER")),
            ("MYSQL_PASSWORD", self.get("MYSQL_PASSWORD")),
            ("MYSQL_DATABASE", name),
        ];
        (env, database)
    }
}

/// A private set of servers (its own directory and ports), for tests that
/// stop and start them: the shared ones must stay up for the other tests.
pub struct PrivateBackends {
    pub dir: tempfile::TempDir,
    pub backends: Backends,
}

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/backends").join(name)
}

impl PrivateBackends {
    /// Starts MariaDB, Redis and MongoDB on the given ports.
    pub fn start(mysql_port: u16, redis_port: u16, mongo_port: u16) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new(script("up.sh"))
            .arg(dir.path())
            .args([mysql_port.to_string(), redis_port.to_string(), mongo_port.to_string()])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "up.sh failed");
        let backends = Backends { env: read_env_file(&dir.path().join("env")) };
        Self { dir, backends }
    }

    /// Stops one server (`mysql`, `redis` or `mongo`): an outage.
    pub fn stop(&self, server: &str) {
        let status = Command::new(script("down.sh")).arg(self.dir.path()).arg(server).status().unwrap();
        assert!(status.success(), "down.sh failed");
    }

    /// Starts again whatever is stopped, on its old data.
    pub fn restart(&self) {
        let env = &self.backends.env;
        let status = Command::new(script("up.sh"))
            .arg(self.dir.path())
            .args([&env["MYSQL_PORT"], &env["REDIS_PORT"], &env["MONGODB_PORT"]])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "up.sh (restart) failed");
    }
}

impl Drop for PrivateBackends {
    fn drop(&mut self) {
        let _ = Command::new(script("down.sh")).arg(self.dir.path()).status();
    }
}

/// A 3-master Redis Cluster on loopback (no replicas), for the cache.
pub struct RedisCluster {
    dir: tempfile::TempDir,
    children: Vec<std::process::Child>,
    pub ports: [u16; 3],
}

impl RedisCluster {
    /// Starts three cluster-enabled servers and joins them.
    pub fn start(ports: [u16; 3]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let children = ports
            .iter()
            .map(|port| {
                let node_dir = dir.path().join(port.to_string());
                std::fs::create_dir_all(&node_dir).unwrap();
                Command::new("redis-server")
                    .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--cluster-enabled", "yes"])
                    .args(["--cluster-config-file", "nodes.conf", "--save", "", "--appendonly", "no"])
                    .arg("--dir")
                    .arg(&node_dir)
                    .stdout(std::process::Stdio::null())
                    .spawn()
                    .expect("redis-server starts")
            })
            .collect();
        let cluster = Self { dir, children, ports };
        for port in ports {
            cluster.wait(|| cli(port, &["ping"]).is_some_and(|out| out.contains("PONG")));
        }
        let nodes: Vec<String> = ports.iter().map(|port| format!("127.0.0.1:{port}")).collect();
        let created = Command::new("redis-cli")
            .args(["--cluster", "create"])
            .args(&nodes)
            .args(["--cluster-replicas", "0", "--cluster-yes"])
            .output()
            .unwrap();
        assert!(created.status.success(), "cluster create: {}", String::from_utf8_lossy(&created.stdout));
        cluster
            .wait(|| cli(ports[0], &["cluster", "info"]).is_some_and(|out| out.contains("cluster_state:ok")));
        cluster
    }

    /// The URL the service is given.
    pub fn url(&self) -> String {
        let [first, second, third] = self.ports;
        format!("redis-cluster://127.0.0.1:{first}?node=127.0.0.1:{second}&node=127.0.0.1:{third}")
    }

    fn wait(&self, ready: impl Fn() -> bool) {
        for _ in 0..100 {
            if ready() {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("the Redis Cluster in {} did not become ready", self.dir.path().display());
    }
}

fn cli(port: u16, args: &[&str]) -> Option<String> {
    let output = Command::new("redis-cli").args(["-p", &port.to_string()]).args(args).output().ok()?;
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

impl Drop for RedisCluster {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
