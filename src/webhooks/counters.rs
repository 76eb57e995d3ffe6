//! Callback counters by channel, type and outcome, for `/api/v1/status`.

use std::{collections::BTreeMap, sync::Mutex};

use serde::Serialize;

/// Counts every request answered, keyed by (source, type, outcome), and
/// times each answer per source. A source is a WeCom channel (`wechat_api`,
/// `wechat_bot`) or another webhook source (`status_webhook`).
#[derive(Debug, Default)]
pub struct CallbackCounters {
    counts: Mutex<BTreeMap<(String, String, String, String), u64>>,
    latency: Mutex<BTreeMap<String, LatencyHistogram>>,
}

/// Upper bounds of the answer-time buckets, seconds: fine below 10 ms (the
/// usual durable ack), coarse up to WeCom's 5 s budget.
pub const LATENCY_BUCKETS: [f64; 14] =
    [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 5.0];

/// A cumulative histogram of answer times.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LatencyHistogram {
    /// Per bucket of [`LATENCY_BUCKETS`], how many took at most its bound
    /// (not cumulative here; the exposition sums them).
    pub buckets: [u64; 14],
    /// All answers.
    pub count: u64,
    /// Their total, seconds.
    pub sum: f64,
}

/// One counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CounterRow {
    /// `wechat_api`, `wechat_bot` or `status_webhook`.
    pub channel: String,
    /// The account (`default` for the seed's app and robot and for sources without accounts).
    pub account: String,
    /// Type label, `url_verification`, or `unknown` when refused before typing.
    pub callback_type: String,
    /// `stored`, `duplicate`, `verified`, `quarantined`, a -400xx code, …
    pub outcome: String,
    /// How many.
    pub count: u64,
}

impl CallbackCounters {
    /// Adds one.
    pub fn record(&self, source: &str, account: &str, callback_type: &str, outcome: &str) {
        let mut counts = self.counts.lock().expect("counter lock");
        *counts
            .entry((source.to_owned(), account.to_owned(), callback_type.to_owned(), outcome.to_owned()))
            .or_default() += 1;
    }

    /// Times one answer.
    pub fn record_latency(&self, source: &str, seconds: f64) {
        let mut latency = self.latency.lock().expect("latency lock");
        let histogram = latency.entry(source.to_owned()).or_default();
        if let Some(bucket) = LATENCY_BUCKETS.iter().position(|bound| seconds <= *bound) {
            histogram.buckets[bucket] += 1;
        }
        histogram.count += 1;
        histogram.sum += seconds;
    }

    /// Answer times per source.
    pub fn latency(&self) -> BTreeMap<String, LatencyHistogram> {
        self.latency.lock().expect("latency lock").clone()
    }

    /// All counters, sorted.
    pub fn snapshot(&self) -> Vec<CounterRow> {
        self.counts
            .lock()
            .expect("counter lock")
            .iter()
            .map(|((source, account, callback_type, outcome), count)| CounterRow {
                channel: source.clone(),
                account: account.clone(),
                callback_type: callback_type.clone(),
                outcome: outcome.clone(),
                count: *count,
            })
            .collect()
    }
}
