//! Subscriptions and deliveries in the tracking store (SQLite embedded,
//! MySQL shared by replicas).

use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect, Statement, TransactionTrait,
    sea_query::OnConflict,
};

use super::{
    accounts::AccountFilter,
    entity::{delivery, subscription},
    events::Outgoing,
};
use crate::tracking::entity::checkpoint;

/// Filters of `GET /api/v1/deliveries`.
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    /// One subscription's.
    pub subscription_id: Option<String>,
    /// `pending`, `delivered` or `dead`.
    pub state: Option<String>,
    /// Cursor: ids below this one.
    pub before_id: Option<i64>,
    /// Page size.
    pub limit: u64,
}

/// Every subscription.
pub async fn subscriptions(db: &DatabaseConnection) -> Result<Vec<subscription::Model>, DbErr> {
    subscription::Entity::find().order_by_asc(subscription::Column::CreatedAtMs).all(db).await
}

/// Creates or replaces a subscription.
pub async fn put_subscription(db: &DatabaseConnection, row: subscription::Model) -> Result<(), DbErr> {
    subscription::Entity::insert(subscription::ActiveModel::from(row))
        .on_conflict(
            OnConflict::column(subscription::Column::Id)
                .update_columns([
                    subscription::Column::Url,
                    subscription::Column::Kinds,
                    subscription::Column::Accounts,
                    subscription::Column::Secret,
                    subscription::Column::Source,
                ])
                .to_owned(),
        )
        .exec_without_returning(db)
        .await
        .map(|_| ())
}

/// Replaces a subscription's secret, keeping the old one as the previous
/// secret until `previous_expires_at_ms`.
pub async fn rotate_secret(
    db: &DatabaseConnection,
    id: &str,
    secret: String,
    previous: String,
    previous_expires_at_ms: i64,
) -> Result<(), DbErr> {
    subscription::Entity::update_many()
        .col_expr(subscription::Column::Secret, sea_orm::sea_query::Expr::value(secret))
        .col_expr(subscription::Column::PreviousSecret, sea_orm::sea_query::Expr::value(previous))
        .col_expr(
            subscription::Column::PreviousSecretExpiresAtMs,
            sea_orm::sea_query::Expr::value(previous_expires_at_ms),
        )
        .filter(subscription::Column::Id.eq(id))
        .exec(db)
        .await
        .map(|_| ())
}

/// Deletes a subscription and its pending deliveries; `false` if unknown.
pub async fn delete_subscription(db: &DatabaseConnection, id: &str) -> Result<bool, DbErr> {
    let transaction = db.begin().await?;
    let deleted = subscription::Entity::delete_by_id(id).exec(&transaction).await?.rows_affected;
    delivery::Entity::delete_many()
        .filter(delivery::Column::SubscriptionId.eq(id))
        .filter(delivery::Column::State.eq("pending"))
        .exec(&transaction)
        .await?;
    transaction.commit().await?;
    Ok(deleted > 0)
}

/// A checkpoint's value (0 if absent).
pub async fn cursor(db: &DatabaseConnection, name: &str) -> Result<i64, DbErr> {
    Ok(checkpoint::Entity::find_by_id(name).one(db).await?.map_or(0, |row| row.event_id))
}

/// Inserts a delivery of each event to each subscription that wants its
/// kind and account (once per subscription and source), and moves `cursor`,
/// in one transaction.
pub async fn enqueue(
    db: &DatabaseConnection,
    origin: &str,
    events: &[Outgoing],
    subscriptions: &[subscription::Model],
    cursor: Option<(&str, i64)>,
) -> Result<usize, DbErr> {
    let now = chrono::Utc::now().timestamp_millis();
    // Parsed once per pass, not once per event.
    let filters: Vec<(&subscription::Model, AccountFilter)> =
        subscriptions.iter().map(|subscription| (subscription, AccountFilter::of(subscription))).collect();
    let rows: Vec<delivery::ActiveModel> = events
        .iter()
        .flat_map(|event| {
            filters
                .iter()
                .filter(|(subscription, accounts)| {
                    subscription.kinds.split(',').any(|kind| kind == event.kind)
                        && accounts.admits(event.account.as_deref())
                })
                .map(move |(subscription, _)| delivery::ActiveModel {
                    id: NotSet,
                    subscription_id: Set(subscription.id.clone()),
                    origin: Set(origin.to_owned()),
                    source_key: Set(event.source_key.clone()),
                    order_key: Set(event.order_key.chars().take(160).collect()),
                    event_type: Set(event.event_type.to_owned()),
                    payload: Set(event.payload.to_string()),
                    state: Set("pending".to_owned()),
                    attempts: Set(0),
                    next_attempt_ms: Set(now),
                    last_status: Set(None),
                    last_error: Set(None),
                    created_at_ms: Set(now),
                    delivered_at_ms: Set(None),
                })
        })
        .collect();
    let count = rows.len();
    let transaction = db.begin().await?;
    for chunk in crate::sql_chunks::chunks(&rows) {
        delivery::Entity::insert_many(chunk.to_vec())
            .on_conflict(
                OnConflict::columns([delivery::Column::SubscriptionId, delivery::Column::SourceKey])
                    .do_nothing_on([delivery::Column::SourceKey])
                    .to_owned(),
            )
            .exec_without_returning(&transaction)
            .await?;
    }
    if let Some((name, event_id)) = cursor {
        checkpoint::Entity::insert(checkpoint::ActiveModel {
            name: Set(name.to_owned()),
            event_id: Set(event_id),
        })
        .on_conflict(
            OnConflict::column(checkpoint::Column::Name)
                .update_column(checkpoint::Column::EventId)
                .to_owned(),
        )
        .exec_without_returning(&transaction)
        .await?;
    }
    transaction.commit().await?;
    Ok(count)
}

/// Deliveries of `origin` due now, each the oldest pending one of its
/// subscription and order key (so one message's events arrive in order).
pub async fn due(
    db: &DatabaseConnection,
    origin: &str,
    now_ms: i64,
    limit: u64,
) -> Result<Vec<delivery::Model>, DbErr> {
    let sql = "SELECT d.* FROM deliveries d WHERE d.origin = ? AND d.state = 'pending' AND d.next_attempt_ms <= ? \
               AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.subscription_id = d.subscription_id \
               AND e.order_key = d.order_key AND e.state = 'pending' AND e.id < d.id) \
               ORDER BY d.id LIMIT ?";
    let statement = Statement::from_sql_and_values(
        db.get_database_backend(),
        sql,
        [origin.into(), now_ms.into(), (limit as i64).into()],
    );
    delivery::Model::find_by_statement(statement).all(db).await
}

/// When the next pending delivery of `origin` is due.
pub async fn next_due_ms(db: &DatabaseConnection, origin: &str) -> Result<Option<i64>, DbErr> {
    Ok(delivery::Entity::find()
        .filter(delivery::Column::Origin.eq(origin))
        .filter(delivery::Column::State.eq("pending"))
        .order_by_asc(delivery::Column::NextAttemptMs)
        .one(db)
        .await?
        .map(|row| row.next_attempt_ms))
}

/// Records a try's outcome.
pub async fn record(db: &DatabaseConnection, row: delivery::Model) -> Result<(), DbErr> {
    delivery::Entity::update(delivery::ActiveModel {
        id: Set(row.id),
        state: Set(row.state),
        attempts: Set(row.attempts),
        next_attempt_ms: Set(row.next_attempt_ms),
        last_status: Set(row.last_status),
        last_error: Set(row.last_error.map(|error| error.chars().take(500).collect())),
        delivered_at_ms: Set(row.delivered_at_ms),
        ..Default::default()
    })
    .exec(db)
    .await
    .map(|_| ())
}

/// A page of deliveries, newest first, and whether more follow.
pub async fn list(
    db: &DatabaseConnection,
    filter: &DeliveryFilter,
) -> Result<(Vec<delivery::Model>, bool), DbErr> {
    let mut query = delivery::Entity::find().order_by_desc(delivery::Column::Id).limit(filter.limit + 1);
    if let Some(subscription_id) = &filter.subscription_id {
        query = query.filter(delivery::Column::SubscriptionId.eq(subscription_id.as_str()));
    }
    if let Some(state) = &filter.state {
        query = query.filter(delivery::Column::State.eq(state.as_str()));
    }
    if let Some(before) = filter.before_id {
        query = query.filter(delivery::Column::Id.lt(before));
    }
    let mut rows = query.all(db).await?;
    let more = rows.len() as u64 > filter.limit;
    rows.truncate(filter.limit as usize);
    Ok((rows, more))
}

/// Puts a delivery back in the queue, due now, to be delivered by `origin`
/// (the replica asked); `None` if unknown.
pub async fn retry(db: &DatabaseConnection, id: i64, origin: &str) -> Result<Option<delivery::Model>, DbErr> {
    let Some(row) = delivery::Entity::find_by_id(id).one(db).await? else { return Ok(None) };
    let mut active = delivery::ActiveModel::from(row);
    active.state = Set("pending".to_owned());
    active.origin = Set(origin.to_owned());
    active.next_attempt_ms = Set(chrono::Utc::now().timestamp_millis());
    active.last_error = Set(None);
    Ok(Some(delivery::Entity::update(active).exec(db).await?))
}

/// How many deliveries are in each state.
pub async fn count_by_state(db: &DatabaseConnection) -> Result<Vec<(String, i64)>, DbErr> {
    let mut counts: Vec<(String, i64)> = delivery::Entity::find()
        .select_only()
        .column(delivery::Column::State)
        .column_as(delivery::Column::Id.count(), "count")
        .group_by(delivery::Column::State)
        .into_tuple()
        .all(db)
        .await?;
    for state in ["pending", "delivered", "dead"] {
        if !counts.iter().any(|(known, _)| known == state) {
            counts.push((state.to_owned(), 0));
        }
    }
    counts.sort();
    Ok(counts)
}
