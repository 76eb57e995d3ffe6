//! Callback counters shared by every replica: each replica adds what it
//! counted since its last flush to one Redis hash per deployment
//! (`pmc:counters:{scope}`, field `{channel}|{type}|{outcome}|{account}`,
//! `HINCRBY`; fields written before accounts existed lack the account and
//! count for `default`),
//! once a second, so `/api/v1/status` can show totals across replicas. A
//! flush that fails is retried with the next one (the deltas add up), so an
//! outage delays the totals but does not lose counts.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use fred::interfaces::{ClientLike, HashesInterface};

use super::StatusCache;
use crate::webhooks::{CallbackCounters, CounterRow};

/// How often a replica adds its counts.
const FLUSH_EVERY: Duration = Duration::from_secs(1);

type Key = (String, String, String, String);

impl StatusCache {
    /// Adds `counters` to the deployment's shared totals in the background
    /// (nothing without Redis).
    pub fn share_counters(&self, scope: &str, counters: Arc<CallbackCounters>) {
        let Some(inner) = self.inner.clone() else { return };
        let key = counters_key(scope);
        tokio::spawn(async move {
            let mut flushed: BTreeMap<Key, u64> = BTreeMap::new();
            let mut ticks = tokio::time::interval(FLUSH_EVERY);
            loop {
                ticks.tick().await;
                if !inner.client.is_connected() {
                    continue;
                }
                let now: BTreeMap<Key, u64> = counters
                    .snapshot()
                    .into_iter()
                    .map(|row| ((row.channel, row.callback_type, row.outcome, row.account), row.count))
                    .collect();
                for (counter, count) in now {
                    let delta = count - flushed.get(&counter).copied().unwrap_or(0);
                    if delta == 0 {
                        continue;
                    }
                    let field = format!("{}|{}|{}|{}", counter.0, counter.1, counter.2, counter.3);
                    let added = inner.client.hincrby::<i64, _, _>(&key, field, delta as i64).await;
                    match added {
                        Ok(_) => {
                            flushed.insert(counter, count);
                        }
                        Err(error) => {
                            tracing::debug!(error = %error, "Sharing counters in Redis failed; retrying next second.");
                            break;
                        }
                    }
                }
            }
        });
    }

    /// Every replica's counts added up, if Redis is configured and answers.
    pub async fn shared_counters(&self, scope: &str) -> Option<Vec<CounterRow>> {
        let inner = self.inner.as_ref().filter(|inner| inner.client.is_connected())?;
        let all: std::collections::HashMap<String, u64> =
            inner.client.hgetall(counters_key(scope)).await.ok()?;
        let mut rows: Vec<CounterRow> = all
            .into_iter()
            .filter_map(|(field, count)| {
                let mut parts = field.splitn(4, '|');
                Some(CounterRow {
                    channel: parts.next()?.to_owned(),
                    callback_type: parts.next()?.to_owned(),
                    outcome: parts.next()?.to_owned(),
                    account: parts.next().unwrap_or(crate::accounts::DEFAULT_ACCOUNT).to_owned(),
                    count,
                })
            })
            .collect();
        // Old-format fields of `default` and new ones may name the same counter: add them up.
        rows.sort_by(|a, b| {
            (&a.channel, &a.account, &a.callback_type, &a.outcome).cmp(&(
                &b.channel,
                &b.account,
                &b.callback_type,
                &b.outcome,
            ))
        });
        rows.dedup_by(|later, first| {
            let same = (&later.channel, &later.account, &later.callback_type, &later.outcome)
                == (&first.channel, &first.account, &first.callback_type, &first.outcome);
            if same {
                first.count += later.count;
            }
            same
        });
        Some(rows)
    }
}

fn counters_key(scope: &str) -> String {
    format!("pmc:counters:{scope}")
}
