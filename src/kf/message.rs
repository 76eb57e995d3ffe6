//! One message or event of `kf/sync_msg`'s `msg_list` as an event of its
//! own: `kf.msg.{msgtype}` (a customer's or servicer's message) or
//! `kf.event.{event_type}` (enter_session, msg_send_fail,
//! session_status_change, …), keyed by its `msgid` within its
//! customer-service account, the item kept whole as the payload.

use pmc_actors::{InteractionRecord, MessageId, Observation, Signal, Status};
use serde_json::Value;

use crate::event_log::{NewEvent, StoredEvent};

/// The channel of pulled 微信客服 events.
pub const KF_CHANNEL: &str = "wecom_kf";

/// The dedupe key of message `msgid` of `open_kfid`.
pub fn dedupe_key(open_kfid: &str, msgid: &str) -> String {
    format!("kf:{open_kfid}:{msgid}")
}

/// The callback type of an item.
pub fn callback_type(item: &Value) -> String {
    let text = |pointer: &str| item.pointer(pointer).and_then(Value::as_str).unwrap_or("unknown");
    let clean = |raw: &str| -> String {
        raw.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(48)
            .collect::<String>()
            .to_lowercase()
    };
    match text("/msgtype") {
        "event" => format!("kf.event.{}", clean(text("/event/event_type"))),
        msgtype => format!("kf.msg.{}", clean(msgtype)),
    }
}

/// The event of `item` pulled by `account`; `None` without a `msgid`.
pub fn event_of(account: &str, open_kfid: &str, item: &Value) -> Option<NewEvent> {
    let msgid = item.get("msgid").and_then(Value::as_str).filter(|msgid| !msgid.is_empty())?;
    let mut event = NewEvent::internal(
        KF_CHANNEL,
        &callback_type(item),
        dedupe_key(open_kfid, msgid),
        None,
        item.to_string(),
    )
    .for_account(account);
    event.user_id = item
        .get("external_userid")
        .or_else(|| item.pointer("/event/external_userid"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    Some(event)
}

/// Why WeCom did not deliver a 微信客服 message (`msg_send_fail`'s
/// `fail_type`, doc 94670).
pub fn fail_reason(fail_type: i64) -> String {
    let reason = match fail_type {
        1 => "the customer-service account was deleted",
        2 => "the app was closed",
        4 => "the session expired (48 hours after the customer's last message)",
        5 => "the session was closed",
        6 => "over the limit of 5 messages per customer message",
        8 => "the corp is not verified",
        10 => "the customer refused messages",
        11 => "no member is signed in to the WeCom app",
        12 => "the video channel is not bound",
        13 => "not allowed in this scene",
        _ => "unknown reason",
    };
    format!("msg_send_fail fail_type {fail_type}: {reason}")
}

/// What tracking takes from a pulled event: `msg_send_fail` fails the
/// message it names (our message id is its kf msgid) for that customer; a
/// customer's message and an `enter_session` are interactions of the
/// customer (the latter with its `welcome_code`, for a welcome).
pub fn signals_of(event: &StoredEvent) -> Vec<Signal> {
    let Ok(item) = serde_json::from_str::<Value>(&event.payload) else { return Vec::new() };
    let text = |pointer: &str| item.pointer(pointer).and_then(Value::as_str).map(str::to_owned);
    let at = event.received_at_ms;
    let occurred = item.get("send_time").and_then(Value::as_i64).map(|secs| secs * 1000);
    let interaction = |kind: &str, user: Option<String>| {
        user.map(|user_id| {
            Signal::Interaction(InteractionRecord {
                user_id,
                kind: kind.to_owned(),
                message_id: None,
                callback_type: event.callback_type.clone(),
                channel: KF_CHANNEL.to_owned(),
                account: event.account.clone(),
                payload: item.clone(),
                occurred_at_ms: occurred,
                received_at_ms: at,
            })
        })
    };
    match event.callback_type.as_str() {
        "kf.event.msg_send_fail" => {
            let Some(message_id) = text("/event/fail_msgid").and_then(|id| MessageId::parse(&id).ok()) else {
                return Vec::new();
            };
            let fail_type = item.pointer("/event/fail_type").and_then(Value::as_i64).unwrap_or_default();
            vec![Signal::Observe(Observation {
                message_id,
                recipient: text("/event/external_userid"),
                status: Status::Failed,
                source: "wecom_kf".to_owned(),
                occurred_at_ms: occurred,
                received_at_ms: at,
                detail: Some(fail_reason(fail_type)),
            })]
        }
        "kf.event.enter_session" => {
            interaction("kf_enter_session", text("/event/external_userid")).into_iter().collect()
        }
        kind if kind.starts_with("kf.msg.") && item.get("origin").and_then(Value::as_i64) == Some(3) => {
            interaction("kf_message", text("/external_userid")).into_iter().collect()
        }
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn messages_and_events_are_typed_and_keyed_by_msgid() {
        let text = json!({"msgid": "from_msgid_4622416642169452483", "open_kfid": "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q",
                          "external_userid": "wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw", "send_time": 1615478585,
                          "origin": 3, "msgtype": "text", "text": {"content": "你好"}});
        let event = event_of("default", "wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q", &text).unwrap();
        assert_eq!(event.callback_type, "kf.msg.text");
        assert_eq!(event.dedupe_key, "kf:wkAJ2GCAAASSm4_FhToWMFea0xAFfd3Q:from_msgid_4622416642169452483");
        assert_eq!(event.user_id.as_deref(), Some("wmAJ2GCAAAme1XQRC-NI-q0_ZM9ukoAw"));
        let failed = json!({"msgid": "m2", "msgtype": "event",
                            "event": {"event_type": "msg_send_fail", "open_kfid": "wk1",
                                      "external_userid": "wm1", "fail_msgid": "our-1", "fail_type": 4}});
        let event = event_of("default", "wk1", &failed).unwrap();
        assert_eq!(event.callback_type, "kf.event.msg_send_fail");
        assert_eq!(event.user_id.as_deref(), Some("wm1"));
        assert!(event_of("default", "wk1", &json!({"msgtype": "text"})).is_none());
        assert_eq!(
            callback_type(&json!({"msgtype": "event", "event": {"event_type": "x;DROP"}})),
            "kf.event.xdrop"
        );
    }
}
