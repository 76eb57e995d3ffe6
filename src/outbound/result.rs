//! What a send came to, stored as a `message.send_result` event: the
//! tracking actors turn it into `sent` / `failed` per recipient and keep
//! WeCom's `msgid` and `response_code`.

use serde::{Deserialize, Serialize};

use super::{
    client::ApiAnswer,
    request::{SendChannel, SendRequest},
};

/// The event type of a send request.
pub const SEND_TYPE: &str = "message.send";
/// The event type of a send's outcome.
pub const SEND_RESULT_TYPE: &str = "message.send_result";
/// The event type of a successful recall.
pub const RECALL_TYPE: &str = "message.recall";
/// The event type of customers' outcomes of a mass send (`wecom_external`).
pub const EXTERNAL_RESULT_TYPE: &str = "message.external_result";

/// One recipient WeCom did not deliver to, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FailedRecipient {
    /// The user id (`""`: the message as a whole).
    pub recipient: String,
    /// Why (`invaliduser`, `unlicenseduser`, `errcode 81013: …`).
    pub reason: String,
}

/// A send's outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SendResult {
    /// The message.
    pub message_id: String,
    /// Accepted recipients; empty with `whole` for messages tracked as a whole.
    pub sent: Vec<String>,
    /// The message as a whole was accepted.
    pub whole: bool,
    /// Recipients (or the whole message) that failed.
    pub failed: Vec<FailedRecipient>,
    /// WeCom's `msgid`.
    pub wecom_msgid: Option<String>,
    /// The card's `response_code`.
    pub response_code: Option<String>,
    /// WeCom's code (0 on success); -2: WeCom never answered.
    pub errcode: i64,
    /// WeCom's text, or why it never answered.
    pub errmsg: String,
    /// Tries it took.
    pub attempts: i32,
}

impl SendResult {
    /// The dedupe key of a message's result (one per message).
    pub fn dedupe_key(message_id: &str) -> String {
        format!("send_result:{message_id}")
    }

    /// WeCom accepted the send (errcode 0), perhaps not for everyone.
    pub fn accepted(request: &SendRequest, answer: &ApiAnswer, attempts: i32) -> Self {
        let listed = |key: &str| -> Vec<String> {
            answer.text(key).map(|text| text.split('|').map(str::to_lowercase).collect()).unwrap_or_default()
        };
        if request.channel == SendChannel::WecomExternal {
            return Self::mass_send_accepted(request, answer, attempts);
        }
        let invalid = listed("invaliduser");
        let unlicensed = listed("unlicenseduser");
        let tracked = request.tracked_recipients();
        let mut sent = Vec::new();
        let mut failed = Vec::new();
        for recipient in &tracked {
            let lower = recipient.to_lowercase();
            if invalid.contains(&lower) {
                failed
                    .push(FailedRecipient { recipient: recipient.clone(), reason: "invaliduser".to_owned() });
            } else if unlicensed.contains(&lower) {
                failed.push(FailedRecipient {
                    recipient: recipient.clone(),
                    reason: "unlicenseduser".to_owned(),
                });
            } else {
                sent.push(recipient.clone());
            }
        }
        Self {
            message_id: request.message_id.clone(),
            whole: tracked.is_empty(),
            sent,
            failed,
            wecom_msgid: answer.text("msgid"),
            response_code: answer.text("response_code"),
            errcode: 0,
            errmsg: answer.errmsg.clone(),
            attempts,
        }
    }

    /// `add_msg_template` accepted: the customers in `fail_list` cannot
    /// get it (no member has them as customers); the others wait for their
    /// member to send it, and their outcome comes from the results job.
    fn mass_send_accepted(request: &SendRequest, answer: &ApiAnswer, attempts: i32) -> Self {
        let fail_list: Vec<&str> = answer
            .body
            .get("fail_list")
            .and_then(serde_json::Value::as_array)
            .map(|list| list.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        let failed = request
            .recipients
            .iter()
            .filter(|customer| fail_list.contains(&customer.as_str()))
            .map(|customer| FailedRecipient {
                recipient: customer.clone(),
                reason: "fail_list: not a customer of any member who can send".to_owned(),
            })
            .collect();
        Self {
            message_id: request.message_id.clone(),
            whole: false,
            sent: Vec::new(),
            failed,
            wecom_msgid: answer.text("msgid"),
            response_code: None,
            errcode: 0,
            errmsg: answer.errmsg.clone(),
            attempts,
        }
    }

    /// The send failed for everyone.
    pub fn failed(request: &SendRequest, errcode: i64, errmsg: String, attempts: i32) -> Self {
        let reason = format!("errcode {errcode}: {errmsg}");
        let tracked = request.tracked_recipients();
        let failed = if tracked.is_empty() {
            vec![FailedRecipient { recipient: String::new(), reason }]
        } else {
            tracked
                .into_iter()
                .map(|recipient| FailedRecipient { recipient, reason: reason.clone() })
                .collect()
        };
        Self {
            message_id: request.message_id.clone(),
            sent: Vec::new(),
            whole: false,
            failed,
            wecom_msgid: None,
            response_code: None,
            errcode,
            errmsg,
            attempts,
        }
    }
}
