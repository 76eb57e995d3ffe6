//! `/api/v1/subscriptions`: who receives forwarded events, and their
//! signing secrets (created, shown once, rotated with an overlap).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use poem_openapi::{Object, OpenApi, param::Path, payload::Json};

use super::{
    ApiTags,
    auth::{Guarded, ReadAccess, WriteAccess},
    convert::time_from_ms,
    error::ErrorBody,
    forwarding::{ForwardingResponse, invalid, unavailable},
    state::AppState,
};
use crate::forwarding::{
    accounts::{self, AccountFilter},
    entity::subscription,
    events::KINDS,
    store,
};

/// Subscription routes.
pub struct SubscriptionsApi {
    state: Arc<AppState>,
}

impl SubscriptionsApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }
}

/// A subscription to create.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct NewSubscription {
    /// Where to POST each event (http or https; private and loopback
    /// addresses are refused unless the configuration allows them).
    pub url: String,
    /// What to receive: `status` (status changes), `interaction`, `member`,
    /// `callback` (raw WeCom callbacks).
    pub kinds: Vec<String>,
    /// Only these accounts' events (`default` is the seed's app and robot);
    /// absent or empty: every account's. Ids not configured yet are allowed
    /// (their events arrive once the account is added); each must be
    /// `[a-z0-9_-]{1,40}`.
    #[oai(default)]
    pub accounts: Vec<String>,
    /// The Standard Webhooks secret (`whsec_…` + base64) deliveries are
    /// signed with; generated when absent.
    pub secret: Option<String>,
}

/// A subscription.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct SubscriptionBody {
    /// Its id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// What it receives.
    pub kinds: Vec<String>,
    /// The accounts whose events it receives; absent: every account's.
    pub accounts: Option<Vec<String>>,
    /// The signing secret: only in the answer that created it.
    pub secret: Option<String>,
    /// While a rotation overlaps: when the previous secret stops signing.
    pub previous_secret_expires_at: Option<DateTime<Utc>>,
    /// `api`, or `config` (read-only here).
    pub source: String,
    /// Created.
    pub created_at: DateTime<Utc>,
}

fn subscription_body(row: subscription::Model, with_secret: bool) -> SubscriptionBody {
    SubscriptionBody {
        kinds: row.kinds.split(',').filter(|kind| !kind.is_empty()).map(str::to_owned).collect(),
        accounts: AccountFilter::of(&row).ids(),
        secret: with_secret.then_some(row.secret),
        id: row.id,
        url: row.url,
        previous_secret_expires_at: row
            .previous_secret_expires_at_ms
            .filter(|expires_at_ms| *expires_at_ms > chrono::Utc::now().timestamp_millis())
            .map(time_from_ms),
        source: row.source,
        created_at: time_from_ms(row.created_at_ms),
    }
}

/// A secret rotation.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct SecretRotation {
    /// The new secret (`whsec_…`); generated when absent.
    pub secret: Option<String>,
    /// How long deliveries keep carrying the old secret's signature too, so
    /// receivers can switch without losing one: 0 to 604800 s (default 86400).
    pub overlap_secs: Option<u32>,
}

/// Every subscription.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct SubscriptionList {
    /// Oldest first.
    pub subscriptions: Vec<SubscriptionBody>,
}

/// The given secret if valid, else a generated one.
fn checked_secret<T: poem_openapi::types::ToJSON + Send + Sync>(
    given: Option<String>,
) -> Result<String, ForwardingResponse<T>> {
    let secret = given.unwrap_or_else(|| {
        use base64::Engine;
        format!("whsec_{}", base64::engine::general_purpose::STANDARD.encode(rand::random::<[u8; 24]>()))
    });
    match standardwebhooks::Webhook::new(&secret) {
        Ok(_) => Ok(secret),
        Err(_) => Err(invalid("secret: whsec_ followed by base64")),
    }
}

/// Longest overlap of a rotation: a week.
const MAX_OVERLAP_SECS: u32 = 7 * 24 * 3600;

#[OpenApi(tag = "ApiTags::Forwarding")]
impl SubscriptionsApi {
    /// Subscribe to events
    ///
    /// Each event of the kinds asked for is POSTed to `url` as JSON, signed
    /// per Standard Webhooks with the secret, retried with backoff over
    /// hours, in order per message. The secret is shown once, here. With
    /// `accounts`, only those accounts' events are sent (a status change
    /// belongs to its message's account).
    #[oai(path = "/api/v1/subscriptions", method = "post", operation_id = "createSubscription")]
    async fn create(
        &self,
        _access: WriteAccess,
        body: Json<NewSubscription>,
    ) -> Guarded<ForwardingResponse<SubscriptionBody>> {
        Guarded::Allowed(
            async move {
                let request = body.0;
                let forwarding = &self.state.forwarding;
                if let Err(reason) = forwarding.targets.check(&request.url).await {
                    return invalid(reason);
                }
                if request.kinds.is_empty()
                    || request.kinds.iter().any(|kind| !KINDS.contains(&kind.as_str()))
                {
                    return invalid(format!("kinds: one or more of {}", KINDS.join(", ")));
                }
                let accounts = match accounts::checked(&request.accounts) {
                    Ok(accounts) => accounts,
                    Err(reason) => return invalid(reason),
                };
                let secret = match checked_secret(request.secret) {
                    Ok(secret) => secret,
                    Err(response) => return response,
                };
                let mut kinds = request.kinds;
                kinds.sort();
                kinds.dedup();
                let row = subscription::Model {
                    id: format!("sub_{:024x}", rand::random::<u128>() >> 32),
                    url: request.url,
                    kinds: kinds.join(","),
                    accounts: accounts::encode(&accounts),
                    secret,
                    previous_secret: None,
                    previous_secret_expires_at_ms: None,
                    source: "api".to_owned(),
                    created_at_ms: chrono::Utc::now().timestamp_millis(),
                };
                match store::put_subscription(forwarding.store().connection(), row.clone()).await {
                    Ok(()) => ForwardingResponse::Created(Json(subscription_body(row, true))),
                    Err(error) => unavailable(error),
                }
            }
            .await,
        )
    }

    /// List subscriptions
    #[oai(path = "/api/v1/subscriptions", method = "get", operation_id = "listSubscriptions")]
    async fn list(&self, _access: ReadAccess) -> Guarded<ForwardingResponse<SubscriptionList>> {
        Guarded::Allowed(
            async move {
                match store::subscriptions(self.state.forwarding.store().connection()).await {
                    Ok(rows) => ForwardingResponse::Ok(Json(SubscriptionList {
                        subscriptions: rows.into_iter().map(|row| subscription_body(row, false)).collect(),
                    })),
                    Err(error) => unavailable(error),
                }
            }
            .await,
        )
    }

    /// Delete a subscription
    ///
    /// Its pending deliveries are dropped; delivered and dead ones stay listed.
    #[oai(path = "/api/v1/subscriptions/:id", method = "delete", operation_id = "deleteSubscription")]
    async fn delete(
        &self,
        _access: WriteAccess,
        id: Path<String>,
    ) -> Guarded<ForwardingResponse<SubscriptionList>> {
        Guarded::Allowed(
            async move {
                let db = self.state.forwarding.store().connection();
                let rows = match store::subscriptions(db).await {
                    Ok(rows) => rows,
                    Err(error) => return unavailable(error),
                };
                match rows.iter().find(|row| row.id == id.0) {
                    None => ForwardingResponse::NotFound(ErrorBody::new(
                        "not_found",
                        format!("no subscription {}", id.0),
                        None,
                    )),
                    Some(row) if row.source == "config" => ForwardingResponse::Conflict(ErrorBody::new(
                        "configured_subscription",
                        format!("subscription {} is in the configuration; remove it there", id.0),
                        None,
                    )),
                    Some(_) => match store::delete_subscription(db, &id.0).await {
                        Ok(_) => match store::subscriptions(db).await {
                            Ok(rows) => ForwardingResponse::Ok(Json(SubscriptionList {
                                subscriptions: rows
                                    .into_iter()
                                    .map(|row| subscription_body(row, false))
                                    .collect(),
                            })),
                            Err(error) => unavailable(error),
                        },
                        Err(error) => unavailable(error),
                    },
                }
            }
            .await,
        )
    }

    /// Rotate a subscription's secret
    ///
    /// The new secret signs every delivery from now on and is shown once,
    /// here. During `overlap_secs` deliveries also carry the old secret's
    /// signature (Standard Webhooks allows several), so the receiver can
    /// switch to the new secret whenever it likes within the window.
    #[oai(
        path = "/api/v1/subscriptions/:id/rotate-secret",
        method = "post",
        operation_id = "rotateSubscriptionSecret"
    )]
    async fn rotate_secret(
        &self,
        _access: WriteAccess,
        id: Path<String>,
        body: Json<SecretRotation>,
    ) -> Guarded<ForwardingResponse<SubscriptionBody>> {
        Guarded::Allowed(self.rotate(&id.0, body.0).await)
    }
}

impl SubscriptionsApi {
    async fn rotate(&self, id: &str, rotation: SecretRotation) -> ForwardingResponse<SubscriptionBody> {
        let overlap_secs = rotation.overlap_secs.unwrap_or(86_400);
        if overlap_secs > MAX_OVERLAP_SECS {
            return invalid(format!("overlap_secs: 0 to {MAX_OVERLAP_SECS}"));
        }
        let secret = match checked_secret(rotation.secret) {
            Ok(secret) => secret,
            Err(response) => return response,
        };
        let db = self.state.forwarding.store().connection();
        let rows = match store::subscriptions(db).await {
            Ok(rows) => rows,
            Err(error) => return unavailable(error),
        };
        let Some(row) = rows.into_iter().find(|row| row.id == id) else {
            return ForwardingResponse::NotFound(ErrorBody::new(
                "not_found",
                format!("no subscription {id}"),
                None,
            ));
        };
        if row.source == "config" {
            return ForwardingResponse::Conflict(ErrorBody::new(
                "configured_subscription",
                format!("subscription {id} is in the configuration; rotate its secret there"),
                None,
            ));
        }
        let expires_at_ms = chrono::Utc::now().timestamp_millis() + i64::from(overlap_secs) * 1000;
        let previous = row.secret.clone();
        if let Err(error) = store::rotate_secret(db, &row.id, secret.clone(), previous, expires_at_ms).await {
            return unavailable(error);
        }
        let rotated =
            subscription::Model { secret, previous_secret_expires_at_ms: Some(expires_at_ms), ..row };
        ForwardingResponse::Ok(Json(subscription_body(rotated, true)))
    }
}
