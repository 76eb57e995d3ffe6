//! The events business systems receive, made from stored rows: a JSON
//! object `{type, id, timestamp, data}` per delivery.

use serde_json::{Value, json};

use crate::{
    event_log::StoredEvent,
    tracking::entity::{history, interaction, member_event},
};

/// What a subscription can ask for.
pub const KINDS: [&str; 4] = ["status", "interaction", "member", "callback"];

/// An event to deliver, before it has a subscription.
#[derive(Debug, Clone)]
pub struct Outgoing {
    /// `status`, `interaction`, `member`, `callback`.
    pub kind: &'static str,
    /// The `type` field: `message.status`, `interaction`, `member`, `callback`.
    pub event_type: &'static str,
    /// Unique per source row (`history:{origin}:{id}`, …).
    pub source_key: String,
    /// Deliveries with one key go out in order.
    pub order_key: String,
    /// The account it belongs to (`None`: not known, see [`status`]), for
    /// subscriptions limited to some accounts.
    pub account: Option<String>,
    /// The JSON event.
    pub payload: Value,
}

fn time(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn optional_time(ms: Option<i64>) -> Value {
    ms.map_or(Value::Null, |ms| Value::String(time(ms)))
}

fn parsed(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|_| Value::String(text.to_owned()))
}

/// A status change (an applied or implied history row). History rows do
/// not carry an account: it is their message's (`messages.account`), `None`
/// when the message is no longer stored.
pub fn status(row: &history::Model, account: Option<&str>, prefix: &str) -> Outgoing {
    let source_key = format!("{prefix}history:{}:{}", row.origin, row.id);
    Outgoing {
        kind: "status",
        event_type: "message.status",
        order_key: format!("message:{}", row.message_id),
        account: account.map(str::to_owned),
        payload: json!({
            "type": "message.status",
            "id": source_key,
            "timestamp": time(row.received_at_ms),
            "data": {
                "message_id": row.message_id,
                "account": account,
                "recipient": row.recipient,
                "status": row.status,
                "from_status": row.from_status,
                "outcome": row.outcome,
                "source": row.source,
                "occurred_at": optional_time(row.occurred_at_ms),
                "detail": row.detail,
            },
        }),
        source_key,
    }
}

/// A user interaction.
pub fn interaction(row: &interaction::Model, prefix: &str) -> Outgoing {
    let source_key = format!("{prefix}interaction:{}:{}", row.origin, row.id);
    let order_key = match &row.message_id {
        Some(message_id) => format!("message:{message_id}"),
        None => format!("user:{}", row.user_id),
    };
    Outgoing {
        kind: "interaction",
        event_type: "interaction",
        order_key,
        account: Some(row.account.clone()),
        payload: json!({
            "type": "interaction",
            "id": source_key,
            "timestamp": time(row.received_at_ms),
            "data": {
                "user_id": row.user_id,
                "kind": row.kind,
                "message_id": row.message_id,
                "callback_type": row.callback_type,
                "channel": row.channel,
                "account": row.account,
                "occurred_at": optional_time(row.occurred_at_ms),
                "payload": parsed(&row.payload),
            },
        }),
        source_key,
    }
}

/// A member joining, leaving or changing.
pub fn member(row: &member_event::Model, prefix: &str) -> Outgoing {
    let source_key = format!("{prefix}member:{}:{}", row.origin, row.id);
    Outgoing {
        kind: "member",
        event_type: "member",
        order_key: format!("user:{}", row.user_id.as_deref().unwrap_or("")),
        account: Some(row.account.clone()),
        payload: json!({
            "type": "member",
            "id": source_key,
            "timestamp": time(row.received_at_ms),
            "data": {
                "user_id": row.user_id,
                "kind": row.kind,
                "account": row.account,
                "occurred_at": optional_time(row.occurred_at_ms),
                "payload": parsed(&row.payload),
            },
        }),
        source_key,
    }
}

/// A raw callback, as stored in this replica's event log.
pub fn callback(event: &StoredEvent, instance: &str, prefix: &str) -> Outgoing {
    let source_key = format!("{prefix}callback:{instance}:{}", event.id);
    Outgoing {
        kind: "callback",
        event_type: "callback",
        order_key: format!("user:{}", event.user_id.as_deref().unwrap_or("")),
        account: Some(event.account.clone()),
        payload: json!({
            "type": "callback",
            "id": source_key,
            "timestamp": time(event.received_at_ms),
            "data": {
                "instance": instance,
                "event_id": event.id,
                "channel": event.channel,
                "account": event.account,
                "callback_type": event.callback_type,
                "dedupe_key": event.dedupe_key,
                "user_id": event.user_id,
                "payload": parsed(&event.payload),
            },
        }),
        source_key,
    }
}
