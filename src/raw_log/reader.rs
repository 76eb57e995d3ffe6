//! Reading the raw log back: `GET /api/v1/events` lists from MongoDB when it
//! is configured, so one replica answers for all of them (each document
//! names the instance — the replica — that stored it). Newest first by
//! arrival, ties broken by `_id`; the cursor is the last document's
//! (arrival, `_id`).

use std::time::Duration;

use futures::TryStreamExt;
use mongodb::{
    Client, Collection,
    bson::{Bson, DateTime, Document, doc},
    options::ClientOptions,
};

use super::{COLLECTION, document};
use crate::{
    configuration::SecretUri,
    event_log::{EventFilter, StoredEvent},
};

/// A stored event and the instance (replica) whose event log holds it.
#[derive(Debug, Clone)]
pub struct RawEvent {
    /// The replica's instance id.
    pub instance: String,
    /// The event, as its event log stored it.
    pub event: StoredEvent,
}

/// A page read from MongoDB.
#[derive(Debug, Clone)]
pub struct RawEventPage {
    /// Newest first.
    pub events: Vec<RawEvent>,
    /// (arrival ms, `_id`) of the last one, when more may follow.
    pub next: Option<(i64, String)>,
}

/// Reads the `callbacks` collection.
#[derive(Clone)]
pub struct RawLogReader {
    callbacks: Collection<Document>,
}

/// Why the raw log could not be read.
#[derive(Debug, thiserror::Error)]
#[error("raw log: {0}")]
pub struct RawLogReadError(#[from] mongodb::error::Error);

impl RawLogReader {
    /// A reader of `database`; connects on first use, and gives up on an
    /// unreachable server within 2 s (the API then falls back to the local
    /// event log).
    pub async fn new(url: &SecretUri, database: &str) -> Result<Self, RawLogReadError> {
        let mut options = ClientOptions::parse(url.expose()).await?;
        let database = super::database_of(&options, database);
        options.app_name = Some("pmc-webhook-api".to_owned());
        options.server_selection_timeout = Some(Duration::from_secs(2));
        options.connect_timeout = Some(Duration::from_secs(2));
        let client = Client::with_options(options)?;
        Ok(Self { callbacks: client.database(&database).collection(COLLECTION) })
    }

    /// A page of events matching `filter` (its `before_id` is ignored: the
    /// cursor is `after`).
    pub async fn list(
        &self,
        filter: &EventFilter,
        after: Option<(i64, String)>,
    ) -> Result<RawEventPage, RawLogReadError> {
        let mut query = Document::new();
        if let Some(callback_type) = &filter.callback_type {
            let condition = match callback_type.strip_suffix('*') {
                Some(prefix) => Bson::Document(doc! {"$regex": format!("^{}", regex_escape(prefix))}),
                None => Bson::String(callback_type.clone()),
            };
            query.insert("callback_type", condition);
        }
        if let Some(user_id) = &filter.user_id {
            query.insert("user_id", user_id.as_str());
        }
        if let Some(channel) = &filter.channel {
            query.insert("channel", channel.as_str());
        }
        if let Some(account) = &filter.account {
            if account == crate::accounts::DEFAULT_ACCOUNT {
                // Documents written before accounts existed have no account: they are `default`'s.
                query.insert(
                    "account",
                    mongodb::bson::doc! {"$in": [account.as_str(), mongodb::bson::Bson::Null]},
                );
            } else {
                query.insert("account", account.as_str());
            }
        }
        let mut received = Document::new();
        if let Some(since) = filter.since_ms {
            received.insert("$gte", DateTime::from_millis(since));
        }
        if let Some(until) = filter.until_ms {
            received.insert("$lt", DateTime::from_millis(until));
        }
        if !received.is_empty() {
            query.insert("received_at", received);
        }
        if let Some((received_ms, id)) = after {
            let at = DateTime::from_millis(received_ms);
            let before_cursor = doc! {"$or": [
                {"received_at": {"$lt": at}},
                {"received_at": at, "_id": {"$lt": id}},
            ]};
            query = doc! {"$and": [query, before_cursor]};
        }
        let limit = i64::try_from(filter.limit).unwrap_or(i64::MAX);
        let documents: Vec<Document> = self
            .callbacks
            .find(query)
            .sort(doc! {"received_at": -1, "_id": -1})
            .limit(limit + 1)
            .await?
            .try_collect()
            .await?;
        let more = documents.len() as i64 > limit;
        let events: Vec<RawEvent> =
            documents.iter().take(filter.limit as usize).filter_map(document::to_event).collect();
        let next =
            more.then(|| events.last().map(|last| (last.event.received_at_ms, cursor_id(last)))).flatten();
        Ok(RawEventPage { events, next })
    }

    /// One event of one instance.
    pub async fn get(&self, instance: &str, event_id: i64) -> Result<Option<RawEvent>, RawLogReadError> {
        let found = self.callbacks.find_one(doc! {"_id": format!("{instance}:{event_id}")}).await?;
        Ok(found.as_ref().and_then(document::to_event))
    }
}

fn cursor_id(event: &RawEvent) -> String {
    format!("{}:{}", event.instance, event.event.id)
}

/// Escapes a literal for a MongoDB regular expression.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        if "\\^$.|?*+()[]{}".contains(character) {
            escaped.push('\\');
        }
        escaped.push(character);
    }
    escaped
}
