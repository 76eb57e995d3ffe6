//! Turning stored rows into deliveries. Each replica forwards the rows it
//! wrote itself (their `origin`), tailing each table by its auto-increment
//! id from a checkpoint (`forward:{table}:{instance}`). One writer per
//! replica commits its rows in id order, so a cursor never skips one; the
//! checkpoint moves in the transaction that inserts the deliveries, so a
//! crash never loses or doubles one.

use std::collections::HashMap;

use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Select};

use super::{Forwarding, events, store};
use crate::tracking::entity::{history, interaction, member_event, message};

/// Rows read per table per pass.
const PAGE: u64 = 500;

impl Forwarding {
    /// One pass over every source; `true` if any had new rows. A source no
    /// subscription wants only moves its cursor (ids read, nothing built),
    /// so that forwarding costs nothing until someone subscribes; a later
    /// subscriber gets events from then on (and `replay` for the past).
    pub(super) async fn tail_once(&self) -> Result<bool, sea_orm::DbErr> {
        let db = self.store.connection();
        let origin = self.instance.as_str();
        // How far each source goes, read before the subscriptions: a row
        // written after a subscription was created is then never routed by
        // an older snapshot of them (it waits for the next pass instead).
        let log_head = self.event_log.head();
        let history_head = max_id(
            history::Entity::find().filter(history::Column::Origin.eq(origin)),
            history::Column::Id,
            db,
        )
        .await?;
        let interactions_head = max_id(
            interaction::Entity::find().filter(interaction::Column::Origin.eq(origin)),
            interaction::Column::Id,
            db,
        )
        .await?;
        let members_head = max_id(
            member_event::Entity::find().filter(member_event::Column::Origin.eq(origin)),
            member_event::Column::Id,
            db,
        )
        .await?;
        let subscriptions = store::subscriptions(db).await?;
        let wanted = |kind: &str| subscriptions.iter().any(|row| row.kinds.split(',').any(|k| k == kind));
        let mut progressed = false;

        let name = format!("forward:history:{origin}");
        let after = store::cursor(db, &name).await?;
        let query = history::Entity::find()
            .filter(history::Column::Origin.eq(origin))
            .filter(history::Column::Id.gt(after))
            .filter(history::Column::Id.lte(history_head))
            .order_by_asc(history::Column::Id)
            .limit(PAGE);
        let (last, outgoing) = if wanted("status") {
            let rows = query.all(db).await?;
            let changes: Vec<_> = rows
                .iter()
                .filter(|row| matches!(row.outcome.as_str(), "applied" | "implied"))
                .cloned()
                .collect();
            (rows.last().map(|row| row.id), statuses(db, &changes, "").await?)
        } else {
            (last_id(query.select_only().column(history::Column::Id), db).await?, Vec::new())
        };
        if let Some(last) = last {
            store::enqueue(db, origin, &outgoing, &subscriptions, Some((&name, last))).await?;
            progressed = true;
        }

        let name = format!("forward:interactions:{origin}");
        let after = store::cursor(db, &name).await?;
        let query = interaction::Entity::find()
            .filter(interaction::Column::Origin.eq(origin))
            .filter(interaction::Column::Id.gt(after))
            .filter(interaction::Column::Id.lte(interactions_head))
            .order_by_asc(interaction::Column::Id)
            .limit(PAGE);
        let (last, outgoing) = if wanted("interaction") {
            let rows = query.all(db).await?;
            (rows.last().map(|row| row.id), rows.iter().map(|row| events::interaction(row, "")).collect())
        } else {
            (last_id(query.select_only().column(interaction::Column::Id), db).await?, Vec::new())
        };
        if let Some(last) = last {
            store::enqueue(db, origin, &outgoing, &subscriptions, Some((&name, last))).await?;
            progressed = true;
        }

        let name = format!("forward:members:{origin}");
        let after = store::cursor(db, &name).await?;
        let query = member_event::Entity::find()
            .filter(member_event::Column::Origin.eq(origin))
            .filter(member_event::Column::Id.gt(after))
            .filter(member_event::Column::Id.lte(members_head))
            .order_by_asc(member_event::Column::Id)
            .limit(PAGE);
        let (last, outgoing) = if wanted("member") {
            let rows = query.all(db).await?;
            (rows.last().map(|row| row.id), rows.iter().map(|row| events::member(row, "")).collect())
        } else {
            (last_id(query.select_only().column(member_event::Column::Id), db).await?, Vec::new())
        };
        if let Some(last) = last {
            store::enqueue(db, origin, &outgoing, &subscriptions, Some((&name, last))).await?;
            progressed = true;
        }

        // Raw callbacks come from this replica's own event log.
        let name = format!("forward:callbacks:{origin}");
        let after = store::cursor(db, &name).await?;
        if !wanted("callback") {
            if log_head > after {
                store::enqueue(db, origin, &[], &subscriptions, Some((&name, log_head))).await?;
            }
            return Ok(progressed);
        }
        let mut page = self
            .event_log
            .events_after(after, PAGE)
            .await
            .map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
        page.retain(|event| event.id <= log_head);
        if let Some(last) = page.last().map(|event| event.id) {
            let outgoing: Vec<_> = page
                .iter()
                .filter(|event| matches!(event.channel.as_str(), "wechat_api" | "wechat_bot"))
                .map(|event| events::callback(event, origin, ""))
                .collect();
            store::enqueue(db, origin, &outgoing, &subscriptions, Some((&name, last))).await?;
            progressed = true;
        }
        Ok(progressed)
    }

    /// Re-forwards stored events of `kinds` received in `[since, until)` to
    /// `subscription` (or every subscription wanting them), as new
    /// deliveries; returns how many.
    pub async fn replay(
        &self,
        since_ms: i64,
        until_ms: i64,
        kinds: &[String],
        subscription: Option<&str>,
    ) -> Result<usize, sea_orm::DbErr> {
        let db = self.store.connection();
        let subscriptions: Vec<_> = store::subscriptions(db)
            .await?
            .into_iter()
            .filter(|row| subscription.is_none_or(|id| row.id == id))
            .collect();
        let wants = |kind: &str| kinds.is_empty() || kinds.iter().any(|wanted| wanted == kind);
        let prefix = format!("replay:{:x}:", rand::random::<u64>());
        let mut outgoing = Vec::new();
        const MAX: u64 = 100_000;
        if wants("status") {
            let rows = history::Entity::find()
                .filter(history::Column::ReceivedAtMs.gte(since_ms))
                .filter(history::Column::ReceivedAtMs.lt(until_ms))
                .filter(history::Column::Outcome.is_in(["applied", "implied"]))
                .order_by_asc(history::Column::Id)
                .limit(MAX)
                .all(db)
                .await?;
            outgoing.extend(statuses(db, &rows, &prefix).await?);
        }
        if wants("interaction") {
            let rows = interaction::Entity::find()
                .filter(interaction::Column::ReceivedAtMs.gte(since_ms))
                .filter(interaction::Column::ReceivedAtMs.lt(until_ms))
                .order_by_asc(interaction::Column::Id)
                .limit(MAX)
                .all(db)
                .await?;
            outgoing.extend(rows.iter().map(|row| events::interaction(row, &prefix)));
        }
        if wants("member") {
            let rows = member_event::Entity::find()
                .filter(member_event::Column::ReceivedAtMs.gte(since_ms))
                .filter(member_event::Column::ReceivedAtMs.lt(until_ms))
                .order_by_asc(member_event::Column::Id)
                .limit(MAX)
                .all(db)
                .await?;
            outgoing.extend(rows.iter().map(|row| events::member(row, &prefix)));
        }
        if wants("callback") {
            let filter = crate::event_log::EventFilter {
                since_ms: Some(since_ms),
                until_ms: Some(until_ms),
                limit: MAX,
                ..Default::default()
            };
            let page =
                self.event_log.list(&filter).await.map_err(|e| sea_orm::DbErr::Custom(e.to_string()))?;
            outgoing.extend(
                page.events
                    .iter()
                    .rev()
                    .filter(|event| matches!(event.channel.as_str(), "wechat_api" | "wechat_bot"))
                    .map(|event| events::callback(event, &self.instance, &prefix)),
            );
        }
        let count = store::enqueue(db, &self.instance, &outgoing, &subscriptions, None).await?;
        self.wake.notify_one();
        Ok(count)
    }
}

/// The highest id `query` selects (0 when none).
async fn max_id<E: EntityTrait>(
    query: Select<E>,
    id: impl sea_orm::ColumnTrait,
    db: &DatabaseConnection,
) -> Result<i64, sea_orm::DbErr> {
    let max: Option<Option<i64>> =
        query.select_only().column_as(id.max(), "max_id").into_tuple().one(db).await?;
    Ok(max.flatten().unwrap_or(0))
}

/// The last id of a page of ids only.
async fn last_id<E: EntityTrait>(
    query: Select<E>,
    db: &DatabaseConnection,
) -> Result<Option<i64>, sea_orm::DbErr> {
    Ok(query.into_tuple::<i64>().all(db).await?.last().copied())
}

/// The events of status changes, each with its message's account: history
/// rows do not carry one, and the message row is written in the same
/// transaction as its history, so it is there to be read.
async fn statuses(
    db: &DatabaseConnection,
    rows: &[history::Model],
    prefix: &str,
) -> Result<Vec<events::Outgoing>, sea_orm::DbErr> {
    let mut ids: Vec<&str> = rows.iter().map(|row| row.message_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut accounts: HashMap<String, String> = HashMap::with_capacity(ids.len());
    // In chunks of few sizes (a bound on variables, and few statement shapes).
    for chunk in crate::sql_chunks::chunks(&ids) {
        let found: Vec<(String, String)> = message::Entity::find()
            .select_only()
            .column(message::Column::Id)
            .column(message::Column::Account)
            .filter(message::Column::Id.is_in(chunk.iter().copied()))
            .into_tuple()
            .all(db)
            .await?;
        accounts.extend(found);
    }
    Ok(rows
        .iter()
        .map(|row| events::status(row, accounts.get(&row.message_id).map(String::as_str), prefix))
        .collect())
}
