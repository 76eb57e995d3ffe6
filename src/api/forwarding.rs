//! `/api/v1/deliveries` and `/api/v1/events/replay`: forwarding events to
//! business systems (subscriptions are in `subscriptions`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Json,
};

use super::auth::{Guarded, ReadAccess, WriteAccess};
use super::{ApiTags, convert::time_from_ms, error::ErrorBody, state::AppState};
use crate::forwarding::{
    entity::delivery,
    events::KINDS,
    store::{self, DeliveryFilter},
};

/// Forwarding routes.
pub struct ForwardingApi {
    state: Arc<AppState>,
}

impl ForwardingApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

/// One delivery.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct DeliveryBody {
    /// Its id (`webhook-id` is `dlv_{id}`).
    pub id: i64,
    /// The subscription.
    pub subscription_id: String,
    /// `message.status`, `interaction`, `member`, `callback`.
    pub event_type: String,
    /// `pending`, `delivered` or `dead`.
    pub state: String,
    /// Tries so far.
    pub attempts: i32,
    /// The next try, while pending.
    pub next_attempt_at: Option<DateTime<Utc>>,
    /// The receiver's last HTTP status.
    pub last_status: Option<i32>,
    /// The last failure.
    pub last_error: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Delivered.
    pub delivered_at: Option<DateTime<Utc>>,
    /// The event as delivered.
    pub payload: serde_json::Value,
}

fn delivery_body(row: delivery::Model) -> DeliveryBody {
    DeliveryBody {
        next_attempt_at: (row.state == "pending").then(|| time_from_ms(row.next_attempt_ms)),
        payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
        id: row.id,
        subscription_id: row.subscription_id,
        event_type: row.event_type,
        state: row.state,
        attempts: row.attempts,
        last_status: row.last_status,
        last_error: row.last_error,
        created_at: time_from_ms(row.created_at_ms),
        delivered_at: row.delivered_at_ms.map(time_from_ms),
    }
}

/// A page of deliveries.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct DeliveryPage {
    /// Newest first.
    pub deliveries: Vec<DeliveryBody>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// What to replay.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct ReplayRequest {
    /// Stored at or after.
    pub since: DateTime<Utc>,
    /// Stored before (default: now).
    pub until: Option<DateTime<Utc>>,
    /// Kinds to replay (default: all).
    #[oai(default)]
    pub kinds: Vec<String>,
    /// Only to this subscription (default: every one wanting the kinds).
    pub subscription_id: Option<String>,
}

/// What a replay queued.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct ReplayBody {
    /// New deliveries queued.
    pub deliveries: u64,
}

/// Answers of the forwarding routes.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ForwardingResponse<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// Done.
    #[oai(status = 200)]
    Ok(Json<T>),
    /// Created.
    #[oai(status = 201)]
    Created(Json<T>),
    /// Malformed request.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// No such subscription or delivery.
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// A configured subscription cannot be deleted here.
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Invalid URL, kinds, accounts or secret.
    #[oai(status = 422)]
    Invalid(Json<ErrorBody>),
    /// The store does not answer.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn bad_request<T: poem_openapi::types::ToJSON + Send + Sync>(error: poem::Error) -> ForwardingResponse<T> {
    ForwardingResponse::BadRequest(ErrorBody::new("invalid_request", error.to_string(), None))
}

pub(super) fn unavailable<T: poem_openapi::types::ToJSON + Send + Sync>(
    error: sea_orm::DbErr,
) -> ForwardingResponse<T> {
    tracing::error!(error = %error, "Forwarding store failed.");
    ForwardingResponse::Unavailable(ErrorBody::new(
        "storage_unavailable",
        "the store is unavailable; retry later",
        None,
    ))
}

pub(super) fn invalid<T: poem_openapi::types::ToJSON + Send + Sync>(
    message: impl Into<String>,
) -> ForwardingResponse<T> {
    ForwardingResponse::Invalid(ErrorBody::new("invalid_subscription", message, None))
}

#[OpenApi(tag = "ApiTags::Forwarding")]
impl ForwardingApi {
    /// List deliveries
    ///
    /// Newest first; filter by subscription and state (`pending`,
    /// `delivered`, `dead`).
    #[oai(path = "/api/v1/deliveries", method = "get", operation_id = "listDeliveries")]
    async fn deliveries(
        &self,
        _access: ReadAccess,
        /// One subscription's.
        subscription_id: Query<Option<String>>,
        /// `pending`, `delivered` or `dead`.
        state: Query<Option<String>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
    ) -> Guarded<ForwardingResponse<DeliveryPage>> {
        Guarded::Allowed(
            async move {
                let limit = match super::convert::page_size(limit.0) {
                    Ok(limit) => limit,
                    Err(message) => {
                        return ForwardingResponse::BadRequest(ErrorBody::new(
                            "invalid_parameter",
                            message,
                            None,
                        ));
                    }
                };
                if state.0.as_deref().is_some_and(|state| !matches!(state, "pending" | "delivered" | "dead"))
                {
                    return ForwardingResponse::BadRequest(ErrorBody::new(
                        "invalid_parameter",
                        "state must be pending, delivered or dead",
                        None,
                    ));
                }
                let before_id = match cursor.0.as_deref().map(str::parse::<i64>) {
                    None => None,
                    Some(Ok(id)) => Some(id),
                    Some(Err(_)) => {
                        return ForwardingResponse::BadRequest(ErrorBody::new(
                            "invalid_parameter",
                            "cursor is not one this API returned",
                            None,
                        ));
                    }
                };
                let filter =
                    DeliveryFilter { subscription_id: subscription_id.0, state: state.0, before_id, limit };
                match store::list(self.state.forwarding.store().connection(), &filter).await {
                    Ok((rows, more)) => {
                        let next_cursor = more.then(|| rows.last().map(|row| row.id.to_string())).flatten();
                        ForwardingResponse::Ok(Json(DeliveryPage {
                            deliveries: rows.into_iter().map(delivery_body).collect(),
                            next_cursor,
                        }))
                    }
                    Err(error) => unavailable(error),
                }
            }
            .await,
        )
    }

    /// Retry a delivery
    ///
    /// Puts a dead (or pending) delivery back in the queue, due now.
    #[oai(path = "/api/v1/deliveries/:id/retry", method = "post", operation_id = "retryDelivery")]
    async fn retry(&self, _access: WriteAccess, id: Path<i64>) -> Guarded<ForwardingResponse<DeliveryBody>> {
        Guarded::Allowed(
            async move {
                let forwarding = &self.state.forwarding;
                match store::retry(forwarding.store().connection(), id.0, forwarding.instance()).await {
                    Ok(Some(row)) => {
                        forwarding.wake();
                        ForwardingResponse::Ok(Json(delivery_body(row)))
                    }
                    Ok(None) => ForwardingResponse::NotFound(ErrorBody::new(
                        "not_found",
                        format!("no delivery {}", id.0),
                        None,
                    )),
                    Err(error) => unavailable(error),
                }
            }
            .await,
        )
    }

    /// Replay stored events
    ///
    /// Forwards again, as new deliveries, the stored events of the kinds
    /// asked for in a time range — to one subscription or every one that
    /// wants them (a receiver that lost data, a new subscriber catching up).
    #[oai(path = "/api/v1/events/replay", method = "post", operation_id = "replayEvents")]
    async fn replay(
        &self,
        _access: WriteAccess,
        body: Json<ReplayRequest>,
    ) -> Guarded<ForwardingResponse<ReplayBody>> {
        Guarded::Allowed(
            async move {
                let request = body.0;
                if request.kinds.iter().any(|kind| !KINDS.contains(&kind.as_str())) {
                    return invalid(format!("kinds: one or more of {}", KINDS.join(", ")));
                }
                let until = request.until.unwrap_or_else(Utc::now);
                let replayed = self
                    .state
                    .forwarding
                    .replay(
                        request.since.timestamp_millis(),
                        until.timestamp_millis(),
                        &request.kinds,
                        request.subscription_id.as_deref(),
                    )
                    .await;
                match replayed {
                    Ok(count) => ForwardingResponse::Ok(Json(ReplayBody { deliveries: count as u64 })),
                    Err(error) => unavailable(error),
                }
            }
            .await,
        )
    }
}
