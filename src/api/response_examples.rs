//! Examples of the answers, shown in the spec and in Swagger UI. Written as
//! the JSON a client receives and parsed into the types, so an example that
//! drifts from its type fails the spec test instead of lying.

use poem_openapi::types::{Example, ParseFromJSON};
use serde_json::{Value, json};

use super::{
    activity::{InteractionPage, MemberEventPage},
    actors::{ActorsBody, HandlerBody},
    events::{EventDetail, EventPageBody},
    forwarding::{DeliveryBody, DeliveryPage, ReplayBody},
    health::HealthBody,
    message_actions::WeComAnswerBody,
    message_bodies::{HistoryBody, MessagePage},
    status::StatusBody,
    subscriptions::{SubscriptionBody, SubscriptionList},
};

fn parsed<T: ParseFromJSON>(value: Value) -> T {
    T::parse_from_json(Some(value))
        .unwrap_or_else(|error| panic!("an example does not fit its type: {}", error.message()))
}

macro_rules! example {
    ($type:ty, $json:expr) => {
        impl Example for $type {
            fn example() -> Self {
                parsed($json)
            }
        }
    };
}

fn interaction() -> Value {
    json!({
        "event_id": 4711, "user_id": "zhangsan", "kind": "card_click", "message_id": "order-20261128-0001",
        "callback_type": "event.template_card_event", "channel": "wechat_api", "account": "default",
        "payload": {"task_id": "task-0001", "event_key": "confirm", "card_type": "button_interaction"},
        "occurred_at": "2026-11-28T09:30:12Z", "received_at": "2026-11-28T09:30:12.180Z"
    })
}

fn delivery() -> Value {
    json!({
        "id": 812, "subscription_id": "sub_4f2a9c0e1b7d3a5c6e8f0a1b", "event_type": "message.status",
        "state": "delivered", "attempts": 1, "last_status": 204,
        "created_at": "2026-11-28T09:30:12.300Z", "delivered_at": "2026-11-28T09:30:12.410Z",
        "payload": {"type": "message.status", "data": {"message_id": "order-20261128-0001", "account": "default", "recipient": "zhangsan", "status": "read"}}
    })
}

fn subscription(with_secret: bool) -> Value {
    let mut body = json!({
        "id": "sub_4f2a9c0e1b7d3a5c6e8f0a1b", "url": "https://erp.example.com/wecom-events",
        "kinds": ["interaction", "status"], "accounts": ["hr"], "source": "api", "created_at": "2026-11-28T08:00:00Z"
    });
    if with_secret {
        body["secret"] = json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
    }
    body
}

example!(SubscriptionBody, subscription(true));
example!(SubscriptionList, json!({"subscriptions": [subscription(false)]}));
example!(DeliveryBody, delivery());
example!(DeliveryPage, json!({"deliveries": [delivery()], "next_cursor": "811"}));
example!(ReplayBody, json!({"deliveries": 42}));
example!(InteractionPage, json!({"interactions": [interaction()], "next_cursor": "4711"}));
example!(
    MemberEventPage,
    json!({"events": [{
        "event_id": 4712, "user_id": "lisi", "kind": "subscribe", "account": "hr",
        "payload": {"agent_id": 1000002}, "occurred_at": "2026-11-28T09:31:00Z", "received_at": "2026-11-28T09:31:00.050Z"
    }]})
);
impl Example for MessagePage {
    fn example() -> Self {
        let message = super::message_bodies::MessageBody::example();
        MessagePage { next_cursor: Some(message.id.clone()), messages: vec![message] }
    }
}
example!(
    HistoryBody,
    json!({"message_id": "order-20261128-0001", "history": [
        {"event_id": 4700, "recipient": "zhangsan", "status": "sent", "outcome": "applied", "source": "wecom_send",
         "received_at": "2026-11-28T09:30:01Z"},
        {"event_id": 4711, "recipient": "zhangsan", "status": "delivered", "outcome": "implied", "from_status": "sent",
         "source": "wecom_card", "received_at": "2026-11-28T09:30:12Z"},
        {"event_id": 4711, "recipient": "zhangsan", "status": "read", "outcome": "applied", "from_status": "delivered",
         "source": "wecom_card", "occurred_at": "2026-11-28T09:30:12Z", "received_at": "2026-11-28T09:30:12Z"}
    ]})
);
example!(
    WeComAnswerBody,
    json!({"message_id": "order-20261128-0001", "errcode": 0, "errmsg": "ok", "invalid_users": []})
);
example!(
    EventPageBody,
    json!({"events": [{
        "id": 4711, "instance": "7bfff4c16f606db3", "received_at": "2026-11-28T09:30:12.180Z", "channel": "wechat_api", "account": "default",
        "callback_type": "event.template_card_event", "dedupe_key": "event:zhangsan:1764322212:template_card_event:task-0001",
        "user_id": "zhangsan"
    }], "next_cursor": "4711", "source": "local"})
);
example!(
    EventDetail,
    json!({
        "id": 4711, "instance": "7bfff4c16f606db3", "received_at": "2026-11-28T09:30:12.180Z", "channel": "wechat_api", "account": "default",
        "callback_type": "message.text", "dedupe_key": "msgid:1234567890123456", "user_id": "zhangsan",
        "source_ip": "101.226.90.1", "envelope_format": "xml", "msg_signature": "477715d11cdb4164915debcba66cb864d751f3e6",
        "timestamp": "1764322212", "nonce": "1719203847", "ciphertext": "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS",
        "plaintext": "<xml><ToUserName><![CDATA[ww0a1b2c3d4e5f6789]]></ToUserName><FromUserName><![CDATA[zhangsan]]></FromUserName><CreateTime>1764322212</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[收到]]></Content><MsgId>1234567890123456</MsgId><AgentID>1000002</AgentID></xml>",
        "payload": {"type": "text", "from_user": "zhangsan", "content": "收到", "msg_id": "1234567890123456", "agent_id": 1000002}
    })
);
example!(
    HealthBody,
    json!({"status": "ok", "event_log_ready": true, "event_log_readable": true, "backends": [
        {"name": "tracking", "healthy": true, "backlog": 0}
    ]})
);
example!(
    ActorsBody,
    json!({
        "live_message_actors": 128, "peak_message_actors": 2048, "activations": 9120, "passivations": 8992,
        "restarts": 0, "resyncs": 3, "dead_letters": 0, "events_applied": 41210, "last_applied_id": 41210,
        "checkpoint": 41210, "event_log_head": 41212, "pending_units": 2, "held_for_parking": 0, "waiting_for_slot": 0,
        "applied_by_type": {"message.text": 20105, "status.update": 21105}
    })
);
example!(
    HandlerBody,
    json!({
        "name": "wechat_api", "kind": "webhook", "account": "hr",
        "listens_to": ["app messages (app account hr)", "app events (app account hr)"],
        "routes": ["GET /api/v1/webhooks/wechat/api/hr", "POST /api/v1/webhooks/wechat/api/hr"],
        "invocations": 41210, "failures": 0
    })
);
example!(
    StatusBody,
    json!({
        "service": "PMC通知服务", "version": env!("CARGO_PKG_VERSION"), "started_at": "2026-11-28T08:00:00Z",
        "uptime_seconds": 5412,
        "channels": [
            {"name": "wechat_api", "state": "ready", "detail": "1 credential set"},
            {"name": "wechat_bot", "state": "unconfigured", "detail": "set WECHAT_BOT_TOKEN and WECHAT_BOT_ENCODING_AES_KEY"}
        ],
        "storage": {"mode": "embedded", "backends": [
            {"name": "event_log", "kind": "sqlite", "configured": true, "in_use": true, "healthy": true,
             "detail": "data/events.db"}
        ], "event_log": {"events_total": 41212, "quarantined_total": 0, "batches": 3120, "requests": 41230,
                         "largest_batch": 64, "last_commit_micros": 1930, "failed_batches": 0}},
        "actors": {"running": true, "events_applied": 41210, "last_applied_id": 41210},
        "callbacks": [{"channel": "wechat_api", "account": "default", "callback_type": "message.text", "outcome": "stored", "count": 20105}],
        "process": {"rss_bytes": 61_865_984, "peak_rss_bytes": 98_304_000}
    })
);
