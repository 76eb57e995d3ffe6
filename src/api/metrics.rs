//! `GET /metrics`: Prometheus text format, rendered at scrape time from the
//! state each part already keeps (callback counters and answer times, the
//! event log's committer, the supervisor's stats, the handlers, the send
//! queue, the deliveries, the backends). Nothing is registered globally, so
//! several services in one process (the tests) never mix their numbers.

use std::{fmt::Write, sync::Arc, time::Duration};

use poem::{IntoResponse, Response, handler, web::Data};

use super::state::AppState;
use crate::webhooks::counters::LATENCY_BUCKETS;

/// One metric family being written.
struct Exposition(String);

impl Exposition {
    fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.0, "# HELP {name} {help}");
        let _ = writeln!(self.0, "# TYPE {name} {kind}");
    }

    fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.0.push_str(name);
        if !labels.is_empty() {
            self.0.push('{');
            for (index, (label, text)) in labels.iter().enumerate() {
                if index > 0 {
                    self.0.push(',');
                }
                let escaped = text.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
                let _ = write!(self.0, "{label}=\"{escaped}\"");
            }
            self.0.push('}');
        }
        let _ = writeln!(self.0, " {value}");
    }

    /// A family with one unlabelled sample.
    fn single(&mut self, name: &str, kind: &str, help: &str, value: f64) {
        self.family(name, kind, help);
        self.sample(name, &[], value);
    }
}

/// The scrape.
#[handler]
pub async fn metrics(state: Data<&Arc<AppState>>) -> Response {
    let text = render(state.0).await;
    text.with_content_type("text/plain; version=0.0.4; charset=utf-8").into_response()
}

async fn render(state: &AppState) -> String {
    let mut out = Exposition(String::with_capacity(16 * 1024));

    out.family(
        "pmc_callbacks_total",
        "counter",
        "Callbacks answered, by source, account, type and outcome (stored, duplicate, a -400xx code, ...).",
    );
    for row in state.counters.snapshot() {
        let labels = [
            ("channel", row.channel.as_str()),
            ("account", row.account.as_str()),
            ("type", row.callback_type.as_str()),
            ("outcome", row.outcome.as_str()),
        ];
        out.sample("pmc_callbacks_total", &labels, row.count as f64);
    }
    out.family(
        "pmc_callback_ack_seconds",
        "histogram",
        "Time from request to answer, per source (WeCom allows 5 s).",
    );
    for (channel, histogram) in state.counters.latency() {
        let mut cumulative = 0;
        for (bound, count) in LATENCY_BUCKETS.iter().zip(histogram.buckets) {
            cumulative += count;
            let bound = bound.to_string();
            out.sample(
                "pmc_callback_ack_seconds_bucket",
                &[("channel", &channel), ("le", &bound)],
                cumulative as f64,
            );
        }
        out.sample(
            "pmc_callback_ack_seconds_bucket",
            &[("channel", &channel), ("le", "+Inf")],
            histogram.count as f64,
        );
        out.sample("pmc_callback_ack_seconds_sum", &[("channel", &channel)], histogram.sum);
        out.sample("pmc_callback_ack_seconds_count", &[("channel", &channel)], histogram.count as f64);
    }

    out.family(
        "pmc_callback_guard_refusals_total",
        "counter",
        "Callback requests refused before reading them: address not allowed, rate limited.",
    );
    let guard = &state.callback_guard.counters;
    for (reason, count) in
        [("address_not_allowed", &guard.not_allowed), ("rate_limited", &guard.rate_limited)]
    {
        out.sample(
            "pmc_callback_guard_refusals_total",
            &[("reason", reason)],
            count.load(std::sync::atomic::Ordering::Relaxed) as f64,
        );
    }

    render_robot(&mut out, state.conversations.counters());
    render_replies(&mut out, state.replier.counters());

    let log = state.event_log.health().snapshot();
    out.single(
        "pmc_event_log_commit_batches_total",
        "counter",
        "Group commits of the event log.",
        log.batches as f64,
    );
    out.single(
        "pmc_event_log_commit_requests_total",
        "counter",
        "Requests committed in those batches.",
        log.requests as f64,
    );
    out.single(
        "pmc_event_log_events_stored_total",
        "counter",
        "Events stored (duplicates excluded).",
        log.events_stored as f64,
    );
    out.single(
        "pmc_event_log_commit_failures_total",
        "counter",
        "Group commits that failed.",
        log.failed_batches as f64,
    );
    out.single(
        "pmc_event_log_largest_batch",
        "gauge",
        "The largest group commit so far, requests.",
        log.largest_batch as f64,
    );
    out.single(
        "pmc_event_log_last_commit_seconds",
        "gauge",
        "Duration of the last group commit.",
        log.last_commit_micros as f64 / 1e6,
    );
    let head = state.event_log.head();
    out.single("pmc_event_log_head", "gauge", "The last event id committed.", head as f64);
    hand_off(&mut out, &state.event_log);
    storage(&mut out, state);

    let stats = match state.supervisor() {
        Some(supervisor) => supervisor.stats(Duration::from_secs(2)).await.ok(),
        None => None,
    };
    out.single(
        "pmc_tracking_running",
        "gauge",
        "1 when the actor system runs (external mode starts it when MySQL answers).",
        f64::from(u8::from(stats.is_some())),
    );
    if let Some(stats) = &stats {
        out.single("pmc_actors_live", "gauge", "Message actors alive.", stats.live_message_actors as f64);
        out.single(
            "pmc_actors_peak",
            "gauge",
            "The most message actors alive at once.",
            stats.peak_message_actors as f64,
        );
        out.single(
            "pmc_actor_activations_total",
            "counter",
            "Message actors started (first use or reactivation).",
            stats.activations as f64,
        );
        out.single(
            "pmc_actor_passivations_total",
            "counter",
            "Message actors parked (idle or over the cap).",
            stats.passivations as f64,
        );
        out.single(
            "pmc_actor_restarts_total",
            "counter",
            "Message actors restarted after a crash.",
            stats.restarts as f64,
        );
        out.single(
            "pmc_actor_resyncs_total",
            "counter",
            "Message actors reloaded because another replica changed their message first.",
            stats.resyncs as f64,
        );
        out.single(
            "pmc_actor_pending_units",
            "gauge",
            "Units of work sent to actors and the writer and not yet stored (mailbox depth).",
            stats.pending_units as f64,
        );
        out.single(
            "pmc_actor_held_for_parking",
            "gauge",
            "Signals held for actors being parked.",
            stats.held_for_parking as f64,
        );
        out.single(
            "pmc_actor_waiting_for_slot",
            "gauge",
            "Message ids waiting for a slot under the live cap.",
            stats.waiting_for_slot as f64,
        );
        out.single(
            "pmc_events_applied_total",
            "counter",
            "Events applied by the actors.",
            stats.events_applied as f64,
        );
        out.single(
            "pmc_tracking_checkpoint",
            "gauge",
            "Every event at or below this id is stored.",
            stats.checkpoint as f64,
        );
        out.single(
            "pmc_tracking_lag_events",
            "gauge",
            "Events committed but not yet stored by tracking.",
            (head - stats.checkpoint).max(0) as f64,
        );
        out.single(
            "pmc_dead_letters_total",
            "counter",
            "Rows the tracking store refused, skipped and logged.",
            stats.dead_letters as f64,
        );
        out.family("pmc_events_applied_by_type_total", "counter", "Events applied, by type.");
        for (callback_type, count) in &stats.applied_by_type {
            out.sample("pmc_events_applied_by_type_total", &[("type", callback_type)], *count as f64);
        }
    }
    if let Some(supervisor) = state.supervisor() {
        let handlers = supervisor.handler_stats().snapshot();
        out.family("pmc_handler_invocations_total", "counter", "Calls of user handlers.");
        for (name, stat) in &handlers {
            out.sample("pmc_handler_invocations_total", &[("handler", name)], stat.invocations as f64);
        }
        out.family(
            "pmc_handler_failures_total",
            "counter",
            "Handler calls that failed, panicked or timed out.",
        );
        for (name, stat) in &handlers {
            out.sample("pmc_handler_failures_total", &[("handler", name)], stat.failures as f64);
        }
    }

    out.family(
        "pmc_backend_up",
        "gauge",
        "1 when a storage backend answers, 0 when not (absent when not used).",
    );
    out.sample(
        "pmc_backend_up",
        &[("backend", "event_log")],
        f64::from(u8::from(state.event_log.health().is_ready())),
    );
    let tracking = state.tracking.backend_name();
    out.sample("pmc_backend_up", &[("backend", tracking)], f64::from(u8::from(state.tracking.ping().await)));
    if let Some(redis) = state.cache.healthy() {
        out.sample("pmc_backend_up", &[("backend", "redis")], f64::from(u8::from(redis)));
    }
    if let Some(raw_log) = &state.raw_log {
        let raw = raw_log.borrow().clone();
        out.sample("pmc_backend_up", &[("backend", "mongodb")], f64::from(u8::from(raw.healthy)));
        out.single(
            "pmc_raw_log_lag_events",
            "gauge",
            "Events not yet shipped to MongoDB.",
            (head - raw.shipped_up_to).max(0) as f64,
        );
    }

    if let Some(queued) = state.outbound.queued().await {
        out.single(
            "pmc_sends_queued",
            "gauge",
            "Sends waiting in the queue (paced, retrying, or due).",
            queued as f64,
        );
    }
    out.single(
        "pmc_token_refreshes_total",
        "counter",
        "gettoken calls this process made.",
        state.outbound.token_fetches() as f64,
    );
    if let Ok(counts) = crate::forwarding::store::count_by_state(state.forwarding.store().connection()).await
    {
        out.family("pmc_deliveries", "gauge", "Deliveries to subscribers, by state (dead: dead letters).");
        for (delivery_state, count) in counts {
            out.sample("pmc_deliveries", &[("state", &delivery_state)], count as f64);
        }
    }
    out.single(
        "pmc_uptime_seconds",
        "gauge",
        "Seconds since start.",
        state.started_at.elapsed().as_secs_f64(),
    );
    out.0
}

/// The in-memory hand-off of committed events to the log's consumers.
fn hand_off(out: &mut Exposition, event_log: &crate::event_log::EventLog) {
    let (memory, log) = event_log.hand_off_counters();
    out.family(
        "pmc_event_log_handoff_reads_total",
        "counter",
        "Reads of the log's consumers (tracking, forwarding, outbound, raw log, …), answered from the recent commits in memory or from SQLite (behind the buffer).",
    );
    out.sample("pmc_event_log_handoff_reads_total", &[("source", "memory")], memory as f64);
    out.sample("pmc_event_log_handoff_reads_total", &[("source", "log")], log as f64);
    let (agreed, differed) = event_log.replay_checks();
    out.family(
        "pmc_event_log_handoff_replay_checks_total",
        "counter",
        "Callbacks handed to tracking in memory whose signals were compared with those replay derives from the stored row (sampled; every one in debug builds).",
    );
    out.sample("pmc_event_log_handoff_replay_checks_total", &[("result", "agreed")], agreed as f64);
    out.sample("pmc_event_log_handoff_replay_checks_total", &[("result", "differed")], differed as f64);
}

/// Disk: file sizes, free space, pruning, the WAL.
fn storage(out: &mut Exposition, state: &AppState) {
    out.family("pmc_storage_bytes", "gauge", "Size of each database file in the data directory (bytes).");
    for (file, bytes) in state.disk.file_sizes() {
        out.sample("pmc_storage_bytes", &[("file", file)], bytes as f64);
    }
    out.single(
        "pmc_storage_free_bytes",
        "gauge",
        "Free space of the data directory's filesystem (bytes, sampled every 2 s).",
        state.disk.free_bytes() as f64,
    );
    out.family("pmc_pruned_rows_total", "counter", "Rows pruned by retention, by table.");
    for (table, rows) in state.pruned.snapshot() {
        out.sample("pmc_pruned_rows_total", &[("table", table)], rows as f64);
    }
    let (frames, forced, busy) = state.event_log.health().wal();
    out.single(
        "pmc_event_log_wal_frames",
        "gauge",
        "Pages in the event log's WAL after the last checkpoint (4 KiB each).",
        frames as f64,
    );
    out.single(
        "pmc_event_log_catalog_lag_events",
        "gauge",
        "Committed events not yet in the catalog the events API filters by type, member, channel and account with (written behind the log about every 100 ms).",
        state.event_log.health().catalog_lag() as f64,
    );
    out.single(
        "pmc_event_log_forced_checkpoints_total",
        "counter",
        "Checkpoints forced because the WAL passed its bound.",
        forced as f64,
    );
    let (writer_checkpoints, writer_checkpoint_time) = state.event_log.health().writer_checkpoints();
    out.single(
        "pmc_event_log_writer_checkpoints_total",
        "counter",
        "Checkpoints the writer finished between batches, so that the WAL starts again from its beginning.",
        writer_checkpoints as f64,
    );
    out.single(
        "pmc_event_log_writer_checkpoint_seconds_total",
        "counter",
        "Time the writer spent finishing checkpoints, attempts that could not finish included (callbacks arriving meanwhile waited for the next batch).",
        writer_checkpoint_time.as_secs_f64(),
    );
    out.single(
        "pmc_event_log_checkpoint_blocked_total",
        "counter",
        "Forced checkpoints readers kept from completing (the checkpoint is not keeping up).",
        busy as f64,
    );
}

fn render_robot(out: &mut Exposition, robot: &crate::robot::RobotCounters) {
    use crate::robot::RobotCounters as C;
    out.single(
        "pmc_robot_streams_opened_total",
        "counter",
        "Robot streams opened for users' messages (reply: stream), retries included.",
        C::read(&robot.streams_opened) as f64,
    );
    out.family(
        "pmc_robot_stream_polls_total",
        "counter",
        "WeCom's stream refresh polls answered: from the stored stream (found=true), or with the opening state (not stored yet, or the store did not answer).",
    );
    out.sample("pmc_robot_stream_polls_total", &[("found", "true")], C::read(&robot.polls_found) as f64);
    out.sample("pmc_robot_stream_polls_total", &[("found", "false")], C::read(&robot.polls_unfound) as f64);
    out.single(
        "pmc_robot_stream_writes_total",
        "counter",
        "Business systems' writes to streams applied.",
        C::read(&robot.writes) as f64,
    );
    out.single(
        "pmc_robot_stream_keepalives_total",
        "counter",
        "Keepalive updates of streams not written for robot.stream_keepalive_secs.",
        C::read(&robot.keepalives) as f64,
    );
    out.single(
        "pmc_robot_streams_forced_total",
        "counter",
        "Streams force-finished at robot.stream_deadline_secs with the fallback text.",
        C::read(&robot.forced) as f64,
    );
    out.family(
        "pmc_robot_response_url_claims_total",
        "counter",
        "Replies' claims of a callback's response_url, by outcome (taken, used, expired, unknown).",
    );
    for (outcome, counter) in [
        ("taken", &robot.claims_taken),
        ("used", &robot.claims_used),
        ("expired", &robot.claims_expired),
        ("unknown", &robot.claims_unknown),
    ] {
        out.sample("pmc_robot_response_url_claims_total", &[("outcome", outcome)], C::read(counter) as f64);
    }
}

fn render_replies(out: &mut Exposition, replies: &crate::replies::ReplyCounters) {
    use crate::replies::ReplyCounters as C;
    out.family(
        "pmc_passive_replies_total",
        "counter",
        "Passive replies decided in-process, by who decided (the handler or a replies: rule).",
    );
    for (source, counter) in [("handler", &replies.by_handler), ("rule", &replies.by_rule)] {
        out.sample("pmc_passive_replies_total", &[("source", source)], C::read(counter) as f64);
    }
    out.family(
        "pmc_reply_handler_fallbacks_total",
        "counter",
        "Reply handler calls whose answer was dropped (the rules decided), by reason.",
    );
    for (reason, counter) in [("overrun", &replies.handler_overruns), ("panic", &replies.handler_panics)] {
        out.sample("pmc_reply_handler_fallbacks_total", &[("reason", reason)], C::read(counter) as f64);
    }
    out.single(
        "pmc_passive_replies_unfit_total",
        "counter",
        "Decided passive replies that did not fit their callback (answered empty).",
        C::read(&replies.unfit) as f64,
    );
}
