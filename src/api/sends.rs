//! Sending through `POST /api/v1/messages` (channels `wecom_app`,
//! `wecom_bot`): validate, store a `message.send` event (the 202 means it is
//! queued durably), answer with every recipient `queued`. A retried POST —
//! same `Idempotency-Key`, or same `id` — answers the first result and never
//! sends twice: the message id (derived from the key when not given) is the
//! event's dedupe key.

use poem_openapi::payload::Json;

use super::{
    convert::time_from_ms,
    error::{ErrorBody, storage_unavailable},
    message_bodies::{MessageBody, RecipientBody, RegisterMessage, counts, message_body, recipient_body},
    messages::RegisterResponse,
    state::AppState,
};
use crate::{
    event_log::{AppendOutcome, NewEvent},
    outbound::{SEND_TYPE, SendChannel, SendInput, SendRequest},
    tracking::derive::API_CHANNEL,
};

/// The message id of a 微信客服 send (WeCom's kf msgid: at most 32
/// characters): the caller's, or one derived from the welcome code (one
/// welcome per code) or the idempotency key, or a random one.
pub fn kf_message_id_for(
    id: Option<String>,
    welcome_code: Option<&str>,
    idempotency_key: Option<&str>,
) -> String {
    use sha1::Digest;
    let derived = |prefix: &str, from: &str| {
        format!("{prefix}{}", hex::encode(&sha1::Sha1::digest(from.as_bytes())[..14]))
    };
    match (id, welcome_code, idempotency_key) {
        (Some(id), _, _) => id,
        (None, Some(code), _) => derived("kfw_", code),
        (None, None, Some(key)) => derived("kf_", key),
        (None, None, None) => format!("kf_{:028x}", rand::random::<u128>() >> 16),
    }
}

/// The message id a send gets: the caller's, or one derived from the
/// idempotency key (so a retry finds the first), or a random one.
pub fn message_id_for(id: Option<String>, idempotency_key: Option<&str>) -> String {
    use sha1::Digest;
    match (id, idempotency_key) {
        (Some(id), _) => id,
        (None, Some(key)) => format!("msg_{}", hex::encode(&sha1::Sha1::digest(key.as_bytes())[..16])),
        (None, None) => format!("msg_{:032x}", rand::random::<u128>()),
    }
}

fn invalid(message: impl Into<String>) -> RegisterResponse {
    RegisterResponse::Invalid(ErrorBody::new("invalid_message", message, None))
}

/// Queues a send.
pub async fn send(
    state: &AppState,
    id: String,
    body: RegisterMessage,
    idempotency_key: Option<String>,
    source_ip: Option<String>,
) -> RegisterResponse {
    if let Err(reason) = pmc_actors::MessageId::parse(&id) {
        return invalid(reason);
    }
    let input = SendInput {
        message_id: id.clone(),
        channel: body.channel.clone(),
        account: body.account.clone(),
        corp_id: body.corp_id.clone(),
        msgtype: body.msgtype,
        contents: vec![
            ("text", body.text),
            ("markdown", body.markdown),
            ("markdown_v2", body.markdown_v2),
            ("textcard", body.textcard),
            ("news", body.news),
            ("template_card", body.template_card),
            ("image", body.image),
            ("file", body.file),
            ("voice", body.voice),
            ("video", body.video),
            ("mpnews", body.mpnews),
            ("miniprogram_notice", body.miniprogram_notice),
        ],
        recipients: body.recipients,
        parties: body.parties,
        tags: body.tags,
        chatid: body.chatid,
        open_kfid: body.open_kfid,
        welcome_code: body.welcome_code,
        safe: body.safe,
        enable_duplicate_check: body.enable_duplicate_check,
        duplicate_check_interval: body.duplicate_check_interval,
    };
    let request = match SendRequest::parse(input) {
        Ok(request) => request,
        Err(reason) => return invalid(reason),
    };
    if body.status.is_some() || body.wecom_msgid.is_some() || body.task_id.is_some() {
        return invalid("status, wecom_msgid and task_id are for external messages; a send starts queued");
    }
    if let Err(reason) = state.outbound.ready(request.channel, &request.account, request.corp_id.as_deref()) {
        return RegisterResponse::Invalid(ErrorBody::new("channel_not_configured", reason, None));
    }
    let payload = serde_json::to_string(&request).expect("requests serialise");
    let now = chrono::Utc::now().timestamp_millis();
    let mut event = NewEvent::internal(API_CHANNEL, SEND_TYPE, format!("message:{id}"), source_ip, payload)
        .for_account(&request.account);
    event.received_at_ms = now;
    match state.event_log.append(event).await {
        Ok(AppendOutcome::Stored { .. }) => RegisterResponse::Accepted(Json(queued_body(&request, now))),
        Ok(AppendOutcome::Duplicate { .. }) => first_result(state, &request, idempotency_key.is_some()).await,
        Err(error) => {
            tracing::error!(error = %error, "Send not stored.");
            RegisterResponse::Unavailable(storage_unavailable())
        }
    }
}

/// The answer to a retry: the message as it stands, if the first request
/// was the same send; else a conflict.
async fn first_result(state: &AppState, request: &SendRequest, by_key: bool) -> RegisterResponse {
    let id = &request.message_id;
    let original = match state.event_log.event_for_dedupe_key(&format!("message:{id}")).await {
        Ok(Some(event_id)) => state.event_log.get(event_id).await.ok().flatten(),
        _ => None,
    };
    let same = original.as_ref().is_some_and(|event| {
        event.callback_type == SEND_TYPE
            && serde_json::from_str::<SendRequest>(&event.payload)
                .is_ok_and(|first| first.fingerprint == request.fingerprint)
    });
    if !same {
        let (code, message) = if by_key {
            (
                "idempotency_key_reused",
                format!("this Idempotency-Key was used for a different request (message {id})"),
            )
        } else {
            ("already_registered", format!("message {id} already exists; GET /api/v1/messages/{id}"))
        };
        return RegisterResponse::Conflict(ErrorBody::new(code, message, None));
    }
    let first = original.expect("checked above");
    match state.tracking.get_message(id).await {
        Ok(Some(found)) => {
            let recipients = found.recipients.iter().map(recipient_body).collect();
            RegisterResponse::Accepted(Json(message_body(found.message, recipients)))
        }
        // Not tracked yet (the actors apply it within milliseconds).
        _ => RegisterResponse::Accepted(Json(queued_body(request, first.received_at_ms))),
    }
}

fn queued_body(request: &SendRequest, at_ms: i64) -> MessageBody {
    let tracked = request.tracked_recipients();
    let names = if tracked.is_empty() { vec![String::new()] } else { tracked };
    let recipients: Vec<RecipientBody> = names
        .into_iter()
        .map(|recipient| RecipientBody {
            recipient,
            status: "queued".to_owned(),
            reached: vec!["queued".to_owned()],
        })
        .collect();
    MessageBody {
        counts: counts(&recipients),
        id: request.message_id.clone(),
        channel: request.channel.as_str().to_owned(),
        account: request.account.clone(),
        status: Some("queued".to_owned()),
        registered: true,
        wecom_msgid: None,
        task_id: request.task_id(),
        created_at: time_from_ms(at_ms),
        updated_at: time_from_ms(at_ms),
        recipients,
    }
}

/// Whether a channel name is one this service sends on.
pub fn is_send_channel(channel: &str) -> bool {
    SendChannel::parse(channel).is_some()
}
