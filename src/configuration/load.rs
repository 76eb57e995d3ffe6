//! Building [`Settings`] from its layers.

use std::{
    collections::HashMap,
    io,
    path::{Path, PathBuf},
};

use config::{Config, File, FileFormat};

use super::{Settings, interpolate::interpolate};

/// Flags given on the command line: the top layer.
#[derive(Debug, Clone, Default)]
pub struct CliOverrides {
    /// `--config FILE` (else `PMC_CONFIG`, else `config/notification.yaml` if present).
    pub config_file: Option<PathBuf>,
    /// `--host`.
    pub host: Option<String>,
    /// `--port`.
    pub port: Option<u16>,
    /// `--data-dir`.
    pub data_dir: Option<PathBuf>,
    /// `--log-level`.
    pub log_level: Option<String>,
}

/// Environment variables (the seed's names and ours) and the setting each sets.
pub const ENV_OVERRIDES: &[(&str, &str)] = &[
    ("WECHAT_CORP_ID", "channels.wechat_api.corp_id"),
    ("WECHAT_CORP_SECRET", "channels.wechat_api.secret"),
    ("WECHAT_AGENT_ID", "channels.wechat_api.agent_id"),
    ("WECHAT_BASE_URL", "channels.wechat_api.base_url"),
    ("WECHAT_TOKEN", "channels.wechat_api.token"),
    ("WECHAT_ENCODING_AES_KEY", "channels.wechat_api.encoding_aes_key"),
    ("WECHAT_BOT_WEBHOOK_URL", "channels.wechat_bot.webhook_url"),
    ("WECHAT_BOT_SECRET", "channels.wechat_bot.secret"),
    ("WECHAT_BOT_TOKEN", "channels.wechat_bot.token"),
    ("WECHAT_BOT_ENCODING_AES_KEY", "channels.wechat_bot.encoding_aes_key"),
    ("WECHAT_BOT_REPLY", "channels.wechat_bot.reply"),
    ("WECHAT_BOT_WS_URL", "channels.wechat_bot.ws_url"),
    ("WECHAT_BOT_THINKING_TEXT", "channels.wechat_bot.thinking_text"),
    ("MYSQL_HOST", "mysql.host"),
    ("MYSQL_PORT", "mysql.port"),
    ("MYSQL_USER", "mysql.user"),
    ("MYSQL_PASSWORD", "mysql.password"),
    ("MYSQL_DATABASE", "mysql.database"),
    ("MYSQL_SSL_MODE", "mysql.tls"),
    ("MYSQL_SSL_CA", "mysql.ssl_ca"),
    ("MONGODB_URI", "mongodb.uri"),
    ("MONGODB_HOST", "mongodb.host"),
    ("MONGODB_PORT", "mongodb.port"),
    ("MONGODB_USER", "mongodb.user"),
    ("MONGODB_PASSWORD", "mongodb.password"),
    ("MONGODB_DATABASE", "mongodb.database"),
    ("MONGODB_RETENTION_DAYS", "mongodb.retention_days"),
    ("REDIS_HOST", "redis.host"),
    ("REDIS_PORT", "redis.port"),
    ("REDIS_PASSWORD", "redis.password"),
    ("REDIS_URL", "redis.url"),
    ("REDIS_TLS", "redis.tls"),
    ("LOG_LEVEL", "log.level"),
    ("LOG_FORMAT", "log.format"),
    ("LOG_FILE", "log.file"),
    ("PMC_DATA_DIR", "storage.data_dir"),
    ("PMC_STORAGE", "storage.mode"),
    ("STATUS_WEBHOOK_SECRET", "status_webhook.secret"),
    ("STATUS_WEBHOOK_PREVIOUS_SECRET", "status_webhook.previous_secret"),
    ("STATUS_WEBHOOK_PREVIOUS_SECRET_EXPIRES_AT", "status_webhook.previous_secret_expires_at"),
    ("PMC_HOST", "webhook.host"),
    ("PMC_PORT", "webhook.port"),
    ("PMC_API_TOKENS", "security.api_tokens"),
    ("PMC_CALLBACK_IPS", "security.callback_ips"),
    ("PMC_TRUSTED_PROXIES", "security.trusted_proxies"),
    ("PMC_CALLBACK_RATE_LIMIT", "security.callback_rate_limit_per_sec"),
    ("PMC_TIMESTAMP_WINDOW_SECS", "security.timestamp_window_secs"),
    ("PMC_TLS_CERT", "security.tls.cert_file"),
    ("PMC_TLS_KEY", "security.tls.key_file"),
];

const DEFAULT_CONFIG_FILE: &str = "config/notification.yaml";

/// Why the configuration could not be loaded. Messages name the key and,
/// where there is one, the environment variable; they never echo a value.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("cannot read config file {path}: {source}")]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The `.env` file could not be parsed.
    #[error("cannot read {path}: {reason}")]
    DotEnv {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// `${…}` interpolation failed.
    #[error("config file {path}: {reason}")]
    Interpolation {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A value has the wrong shape (e.g. a port that is not a number).
    #[error("invalid configuration: {0}")]
    Shape(#[from] config::ConfigError),
    /// An entry of `accounts:` is unusable.
    #[error("invalid account {id}: {reason}")]
    Account {
        /// The account's id, as written.
        id: String,
        /// Why.
        reason: String,
    },
    /// A value is well-formed but unusable.
    #[error("invalid {key} (env {env}): {reason}")]
    Invalid {
        /// The settings key.
        key: &'static str,
        /// The environment variable that sets it.
        env: &'static str,
        /// Why.
        reason: String,
    },
}

/// Loads settings from the real `.env` file, process environment and `cli`.
pub fn load(cli: &CliOverrides) -> Result<Settings, ConfigError> {
    load_with_env_file(cli, None)
}

/// Like [`load`], with an explicit env file (`--env-file`) instead of
/// `PMC_ENV_FILE` or `.env`.
pub fn load_with_env_file(cli: &CliOverrides, env_file: Option<&Path>) -> Result<Settings, ConfigError> {
    let dotenv_path = env_file
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("PMC_ENV_FILE").map(PathBuf::from))
        .unwrap_or_else(|| ".env".into());
    load_from(&environment_from(&dotenv_path, std::env::vars())?, cli)
}

/// The layered environment: the `.env` file (optional) under `process`, so a
/// variable set in the real environment wins over the same one in `.env`.
pub fn environment_from(
    dotenv_path: &Path,
    process: impl IntoIterator<Item = (String, String)>,
) -> Result<HashMap<String, String>, ConfigError> {
    let mut environment = read_dotenv(dotenv_path)?;
    environment.extend(process);
    Ok(environment)
}

/// Loads settings from an explicit environment (tests use this so they never
/// touch the process environment, which all tests share).
pub fn load_from(environment: &HashMap<String, String>, cli: &CliOverrides) -> Result<Settings, ConfigError> {
    let explicit = cli.config_file.clone().or_else(|| environment.get("PMC_CONFIG").map(PathBuf::from));
    let path = explicit.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_CONFIG_FILE));
    let mut builder = Config::builder();
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            let interpolated = interpolate(&text, &|name| environment.get(name).cloned())
                .map_err(|reason| ConfigError::Interpolation { path: path.clone(), reason })?;
            if !interpolated.trim().is_empty() {
                builder = builder.add_source(File::from_str(&interpolated, FileFormat::Yaml));
            }
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound && explicit.is_none() => {}
        Err(source) => return Err(ConfigError::ReadFile { path, source }),
    }
    for (name, key) in ENV_OVERRIDES {
        if let Some(value) = environment.get(*name).filter(|value| !value.is_empty()) {
            builder = builder.set_override(*key, value.as_str())?;
        }
    }
    // Any setting by path: PMC__STORAGE__DEDUPE_WINDOW_SECS=60.
    for (name, value) in environment {
        if let Some(path) = name.strip_prefix("PMC__") {
            builder = builder.set_override(path.to_lowercase().replace("__", "."), value.as_str())?;
        }
    }
    if let Some(host) = &cli.host {
        builder = builder.set_override("webhook.host", host.as_str())?;
    }
    if let Some(port) = cli.port {
        builder = builder.set_override("webhook.port", port)?;
    }
    if let Some(data_dir) = &cli.data_dir {
        builder = builder.set_override("storage.data_dir", data_dir.to_string_lossy().as_ref())?;
    }
    if let Some(level) = &cli.log_level {
        builder = builder.set_override("log.level", level.as_str())?;
    }
    let settings: Settings = builder.build()?.try_deserialize()?;
    settings.validate()?;
    Ok(settings)
}

fn read_dotenv(path: &Path) -> Result<HashMap<String, String>, ConfigError> {
    let entries = match dotenvy::from_path_iter(path) {
        Ok(entries) => entries,
        Err(dotenvy::Error::Io(error)) if error.kind() == io::ErrorKind::NotFound => {
            return Ok(HashMap::new());
        }
        Err(error) => return Err(ConfigError::DotEnv { path: path.to_owned(), reason: error.to_string() }),
    };
    entries
        .map(|entry| {
            entry.map_err(|error| ConfigError::DotEnv { path: path.to_owned(), reason: error.to_string() })
        })
        .collect()
}

impl Settings {
    /// Checks what types alone cannot: credentials parse, limits are sane.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.channels.wechat_api.credentials()?;
        self.channels.wechat_bot.credentials()?;
        crate::accounts::Accounts::from_settings(self)?;
        for subscription in &self.forwarding.subscriptions {
            crate::forwarding::accounts::checked(&subscription.accounts).map_err(|reason| {
                ConfigError::Invalid {
                    key: "forwarding.subscriptions",
                    env: "-",
                    reason: format!("subscription {}: {reason}", subscription.id),
                }
            })?;
        }
        if self.storage.group_commit_max_batch == 0 || self.storage.group_commit_max_batch > 2000 {
            return Err(ConfigError::Invalid {
                key: "storage.group_commit_max_batch",
                env: "PMC__STORAGE__GROUP_COMMIT_MAX_BATCH",
                reason: "must be between 1 and 2000".to_owned(),
            });
        }
        self.status_webhook.verifiers()?;
        if self.storage.mode == super::StorageMode::External && self.mysql.url().is_none() {
            return Err(ConfigError::Invalid {
                key: "mysql.host",
                env: "MYSQL_HOST",
                reason: "storage.mode external (PMC_STORAGE=external) needs MySQL: set MYSQL_HOST (and \
                         MYSQL_PORT, MYSQL_USER, MYSQL_PASSWORD, MYSQL_DATABASE)"
                    .to_owned(),
            });
        }
        if self.tracking.max_live_actors == 0 || self.tracking.writer_max_rows == 0 {
            return Err(ConfigError::Invalid {
                key: "tracking.max_live_actors",
                env: "PMC__TRACKING__MAX_LIVE_ACTORS",
                reason: "max_live_actors and writer_max_rows must be at least 1".to_owned(),
            });
        }
        if !(1..=360).contains(&self.robot.stream_deadline_secs) {
            return Err(ConfigError::Invalid {
                key: "robot.stream_deadline_secs",
                env: "PMC__ROBOT__STREAM_DEADLINE_SECS",
                reason: format!(
                    "must be 1-360 (WeCom stops polling a stream 6 minutes after the message), not {}",
                    self.robot.stream_deadline_secs
                ),
            });
        }
        if self.robot.stream_keepalive_secs == 0 {
            return Err(ConfigError::Invalid {
                key: "robot.stream_keepalive_secs",
                env: "PMC__ROBOT__STREAM_KEEPALIVE_SECS",
                reason: "must be at least 1".to_owned(),
            });
        }
        if self.robot.stream_fallback_text.len() > crate::robot::stream::MAX_CONTENT_BYTES / 2 {
            return Err(ConfigError::Invalid {
                key: "robot.stream_fallback_text",
                env: "PMC__ROBOT__STREAM_FALLBACK_TEXT",
                reason: "at most 10240 bytes (it is added to a stream's content)".to_owned(),
            });
        }
        if !(1..=64).contains(&self.tracking.background_threads) {
            return Err(ConfigError::Invalid {
                key: "tracking.background_threads",
                env: "PMC__TRACKING__BACKGROUND_THREADS",
                reason: format!("must be 1-64, not {}", self.tracking.background_threads),
            });
        }
        if !(0..=19).contains(&self.tracking.background_nice) {
            return Err(ConfigError::Invalid {
                key: "tracking.background_nice",
                env: "PMC__TRACKING__BACKGROUND_NICE",
                reason: format!(
                    "must be 0-19 (nice steps below the process), not {}",
                    self.tracking.background_nice
                ),
            });
        }
        if self.webhook.max_body_bytes < 1024 {
            return Err(ConfigError::Invalid {
                key: "webhook.max_body_bytes",
                env: "PMC__WEBHOOK__MAX_BODY_BYTES",
                reason: "must be at least 1024".to_owned(),
            });
        }
        Ok(())
    }
}
