//! Acting on a message this service sent through the app: recall it, or
//! update its template card. Both call WeCom at once and answer with what
//! WeCom said; a recall is then stored as an event (→ `recalled`).

use std::sync::Arc;

use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::auth::{Guarded, WriteAccess};
use super::{
    ApiTags,
    error::{ErrorBody, read_failed, storage_unavailable},
    state::AppState,
};
use crate::{
    event_log::NewEvent,
    outbound::{RECALL_TYPE, SEND_TYPE, SendRequest, signals::Recall},
    tracking::derive::API_CHANNEL,
};

/// Recall and card routes.
pub struct MessageActionsApi {
    state: Arc<AppState>,
}

impl MessageActionsApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

/// What WeCom answered.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct WeComAnswerBody {
    /// The message.
    pub message_id: String,
    /// WeCom's code (0: done).
    pub errcode: i64,
    /// WeCom's text.
    pub errmsg: String,
    /// Users WeCom could not update the card for.
    pub invalid_users: Vec<String>,
}

/// A card update: grey out the buttons with `button.replace_name`, or
/// replace the card with `template_card`; for all recipients (default) or
/// the users, parties and tags given.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct CardUpdate {
    /// Only these users.
    #[oai(default)]
    pub userids: Vec<String>,
    /// Only these departments.
    #[oai(default)]
    pub partyids: Vec<i64>,
    /// Only these tags.
    #[oai(default)]
    pub tagids: Vec<i64>,
    /// `{"replace_name": "已处理"}`: the buttons become one grey label.
    pub button: Option<serde_json::Value>,
    /// A whole new card (same `card_type` fields as when sending).
    pub template_card: Option<serde_json::Value>,
}

/// Answers of the message actions.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ActionResponse {
    /// WeCom did it.
    #[oai(status = 200)]
    Ok(Json<WeComAnswerBody>),
    /// Malformed request.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No message has that id.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// The message was not sent through the app, or has no `msgid` /
    /// `response_code` (yet, or at all).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// WeCom refused (see `errcode`; e.g. 24 h passed for a recall).
    #[oai(status = 502)]
    Refused(Json<WeComAnswerBody>),
    /// WeCom or the store did not answer.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn bad_request(error: poem::Error) -> ActionResponse {
    ActionResponse::BadRequest(ErrorBody::new("invalid_request", error.to_string(), None))
}

fn answer_body(message_id: &str, answer: &crate::outbound::ApiAnswer) -> WeComAnswerBody {
    let invalid_users = match answer.body.get("invaliduser") {
        Some(serde_json::Value::Array(users)) => {
            users.iter().filter_map(|user| user.as_str().map(str::to_owned)).collect()
        }
        Some(serde_json::Value::String(users)) if !users.is_empty() => {
            users.split('|').map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    WeComAnswerBody {
        message_id: message_id.to_owned(),
        errcode: answer.errcode,
        errmsg: answer.errmsg.clone(),
        invalid_users,
    }
}

impl MessageActionsApi {
    /// The stored state of an app message, or the answer explaining why not.
    async fn app_message(&self, id: &str) -> Result<pmc_actors::MessageState, ActionResponse> {
        let found = match self.state.tracking.get_message(id).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                return Err(ActionResponse::NotFound(ErrorBody::new(
                    "not_found",
                    format!("no message with id {id}"),
                    None,
                )));
            }
            Err(error) => return Err(ActionResponse::Unavailable(read_failed(&error.into()))),
        };
        if found.message.channel != "wecom_app" {
            return Err(ActionResponse::Conflict(ErrorBody::new(
                "not_an_app_message",
                format!("message {id} was not sent through wecom_app"),
                None,
            )));
        }
        serde_json::from_str(&found.message.state)
            .map_err(|_| ActionResponse::Unavailable(storage_unavailable()))
    }

    /// The corp a suite account sent message `id` to, from its stored
    /// `message.send` event (apps send in their own corp: `None`).
    async fn corp_of(&self, id: &str) -> Option<String> {
        let event_id = self.state.event_log.event_for_dedupe_key(&format!("message:{id}")).await.ok()??;
        let event = self.state.event_log.get(event_id).await.ok()??;
        (event.callback_type == SEND_TYPE)
            .then(|| serde_json::from_str::<SendRequest>(&event.payload).ok()?.corp_id)
            .flatten()
    }
}

#[OpenApi(tag = "ApiTags::Messages")]
impl MessageActionsApi {
    /// Recall a message
    ///
    /// Recalls a message sent through the app in the last 24 hours (WeCom's
    /// `message/recall`); its recipients become `recalled`.
    #[oai(path = "/api/v1/messages/:id/recall", method = "post", operation_id = "recallMessage")]
    async fn recall(&self, _access: WriteAccess, id: Path<String>) -> Guarded<ActionResponse> {
        Guarded::Allowed(
            async move {
                let state = match self.app_message(&id.0).await {
                    Ok(state) => state,
                    Err(answer) => return answer,
                };
                let account = state.account.clone().unwrap_or_else(pmc_actors::default_account);
                let Some(msgid) = state.wecom_msgid else {
                    return ActionResponse::Conflict(ErrorBody::new(
                        "not_sent_yet",
                        format!("message {} has no WeCom msgid yet (still queued, or failed)", id.0),
                        None,
                    ));
                };
                let corp_id = self.corp_of(&id.0).await;
                let answer = match self.state.outbound.recall(&account, corp_id.as_deref(), &msgid).await {
                    Ok(answer) => answer,
                    Err(reason) => {
                        return ActionResponse::Unavailable(ErrorBody::new(
                            "wecom_unavailable",
                            reason,
                            None,
                        ));
                    }
                };
                if answer.errcode != 0 {
                    return ActionResponse::Refused(Json(answer_body(&id.0, &answer)));
                }
                let recall = Recall { message_id: id.0.clone(), wecom_msgid: msgid };
                let payload = serde_json::to_string(&recall).expect("recalls serialise");
                let event =
                    NewEvent::internal(API_CHANNEL, RECALL_TYPE, format!("recall:{}", id.0), None, payload)
                        .for_account(&account);
                if let Err(error) = self.state.event_log.append(event).await {
                    tracing::error!(error = %error, "A recall was done but not stored.");
                    return ActionResponse::Unavailable(storage_unavailable());
                }
                ActionResponse::Ok(Json(answer_body(&id.0, &answer)))
            }
            .await,
        )
    }

    /// Update a sent template card
    ///
    /// WeCom's `message/update_template_card` with the `response_code` the
    /// send returned (usable once, within 72 hours): grey out the buttons or
    /// replace the card, for everyone or the users given.
    #[oai(path = "/api/v1/messages/:id/card", method = "patch", operation_id = "updateMessageCard")]
    async fn update_card(
        &self,
        _access: WriteAccess,
        id: Path<String>,
        body: Json<CardUpdate>,
    ) -> Guarded<ActionResponse> {
        Guarded::Allowed(
            async move {
                let update = body.0;
                if update.button.is_some() == update.template_card.is_some() {
                    return ActionResponse::BadRequest(ErrorBody::new(
                        "invalid_request",
                        "give either button (grey out) or template_card (replace)",
                        None,
                    ));
                }
                let state = match self.app_message(&id.0).await {
                    Ok(state) => state,
                    Err(answer) => return answer,
                };
                let Some(response_code) = state.response_code else {
                    return ActionResponse::Conflict(ErrorBody::new(
                        "no_response_code",
                        format!(
                            "message {} has no response_code (not an interactive card, or not sent yet)",
                            id.0
                        ),
                        None,
                    ));
                };
                let everyone =
                    update.userids.is_empty() && update.partyids.is_empty() && update.tagids.is_empty();
                let mut request = serde_json::json!({
                    "userids": update.userids,
                    "partyids": update.partyids,
                    "tagids": update.tagids,
                    "atall": i32::from(everyone),
                    "response_code": response_code,
                });
                if let Some(button) = update.button {
                    request["button"] = button;
                }
                if let Some(card) = update.template_card {
                    request["template_card"] = card;
                }
                let account = state.account.clone().unwrap_or_else(pmc_actors::default_account);
                let corp_id = self.corp_of(&id.0).await;
                match self.state.outbound.update_card(&account, corp_id.as_deref(), request).await {
                    Ok(answer) if answer.errcode == 0 => {
                        ActionResponse::Ok(Json(answer_body(&id.0, &answer)))
                    }
                    Ok(answer) => ActionResponse::Refused(Json(answer_body(&id.0, &answer))),
                    Err(reason) => {
                        ActionResponse::Unavailable(ErrorBody::new("wecom_unavailable", reason, None))
                    }
                }
            }
            .await,
        )
    }
}
