//! One view of the stored callbacks across replicas (external mode).
//!
//! Each replica acknowledges into its own local event log; behind a load
//! balancer no replica's log holds everything. This task copies every
//! committed event — typed payload, decrypted document and metadata, not the
//! ciphertext — into `shared_events` in the tracking store's MySQL, in
//! batches after the acknowledgement (never on the ack path), and the events
//! API reads from there, so every replica answers the same. Like tracking it
//! resumes from a checkpoint (`events_view:{instance}` in `checkpoints`),
//! moved in the transaction that inserts the batch, waits out outages with
//! backoff, and never drops: a replayed batch inserts nothing twice
//! (`(origin, event_id)` is the key).

pub mod entity;
pub mod migration;
mod reader;

use std::time::Duration;

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, TransactionTrait, sea_query::OnConflict};
use tokio::{sync::watch, task::JoinHandle};

use self::entity::shared_event;
pub use self::reader::{SharedEventPage, SharedEvents};
use crate::{
    event_log::{EventLog, StoredEvent},
    tracking::entity::checkpoint,
};

/// Events copied per transaction.
const BATCH: u64 = 500;

/// What the copier reports (`/api/v1/status`, `/health`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventsViewState {
    /// Every event up to this id is in the shared view.
    pub copied_up_to: i64,
    /// Whether the last attempt reached the database.
    pub healthy: bool,
    /// The last error, while unhealthy.
    pub last_error: Option<String>,
}

/// The running copier.
pub struct EventsView {
    state: watch::Receiver<EventsViewState>,
    closing: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl EventsView {
    /// Starts copying `event_log` into `db`'s `shared_events`. Never fails:
    /// an unreachable database is retried in the background and reported.
    pub fn start(db: DatabaseConnection, event_log: EventLog, instance: String) -> Self {
        let (state_tx, state) = watch::channel(EventsViewState::default());
        let (closing, closing_rx) = watch::channel(false);
        let copier = Copier {
            db,
            event_log,
            checkpoint_name: format!("events_view:{instance}"),
            instance,
            state: state_tx,
        };
        let task = tokio::spawn(copier.run(closing_rx));
        Self { state, closing, task }
    }

    /// The copier's state, to read from elsewhere (the API).
    pub fn watch(&self) -> watch::Receiver<EventsViewState> {
        self.state.clone()
    }

    /// Copies what is committed (for at most `timeout`), then stops.
    pub async fn close(self, timeout: Duration) {
        let _ = self.closing.send(true);
        if tokio::time::timeout(timeout, self.task).await.is_err() {
            tracing::warn!(
                "The shared events view was not fully copied before shutdown; the rest follows at the next start."
            );
        }
    }
}

struct Copier {
    db: DatabaseConnection,
    event_log: EventLog,
    instance: String,
    checkpoint_name: String,
    state: watch::Sender<EventsViewState>,
}

impl Copier {
    async fn run(self, mut closing: watch::Receiver<bool>) {
        let mut delay = Duration::from_millis(200);
        let mut copied_up_to = None;
        loop {
            let result = async {
                let from = match copied_up_to {
                    Some(from) => from,
                    None => self.checkpoint().await?,
                };
                copied_up_to = Some(from);
                let copied = self.copy_batch(from).await?;
                copied_up_to = Some(copied);
                Ok::<bool, sea_orm::DbErr>(copied > from)
            }
            .await;
            match result {
                Ok(progressed) => {
                    delay = Duration::from_millis(200);
                    self.state.send_replace(EventsViewState {
                        copied_up_to: copied_up_to.unwrap_or_default(),
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
                    tracing::warn!(error = %error, "Copying events to the shared view failed; retrying, nothing is dropped.");
                    self.state.send_modify(|state| {
                        state.healthy = false;
                        state.last_error = Some(error.to_string());
                    });
                    // Re-read the checkpoint after an error: the batch may have committed.
                    copied_up_to = None;
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

    async fn checkpoint(&self) -> Result<i64, sea_orm::DbErr> {
        Ok(checkpoint::Entity::find_by_id(self.checkpoint_name.as_str())
            .one(&self.db)
            .await?
            .map_or(0, |row| row.event_id))
    }

    /// Copies the events after `from` and moves the checkpoint, in one
    /// transaction; returns the id copied up to.
    async fn copy_batch(&self, from: i64) -> Result<i64, sea_orm::DbErr> {
        let events = match self.event_log.events_after(from, BATCH).await {
            Ok(events) => events,
            Err(error) => {
                tracing::error!(error = %error, "Reading the event log for the shared view failed.");
                return Ok(from);
            }
        };
        let Some(last) = events.last().map(|event| event.id) else {
            return Ok(from);
        };
        let rows: Vec<shared_event::ActiveModel> = events.iter().map(|event| self.row(event)).collect();
        let transaction = self.db.begin().await?;
        for chunk in crate::sql_chunks::chunks(&rows) {
            shared_event::Entity::insert_many(chunk.iter().cloned())
                .on_conflict(
                    // MySQL has no DO NOTHING: this becomes `UPDATE event_id = event_id`.
                    OnConflict::columns([shared_event::Column::Origin, shared_event::Column::EventId])
                        .do_nothing_on([shared_event::Column::EventId])
                        .to_owned(),
                )
                .exec_without_returning(&transaction)
                .await?;
        }
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            name: Set(self.checkpoint_name.clone()),
            event_id: Set(last),
        })
        .on_conflict(
            OnConflict::column(checkpoint::Column::Name)
                .update_column(checkpoint::Column::EventId)
                .to_owned(),
        )
        .exec_without_returning(&transaction)
        .await?;
        transaction.commit().await?;
        Ok(last)
    }

    fn row(&self, event: &StoredEvent) -> shared_event::ActiveModel {
        shared_event::ActiveModel {
            origin: Set(self.instance.clone()),
            event_id: Set(event.id),
            received_at_ms: Set(event.received_at_ms),
            channel: Set(clip(&event.channel, 48)),
            account: Set(clip(&event.account, 40)),
            callback_type: Set(clip(&event.callback_type, 128)),
            dedupe_key: Set(clip(&event.dedupe_key, 255)),
            user_id: Set(event.user_id.as_deref().map(|user| clip(user, 128))),
            source_ip: Set(event.source_ip.as_deref().map(|ip| clip(ip, 64))),
            envelope_format: Set(clip(&event.envelope_format, 8)),
            msg_signature: Set(clip(&event.msg_signature, 128)),
            timestamp: Set(clip(&event.timestamp, 32)),
            nonce: Set(clip(&event.nonce, 64)),
            plaintext: Set(event.plaintext.clone()),
            payload: Set(event.payload.clone()),
        }
    }
}

/// At most `max` characters: the local log does not bound these fields
/// (an authenticated sender could send anything), MySQL's columns do, and a
/// refused row would stall the whole view.
fn clip(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
