//! What the sending events contribute to tracking: a send registers its
//! message with every recipient `queued`; its result observes `sent` or
//! `failed` per recipient and keeps WeCom's receipt; a mass send's
//! customer outcomes observe `sent` or `failed` per customer; a recall
//! observes `recalled`.

use pmc_actors::{MessageId, Observation, Registration, SendReceipt, Signal, Status};

use super::{
    EXTERNAL_RESULT_TYPE, RECALL_TYPE, SEND_RESULT_TYPE, SEND_TYPE, SendRequest, SendResult,
    external::ExternalResult,
};
use crate::event_log::StoredEvent;

/// A recall, as stored.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Recall {
    /// The message.
    pub message_id: String,
    /// WeCom's msgid that was recalled.
    pub wecom_msgid: String,
}

/// The signals of a sending event; `None` for other events.
pub fn signals_of(event: &StoredEvent) -> Option<Result<Vec<Signal>, serde_json::Error>> {
    let at = event.received_at_ms;
    let observation = |message_id: &MessageId, recipient: Option<String>, status, source: &str, detail| {
        Signal::Observe(Observation {
            message_id: message_id.clone(),
            recipient,
            status,
            source: source.to_owned(),
            occurred_at_ms: Some(at),
            received_at_ms: at,
            detail,
        })
    };
    let signals = match event.callback_type.as_str() {
        SEND_TYPE => serde_json::from_str::<SendRequest>(&event.payload).map(|request| {
            let Ok(message_id) = MessageId::parse(&request.message_id) else { return Vec::new() };
            vec![Signal::Register(Registration {
                message_id,
                channel: request.channel.as_str().to_owned(),
                account: event.account.clone(),
                recipients: request.tracked_recipients(),
                wecom_msgid: None,
                task_id: request.task_id(),
                initial_status: Status::Queued,
                registered_at_ms: at,
            })]
        }),
        SEND_RESULT_TYPE => serde_json::from_str::<SendResult>(&event.payload).map(|result| {
            let Ok(message_id) = MessageId::parse(&result.message_id) else { return Vec::new() };
            let mut signals = Vec::new();
            if result.errcode == 0 {
                signals.push(Signal::Receipt(SendReceipt {
                    message_id: message_id.clone(),
                    wecom_msgid: result.wecom_msgid.clone(),
                    response_code: result.response_code.clone(),
                }));
            }
            if result.whole {
                signals.push(observation(&message_id, None, Status::Sent, "wecom_send", None));
            }
            for recipient in result.sent {
                signals.push(observation(&message_id, Some(recipient), Status::Sent, "wecom_send", None));
            }
            for failed in result.failed {
                let recipient = (!failed.recipient.is_empty()).then_some(failed.recipient);
                signals.push(observation(
                    &message_id,
                    recipient,
                    Status::Failed,
                    "wecom_send",
                    Some(failed.reason),
                ));
            }
            signals
        }),
        EXTERNAL_RESULT_TYPE => serde_json::from_str::<ExternalResult>(&event.payload).map(|result| {
            let Ok(message_id) = MessageId::parse(&result.message_id) else { return Vec::new() };
            result
                .outcomes
                .into_iter()
                .map(|outcome| {
                    let status = if outcome.sent { Status::Sent } else { Status::Failed };
                    observation(
                        &message_id,
                        Some(outcome.recipient),
                        status,
                        "wecom_groupmsg_result",
                        outcome.reason,
                    )
                })
                .collect()
        }),
        RECALL_TYPE => serde_json::from_str::<Recall>(&event.payload).map(|recall| {
            match MessageId::parse(&recall.message_id) {
                Ok(message_id) => {
                    vec![observation(&message_id, None, Status::Recalled, "wecom_recall", None)]
                }
                Err(_) => Vec::new(),
            }
        }),
        _ => return None,
    };
    Some(signals)
}
