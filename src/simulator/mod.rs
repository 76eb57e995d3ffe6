//! `pmc-webhook simulate`: plays WeCom against a running service. It reads
//! the same configuration as the service, performs the URL checks, then sends
//! encrypted callbacks of every type (optionally many, at a fixed rate, with
//! retries) and reports what the service answered and how fast.

mod api_token;
pub mod corpus;
pub mod request_file;
pub mod status_load;

use std::{
    collections::BTreeMap,
    sync::Arc,
    time::{Duration, Instant},
};

use hdrhistogram::Histogram;
use tokio::{sync::Semaphore, task::JoinSet};

use self::corpus::Route;
use crate::{
    cli::SimulateArgs,
    configuration::{ChannelCredentials, ConfigError, Settings},
    wecom::{CallbackCrypto, EnvelopeFormat, WeComError},
};

const APP_PATH: &str = "/api/v1/webhooks/wechat/api";
const BOT_PATH: &str = "/api/v1/webhooks/wechat/bot";

/// Why a simulation could not run.
#[derive(Debug, thiserror::Error)]
pub enum SimulateError {
    /// Neither channel has credentials in the configuration.
    #[error(
        "no channel has credentials: set WECHAT_TOKEN, WECHAT_ENCODING_AES_KEY and WECHAT_CORP_ID (app) or WECHAT_BOT_TOKEN and WECHAT_BOT_ENCODING_AES_KEY (robot), or try --env-file config/demo.env"
    )]
    NoChannels,
    /// `--status-messages` needs the status webhook secret.
    #[error("--status-messages needs STATUS_WEBHOOK_SECRET (whsec_…) in the configuration")]
    NoStatusSecret,
    /// Invalid configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Encryption failed.
    #[error("encrypting a callback failed: {0}")]
    Crypto(#[from] WeComError),
    /// The HTTP client could not be built.
    #[error("HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    /// The request file could not be written.
    #[error("writing the request file: {0}")]
    Write(#[from] std::io::Error),
    /// The management API refused the token (or none was given).
    #[error(
        "{url} answered {status}: give a management API token with --token or PMC_API_TOKEN (read access suffices)"
    )]
    Unauthorized {
        /// The refused request.
        url: String,
        /// Its HTTP status.
        status: u16,
    },
    /// The management API answered something else than expected.
    #[error("{url} answered {status}")]
    Unexpected {
        /// The request.
        url: String,
        /// Its HTTP status.
        status: u16,
    },
    /// The service stopped making progress.
    #[error("the service stored nothing new for {0:?}; giving up")]
    Stalled(Duration),
}

/// Counts for one callback type.
#[derive(Debug, Clone, Default)]
pub struct TypeCounts {
    /// Requests sent.
    pub sent: u64,
    /// Answered 200.
    pub acknowledged: u64,
    /// Other answers by status (0 = no answer).
    pub failures: BTreeMap<u16, u64>,
}

/// What the simulation saw.
#[derive(Debug, Default)]
pub struct SimulationReport {
    /// URL checks: channel and whether the echo came back exactly.
    pub url_checks: Vec<(String, bool)>,
    /// Per type.
    pub by_type: BTreeMap<String, TypeCounts>,
    /// Wall time of the sending phase.
    pub elapsed: Duration,
    /// Latency percentiles in µs: p50, p99, p99.9, max.
    pub latency_micros: [u64; 4],
}

impl SimulationReport {
    /// Every URL check passed and every callback was answered 200.
    pub fn all_acknowledged(&self) -> bool {
        self.url_checks.iter().all(|(_, ok)| *ok)
            && self.by_type.values().all(|counts| counts.failures.is_empty())
    }

    /// Callbacks sent.
    pub fn sent(&self) -> u64 {
        self.by_type.values().map(|counts| counts.sent).sum()
    }

    /// Callbacks answered 200.
    pub fn acknowledged(&self) -> u64 {
        self.by_type.values().map(|counts| counts.acknowledged).sum()
    }

    /// Acknowledged callbacks per second over the sending phase.
    pub fn throughput(&self) -> f64 {
        self.acknowledged() as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    fn print(&self) {
        for (channel, ok) in &self.url_checks {
            println!("URL verification {channel:<11} {}", if *ok { "ok" } else { "FAILED" });
        }
        println!("\n{:<36} {:>8} {:>8} {:>8}", "callback type", "sent", "200", "failed");
        for (name, counts) in &self.by_type {
            let failed: u64 = counts.failures.values().sum();
            println!(
                "{name:<36} {:>8} {:>8} {:>8} {}",
                counts.sent,
                counts.acknowledged,
                failed,
                describe(&counts.failures)
            );
        }
        let [p50, p99, p999, max] = self.latency_micros;
        println!(
            "\n{} sent, {} acknowledged in {:.2} s: {:.0} callbacks/s; latency p50 {:.2} ms, p99 {:.2} ms, p99.9 {:.2} ms, max {:.2} ms",
            self.sent(),
            self.acknowledged(),
            self.elapsed.as_secs_f64(),
            self.throughput(),
            p50 as f64 / 1000.0,
            p99 as f64 / 1000.0,
            p999 as f64 / 1000.0,
            max as f64 / 1000.0
        );
    }
}

fn describe(failures: &BTreeMap<u16, u64>) -> String {
    failures
        .iter()
        .map(
            |(status, count)| {
                if *status == 0 { format!("no answer ×{count}") } else { format!("HTTP {status} ×{count}") }
            },
        )
        .collect::<Vec<_>>()
        .join(", ")
}

struct PreparedCallback {
    name: &'static str,
    url: String,
    body: String,
}

/// Runs a simulation and prints its report.
pub async fn run(settings: &Settings, args: &SimulateArgs) -> Result<SimulationReport, SimulateError> {
    let app = ready(settings.channels.wechat_api.credentials()?);
    let bot = ready(settings.channels.wechat_bot.credentials()?);
    if app.is_none() && bot.is_none() {
        return Err(SimulateError::NoChannels);
    }
    let base = args.url.trim_end_matches('/').to_owned();
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(30))
        .build()?;

    let mut report = SimulationReport::default();
    for (channel, crypto, path) in [("wechat_api", &app, APP_PATH), ("wechat_bot", &bot, BOT_PATH)] {
        if let Some(crypto) = crypto {
            report.url_checks.push((channel.to_owned(), check_url(&client, &base, path, crypto).await?));
        }
    }

    let prepared = prepare(args, app.as_ref(), bot.as_ref(), &base)?;
    println!(
        "Sending {} callbacks ({} per type{}) to {base} …",
        prepared.len(),
        args.count,
        if args.duplicates { ", each twice" } else { "" }
    );
    let (by_type, elapsed, latency_micros) = send_all(&client, prepared, args).await;
    report.by_type = by_type;
    report.elapsed = elapsed;
    report.latency_micros = latency_micros;
    report.print();
    Ok(report)
}

fn ready(credentials: ChannelCredentials) -> Option<CallbackCrypto> {
    match credentials {
        ChannelCredentials::Ready(candidates) => candidates.into_iter().next(),
        _ => None,
    }
}

async fn check_url(
    client: &reqwest::Client,
    base: &str,
    path: &str,
    crypto: &CallbackCrypto,
) -> Result<bool, SimulateError> {
    let echo = format!("{}", rand::random::<u64>());
    let query = crypto.seal_verification(&echo, &now_seconds().to_string(), &nonce(), &rand::random())?;
    let answer = client.get(format!("{base}{path}?{query}")).send().await;
    Ok(match answer {
        Ok(response) if response.status() == 200 => {
            response.text().await.map(|body| body == echo).unwrap_or(false)
        }
        _ => false,
    })
}

fn prepare(
    args: &SimulateArgs,
    app: Option<&CallbackCrypto>,
    bot: Option<&CallbackCrypto>,
    base: &str,
) -> Result<Vec<PreparedCallback>, SimulateError> {
    let now = now_seconds();
    let run = chrono::Utc::now().timestamp_millis() as u64;
    let corp_id = app.map(|crypto| crypto.receive_id().to_owned()).unwrap_or_default();
    let mut prepared = Vec::new();
    for round in 0..args.count {
        for sample in corpus::samples(run, round, now, &corp_id) {
            let (crypto, path, format) = match sample.route {
                Route::App => (app, APP_PATH, EnvelopeFormat::Xml),
                Route::BotJson => (bot, BOT_PATH, EnvelopeFormat::Json),
                Route::BotXml => (bot, BOT_PATH, EnvelopeFormat::Xml),
            };
            let Some(crypto) = crypto else { continue };
            let (query, body) = crypto.seal_callback(
                &sample.plaintext,
                format,
                &now.to_string(),
                &nonce(),
                &rand::random(),
            )?;
            prepared.push(PreparedCallback { name: sample.name, url: format!("{base}{path}?{query}"), body });
        }
    }
    if args.duplicates {
        let retries: Vec<PreparedCallback> = prepared
            .iter()
            .map(|callback| PreparedCallback {
                name: callback.name,
                url: callback.url.clone(),
                body: callback.body.clone(),
            })
            .collect();
        prepared.extend(retries);
    }
    Ok(prepared)
}

async fn send_all(
    client: &reqwest::Client,
    prepared: Vec<PreparedCallback>,
    args: &SimulateArgs,
) -> (BTreeMap<String, TypeCounts>, Duration, [u64; 4]) {
    let permits = Arc::new(Semaphore::new(args.concurrency.max(1)));
    let mut pace = args.rate.filter(|rate| *rate > 0.0).map(|rate| {
        let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        interval
    });
    let mut tasks = JoinSet::new();
    let started = Instant::now();
    for callback in prepared {
        if let Some(interval) = pace.as_mut() {
            interval.tick().await;
        }
        let permit = Arc::clone(&permits).acquire_owned().await.expect("semaphore never closes");
        let client = client.clone();
        tasks.spawn(async move {
            let sent_at = Instant::now();
            let status = match client
                .post(&callback.url)
                .header("content-type", "text/xml")
                .body(callback.body)
                .send()
                .await
            {
                Ok(response) => {
                    let status = response.status().as_u16();
                    let _ = response.bytes().await;
                    status
                }
                Err(_) => 0,
            };
            drop(permit);
            (callback.name, status, sent_at.elapsed())
        });
    }
    let mut by_type: BTreeMap<String, TypeCounts> = BTreeMap::new();
    let mut latency = Histogram::<u64>::new_with_bounds(1, 120_000_000, 3).expect("valid histogram bounds");
    while let Some(result) = tasks.join_next().await {
        let Ok((name, status, took)) = result else { continue };
        let counts = by_type.entry(name.to_owned()).or_default();
        counts.sent += 1;
        if status == 200 {
            counts.acknowledged += 1;
        } else {
            *counts.failures.entry(status).or_default() += 1;
        }
        latency.saturating_record(took.as_micros() as u64);
    }
    let elapsed = started.elapsed();
    let percentiles = [
        latency.value_at_quantile(0.5),
        latency.value_at_quantile(0.99),
        latency.value_at_quantile(0.999),
        latency.max(),
    ];
    (by_type, elapsed, percentiles)
}

fn now_seconds() -> i64 {
    chrono::Utc::now().timestamp()
}

fn nonce() -> String {
    format!("{}", rand::random::<u32>())
}
