//! The raw callback log in MongoDB (external mode, when `MONGODB_HOST` is
//! set): every stored event — ciphertext, signature fields, decrypted
//! document, typed payload as a document — shipped from the local event log
//! in batches, for audit and replay. The event log stays the
//! acknowledgement point: the shipper only ever reads it, resumes from what
//! MongoDB already holds, retries with backoff while MongoDB is down, and
//! never drops (a retried batch is idempotent: `_id` is
//! `{instance}:{event id}`).

mod document;
mod reader;

use std::time::Duration;

use mongodb::{
    Client, Collection, IndexModel,
    bson::{Document, doc},
    error::ErrorKind,
    options::{ClientOptions, IndexOptions},
};
use tokio::{sync::watch, task::JoinHandle};

pub use self::reader::{RawEvent, RawEventPage, RawLogReadError, RawLogReader};
use crate::{
    configuration::{MongoSettings, SecretUri},
    event_log::EventLog,
};

/// The collection.
pub const COLLECTION: &str = "callbacks";
/// Events shipped per `insert_many`.
const BATCH: u64 = 500;
/// MongoDB's duplicate-key error: the document is already there.
const DUPLICATE_KEY: i32 = 11000;

/// What the shipper reports.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RawLogState {
    /// Every event up to this id is in MongoDB.
    pub shipped_up_to: i64,
    /// Whether the last attempt reached MongoDB.
    pub healthy: bool,
    /// The last error, while unhealthy.
    pub last_error: Option<String>,
}

/// The running shipper.
pub struct RawLog {
    state: watch::Receiver<RawLogState>,
    closing: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl RawLog {
    /// Starts shipping `event_log` into MongoDB. Never fails: an unreachable
    /// server is retried in the background and reported as unhealthy.
    pub fn start(settings: &MongoSettings, event_log: EventLog, instance: String) -> Option<Self> {
        let url = settings.url()?;
        let (state_tx, state) = watch::channel(RawLogState::default());
        let (closing, closing_rx) = watch::channel(false);
        let shipper = Shipper {
            url,
            database: settings.database.clone(),
            retention_days: settings.retention_days,
            event_log,
            instance,
            state: state_tx,
        };
        let task = tokio::spawn(shipper.run(closing_rx));
        Some(Self { state, closing, task })
    }

    /// The shipper's state, to read from elsewhere (the API).
    pub fn watch(&self) -> watch::Receiver<RawLogState> {
        self.state.clone()
    }

    /// Ships what is committed (for at most `timeout`), then stops.
    pub async fn close(self, timeout: Duration) {
        let _ = self.closing.send(true);
        if tokio::time::timeout(timeout, self.task).await.is_err() {
            tracing::warn!(
                "The raw log was not fully shipped before shutdown; the rest follows at the next start."
            );
        }
    }
}

struct Shipper {
    url: SecretUri,
    database: String,
    retention_days: u32,
    event_log: EventLog,
    instance: String,
    state: watch::Sender<RawLogState>,
}

impl Shipper {
    async fn run(self, mut closing: watch::Receiver<bool>) {
        let mut delay = Duration::from_millis(200);
        let mut collection = None;
        let mut shipped_up_to = None;
        loop {
            let result = async {
                if collection.is_none() {
                    collection = Some(self.connect().await?);
                }
                let callbacks = collection.as_ref().expect("connected");
                if shipped_up_to.is_none() {
                    shipped_up_to = Some(self.resume_point(callbacks).await?);
                }
                let from = shipped_up_to.expect("resumed");
                let shipped = self.ship_batch(callbacks, from).await?;
                shipped_up_to = Some(shipped);
                Ok::<bool, mongodb::error::Error>(shipped > from)
            }
            .await;
            match result {
                Ok(progressed) => {
                    delay = Duration::from_millis(200);
                    self.state.send_replace(RawLogState {
                        shipped_up_to: shipped_up_to.unwrap_or_default(),
                        healthy: true,
                        last_error: None,
                    });
                    if progressed {
                        continue;
                    }
                    if *closing.borrow() {
                        return;
                    }
                    // Caught up: look again shortly (the log's head moves on every commit).
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                        _ = closing.changed() => {}
                    }
                }
                Err(error) => {
                    // Named by its endpoint (password redacted): a wrong CA,
                    // wrong credentials or an unreachable server each say
                    // which server and why, in the log and in the status.
                    let error = format!(
                        "MongoDB at {}: {}",
                        self.url.redacted(),
                        crate::telemetry::error_chain(&error)
                    );
                    tracing::warn!(error = %error, "Shipping the raw log to MongoDB failed; retrying, nothing is dropped.");
                    self.state.send_modify(|state| {
                        state.healthy = false;
                        state.last_error = Some(error);
                    });
                    // Re-read the resume point after an error: a batch may have landed.
                    shipped_up_to = None;
                    if *closing.borrow() {
                        return;
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(delay) => {}
                        _ = closing.changed() => {}
                    }
                    delay = (delay * 2).min(Duration::from_secs(5));
                }
            }
        }
    }

    async fn connect(&self) -> Result<Collection<Document>, mongodb::error::Error> {
        let mut options = ClientOptions::parse(self.url.expose()).await?;
        let database = database_of(&options, &self.database);
        options.app_name = Some("pmc-webhook".to_owned());
        options.server_selection_timeout = Some(Duration::from_secs(3));
        options.connect_timeout = Some(Duration::from_secs(3));
        let client = Client::with_options(options)?;
        let callbacks = client.database(&database).collection::<Document>(COLLECTION);
        let mut indexes = vec![
            IndexModel::builder().keys(doc! {"instance": 1, "event_id": -1}).build(),
            IndexModel::builder().keys(doc! {"channel": 1, "callback_type": 1, "received_at": -1}).build(),
            IndexModel::builder().keys(doc! {"dedupe_key": 1}).build(),
            IndexModel::builder().keys(doc! {"user_id": 1, "received_at": -1}).build(),
            // The API's listing order.
            IndexModel::builder().keys(doc! {"received_at": -1, "_id": -1}).build(),
        ];
        if self.retention_days > 0 {
            let ttl = Duration::from_secs(u64::from(self.retention_days) * 86_400);
            indexes.push(
                IndexModel::builder()
                    .keys(doc! {"received_at": 1})
                    .options(IndexOptions::builder().expire_after(ttl).build())
                    .build(),
            );
        }
        callbacks.create_indexes(indexes).await?;
        tracing::info!(
            endpoint = %self.url,
            database = %database,
            collection = COLLECTION,
            "Raw log: connected to MongoDB."
        );
        Ok(callbacks)
    }

    /// The highest event id of this instance already in MongoDB.
    async fn resume_point(&self, callbacks: &Collection<Document>) -> Result<i64, mongodb::error::Error> {
        let last = callbacks
            .find_one(doc! {"instance": &self.instance})
            .sort(doc! {"event_id": -1})
            .projection(doc! {"event_id": 1})
            .await?;
        Ok(last.and_then(|document| document.get_i64("event_id").ok()).unwrap_or(0))
    }

    /// Ships the events after `from`; returns the id shipped up to.
    async fn ship_batch(
        &self,
        callbacks: &Collection<Document>,
        from: i64,
    ) -> Result<i64, mongodb::error::Error> {
        let events = match self.event_log.events_after(from, BATCH).await {
            Ok(events) => events,
            Err(error) => {
                tracing::error!(error = %error, "Reading the event log for the raw log failed.");
                return Ok(from);
            }
        };
        let Some(last) = events.last().map(|event| event.id) else {
            return Ok(from);
        };
        let documents: Vec<Document> =
            events.iter().map(|event| document::of_event(&self.instance, event)).collect();
        match callbacks.insert_many(documents).ordered(false).await {
            Ok(_) => Ok(last),
            Err(error) if only_duplicates(&error) => Ok(last),
            Err(error) => Err(error),
        }
    }
}

/// The database a connection string names (`mongodb://…/logs`), else the
/// configured one.
pub(crate) fn database_of(options: &ClientOptions, configured: &str) -> String {
    options.default_database.clone().unwrap_or_else(|| configured.to_owned())
}

/// Whether an `insert_many` failed only because documents were already
/// there (a batch retried after a lost answer).
fn only_duplicates(error: &mongodb::error::Error) -> bool {
    match error.kind.as_ref() {
        ErrorKind::InsertMany(failure) => {
            failure.write_concern_error.is_none()
                && failure
                    .write_errors
                    .as_ref()
                    .is_some_and(|errors| errors.iter().all(|error| error.code == DUPLICATE_KEY))
        }
        _ => false,
    }
}
