//! Mass sends to customers (`wecom_external`): WeCom accepts an
//! `add_msg_template` at once, but each customer gets the message only
//! when one of their members confirms it in the client. So an accepted
//! mass send is *watched*: a row in `outbound.db` (written before its
//! result is stored, so a crash cannot lose it), polled every
//! `sending.external_poll_secs` through `get_groupmsg_task` (which members
//! hold the task) and `get_groupmsg_send_result` (each customer's status,
//! paged by cursor) until every customer has an outcome or
//! `sending.external_watch_secs` have passed. Each poll that decides some
//! customers stores a `message.external_result` event (its dedupe key names
//! the poll, so a poll repeated after a crash is stored once), which
//! tracking turns into `sent` or `failed` per customer.
//!
//! WeCom's statuses (doc 93338): 0 not sent yet, 1 sent, 2 not sent — the
//! customer is no longer the member's contact, 3 not sent — the customer
//! already received a mass message today (WeCom's limit).

use std::{collections::HashMap, sync::Arc, time::Duration};

use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value as SqlValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{
    Outbound,
    request::SendRequest,
    result::{EXTERNAL_RESULT_TYPE, SendResult},
};
use crate::{event_log::NewEvent, tracking::derive::API_CHANNEL};

/// Watches polled at once.
const BATCH: u64 = 16;
/// Pages of one listing read in one poll, at most.
const MAX_PAGES: usize = 100;

/// One customer's outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomerOutcome {
    /// The customer's `external_userid`.
    pub recipient: String,
    /// Sent (else failed, with `reason`).
    pub sent: bool,
    /// Why not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The member who sent it, when WeCom says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
}

/// A `message.external_result` event's payload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExternalResult {
    /// The tracked message.
    pub message_id: String,
    /// WeCom's mass-send msgid.
    pub wecom_msgid: String,
    /// Which poll decided these (0 first).
    pub poll: i64,
    /// The customers decided by it.
    pub outcomes: Vec<CustomerOutcome>,
}

/// A watched mass send.
#[derive(Debug, Clone)]
struct Watch {
    message_id: String,
    account: String,
    corp_id: Option<String>,
    wecom_msgid: String,
    pending: Vec<String>,
    polls: i64,
    until_ms: i64,
}

/// The watches, in `outbound.db`.
#[derive(Clone)]
pub struct Watches {
    db: DatabaseConnection,
    poll_every: Duration,
    watch_for: Duration,
}

fn statement(sql: &str, values: Vec<SqlValue>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Sqlite, sql, values)
}

impl Watches {
    /// Over the send queue's database.
    pub fn new(db: DatabaseConnection, settings: &crate::configuration::SendingSettings) -> Self {
        Self {
            db,
            poll_every: Duration::from_secs(settings.external_poll_secs.max(1)),
            watch_for: Duration::from_secs(settings.external_watch_secs),
        }
    }

    /// Starts watching an accepted mass send (once: a retried send keeps
    /// its watch). Customers already failed by `result` are not watched.
    pub async fn watch(
        &self,
        request: &SendRequest,
        result: &SendResult,
        now_ms: i64,
    ) -> Result<(), sea_orm::DbErr> {
        let Some(wecom_msgid) = &result.wecom_msgid else { return Ok(()) };
        let pending: Vec<&String> = request
            .recipients
            .iter()
            .filter(|customer| !result.failed.iter().any(|failed| &failed.recipient == *customer))
            .collect();
        if pending.is_empty() {
            return Ok(());
        }
        let until = now_ms.saturating_add(i64::try_from(self.watch_for.as_millis()).unwrap_or(i64::MAX));
        self.db
            .execute_raw(statement(
                "INSERT OR IGNORE INTO external_watches \
                 (message_id, account, corp_id, wecom_msgid, pending, polls, next_poll_ms, until_ms) \
                 VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                vec![
                    request.message_id.clone().into(),
                    request.account.clone().into(),
                    request.corp_id.clone().into(),
                    wecom_msgid.clone().into(),
                    serde_json::to_string(&pending).expect("ids serialise").into(),
                    now_ms.saturating_add(self.poll_ms()).into(),
                    until.into(),
                ],
            ))
            .await?;
        Ok(())
    }

    fn poll_ms(&self) -> i64 {
        i64::try_from(self.poll_every.as_millis()).unwrap_or(i64::MAX)
    }

    /// Watches due for a poll.
    async fn due(&self, now_ms: i64) -> Result<Vec<Watch>, sea_orm::DbErr> {
        let rows = self
            .db
            .query_all_raw(statement(
                "SELECT message_id, account, corp_id, wecom_msgid, pending, polls, until_ms \
                 FROM external_watches WHERE next_poll_ms <= ? ORDER BY next_poll_ms LIMIT ?",
                vec![now_ms.into(), (BATCH as i64).into()],
            ))
            .await?;
        rows.into_iter()
            .map(|row| {
                let pending: String = row.try_get("", "pending")?;
                Ok(Watch {
                    message_id: row.try_get("", "message_id")?,
                    account: row.try_get("", "account")?,
                    corp_id: row.try_get("", "corp_id")?,
                    wecom_msgid: row.try_get("", "wecom_msgid")?,
                    pending: serde_json::from_str(&pending).unwrap_or_default(),
                    polls: row.try_get("", "polls")?,
                    until_ms: row.try_get("", "until_ms")?,
                })
            })
            .collect()
    }

    /// After a poll: the customers still pending, polled again later; none
    /// left ends the watch.
    async fn advance(
        &self,
        watch: &Watch,
        pending: &[String],
        next_poll_ms: i64,
    ) -> Result<(), sea_orm::DbErr> {
        let done = pending.is_empty();
        let sql = if done {
            "DELETE FROM external_watches WHERE message_id = ?"
        } else {
            "UPDATE external_watches SET pending = ?, polls = polls + 1, next_poll_ms = ? WHERE message_id = ?"
        };
        let values = if done {
            vec![watch.message_id.clone().into()]
        } else {
            vec![
                serde_json::to_string(pending).expect("ids serialise").into(),
                next_poll_ms.into(),
                watch.message_id.clone().into(),
            ]
        };
        self.db.execute_raw(statement(sql, values)).await?;
        Ok(())
    }

    /// Tries a poll that failed again soon, without counting it.
    async fn postpone(&self, watch: &Watch, next_poll_ms: i64) -> Result<(), sea_orm::DbErr> {
        self.db
            .execute_raw(statement(
                "UPDATE external_watches SET next_poll_ms = ? WHERE message_id = ?",
                vec![next_poll_ms.into(), watch.message_id.clone().into()],
            ))
            .await?;
        Ok(())
    }
}

/// The outcome WeCom's status gives, if final.
fn outcome_of(customer: &str, status: i64, member: Option<String>) -> Option<CustomerOutcome> {
    let failed = |reason: &str| CustomerOutcome {
        recipient: customer.to_owned(),
        sent: false,
        reason: Some(reason.to_owned()),
        member: member.clone(),
    };
    match status {
        1 => Some(CustomerOutcome { recipient: customer.to_owned(), sent: true, reason: None, member }),
        2 => Some(failed("status 2: the customer is not the member's contact any more")),
        3 => Some(failed("status 3: the customer already received a mass message (WeCom's limit)")),
        _ => None,
    }
}

/// A status's rank when several members hold one customer: sent wins,
/// then the most telling failure.
fn rank(status: i64) -> u8 {
    match status {
        1 => 3,
        3 => 2,
        2 => 1,
        _ => 0,
    }
}

/// Polls due watches until `closing`.
pub(super) async fn poll(outbound: Arc<Outbound>) {
    let mut closing = outbound.closing.subscribe();
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        match outbound.watches.due(now).await {
            Ok(due) => {
                for watch in due {
                    outbound.poll_watch(watch).await;
                }
            }
            Err(error) => tracing::error!(error = %error, "Reading the mass-send watches failed; retrying."),
        }
        if *closing.borrow() {
            return;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = closing.changed() => {}
        }
    }
}

impl Outbound {
    async fn poll_watch(&self, watch: Watch) {
        let now = chrono::Utc::now().timestamp_millis();
        let statuses = match self.customer_statuses(&watch).await {
            Ok(statuses) => statuses,
            Err(reason) => {
                tracing::warn!(message_id = %watch.message_id, reason, "A mass send's results could not be read; asking again later.");
                let _ = self.watches.postpone(&watch, now + self.watches.poll_ms()).await;
                return;
            }
        };
        let expired = now >= watch.until_ms;
        let mut outcomes = Vec::new();
        let mut pending = Vec::new();
        for customer in &watch.pending {
            let decided = statuses
                .get(customer)
                .and_then(|(status, member)| outcome_of(customer, *status, member.clone()))
                .or_else(|| {
                    expired.then(|| CustomerOutcome {
                        recipient: customer.clone(),
                        sent: false,
                        reason: Some("no member sent it within sending.external_watch_secs".to_owned()),
                        member: None,
                    })
                });
            match decided {
                Some(outcome) => outcomes.push(outcome),
                None => pending.push(customer.clone()),
            }
        }
        if !outcomes.is_empty() {
            let result = ExternalResult {
                message_id: watch.message_id.clone(),
                wecom_msgid: watch.wecom_msgid.clone(),
                poll: watch.polls,
                outcomes,
            };
            let key = format!("external_result:{}:{}", watch.message_id, watch.polls);
            let payload = serde_json::to_string(&result).expect("results serialise");
            let event = NewEvent::internal(API_CHANNEL, EXTERNAL_RESULT_TYPE, key, None, payload)
                .for_account(&watch.account);
            if let Err(error) = self.event_log.append(event).await {
                tracing::error!(message_id = %watch.message_id, error = %error, "Storing a mass send's results failed; asking again.");
                let _ = self.watches.postpone(&watch, now + 1_000).await;
                return;
            }
        }
        if let Err(error) = self.watches.advance(&watch, &pending, now + self.watches.poll_ms()).await {
            // Asked again; the event of this poll is stored once (its dedupe key).
            tracing::error!(message_id = %watch.message_id, error = %error, "Advancing a mass-send watch failed.");
        }
    }

    /// Each customer's best status and member: the members holding the
    /// task, then each member's send results, page by page.
    async fn customer_statuses(
        &self,
        watch: &Watch,
    ) -> Result<HashMap<String, (i64, Option<String>)>, String> {
        let (account, corp_id) = (watch.account.as_str(), watch.corp_id.as_deref());
        let call = |path: &'static str, body: Value| self.call_app(account, corp_id, path, body);
        let pages = |path: &'static str, mut body: Value, list: &'static str| {
            let call = &call;
            async move {
                let mut items = Vec::new();
                for _ in 0..MAX_PAGES {
                    let answer = call(path, body.clone()).await?;
                    items.extend(answer.get(list).and_then(Value::as_array).cloned().unwrap_or_default());
                    match answer
                        .get("next_cursor")
                        .and_then(Value::as_str)
                        .filter(|cursor| !cursor.is_empty())
                    {
                        Some(cursor) => body["cursor"] = json!(cursor),
                        None => break,
                    }
                }
                Ok::<_, String>(items)
            }
        };
        let tasks = pages(
            "externalcontact/get_groupmsg_task",
            json!({"msgid": watch.wecom_msgid, "limit": 1000}),
            "task_list",
        )
        .await?;
        let mut statuses: HashMap<String, (i64, Option<String>)> = HashMap::new();
        for member in tasks.iter().filter_map(|task| task.get("userid").and_then(Value::as_str)) {
            let results = pages(
                "externalcontact/get_groupmsg_send_result",
                json!({"msgid": watch.wecom_msgid, "userid": member, "limit": 1000}),
                "send_list",
            )
            .await?;
            for result in results {
                let Some(customer) = result.get("external_userid").and_then(Value::as_str) else { continue };
                let status = result.get("status").and_then(Value::as_i64).unwrap_or_default();
                let best = statuses.entry(customer.to_owned()).or_insert((0, None));
                if rank(status) > rank(best.0) {
                    *best = (status, Some(member.to_owned()));
                }
            }
        }
        Ok(statuses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_become_outcomes_and_the_best_of_several_members_wins() {
        assert_eq!(outcome_of("wm1", 0, None), None);
        assert!(outcome_of("wm1", 1, Some("zhangsan".into())).unwrap().sent);
        let refused = outcome_of("wm1", 2, None).unwrap();
        assert!(!refused.sent && refused.reason.unwrap().starts_with("status 2"));
        assert!(outcome_of("wm1", 3, None).unwrap().reason.unwrap().contains("already received"));
        let mut ranked = [0, 2, 1, 3];
        ranked.sort_by_key(|status| rank(*status));
        assert_eq!(ranked, [0, 2, 3, 1]);
    }
}
