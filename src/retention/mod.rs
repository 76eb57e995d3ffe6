//! Retention and disk safety: a background task that prunes what
//! `storage.retention` says is old — never what a consumer (tracking,
//! forwarding, sending, the raw log, the shared events view) has not yet
//! processed — and gives the space back; and a disk sampler that degrades
//! `/health` below `storage.min_free_bytes` and refuses callbacks (503, so
//! WeCom retries) below half of it, instead of risking a torn write.

pub mod backup;
pub mod disk;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::Duration,
};

use tokio::{sync::watch, task::JoinHandle};

pub use self::disk::DiskGauge;
use crate::{
    configuration::RetentionSettings, event_log::EventLog, events_view::EventsViewState, outbound::Outbound,
    raw_log::RawLogState, tracking::SqlTrackingStore,
};

/// Rows pruned per table since start (`pmc_pruned_rows_total{table}`).
#[derive(Debug, Default)]
pub struct PruneCounters(Mutex<BTreeMap<&'static str, u64>>);

impl PruneCounters {
    fn add(&self, table: &'static str, rows: u64) {
        *self.0.lock().expect("counters lock").entry(table).or_default() += rows;
    }

    /// `(table, rows)`, every table pruned at least once (0 included).
    pub fn snapshot(&self) -> Vec<(&'static str, u64)> {
        self.0.lock().expect("counters lock").iter().map(|(table, rows)| (*table, *rows)).collect()
    }
}

/// The consumers whose progress bounds what may be pruned from the event log.
pub struct Consumers {
    /// Tracking and forwarding checkpoints live here.
    pub store: SqlTrackingStore,
    /// The send queue's cursor.
    pub outbound: Arc<Outbound>,
    /// The raw log's progress, when it runs.
    pub raw_log: Option<watch::Receiver<RawLogState>>,
    /// The shared view's progress, when it runs.
    pub events_view: Option<watch::Receiver<EventsViewState>>,
    /// The suite keeper's progress (an unprocessed `create_auth` holds a
    /// corp's only chance at a permanent code).
    pub suites: watch::Receiver<i64>,
    /// The 微信客服 puller's progress (a notice not yet read may hold the
    /// only token for its messages).
    pub kf: watch::Receiver<i64>,
}

impl Consumers {
    /// The highest event id every consumer has processed.
    async fn floor(&self) -> Result<i64, String> {
        let mut floor = self.store.checkpoint().await.map_err(|error| error.to_string())?;
        floor = floor
            .min(self.store.forwarding_checkpoint("callbacks").await.map_err(|error| error.to_string())?);
        floor = floor.min(self.outbound.cursor().await.map_err(|error| error.to_string())?);
        if let Some(raw_log) = &self.raw_log {
            floor = floor.min(raw_log.borrow().shipped_up_to);
        }
        if let Some(view) = &self.events_view {
            floor = floor.min(view.borrow().copied_up_to);
        }
        floor = floor.min(*self.suites.borrow());
        floor = floor.min(*self.kf.borrow());
        Ok(floor)
    }
}

/// The running pruner and disk sampler.
pub struct Retention {
    tasks: Vec<JoinHandle<()>>,
}

impl Retention {
    /// Starts sampling the disk (feeding `event_log`'s refusal) and, unless
    /// `settings.prune_interval` is 0, pruning.
    pub fn start(
        settings: &RetentionSettings,
        event_log: EventLog,
        consumers: Consumers,
        disk: Arc<DiskGauge>,
        counters: Arc<PruneCounters>,
    ) -> Self {
        let sampler = {
            let (event_log, disk) = (event_log.clone(), Arc::clone(&disk));
            tokio::spawn(async move {
                loop {
                    disk.sample();
                    let critical = disk.is_critical();
                    event_log.set_disk_low(critical);
                    tokio::time::sleep(disk::SAMPLE_INTERVAL).await;
                }
            })
        };
        let mut tasks = vec![sampler];
        if let Some(interval) = settings.prune_interval.0 {
            let pruner = Pruner { settings: settings.clone(), event_log, consumers, counters };
            tasks.push(tokio::spawn(pruner.run(interval)));
        }
        Self { tasks }
    }

    /// Stops both tasks (nothing they do needs finishing: a prune is
    /// idempotent and resumes at the next start).
    pub fn stop(self) {
        for task in self.tasks {
            task.abort();
        }
    }
}

struct Pruner {
    settings: RetentionSettings,
    event_log: EventLog,
    consumers: Consumers,
    counters: Arc<PruneCounters>,
}

impl Pruner {
    async fn run(self, interval: Duration) {
        loop {
            tokio::time::sleep(interval).await;
            if let Err(error) = self.prune_once().await {
                tracing::warn!(error = %error, "Pruning failed; retried at the next interval, nothing unprocessed is touched.");
            }
        }
    }

    async fn prune_once(&self) -> Result<(), String> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let cutoff = |period: Option<Duration>| period.map(|period| now_ms - period.as_millis() as i64);
        if let Some(cutoff) = cutoff(self.settings.events.0) {
            let floor = self.consumers.floor().await?;
            let events =
                self.event_log.prune_events(cutoff, floor).await.map_err(|error| error.to_string())?;
            self.counters.add("events", events);
            // Finished sends whose send event is gone can never be needed again.
            let first = self.event_log.first_id().await.map_err(|error| error.to_string())?;
            let jobs = self
                .consumers
                .outbound
                .prune_finished_before(first)
                .await
                .map_err(|error| error.to_string())?;
            self.counters.add("outbound_jobs", jobs);
            if self.consumers.events_view.is_some() {
                let shared = self
                    .consumers
                    .store
                    .prune_shared_events(cutoff)
                    .await
                    .map_err(|error| error.to_string())?;
                self.counters.add("shared_events", shared);
            }
            if events > 0 {
                tracing::info!(
                    events,
                    outbound_jobs = jobs,
                    floor,
                    "Pruned stored callbacks past their retention."
                );
            }
        }
        if let Some(cutoff) = cutoff(self.settings.history.0) {
            let quarantine =
                self.event_log.prune_quarantine(cutoff).await.map_err(|error| error.to_string())?;
            self.counters.add("quarantine", quarantine);
            for (table, rows) in
                self.consumers.store.prune_history(cutoff).await.map_err(|error| error.to_string())?
            {
                self.counters.add(table, rows);
            }
        }
        self.event_log.give_back_space().await.map_err(|error| error.to_string())?;
        Ok(())
    }
}
