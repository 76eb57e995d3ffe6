//! Access tokens: fetched from WeCom, kept until shortly before they
//! expire, refreshed by exactly one caller at a time.
//!
//! [`SharedToken`] is the caching and sharing, whatever the token: the
//! app's (`gettoken`, [`TokenSource`]), a suite's `suite_access_token` or
//! an authorised corp's token (see `crate::suite`). Each kind only says how
//! to fetch one ([`Fetch`]).
//!
//! In one process a mutex makes the refresh single-flight. With Redis, the
//! token is shared (`pmc:token:{name}`) and a lease (`pmc:token-lease:{name}`,
//! `SET NX PX`) lets one replica refresh while the others wait for its
//! result, so N replicas make one fetch per expiry, not N. If Redis does not
//! answer, each process falls back to its own cached token — never to one
//! request per message (that would burn WeCom's daily quota).

use std::{
    future::Future,
    sync::atomic::{AtomicU64, Ordering},
    time::Duration,
};

use secrecy::SecretString;
use sha1::{Digest, Sha1};
use tokio::{sync::Mutex, time::Instant};

use super::client::{CallError, WeComApi};
use crate::cache::StatusCache;

/// A token is replaced this long before WeCom says it expires.
const EARLY: Duration = Duration::from_secs(300);
/// How long one replica may hold the refresh lease.
const LEASE: Duration = Duration::from_secs(15);

/// Why no token could be had.
#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    /// WeCom refused the credentials (wrong corp id or secret, IP not trusted, …).
    #[error("gettoken refused: errcode {errcode} ({errmsg})")]
    Refused {
        /// WeCom's code.
        errcode: i64,
        /// WeCom's text.
        errmsg: String,
    },
    /// WeCom did not answer.
    #[error(transparent)]
    Call(#[from] CallError),
}

/// How one kind of token is fetched: a single WeCom call, no caching.
pub trait Fetch: Send + Sync {
    /// Why a fetch failed.
    type Error: Send;

    /// A fresh token and WeCom's `expires_in` (seconds).
    fn fetch(&self) -> impl Future<Output = Result<(String, u64), Self::Error>> + Send;
}

/// The app's credentials: `gettoken` with corp id and secret.
pub struct AppToken {
    api: WeComApi,
    corp_id: String,
    secret: SecretString,
}

impl Fetch for AppToken {
    type Error = TokenError;

    async fn fetch(&self) -> Result<(String, u64), TokenError> {
        let answer = self.api.get_token(&self.corp_id, &self.secret).await?;
        match (answer.errcode, answer.text("access_token")) {
            (0, Some(token)) => {
                let expires_in =
                    answer.body.get("expires_in").and_then(serde_json::Value::as_u64).unwrap_or(7200);
                tracing::info!(expires_in, "Fetched a WeCom access token.");
                Ok((token, expires_in))
            }
            (errcode, _) => Err(TokenError::Refused { errcode, errmsg: answer.errmsg }),
        }
    }
}

/// The app's token source (corp id + secret).
pub type TokenSource = SharedToken<AppToken>;

impl TokenSource {
    /// A source for `corp_id`/`secret`, sharing through `shared` when Redis is on.
    pub fn new(api: WeComApi, corp_id: String, secret: SecretString, shared: StatusCache) -> Self {
        use secrecy::ExposeSecret;
        let name = host_key_name(&[&corp_id, secret.expose_secret()], api.base_url());
        SharedToken::with_fetcher(AppToken { api, corp_id, secret }, name, shared)
    }
}

/// WeCom's API host.
pub const DEFAULT_API_HOST: &str = "https://qyapi.weixin.qq.com";

/// [`key_name`] of a token `base_url` issued. WeCom's own host keeps the
/// name of the previous builds (replicas keep sharing during a rolling
/// upgrade); another host (a private deployment, a test's fake) issues other
/// tokens for the same credentials, so it is part of the name.
pub fn host_key_name(parts: &[&str], base_url: &str) -> String {
    let base_url = base_url.trim_end_matches('/');
    if base_url == DEFAULT_API_HOST { key_name(parts) } else { key_name(&[parts, &[base_url]].concat()) }
}

/// Names credentials in shared keys without revealing them: 16 hex
/// characters of a SHA-1 of the parts, one per line.
pub fn key_name(parts: &[&str]) -> String {
    hex::encode(&Sha1::digest(parts.join("\n").as_bytes())[..8])
}

struct Cached {
    token: String,
    fresh_until: Instant,
}

/// One token, cached in process and shared through Redis.
pub struct SharedToken<F> {
    fetcher: F,
    /// Names the token in shared keys (never a credential).
    name: String,
    cached: Mutex<Option<Cached>>,
    shared: StatusCache,
    fetched: AtomicU64,
}

impl<F: Fetch> SharedToken<F> {
    /// A token fetched by `fetcher`, shared under `pmc:token:{name}`.
    pub fn with_fetcher(fetcher: F, name: String, shared: StatusCache) -> Self {
        Self { fetcher, name, cached: Mutex::new(None), shared, fetched: AtomicU64::new(0) }
    }

    /// The name the token is shared under.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many times this process fetched the token from WeCom.
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A valid token.
    pub async fn token(&self) -> Result<String, F::Error> {
        let mut cached = self.cached.lock().await;
        if let Some(current) = cached.as_ref().filter(|current| current.fresh_until > Instant::now()) {
            return Ok(current.token.clone());
        }
        let (token, lifetime) = self.obtain().await?;
        *cached = Some(Cached { token: token.clone(), fresh_until: Instant::now() + lifetime });
        Ok(token)
    }

    /// WeCom rejected `rejected` (40014/42001): a fresh token, fetched once
    /// however many callers saw the rejection.
    pub async fn replace(&self, rejected: &str) -> Result<String, F::Error> {
        {
            let mut cached = self.cached.lock().await;
            match cached.as_ref() {
                Some(current) if current.token != rejected => return Ok(current.token.clone()),
                _ => *cached = None,
            }
        }
        let _ = self.shared.shared_delete_if(&self.token_key(), rejected).await;
        self.token().await
    }

    fn token_key(&self) -> String {
        format!("pmc:token:{}", self.name)
    }

    /// A token from the replicas' shared copy, or fetched under the lease,
    /// or (Redis unavailable) fetched by this process alone; with how long
    /// to keep it.
    async fn obtain(&self) -> Result<(String, Duration), F::Error> {
        let lease_key = format!("pmc:token-lease:{}", self.name);
        let owner = hex::encode(rand::random::<[u8; 8]>());
        // A refresh is rare: worth a short wait for Redis rather than a token per replica.
        if self.shared.enabled() {
            self.shared.wait_connected(Duration::from_secs(3)).await;
        }
        let waited_since = Instant::now();
        // A Redis command that timed out (500 ms) under load is tried again a
        // few times before this replica fetches alone: a token per replica is
        // what the sharing is for avoiding.
        let mut redis_misses = 0;
        let gave_up = |misses: &mut u32| {
            *misses += 1;
            !self.shared.enabled() || *misses > 3
        };
        loop {
            match self.shared.shared_get(&self.token_key()).await {
                Some(Some((token, ttl))) if ttl > Duration::from_secs(1) => return Ok((token, ttl)),
                None if gave_up(&mut redis_misses) => return self.fetch().await,
                None => {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
                Some(_) => {}
            }
            match self.shared.shared_lease(&lease_key, &owner, LEASE).await {
                None if gave_up(&mut redis_misses) => return self.fetch().await,
                None => tokio::time::sleep(Duration::from_millis(100)).await,
                Some(true) => {
                    let fetched = self.fetch().await;
                    if let Ok((token, lifetime)) = &fetched {
                        let _ = self.shared.shared_put(&self.token_key(), token, *lifetime).await;
                    }
                    let _ = self.shared.shared_delete_if(&lease_key, &owner).await;
                    return fetched;
                }
                Some(false) => {
                    // Another replica is fetching: wait for its token.
                    if waited_since.elapsed() > LEASE * 2 {
                        return self.fetch().await;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        }
    }

    async fn fetch(&self) -> Result<(String, Duration), F::Error> {
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let (token, expires_in) = self.fetcher.fetch().await?;
        Ok((token, lifetime(expires_in)))
    }
}

/// How long a token WeCom gave for `expires_in` seconds is kept: until
/// [`EARLY`] before it expires, at least 30 s.
fn lifetime(expires_in: u64) -> Duration {
    Duration::from_secs(expires_in).saturating_sub(EARLY).max(Duration::from_secs(30))
}

#[cfg(test)]
mod host_key_tests {
    use super::*;

    #[test]
    fn wecoms_host_keeps_the_old_name_and_another_host_gets_its_own() {
        let old = key_name(&["ww1", "secret"]);
        assert_eq!(host_key_name(&["ww1", "secret"], "https://qyapi.weixin.qq.com/"), old);
        let private = host_key_name(&["ww1", "secret"], "https://wecom.example.com");
        assert_ne!(private, old);
        assert_ne!(private, host_key_name(&["ww1", "secret"], "http://127.0.0.1:9"));
    }
}
