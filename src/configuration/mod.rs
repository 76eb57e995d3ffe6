//! Configuration: one typed [`Settings`] tree, loaded once at start.
//!
//! Layers, lowest first: built-in defaults (the `Default` impls here) →
//! `config/notification.yaml` with `${ENV}` interpolation → `.env` →
//! the process environment (the seed's names, plus `PMC__SECTION__KEY`) →
//! CLI flags. See [`load`]. Secrets are [`SecretString`]s: their `Debug`
//! output is redacted, so printing settings never leaks them.

mod accounts;
mod backends;
mod channels;
mod interpolate;
mod load;
mod retention;
mod robot;
mod security;

use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

pub use self::{
    accounts::{AccountKind, AccountSettings, PacingSettings},
    backends::{MongoSettings, MysqlSettings, MysqlTls, RedisSettings, SecretUri, redact_uri},
    channels::{ChannelCredentials, SuiteSettings, WeChatApiSettings, WeChatBotSettings},
    load::{CliOverrides, ConfigError, ENV_OVERRIDES, environment_from, load, load_from, load_with_env_file},
    retention::{Period, RetentionSettings},
    robot::{RobotConnectionMode, RobotReplyMode, RobotSettings},
    security::{SecuritySettings, TlsSettings},
};

/// Everything the service can be configured with.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Name and version shown by `/api/v1/status`.
    pub service: ServiceSettings,
    /// The HTTP listener.
    pub webhook: WebhookSettings,
    /// WeCom channels (seed layout: `channels.wechat_api`, `channels.wechat_bot`):
    /// the `default` app (and suite) and the `default` robot.
    pub channels: ChannelSettings,
    /// More apps, suites and robots, each with its own routes (see [`crate::accounts`]).
    pub accounts: Vec<AccountSettings>,
    /// The local event log.
    pub storage: StorageSettings,
    /// The actor system and its writers.
    pub tracking: TrackingSettings,
    /// Sending through WeCom.
    pub sending: SendingSettings,
    /// Smart robots' answers: streams and `response_url`.
    pub robot: RobotSettings,
    /// 微信客服: pulling its messages.
    pub kf: KfSettings,
    /// Forwarding events to business systems.
    pub forwarding: ForwardingSettings,
    /// Status callbacks from other systems (`POST /api/v1/webhooks/status`).
    pub status_webhook: StatusWebhookSettings,
    /// API tokens, callback guards, TLS.
    pub security: SecuritySettings,
    /// Logging.
    pub log: LogSettings,
    /// MySQL (seed names `MYSQL_*`); read now, used by the production storage.
    pub mysql: MysqlSettings,
    /// Redis (seed names `REDIS_*`); read now, used by the production storage.
    pub redis: RedisSettings,
    /// MongoDB (seed names `MONGODB_*`); read now, used by the production storage.
    pub mongodb: MongoSettings,
}

/// `kf:` in the YAML: 微信客服 messages are pulled with `kf/sync_msg`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KfSettings {
    /// Besides each `kf_msg_or_event` callback, every customer-service
    /// account seen is pulled this often (s), so a lost callback delays
    /// its messages, never loses them.
    pub poll_secs: u64,
}

impl Default for KfSettings {
    fn default() -> Self {
        Self { poll_secs: 60 }
    }
}

/// `service:` in the YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ServiceSettings {
    /// Display name.
    pub name: String,
    /// Display version (defaults to the crate version).
    pub version: String,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self { name: "PMC通知服务".to_owned(), version: env!("CARGO_PKG_VERSION").to_owned() }
    }
}

/// `webhook:` in the YAML: the HTTP listener.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebhookSettings {
    /// Whether to serve HTTP at all.
    pub enabled: bool,
    /// Bind address.
    pub host: String,
    /// Bind port (0 picks a free one).
    pub port: u16,
    /// Largest accepted callback body; WeCom's are a few KB.
    pub max_body_bytes: usize,
    /// How long in-flight requests may take to finish on shutdown.
    pub shutdown_timeout_secs: u64,
    /// Longest a request may take, body upload included: a client trickling
    /// its body (slowloris) gets 408 and its connection back.
    pub request_timeout_secs: u64,
    /// Keep-alive connections with no traffic for this long are closed.
    pub idle_timeout_secs: u64,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            host: "0.0.0.0".to_owned(),
            port: 8080,
            max_body_bytes: 1024 * 1024,
            shutdown_timeout_secs: 10,
            request_timeout_secs: 30,
            idle_timeout_secs: 75,
        }
    }
}

/// `channels:` in the YAML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChannelSettings {
    /// The self-built app (and optional third-party suite) callback channel.
    pub wechat_api: WeChatApiSettings,
    /// The robot callback channel.
    pub wechat_bot: WeChatBotSettings,
}

/// `storage:` in the YAML: the local event log.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct StorageSettings {
    /// `embedded` (SQLite only) or `external` (MySQL, and Redis/MongoDB when
    /// configured) — `PMC_STORAGE`. The local event log is the
    /// acknowledgement point in both.
    pub mode: StorageMode,
    /// Where the SQLite event log lives (`PMC_DATA_DIR`).
    pub data_dir: PathBuf,
    /// A repeated dedupe key within this window is a retry (seconds).
    pub dedupe_window_secs: u64,
    /// Most callbacks committed in one transaction.
    pub group_commit_max_batch: usize,
    /// How long the writer waits for more callbacks to join a batch (µs).
    /// 0 (the default): no timer — a batch is whatever arrived during the
    /// previous commit's fsync, so a lone callback never waits for company.
    pub group_commit_max_wait_micros: u64,
    /// `full` (fsync every commit: survives power loss) or `normal`
    /// (survives a process crash, not a power loss).
    pub sqlite_synchronous: SqliteSynchronous,
    /// How long stored data is kept.
    pub retention: RetentionSettings,
    /// Below this much free space on the data directory's filesystem
    /// `/health` is `degraded`; below half of it callbacks are answered 503
    /// (WeCom retries) instead of risking a torn write (bytes, default 1 GiB;
    /// 0 turns the check off).
    pub min_free_bytes: u64,
}

impl Default for StorageSettings {
    fn default() -> Self {
        Self {
            mode: StorageMode::Embedded,
            data_dir: PathBuf::from("data"),
            dedupe_window_secs: 24 * 3600,
            group_commit_max_batch: 512,
            group_commit_max_wait_micros: 0,
            sqlite_synchronous: SqliteSynchronous::Full,
            retention: RetentionSettings::default(),
            min_free_bytes: 1 << 30,
        }
    }
}

/// `tracking:` in the YAML: the actor system.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TrackingSettings {
    /// A message actor idle this long is passivated (seconds).
    pub idle_timeout_secs: u64,
    /// At most this many message actors live at once (about 9 KB each).
    pub max_live_actors: usize,
    /// Actors that store interactions and run handlers.
    pub callback_actors: usize,
    /// The writer writes as soon as this many rows wait.
    pub writer_max_rows: usize,
    /// The writer writes rows at most this long after they arrive (ms).
    pub writer_max_delay_ms: u64,
    /// At shutdown, how long feeding and draining the actors may take each
    /// (s); what is left is replayed at the next start.
    pub shutdown_drain_secs: u64,
    /// Worker threads of the background runtime (tracking, forwarding,
    /// sending, raw log), apart from the threads that acknowledge.
    pub background_threads: usize,
    /// How much lower the background threads' scheduling priority is
    /// (`nice` steps, 0–19; 0 keeps them equal), so that acknowledging gets
    /// the cores first under load.
    pub background_nice: i32,
}

impl Default for TrackingSettings {
    fn default() -> Self {
        Self {
            idle_timeout_secs: 300,
            max_live_actors: 10_000,
            callback_actors: 4,
            writer_max_rows: 1000,
            writer_max_delay_ms: 20,
            shutdown_drain_secs: 60,
            background_threads: 2,
            background_nice: 10,
        }
    }
}

/// `sending:` in the YAML: the send queue.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SendingSettings {
    /// After WeCom's 45009 (frequency limit), wait this long (s; its
    /// per-minute limits reset after 60 s).
    pub rate_limited_backoff_secs: u64,
    /// The first retry after an error worth retrying (-1, 45033, no answer,
    /// 5xx) waits this long (s), doubling up to 5 minutes.
    pub first_retry_secs: u64,
    /// Tries before a send is given up as failed.
    pub max_attempts: i32,
    /// A mass send to customers (`wecom_external`) asks WeCom for each
    /// customer's outcome this often (s) …
    pub external_poll_secs: u64,
    /// … until every customer has one, or this long (s) has passed: a
    /// customer whose member has not sent it by then is failed.
    pub external_watch_secs: u64,
}

impl Default for SendingSettings {
    fn default() -> Self {
        Self {
            rate_limited_backoff_secs: 60,
            first_retry_secs: 2,
            max_attempts: 12,
            external_poll_secs: 300,
            external_watch_secs: 3 * 24 * 3600,
        }
    }
}

/// `forwarding:` in the YAML: pushing events to business systems.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct ForwardingSettings {
    /// Allow subscriptions to private and loopback addresses (refused by
    /// default, against SSRF).
    pub allow_private_targets: bool,
    /// Host names allowed whatever they resolve to.
    pub allowed_hosts: Vec<String>,
    /// The first retry waits this long (s); each next one 4× longer (with
    /// ±20 % jitter), at most 8 h.
    pub first_retry_secs: u64,
    /// Tries before a delivery is moved to the dead letters.
    pub max_attempts: i32,
    /// Subscriptions kept in the configuration (read-only through the API).
    pub subscriptions: Vec<ConfiguredSubscription>,
}

impl Default for ForwardingSettings {
    fn default() -> Self {
        Self {
            allow_private_targets: false,
            allowed_hosts: Vec::new(),
            first_retry_secs: 5,
            max_attempts: 10,
            subscriptions: Vec::new(),
        }
    }
}

/// A subscription in the configuration.
#[derive(Debug, Clone, Deserialize)]
pub struct ConfiguredSubscription {
    /// Its id.
    pub id: String,
    /// Where to POST.
    pub url: String,
    /// `status`, `interaction`, `member`, `callback`.
    pub kinds: Vec<String>,
    /// Only these accounts' events (ids as in `accounts:`, `default` for the
    /// seed's app and robot); absent or empty: every account's.
    #[serde(default)]
    pub accounts: Vec<String>,
    /// Standard Webhooks secret (`whsec_…`).
    pub secret: SecretString,
}

/// `status_webhook:` in the YAML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusWebhookSettings {
    /// The Standard Webhooks secret, `whsec_…` (`STATUS_WEBHOOK_SECRET`).
    /// Without it the route answers 503.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub secret: Option<SecretString>,
    /// The secret being rotated out (`STATUS_WEBHOOK_PREVIOUS_SECRET`): still
    /// accepted until `previous_secret_expires_at`, so senders can switch
    /// one by one.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub previous_secret: Option<SecretString>,
    /// When the previous secret stops being accepted (RFC 3339;
    /// `STATUS_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT`). Required with it.
    pub previous_secret_expires_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Where tracking data lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageMode {
    /// SQLite files in the data directory; nothing else needed.
    Embedded,
    /// MySQL (required) for tracking, shared by replicas.
    External,
}

impl StorageMode {
    /// `embedded` or `external`.
    pub fn as_str(self) -> &'static str {
        match self {
            StorageMode::Embedded => "embedded",
            StorageMode::External => "external",
        }
    }
}

/// SQLite's `synchronous` pragma for the event log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SqliteSynchronous {
    /// fsync the WAL at every commit.
    Full,
    /// fsync only at checkpoints.
    Normal,
}

/// `log:` in the YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct LogSettings {
    /// A tracing filter: `info`, `debug`, `pmc_webhook=debug,info`, …
    pub level: String,
    /// `text` (human) or `json`.
    pub format: LogFormat,
    /// Also write to this file, rotated daily (`LOG_FILE`, e.g. the seed's
    /// `logs/webhook_service.log`); standard output always gets the log.
    pub file: Option<std::path::PathBuf>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self { level: "info".to_owned(), format: LogFormat::Text, file: None }
    }
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable.
    Text,
    /// One JSON object per line.
    Json,
}

/// `${WECHAT_TOKEN}` of an unset variable interpolates to an empty string:
/// that means "not configured", not "configured as empty".
pub(crate) fn empty_as_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<String>::deserialize(deserializer)?;
    Ok(value.filter(|text| !text.trim().is_empty()))
}

/// Like [`empty_as_none`], for secrets.
pub(crate) fn secret_empty_as_none<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(empty_as_none(deserializer)?.map(SecretString::from))
}

impl StatusWebhookSettings {
    /// The verifier of the current secret, and of the previous one with its
    /// expiry while rotating; `None` when no secret is configured.
    pub fn verifiers(&self) -> Result<Option<crate::webhooks::status::StatusVerifiers>, ConfigError> {
        let parse = |secret: &SecretString, key: &'static str, env: &'static str| {
            standardwebhooks::Webhook::new(secret.expose_secret()).map_err(|_| ConfigError::Invalid {
                key,
                env,
                reason: "must be whsec_ followed by base64".to_owned(),
            })
        };
        let Some(current) = &self.secret else { return Ok(None) };
        let current = parse(current, "status_webhook.secret", "STATUS_WEBHOOK_SECRET")?;
        let previous = match (&self.previous_secret, self.previous_secret_expires_at) {
            (None, _) => None,
            (Some(previous), Some(expires_at)) => Some((
                parse(previous, "status_webhook.previous_secret", "STATUS_WEBHOOK_PREVIOUS_SECRET")?,
                expires_at,
            )),
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    key: "status_webhook.previous_secret_expires_at",
                    env: "STATUS_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT",
                    reason: "a previous secret needs the time it stops being accepted (RFC 3339)".to_owned(),
                });
            }
        };
        Ok(Some(crate::webhooks::status::StatusVerifiers { current, previous }))
    }
}
