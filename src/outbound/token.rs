//! The app's access token: fetched with `gettoken`, kept until shortly
//! before it expires, refreshed by exactly one caller at a time.
//!
//! In one process a mutex makes the refresh single-flight. With Redis, the
//! token is shared (`pmc:token:{app}`) and a lease (`pmc:token-lease:{app}`,
//! `SET NX PX`) lets one replica refresh while the others wait for its
//! result, so N replicas make one `gettoken` per expiry, not N. If Redis
//! does not answer, each process falls back to its own cached token — never
//! to one request per message (that would burn WeCom's daily quota).

use std::{
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

struct Cached {
    token: String,
    fresh_until: Instant,
}

/// The token source of one app (corp id + secret).
pub struct TokenSource {
    api: WeComApi,
    corp_id: String,
    secret: SecretString,
    /// Names the app in shared keys without revealing the secret.
    app: String,
    cached: Mutex<Option<Cached>>,
    shared: StatusCache,
    fetched: AtomicU64,
}

impl TokenSource {
    /// A source for `corp_id`/`secret`, sharing through `shared` when Redis is on.
    pub fn new(api: WeComApi, corp_id: String, secret: SecretString, shared: StatusCache) -> Self {
        use secrecy::ExposeSecret;
        let digest = Sha1::digest(format!("{corp_id}\n{}", secret.expose_secret()).as_bytes());
        let app = hex::encode(&digest[..8]);
        Self { api, corp_id, secret, app, cached: Mutex::new(None), shared, fetched: AtomicU64::new(0) }
    }

    /// How many times this process called `gettoken`.
    pub fn fetched(&self) -> u64 {
        self.fetched.load(Ordering::Relaxed)
    }

    /// A valid token.
    pub async fn token(&self) -> Result<String, TokenError> {
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
    pub async fn replace(&self, rejected: &str) -> Result<String, TokenError> {
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
        format!("pmc:token:{}", self.app)
    }

    /// A token from the replicas' shared copy, or fetched under the lease,
    /// or (Redis unavailable) fetched by this process alone; with how long
    /// to keep it.
    async fn obtain(&self) -> Result<(String, Duration), TokenError> {
        let lease_key = format!("pmc:token-lease:{}", self.app);
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

    async fn fetch(&self) -> Result<(String, Duration), TokenError> {
        self.fetched.fetch_add(1, Ordering::Relaxed);
        let answer = self.api.get_token(&self.corp_id, &self.secret).await?;
        let token = answer.text("access_token");
        match (answer.errcode, token) {
            (0, Some(token)) => {
                let expires_in =
                    answer.body.get("expires_in").and_then(serde_json::Value::as_u64).unwrap_or(7200);
                let lifetime =
                    Duration::from_secs(expires_in).saturating_sub(EARLY).max(Duration::from_secs(30));
                tracing::info!(expires_in, "Fetched a WeCom access token.");
                Ok((token, lifetime))
            }
            (errcode, _) => Err(TokenError::Refused { errcode, errmsg: answer.errmsg }),
        }
    }
}
