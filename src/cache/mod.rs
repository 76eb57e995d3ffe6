//! Redis (through fred) as a cache — never the source of truth. Today it
//! serves `GET /api/v1/messages/{id}/status` read-through: answers are kept
//! under `pmc:status:{id}` for a short TTL, and every tracking write deletes
//! the keys of the messages it changed, so a read after a change never sees
//! the old answer. While Redis is down, reads go to the database and the
//! service answers as before; nothing waits on Redis for longer than a
//! command timeout.

mod claims;
mod counters;
mod leases;
mod relay;
mod shared_keys;

pub use self::{leases::LeaseStoreError, relay::Submitted};
use std::{sync::Arc, time::Duration};

use fred::{
    interfaces::{ClientLike, KeysInterface},
    prelude::{Builder, Client, Config, Expiration, ReconnectPolicy},
};
use tokio::sync::mpsc;

use crate::configuration::RedisSettings;

/// How long a cached answer may live even if an invalidation was lost (a
/// Redis outage during a write, or a read that cached an answer just as a
/// write committed): the worst staleness.
const TTL_SECS: i64 = 10;
/// The longest any Redis command may hold up a request.
const COMMAND_TIMEOUT: Duration = Duration::from_millis(500);

/// The status cache; `disabled()` when Redis is not configured.
#[derive(Clone)]
pub struct StatusCache {
    inner: Option<Arc<Connected>>,
}

struct Connected {
    client: Client,
    invalidations: mpsc::UnboundedSender<Vec<String>>,
}

/// Why Redis could not be configured.
#[derive(Debug, thiserror::Error)]
#[error("invalid Redis configuration: {0}")]
pub struct CacheConfigError(String);

impl StatusCache {
    /// No Redis: every read goes to the database.
    pub fn disabled() -> Self {
        Self { inner: None }
    }

    /// Connects in the background (`REDIS_URL`, or `REDIS_HOST`/`PORT`/
    /// `PASSWORD`; `redis-sentinel://` and `redis-cluster://` URLs select
    /// Sentinel and Cluster). Start-up never waits for Redis.
    pub fn connect(settings: &RedisSettings) -> Result<Self, CacheConfigError> {
        let Some(url) = settings.connection_url() else { return Ok(Self::disabled()) };
        // Named by the redacted URL; fred's own details never carry the password.
        let invalid = |error: fred::error::Error| CacheConfigError(format!("{url}: {}", error.details()));
        let mut config = Config::from_url(url.expose()).map_err(invalid)?;
        // Retry the first connection in the background too, instead of failing start-up.
        config.fail_fast = false;
        let client = Builder::from_config(config)
            .with_performance_config(|performance| performance.default_command_timeout = COMMAND_TIMEOUT)
            .with_connection_config(|connection| connection.connection_timeout = Duration::from_secs(2))
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
            .build()
            .map_err(invalid)?;
        tracing::info!(endpoint = %url, tls = config_uses_tls(&client), "Redis (cache).");
        report_connection_errors(&client, url.redacted());
        let _connection = client.connect();
        let (invalidations, receiver) = mpsc::unbounded_channel();
        tokio::spawn(delete_keys(client.clone(), receiver));
        Ok(Self { inner: Some(Arc::new(Connected { client, invalidations })) })
    }

    /// Whether Redis is configured.
    pub fn enabled(&self) -> bool {
        self.inner.is_some()
    }

    /// Whether the connection is up (`None`: not configured).
    pub fn healthy(&self) -> Option<bool> {
        self.inner.as_ref().map(|inner| inner.client.is_connected())
    }

    /// A cached status answer, if Redis is up and has it.
    pub async fn get_status(&self, message_id: &str) -> Option<serde_json::Value> {
        let inner = self.inner.as_ref().filter(|inner| inner.client.is_connected())?;
        match inner.client.get::<Option<String>, _>(key(message_id)).await {
            Ok(cached) => cached.and_then(|text| serde_json::from_str(&text).ok()),
            Err(error) => {
                tracing::debug!(error = %error, "Redis read failed; reading the database.");
                None
            }
        }
    }

    /// Keeps a status answer for the next reads.
    pub async fn put_status(&self, message_id: &str, answer: &serde_json::Value) {
        let Some(inner) = self.inner.as_ref().filter(|inner| inner.client.is_connected()) else { return };
        let result = inner
            .client
            .set::<(), _, _>(key(message_id), answer.to_string(), Some(Expiration::EX(TTL_SECS)), None, false)
            .await;
        if let Err(error) = result {
            tracing::debug!(error = %error, "Redis write failed; the answer is not cached.");
        }
    }

    /// Forgets the answers of these messages (their state changed). Never
    /// blocks: deletions are sent by a background task.
    pub fn invalidate(&self, message_ids: Vec<String>) {
        if let Some(inner) = &self.inner
            && !message_ids.is_empty()
        {
            let _ = inner.invalidations.send(message_ids);
        }
    }
}

fn key(message_id: &str) -> String {
    format!("pmc:status:{message_id}")
}

/// A read that fetched the old state just before a write committed may
/// cache it just after the write's deletion; deleting again this much later
/// removes such an entry ("delayed double delete").
const SECOND_DELETE_AFTER: Duration = Duration::from_millis(500);

async fn delete_keys(client: Client, mut receiver: mpsc::UnboundedReceiver<Vec<String>>) {
    while let Some(mut ids) = receiver.recv().await {
        // Gather what queued up meanwhile.
        while let Ok(more) = receiver.try_recv() {
            ids.extend(more);
        }
        let keys: Vec<String> = ids.iter().map(|id| key(id)).collect();
        delete(&client, &keys).await;
        let client = client.clone();
        tokio::spawn(async move {
            tokio::time::sleep(SECOND_DELETE_AFTER).await;
            delete(&client, &keys).await;
        });
    }
}

async fn delete(client: &Client, keys: &[String]) {
    // One DEL per key: in a Redis Cluster the keys live in different slots,
    // and a multi-key DEL across slots is refused (CROSSSLOT).
    let deletions = keys.iter().map(|key| client.del::<i64, _>(key.as_str()));
    let failed = futures::future::join_all(deletions).await.into_iter().filter(Result::is_err).count();
    if failed > 0 {
        // The entries expire within TTL_SECS anyway.
        tracing::warn!(failed, "Deleting cached statuses from Redis failed.");
    }
}

fn config_uses_tls(client: &Client) -> bool {
    client.client_config().uses_tls()
}

/// fred reconnects quietly; a wrong CA or password would be a silent retry
/// loop. Each failed attempt is logged with the endpoint and the reason
/// (and `/api/v1/status` shows the cache unhealthy meanwhile).
fn report_connection_errors(client: &Client, endpoint: String) {
    use fred::interfaces::EventInterface;
    let _listener = client.on_error(move |(error, server)| {
        let endpoint = endpoint.clone();
        async move {
            let server = server.map(|server| server.to_string()).unwrap_or_default();
            tracing::warn!(endpoint = %endpoint, server = %server, error = %error, "Redis connection failed; retrying.");
            Ok(())
        }
    });
}
