//! One stored event as a MongoDB document.

use mongodb::bson::{self, Bson, DateTime, Document, doc};

use crate::event_log::StoredEvent;

/// `_id` is `{instance}:{event id}`, so shipping a batch twice stores it once.
pub fn of_event(instance: &str, event: &StoredEvent) -> Document {
    // The typed payload as a document, so that it can be queried by field.
    let payload = serde_json::from_str::<serde_json::Value>(&event.payload)
        .ok()
        .and_then(|value| bson::to_bson(&value).ok())
        .unwrap_or_else(|| Bson::String(event.payload.clone()));
    let optional = |value: &Option<String>| value.clone().map_or(Bson::Null, Bson::String);
    doc! {
        "_id": format!("{instance}:{}", event.id),
        "instance": instance,
        "event_id": event.id,
        "received_at": DateTime::from_millis(event.received_at_ms),
        "channel": &event.channel,
        "account": &event.account,
        "callback_type": &event.callback_type,
        "dedupe_key": &event.dedupe_key,
        "user_id": optional(&event.user_id),
        "source_ip": optional(&event.source_ip),
        "envelope_format": &event.envelope_format,
        "msg_signature": &event.msg_signature,
        "timestamp": &event.timestamp,
        "nonce": &event.nonce,
        "ciphertext": &event.ciphertext,
        "plaintext": &event.plaintext,
        "payload": payload,
    }
}

/// Reads a document back into the event it was made of (`None` for a
/// document this service did not write).
pub fn to_event(document: &Document) -> Option<super::reader::RawEvent> {
    let text = |key: &str| document.get_str(key).ok().map(str::to_owned);
    let optional = |key: &str| match document.get(key) {
        Some(Bson::String(value)) => Some(value.clone()),
        _ => None,
    };
    let payload = match document.get("payload") {
        Some(Bson::String(raw)) => raw.clone(),
        Some(value) => serde_json::to_string(&value.clone().into_relaxed_extjson()).ok()?,
        None => "null".to_owned(),
    };
    Some(super::reader::RawEvent {
        instance: text("instance")?,
        event: StoredEvent {
            id: document.get_i64("event_id").ok()?,
            received_at_ms: document.get_datetime("received_at").ok()?.timestamp_millis(),
            channel: text("channel")?,
            // Documents written before accounts existed were the seed's single app and robot.
            account: text("account").unwrap_or_else(|| crate::accounts::DEFAULT_ACCOUNT.to_owned()),
            callback_type: text("callback_type")?,
            dedupe_key: text("dedupe_key")?,
            user_id: optional("user_id"),
            source_ip: optional("source_ip"),
            envelope_format: text("envelope_format")?,
            msg_signature: text("msg_signature")?,
            timestamp: text("timestamp")?,
            nonce: text("nonce")?,
            ciphertext: text("ciphertext")?,
            plaintext: text("plaintext")?,
            payload,
        },
    })
}
