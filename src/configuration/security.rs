//! `security:` in the YAML: who may call the management API, who may call
//! the callback routes and how often, replay protection, and TLS.

use std::path::PathBuf;

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// `security:` in the YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SecuritySettings {
    /// Bearer tokens for the management API (`PMC_API_TOKENS`, comma
    /// separated): `rw:TOKEN` (read-write), `ro:TOKEN` (read-only), or a bare
    /// `TOKEN` (read-write). Each at least 16 characters. With none, the
    /// service generates one at first start in the data directory.
    #[serde(deserialize_with = "secret_list")]
    pub api_tokens: Vec<SecretString>,
    /// CIDRs the WeCom callbacks come from (`PMC_CALLBACK_IPS`, comma
    /// separated; WeCom publishes them through `getcallbackip`). Never rate
    /// limited.
    #[serde(deserialize_with = "string_list")]
    pub callback_ips: Vec<String>,
    /// With `callback_ips` set, refuse (403) callbacks from anywhere else.
    /// `false` only exempts the listed addresses from the rate limit.
    pub enforce_callback_ips: bool,
    /// Proxies (CIDRs) whose `X-Forwarded-For` / `X-Real-IP` names the real
    /// client (`PMC_TRUSTED_PROXIES`); from anyone else those headers are ignored.
    #[serde(deserialize_with = "string_list")]
    pub trusted_proxies: Vec<String>,
    /// Callbacks per second allowed from one address that is not in
    /// `callback_ips` (`PMC_CALLBACK_RATE_LIMIT`); 0 turns the limit off.
    pub callback_rate_limit_per_sec: u32,
    /// Bursts above the rate that are still accepted.
    pub callback_rate_limit_burst: u32,
    /// WeCom callbacks whose signed `timestamp` is further than this from
    /// now are refused as replays (`PMC_TIMESTAMP_WINDOW_SECS`); 0 turns the
    /// check off.
    pub timestamp_window_secs: u64,
    /// Largest request body on the management API (callback routes have
    /// `webhook.max_body_bytes`); larger ones get 413.
    pub max_api_body_bytes: usize,
    /// HTTPS in the service itself.
    pub tls: TlsSettings,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            api_tokens: Vec::new(),
            callback_ips: Vec::new(),
            enforce_callback_ips: true,
            trusted_proxies: Vec::new(),
            callback_rate_limit_per_sec: 1000,
            callback_rate_limit_burst: 2000,
            timestamp_window_secs: 600,
            max_api_body_bytes: 4 << 20,
            tls: TlsSettings::default(),
        }
    }
}

/// `security.tls:`: serve HTTPS with this certificate chain and key (PEM).
/// Both files are read again on SIGHUP and when they change.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TlsSettings {
    /// Certificate chain, PEM (`PMC_TLS_CERT`).
    pub cert_file: Option<PathBuf>,
    /// Private key, PEM (`PMC_TLS_KEY`).
    pub key_file: Option<PathBuf>,
}

/// A list given as a YAML list or as one comma-separated string (the
/// environment can only give strings).
#[derive(Deserialize)]
#[serde(untagged)]
enum ListOrCsv {
    List(Vec<String>),
    Csv(String),
}

impl ListOrCsv {
    fn items(self) -> Vec<String> {
        let items = match self {
            ListOrCsv::List(items) => items,
            ListOrCsv::Csv(text) => text.split(',').map(str::to_owned).collect(),
        };
        items.into_iter().map(|item| item.trim().to_owned()).filter(|item| !item.is_empty()).collect()
    }
}

fn string_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    Ok(ListOrCsv::deserialize(deserializer)?.items())
}

fn secret_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<SecretString>, D::Error> {
    Ok(ListOrCsv::deserialize(deserializer)?.items().into_iter().map(SecretString::from).collect())
}
