//! Forwarding events to business systems: instead of polling, a system
//! subscribes (`POST /api/v1/subscriptions`, or in the configuration) to
//! kinds of events — `status` changes, `interaction`s, `member` events, raw
//! `callback`s — and gets each as a signed JSON POST.
//!
//! Deliveries are rows in the tracking store, made from stored rows by the
//! [`tailer`] and sent by the [`deliverer`]: durable (they survive restarts,
//! including in the middle of a retry schedule), ordered per message, retried
//! with backoff and jitter, dead-lettered after the last try, listable and
//! retryable through the API, and replayable by time range.

pub mod accounts;
mod deliverer;
pub mod entity;
pub mod events;
pub mod migration;
pub mod store;
mod tailer;
pub mod target;

use std::{sync::Arc, time::Duration};

use secrecy::ExposeSecret;
use tokio::{
    sync::{Notify, watch},
    task::JoinHandle,
};

pub use self::target::TargetPolicy;
use crate::{configuration::ForwardingSettings, event_log::EventLog, tracking::SqlTrackingStore};

/// How often the tailer looks for new rows.
const TAIL_EVERY: Duration = Duration::from_millis(200);

/// The forwarding side of the service.
pub struct Forwarding {
    store: SqlTrackingStore,
    event_log: EventLog,
    instance: String,
    http: reqwest::Client,
    /// Where deliveries may go.
    pub targets: TargetPolicy,
    retries: ForwardingSettings,
    wake: Notify,
    closing: watch::Sender<bool>,
}

/// The running loops.
pub struct ForwardingHandle {
    forwarding: Arc<Forwarding>,
    tasks: Vec<JoinHandle<()>>,
}

impl Forwarding {
    /// Starts tailing and delivering; configured subscriptions are written
    /// to the store once the store answers.
    pub fn start(
        settings: &ForwardingSettings,
        store: SqlTrackingStore,
        event_log: EventLog,
        instance: String,
    ) -> ForwardingHandle {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(3))
            // A redirect could lead anywhere: not followed.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client");
        let (closing, _) = watch::channel(false);
        let forwarding = Arc::new(Forwarding {
            store,
            event_log,
            instance,
            http,
            targets: TargetPolicy {
                allow_private: settings.allow_private_targets,
                allowed_hosts: settings.allowed_hosts.clone(),
            },
            retries: settings.clone(),
            wake: Notify::new(),
            closing,
        });
        let tasks = vec![tokio::spawn(run(Arc::clone(&forwarding)))];
        ForwardingHandle { forwarding, tasks }
    }

    /// Writes the configured subscriptions into the store.
    async fn sync_configured(&self) -> Result<(), sea_orm::DbErr> {
        for configured in &self.retries.subscriptions {
            let row = entity::subscription::Model {
                id: configured.id.clone(),
                url: configured.url.clone(),
                kinds: configured.kinds.join(","),
                accounts: accounts::encode(&configured.accounts),
                secret: configured.secret.expose_secret().to_owned(),
                previous_secret: None,
                previous_secret_expires_at_ms: None,
                source: "config".to_owned(),
                created_at_ms: chrono::Utc::now().timestamp_millis(),
            };
            store::put_subscription(self.store.connection(), row).await?;
        }
        Ok(())
    }

    /// The store (for the API's reads and writes).
    pub fn store(&self) -> &SqlTrackingStore {
        &self.store
    }

    /// This replica's instance id.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Look for work now (a retry was asked for).
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

/// Tails and delivers until closing; waits out store outages.
async fn run(forwarding: Arc<Forwarding>) {
    let mut closing = forwarding.closing.subscribe();
    let mut delay = Duration::from_millis(200);
    while let Err(error) = forwarding.sync_configured().await {
        tracing::warn!(error = %error, "Configured subscriptions not stored yet; retrying.");
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = closing.changed() => return,
        }
        delay = (delay * 2).min(Duration::from_secs(10));
    }
    loop {
        let worked = match (forwarding.tail_once().await, forwarding.deliver_due().await) {
            (Ok(tailed), Ok(delivered)) => tailed || delivered,
            (Err(error), _) | (_, Err(error)) => {
                tracing::warn!(error = %error, "Forwarding could not reach the store; retrying.");
                false
            }
        };
        if *closing.borrow() {
            return;
        }
        if worked {
            continue;
        }
        let next =
            store::next_due_ms(forwarding.store.connection(), &forwarding.instance).await.ok().flatten();
        let sleep = next.map_or(TAIL_EVERY, |at| {
            Duration::from_millis((at - chrono::Utc::now().timestamp_millis()).clamp(1, 200) as u64)
        });
        tokio::select! {
            _ = tokio::time::sleep(sleep) => {}
            _ = forwarding.wake.notified() => {}
            _ = closing.changed() => {}
        }
    }
}

impl ForwardingHandle {
    /// The forwarding side, for the API.
    pub fn forwarding(&self) -> Arc<Forwarding> {
        Arc::clone(&self.forwarding)
    }

    /// Stops after the deliveries in flight (at most `timeout`); pending
    /// ones wait in the store for the next start.
    pub async fn close(self, timeout: Duration) {
        let _ = self.forwarding.closing.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(timeout, task).await.is_err() {
                abort.abort();
            }
        }
    }
}
