//! One message or event of `kf/sync_msg`'s `msg_list` as an event of its
//! own: `kf.msg.{msgtype}` (a customer's or servicer's message) or
//! `kf.event.{event_type}` (enter_session, msg_send_fail,
//! session_status_change, …), keyed by its `msgid` within its
//! customer-service account, the item kept whole as the payload.

use serde_json::Value;

use crate::event_log::NewEvent;

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
