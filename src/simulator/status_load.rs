//! `simulate --status-messages N`: a tracking benchmark. Sends N distinct
//! message ids × 3 signed status callbacks (`sent`, then `read` before
//! `delivered`, so a third of them are stale), waits until the service has
//! stored every observation, and reports observations per second and the
//! service's peak RSS.

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use secrecy::ExposeSecret;
use tokio::{sync::Semaphore, task::JoinSet};

use super::SimulateError;
use crate::{cli::SimulateArgs, configuration::Settings};

/// What the tracking benchmark measured.
#[derive(Debug, Clone, Default)]
pub struct StatusLoadReport {
    /// Observations sent.
    pub observations: u64,
    /// Requests answered 202.
    pub accepted_requests: u64,
    /// Requests not answered 202.
    pub failed_requests: u64,
    /// Until the last request was answered.
    pub send_time: Duration,
    /// Until every observation was stored by the actors.
    pub stored_time: Duration,
    /// The service's peak RSS (bytes), from `/api/v1/status`.
    pub peak_rss_bytes: Option<u64>,
}

/// How long the checkpoint may stand still before the benchmark gives up.
const STALL: Duration = Duration::from_secs(120);

/// GETs a management route as JSON; a refused token is an error, not a retry.
async fn get_json(client: &reqwest::Client, url: &str) -> Result<serde_json::Value, SimulateError> {
    let response = client.get(url).send().await?;
    let status = response.status().as_u16();
    match status {
        200 => Ok(response.json().await?),
        401 | 403 => Err(SimulateError::Unauthorized { url: url.to_owned(), status }),
        _ => Err(SimulateError::Unexpected { url: url.to_owned(), status }),
    }
}

/// Runs the tracking benchmark.
pub async fn run(
    settings: &Settings,
    args: &SimulateArgs,
    messages: u64,
) -> Result<StatusLoadReport, SimulateError> {
    let secret = settings.status_webhook.secret.as_ref().ok_or(SimulateError::NoStatusSecret)?;
    let signer = Arc::new(
        standardwebhooks::Webhook::new(secret.expose_secret()).map_err(|_| SimulateError::NoStatusSecret)?,
    );
    let base = args.url.trim_end_matches('/').to_owned();
    let token = super::api_token::resolve(settings, args);
    let client = super::api_token::client_builder(token.as_ref()).timeout(Duration::from_secs(60)).build()?;
    // Fail now, not after the load, when the token is missing or wrong.
    get_json(&client, &format!("{base}/api/v1/actors")).await?;
    let run = chrono::Utc::now().timestamp_millis();
    let batch = args.status_batch.clamp(1, 1000) as u64;
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    let mut report = StatusLoadReport { observations: messages * 3, ..StatusLoadReport::default() };
    println!("Tracking {messages} message ids × 3 observations in batches of {batch} against {base} …");
    let mut window = 0;
    while window < messages {
        let ids = window..(window + batch).min(messages);
        for status in ["sent", "read", "delivered"] {
            let updates: Vec<serde_json::Value> = ids
                .clone()
                .map(|n| serde_json::json!({"message_id": format!("bench-{run}-{n}"), "recipient": "u", "status": status}))
                .collect();
            let body = serde_json::Value::Array(updates).to_string();
            let webhook_id = format!("bench-{run}-{window}-{status}");
            let permit = Arc::clone(&permits).acquire_owned().await.expect("semaphore never closes");
            let (client, signer, url) =
                (client.clone(), Arc::clone(&signer), format!("{base}/api/v1/webhooks/status"));
            tasks.spawn(async move {
                let timestamp = chrono::Utc::now().timestamp();
                let signature = signer.sign(&webhook_id, timestamp, body.as_bytes()).expect("UTF-8 body");
                let answer = client
                    .post(url)
                    .header("webhook-id", webhook_id)
                    .header("webhook-timestamp", timestamp.to_string())
                    .header("webhook-signature", signature)
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await;
                drop(permit);
                matches!(answer, Ok(response) if response.status() == 202)
            });
        }
        while let Some(done) = tasks.try_join_next() {
            count(&mut report, done);
        }
        window += batch;
    }
    while let Some(done) = tasks.join_next().await {
        count(&mut report, done);
    }
    report.send_time = started.elapsed();
    // Stored means: every dispatched unit written and the checkpoint caught up.
    let mut progress = (None, Instant::now());
    loop {
        let actors = get_json(&client, &format!("{base}/api/v1/actors")).await?;
        if actors["pending_units"] == 0 && actors["checkpoint"] == actors["event_log_head"] {
            break;
        }
        let checkpoint = actors["checkpoint"].as_i64();
        if checkpoint != progress.0 {
            progress = (checkpoint, Instant::now());
        } else if progress.1.elapsed() > STALL {
            return Err(SimulateError::Stalled(STALL));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    report.stored_time = started.elapsed();
    let status = get_json(&client, &format!("{base}/api/v1/status")).await?;
    report.peak_rss_bytes = status["process"]["peak_rss_bytes"].as_u64();
    println!(
        "{} observations ({} requests accepted, {} failed): accepted in {:.1} s, all stored after {:.1} s = {:.0} observations/s end to end; service peak RSS {}",
        report.observations,
        report.accepted_requests,
        report.failed_requests,
        report.send_time.as_secs_f64(),
        report.stored_time.as_secs_f64(),
        report.observations as f64 / report.stored_time.as_secs_f64(),
        report
            .peak_rss_bytes
            .map(|bytes| format!("{:.0} MB", bytes as f64 / 1e6))
            .unwrap_or_else(|| "unknown".into()),
    );
    Ok(report)
}

fn count(report: &mut StatusLoadReport, done: Result<bool, tokio::task::JoinError>) {
    match done {
        Ok(true) => report.accepted_requests += 1,
        _ => report.failed_requests += 1,
    }
}
