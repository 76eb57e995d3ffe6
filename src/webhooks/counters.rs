//! Callback counters by channel, type and outcome, for `/api/v1/status`.

use std::{collections::BTreeMap, sync::Mutex};

use serde::Serialize;

/// Counts every request answered, keyed by (source, type, outcome). A
/// source is a WeCom channel (`wechat_api`, `wechat_bot`) or another webhook
/// source (`status_webhook`).
#[derive(Debug, Default)]
pub struct CallbackCounters {
    counts: Mutex<BTreeMap<(String, String, String), u64>>,
}

/// One counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterRow {
    /// `wechat_api`, `wechat_bot` or `status_webhook`.
    pub channel: String,
    /// Type label, `url_verification`, or `unknown` when refused before typing.
    pub callback_type: String,
    /// `stored`, `duplicate`, `verified`, `quarantined`, a -400xx code, …
    pub outcome: String,
    /// How many.
    pub count: u64,
}

impl CallbackCounters {
    /// Adds one.
    pub fn record(&self, source: &str, callback_type: &str, outcome: &str) {
        let mut counts = self.counts.lock().expect("counter lock");
        *counts.entry((source.to_owned(), callback_type.to_owned(), outcome.to_owned())).or_default() += 1;
    }

    /// All counters, sorted.
    pub fn snapshot(&self) -> Vec<CounterRow> {
        self.counts
            .lock()
            .expect("counter lock")
            .iter()
            .map(|((source, callback_type, outcome), count)| CounterRow {
                channel: source.clone(),
                callback_type: callback_type.clone(),
                outcome: outcome.clone(),
                count: *count,
            })
            .collect()
    }
}
