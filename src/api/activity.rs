//! `GET /api/v1/interactions` and `GET /api/v1/members/events`.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::{ApiResponse, Object, OpenApi, param::Query, payload::Json};

use super::auth::{Guarded, ReadAccess};
use super::{
    ApiTags,
    convert::{page_size, parse_activity_cursor, time_from_ms},
    error::{ErrorBody, read_failed},
    state::AppState,
};
use crate::tracking::query::ActivityFilter;

/// Activity routes.
pub struct ActivityApi {
    state: Arc<AppState>,
}

/// A user interaction.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct InteractionBody {
    /// The event it came from.
    pub event_id: i64,
    /// Who.
    pub user_id: String,
    /// `card_click`, `card_menu`, `menu_click`, `menu_view`, `reply`, `enter_agent`, `location`, `scan`, `picture`, `robot_enter_chat`, `robot_feedback`, `robot_message`, …
    pub kind: String,
    /// The tracked message it concerns (card clicks on registered cards).
    pub message_id: Option<String>,
    /// The callback type.
    pub callback_type: String,
    /// The channel.
    pub channel: String,
    /// The account it came in for.
    pub account: String,
    /// The typed callback.
    pub payload: serde_json::Value,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// A member event.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct MemberEventBody {
    /// The event it came from.
    pub event_id: i64,
    /// The member, when named.
    pub user_id: Option<String>,
    /// `subscribe`, `unsubscribe`, `create_user`, `update_user`, `delete_user`, `create_party`, …
    pub kind: String,
    /// The account it came in for.
    pub account: String,
    /// The typed callback.
    pub payload: serde_json::Value,
    /// When it happened.
    pub occurred_at: Option<DateTime<Utc>>,
    /// When it arrived.
    pub received_at: DateTime<Utc>,
}

/// A page of interactions.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct InteractionPage {
    /// Newest first.
    pub interactions: Vec<InteractionBody>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// A page of member events.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct MemberEventPage {
    /// Newest first.
    pub events: Vec<MemberEventBody>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// Answers of the activity reads.
#[derive(ApiResponse)]
#[oai(bad_request_handler = "bad_request")]
pub enum ActivityResponse<T: poem_openapi::types::ToJSON + Send + Sync> {
    /// A page.
    #[oai(status = 200)]
    Ok(Json<T>),
    /// An invalid filter.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// The tracking store could not be read.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

fn bad_request<T: poem_openapi::types::ToJSON + Send + Sync>(error: poem::Error) -> ActivityResponse<T> {
    ActivityResponse::BadRequest(ErrorBody::new("invalid_parameter", error.to_string(), None))
}

fn filter(
    user_id: Option<String>,
    kind: Option<String>,
    message_id: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    cursor: Option<String>,
    limit: Option<u64>,
) -> Result<ActivityFilter, String> {
    Ok(ActivityFilter {
        user_id,
        kind,
        message_id,
        account: None,
        since_ms: since.map(|t| t.timestamp_millis()),
        until_ms: until.map(|t| t.timestamp_millis()),
        after: parse_activity_cursor(cursor.as_deref())?,
        limit: page_size(limit)?,
    })
}

impl ActivityApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

#[OpenApi(tag = "ApiTags::Tracking")]
impl ActivityApi {
    /// List user interactions
    ///
    /// Card clicks and selections, menu clicks and views, replies to the
    /// app, app entries, locations, scans, robot chats and feedback; newest
    /// first. Filter by member, kind, message, account and arrival time.
    #[oai(path = "/api/v1/interactions", method = "get", operation_id = "listInteractions")]
    #[allow(clippy::too_many_arguments)]
    async fn interactions(
        &self,
        _access: ReadAccess,
        /// Member UserID.
        user_id: Query<Option<String>>,
        /// Interaction kind.
        #[oai(name = "type")]
        kind: Query<Option<String>>,
        /// Linked message id.
        message_id: Query<Option<String>>,
        /// Account id.
        account: Query<Option<String>>,
        /// Arrived at or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Arrived before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
    ) -> Guarded<ActivityResponse<InteractionPage>> {
        Guarded::Allowed(
            async move {
                let filter =
                    match filter(user_id.0, kind.0, message_id.0, since.0, until.0, cursor.0, limit.0) {
                        Ok(filter) => ActivityFilter { account: account.0, ..filter },
                        Err(message) => {
                            return ActivityResponse::BadRequest(ErrorBody::new(
                                "invalid_parameter",
                                message,
                                None,
                            ));
                        }
                    };
                match self.state.tracking.list_interactions(&filter).await {
                    Ok((rows, more)) => ActivityResponse::Ok(Json(InteractionPage {
                        next_cursor: if more { rows.last().map(|row| row.id.to_string()) } else { None },
                        interactions: rows
                            .into_iter()
                            .map(|row| InteractionBody {
                                event_id: row.event_id,
                                user_id: row.user_id,
                                kind: row.kind,
                                message_id: row.message_id,
                                callback_type: row.callback_type,
                                channel: row.channel,
                                account: row.account,
                                payload: serde_json::from_str(&row.payload).unwrap_or_default(),
                                occurred_at: row.occurred_at_ms.map(time_from_ms),
                                received_at: time_from_ms(row.received_at_ms),
                            })
                            .collect(),
                    })),
                    Err(error) => ActivityResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }

    /// List member events
    ///
    /// Members subscribing to or leaving the app, and directory changes
    /// (users, departments, tags); newest first. Filter by member, kind,
    /// account and arrival time.
    #[oai(path = "/api/v1/members/events", method = "get", operation_id = "listMemberEvents")]
    #[allow(clippy::too_many_arguments)]
    async fn member_events(
        &self,
        _access: ReadAccess,
        /// Member UserID.
        user_id: Query<Option<String>>,
        /// Event kind.
        #[oai(name = "type")]
        kind: Query<Option<String>>,
        /// Account id.
        account: Query<Option<String>>,
        /// Arrived at or after (RFC 3339).
        since: Query<Option<DateTime<Utc>>>,
        /// Arrived before (RFC 3339).
        until: Query<Option<DateTime<Utc>>>,
        /// `next_cursor` of the previous page.
        cursor: Query<Option<String>>,
        /// Page size, 1 to 500 (default 50).
        limit: Query<Option<u64>>,
    ) -> Guarded<ActivityResponse<MemberEventPage>> {
        Guarded::Allowed(
            async move {
                let filter = match filter(user_id.0, kind.0, None, since.0, until.0, cursor.0, limit.0) {
                    Ok(filter) => ActivityFilter { account: account.0, ..filter },
                    Err(message) => {
                        return ActivityResponse::BadRequest(ErrorBody::new(
                            "invalid_parameter",
                            message,
                            None,
                        ));
                    }
                };
                match self.state.tracking.list_member_events(&filter).await {
                    Ok((rows, more)) => ActivityResponse::Ok(Json(MemberEventPage {
                        next_cursor: if more { rows.last().map(|row| row.id.to_string()) } else { None },
                        events: rows
                            .into_iter()
                            .map(|row| MemberEventBody {
                                event_id: row.event_id,
                                user_id: row.user_id,
                                kind: row.kind,
                                account: row.account,
                                payload: serde_json::from_str(&row.payload).unwrap_or_default(),
                                occurred_at: row.occurred_at_ms.map(time_from_ms),
                                received_at: time_from_ms(row.received_at_ms),
                            })
                            .collect(),
                    })),
                    Err(error) => ActivityResponse::Unavailable(read_failed(&error.into())),
                }
            }
            .await,
        )
    }
}
