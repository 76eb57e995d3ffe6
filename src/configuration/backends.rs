//! MySQL, Redis and MongoDB: where they are, how to log in, and TLS.
//!
//! Connection strings carry passwords, so they are held as [`SecretUri`]s:
//! their `Debug` (what `pmc-webhook config` prints) and every place they
//! are named in a log line or `/api/v1/status` go through [`redact_uri`].

use std::{fmt, path::PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer};

use super::{empty_as_none, secret_empty_as_none};

/// A connection string that may carry a password.
#[derive(Clone)]
pub struct SecretUri(SecretString);

impl SecretUri {
    /// Wraps a connection string.
    pub fn new(uri: impl Into<String>) -> Self {
        Self(SecretString::from(uri.into()))
    }

    /// The full string, password included: only for handing to a driver.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// The string with every password replaced, safe to log or show.
    pub fn redacted(&self) -> String {
        redact_uri(self.expose())
    }
}

impl fmt::Debug for SecretUri {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{:?}", self.redacted())
    }
}

impl fmt::Display for SecretUri {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for SecretUri {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

fn uri_empty_as_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<SecretUri>, D::Error> {
    Ok(empty_as_none(deserializer)?.map(SecretUri::new))
}

fn path_empty_as_none<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<PathBuf>, D::Error> {
    Ok(empty_as_none(deserializer)?.map(PathBuf::from))
}

/// Query parameters that carry secrets in the URIs we take (MongoDB's
/// `tlsCertificateKeyFilePassword`, fred's `sentinelPassword`, …).
fn is_secret_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.contains("password") || name.contains("secret") || name == "authmechanismproperties"
}

/// `scheme://user:***@host/…?password=***`: the password of the user part
/// and of any password-like query parameter replaced by `***`. Text that is
/// not a URL comes back as `***` whole, since we cannot tell where a secret
/// in it would be. Works for MongoDB's multi-host `a:1,b:2` form too, which
/// `url` cannot parse.
pub fn redact_uri(uri: &str) -> String {
    let Some((scheme, rest)) = uri.split_once("://") else { return "***".to_owned() };
    let (authority_and_path, query) = match rest.split_once('?') {
        Some((before, query)) => (before, Some(query)),
        None => (rest, None),
    };
    // The user part ends at the last '@' before the path.
    let authority_end = authority_and_path.find('/').unwrap_or(authority_and_path.len());
    let (authority, path) = authority_and_path.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, hosts)) => match user_info.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{hosts}"),
            None => format!("{user_info}@{hosts}"),
        },
        None => authority.to_owned(),
    };
    let mut out = format!("{scheme}://{authority}{path}");
    if let Some(query) = query {
        let pairs: Vec<String> = query
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((name, _)) if is_secret_parameter(name) => format!("{name}=***"),
                _ => pair.to_owned(),
            })
            .collect();
        out.push('?');
        out.push_str(&pairs.join("&"));
    }
    out
}

/// `mysql.tls` (`MYSQL_SSL_MODE`): how the MySQL connection uses TLS, with
/// MySQL's own names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MysqlTls {
    /// Plain TCP only.
    Disabled,
    /// TLS if the server offers it, unverified; plain otherwise (MySQL's default).
    #[default]
    Preferred,
    /// TLS or no connection; the certificate is not checked.
    Required,
    /// TLS with a certificate signed by the CA (`mysql.ssl_ca`, else
    /// `SSL_CERT_FILE`, else the built-in public roots); any host name.
    VerifyCa,
    /// Like `verify_ca`, and the certificate must name the host.
    #[serde(alias = "verify_identity")]
    VerifyFull,
}

impl MysqlTls {
    /// sqlx's `ssl-mode` value.
    fn ssl_mode(self) -> &'static str {
        match self {
            MysqlTls::Disabled => "DISABLED",
            MysqlTls::Preferred => "PREFERRED",
            MysqlTls::Required => "REQUIRED",
            MysqlTls::VerifyCa => "VERIFY_CA",
            MysqlTls::VerifyFull => "VERIFY_IDENTITY",
        }
    }

    fn verifies(self) -> bool {
        matches!(self, MysqlTls::VerifyCa | MysqlTls::VerifyFull)
    }
}

/// `mysql:` (`MYSQL_HOST`, `MYSQL_PORT`, `MYSQL_USER`, `MYSQL_PASSWORD`,
/// `MYSQL_DATABASE`, `MYSQL_SSL_MODE`, `MYSQL_SSL_CA`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MysqlSettings {
    /// Host; unset means "not configured".
    #[serde(deserialize_with = "empty_as_none")]
    pub host: Option<String>,
    /// Port.
    pub port: u16,
    /// User.
    pub user: String,
    /// Password.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub password: Option<SecretString>,
    /// Database name.
    pub database: String,
    /// TLS mode.
    pub tls: MysqlTls,
    /// The CA certificate(s), PEM, that `verify_ca`/`verify_full` trust
    /// besides the public roots.
    #[serde(deserialize_with = "path_empty_as_none")]
    pub ssl_ca: Option<PathBuf>,
}

impl MysqlSettings {
    /// The connection URL, when a host is configured (it carries the
    /// password: log only its [`SecretUri::redacted`] form).
    pub fn url(&self) -> Option<SecretUri> {
        let host = self.host.as_ref()?;
        let mut url = url::Url::parse("mysql://localhost/").expect("a valid base URL");
        url.set_host(Some(host)).ok()?;
        url.set_port(Some(self.port)).ok()?;
        url.set_username(&self.user).ok()?;
        if let Some(password) = &self.password {
            url.set_password(Some(password.expose_secret())).ok()?;
        }
        url.set_path(&self.database);
        url.query_pairs_mut().append_pair("ssl-mode", self.tls.ssl_mode());
        // A verifying mode with no CA of its own trusts what OpenSSL, curl
        // and our HTTPS clients trust: SSL_CERT_FILE (sqlx reads only the
        // built-in roots otherwise).
        let ca = self.ssl_ca.clone().or_else(|| {
            self.tls.verifies().then(|| std::env::var_os("SSL_CERT_FILE").map(PathBuf::from)).flatten()
        });
        if let Some(ca) = ca {
            url.query_pairs_mut().append_pair("ssl-ca", &ca.to_string_lossy());
        }
        Some(SecretUri::new(url.to_string()))
    }
}

impl Default for MysqlSettings {
    fn default() -> Self {
        Self {
            host: None,
            port: 3306,
            user: "pmc_user".to_owned(),
            password: None,
            database: "pmc_webhook".to_owned(),
            tls: MysqlTls::Preferred,
            ssl_ca: None,
        }
    }
}

/// `redis:` (`REDIS_HOST`, `REDIS_PORT`, `REDIS_PASSWORD`, `REDIS_TLS`, or
/// `REDIS_URL`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RedisSettings {
    /// Host; unset (and no URL) means "not configured".
    #[serde(deserialize_with = "empty_as_none")]
    pub host: Option<String>,
    /// Port.
    pub port: u16,
    /// Password.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub password: Option<SecretString>,
    /// TLS for the host/port form (`rediss://`); the CA comes from the
    /// platform's roots (`SSL_CERT_FILE`/`SSL_CERT_DIR`). A URL says it
    /// itself by its scheme (`rediss://`, `rediss-cluster://`, …).
    pub tls: bool,
    /// A full URL instead of host/port/password (may carry a password).
    #[serde(deserialize_with = "uri_empty_as_none")]
    pub url: Option<SecretUri>,
}

impl RedisSettings {
    /// `REDIS_URL`, or one built from host, port, password and TLS.
    pub fn connection_url(&self) -> Option<SecretUri> {
        if let Some(url) = &self.url {
            return Some(url.clone());
        }
        let host = self.host.as_ref()?;
        let base = if self.tls { "rediss://localhost/" } else { "redis://localhost/" };
        let mut url = url::Url::parse(base).expect("a valid base URL");
        url.set_host(Some(host)).ok()?;
        url.set_port(Some(self.port)).ok()?;
        if let Some(password) = &self.password {
            url.set_password(Some(password.expose_secret())).ok()?;
        }
        Some(SecretUri::new(url.to_string()))
    }
}

impl Default for RedisSettings {
    fn default() -> Self {
        Self { host: None, port: 6379, password: None, tls: false, url: None }
    }
}

/// `mongodb:` (`MONGODB_URI`, or `MONGODB_HOST`, `MONGODB_PORT`,
/// `MONGODB_USER`, `MONGODB_PASSWORD`; `MONGODB_DATABASE`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct MongoSettings {
    /// A full connection string, taking precedence over host/port/user:
    /// users, `authSource`, `tls=true`, `tlsCAFile`, `replicaSet`, several
    /// hosts, `mongodb+srv://` — whatever the driver parses.
    #[serde(deserialize_with = "uri_empty_as_none")]
    pub uri: Option<SecretUri>,
    /// Host; unset (and no URI) means "not configured".
    #[serde(deserialize_with = "empty_as_none")]
    pub host: Option<String>,
    /// Port.
    pub port: u16,
    /// User, for the host/port form (authenticated against `admin`).
    #[serde(deserialize_with = "empty_as_none")]
    pub user: Option<String>,
    /// Password, for the host/port form.
    #[serde(deserialize_with = "secret_empty_as_none")]
    pub password: Option<SecretString>,
    /// Database name; a URI that names one (`…/logs?…`) wins.
    pub database: String,
    /// Raw-log documents older than this are deleted by a TTL index
    /// (`MONGODB_RETENTION_DAYS`; 0 keeps them forever).
    pub retention_days: u32,
}

impl MongoSettings {
    /// The connection string, when MongoDB is configured.
    pub fn url(&self) -> Option<SecretUri> {
        if let Some(uri) = &self.uri {
            return Some(uri.clone());
        }
        let host = self.host.as_ref()?;
        let mut url = url::Url::parse("mongodb://localhost/").expect("a valid base URL");
        url.set_host(Some(host)).ok()?;
        url.set_port(Some(self.port)).ok()?;
        if let Some(user) = &self.user {
            url.set_username(user).ok()?;
            if let Some(password) = &self.password {
                url.set_password(Some(password.expose_secret())).ok()?;
            }
        }
        Some(SecretUri::new(url.to_string()))
    }

    /// Whether MongoDB is configured at all.
    pub fn configured(&self) -> bool {
        self.url().is_some()
    }
}

impl Default for MongoSettings {
    fn default() -> Self {
        Self {
            uri: None,
            host: None,
            port: 27017,
            user: None,
            password: None,
            database: "pmc_logs".to_owned(),
            retention_days: 30,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::redact_uri;

    #[test]
    fn passwords_are_redacted_wherever_a_uri_carries_them() {
        assert_eq!(
            redact_uri("mongodb://app:s3cr%40t@a:1,b:2/logs?authSource=admin&replicaSet=rs0"),
            "mongodb://app:***@a:1,b:2/logs?authSource=admin&replicaSet=rs0"
        );
        assert_eq!(redact_uri("rediss://:pw@cache:6380/0"), "rediss://:***@cache:6380/0");
        assert_eq!(redact_uri("redis://cache:6379"), "redis://cache:6379");
        assert_eq!(
            redact_uri("mongodb://h/?tls=true&tlsCertificateKeyFilePassword=x"),
            "mongodb://h/?tls=true&tlsCertificateKeyFilePassword=***"
        );
        assert_eq!(
            redact_uri("mysql://u:p@h:3306/db?ssl-mode=VERIFY_CA"),
            "mysql://u:***@h:3306/db?ssl-mode=VERIFY_CA"
        );
        assert_eq!(redact_uri("no scheme with p4ss"), "***");
    }
}
