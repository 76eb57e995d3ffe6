//! `GET /api/v1/status`: what runs, on which storage, and what it has seen.

use std::{sync::Arc, time::Duration};

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::auth::{Guarded, ReadAccess};
use super::{ApiTags, error::ErrorBody, state::AppState};
use crate::{configuration::ChannelCredentials, webhooks::wecom::WeComSource};

/// Status routes.
pub struct StatusApi {
    state: Arc<AppState>,
}

/// The service's status.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct StatusBody {
    /// Display name.
    pub service: String,
    /// Version.
    pub version: String,
    /// When it started.
    pub started_at: chrono::DateTime<chrono::Utc>,
    /// Seconds since start.
    pub uptime_seconds: u64,
    /// The callback channels.
    pub channels: Vec<ChannelStatus>,
    /// Storage in use.
    pub storage: StorageStatus,
    /// What the actor supervisor has applied.
    pub actors: ActorStatus,
    /// Callbacks answered by this replica, by channel, type and outcome.
    pub callbacks: Vec<CallbackCount>,
    /// Callbacks answered by every replica of this deployment (sharing its
    /// database), added up in Redis once a second; absent without Redis.
    pub callbacks_all_replicas: Option<Vec<CallbackCount>>,
    /// This process.
    pub process: ProcessStatus,
}

/// Memory of this process (Linux; absent elsewhere).
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ProcessStatus {
    /// Resident set size now, bytes.
    pub rss_bytes: Option<u64>,
    /// Peak resident set size, bytes.
    pub peak_rss_bytes: Option<u64>,
}

impl ProcessStatus {
    fn read() -> Self {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(name))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .map(|kilobytes| kilobytes * 1024)
        };
        Self { rss_bytes: field("VmRSS:"), peak_rss_bytes: field("VmHWM:") }
    }
}

/// One channel.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ChannelStatus {
    /// `wechat_api` or `wechat_bot`.
    pub name: String,
    /// `ready`, `disabled` or `unconfigured`.
    pub state: String,
    /// What is missing, when unconfigured.
    pub detail: Option<String>,
}

/// Storage backends.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct StorageStatus {
    /// `embedded` (SQLite event log, in-process caches).
    pub mode: String,
    /// Each backend.
    pub backends: Vec<BackendStatus>,
    /// Event log counters.
    pub event_log: EventLogStatus,
}

/// One storage backend.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct BackendStatus {
    /// `event_log`, `mysql`, `redis`, `mongodb`.
    pub name: String,
    /// `sqlite`, …
    pub kind: String,
    /// Configured through settings or environment.
    pub configured: bool,
    /// Actually used by this version of the service.
    pub in_use: bool,
    /// Healthy right now (for backends in use).
    pub healthy: Option<bool>,
    /// Where it lives or why it is not used.
    pub detail: String,
}

/// Event log counters.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct EventLogStatus {
    /// Events stored in total.
    pub events_total: u64,
    /// Callbacks kept in quarantine.
    pub quarantined_total: u64,
    /// Transactions committed since start.
    pub batches: u64,
    /// Requests acknowledged since start.
    pub requests: u64,
    /// Largest group-commit batch since start.
    pub largest_batch: u64,
    /// Duration of the last commit, µs.
    pub last_commit_micros: u64,
    /// Failed commits since start.
    pub failed_batches: u64,
}

/// Actor supervisor counters.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ActorStatus {
    /// Whether the supervisor answered.
    pub running: bool,
    /// Events applied since start.
    pub events_applied: u64,
    /// Highest event id applied.
    pub last_applied_id: Option<i64>,
}

/// One callback counter.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct CallbackCount {
    /// `wechat_api` or `wechat_bot`.
    pub channel: String,
    /// Type label.
    pub callback_type: String,
    /// `stored`, `duplicate`, `verified`, `quarantined`, a -400xx code, …
    pub outcome: String,
    /// How many.
    pub count: u64,
}

/// `/api/v1/status` answers.
#[derive(ApiResponse)]
pub enum StatusResponse {
    /// The status.
    #[oai(status = 200)]
    Ok(Json<Box<StatusBody>>),
    /// The event log could not be read.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl StatusApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    fn mongodb(&self) -> BackendStatus {
        let configured = self.state.external_backends.mongodb;
        let Some(raw_log) = &self.state.raw_log else {
            return BackendStatus {
                name: "mongodb".to_owned(),
                kind: "mongodb".to_owned(),
                configured,
                in_use: false,
                healthy: None,
                detail: if configured {
                    "configured, not used: storage.mode is embedded (PMC_STORAGE=external uses it)".to_owned()
                } else {
                    "not configured".to_owned()
                },
            };
        };
        let shipped = raw_log.borrow().clone();
        let lag = (self.state.event_log.head() - shipped.shipped_up_to).max(0);
        BackendStatus {
            name: "mongodb".to_owned(),
            kind: "mongodb".to_owned(),
            configured,
            in_use: true,
            healthy: Some(shipped.healthy),
            detail: match shipped.last_error {
                Some(error) => format!("raw log: {lag} events behind; last error: {error}"),
                None => {
                    format!("raw log: {lag} events behind (shipped up to event {})", shipped.shipped_up_to)
                }
            },
        }
    }

    fn channel(source: &WeComSource) -> ChannelStatus {
        let (state, detail) = match source.credentials() {
            ChannelCredentials::Ready(_) => ("ready", None),
            ChannelCredentials::Disabled => ("disabled", None),
            ChannelCredentials::Unconfigured(reason) => ("unconfigured", Some(reason)),
        };
        ChannelStatus { name: source.channel().as_str().to_owned(), state: state.to_owned(), detail }
    }
}

#[OpenApi(tag = "ApiTags::Operations")]
impl StatusApi {
    /// Service status
    ///
    /// Name, version, uptime, channels, storage backends and their health,
    /// and callback counters by type and outcome.
    #[oai(path = "/api/v1/status", method = "get", operation_id = "status")]
    async fn status(&self, _access: ReadAccess) -> Guarded<StatusResponse> {
        Guarded::Allowed(async move {
            let state = &self.state;
            let (events_total, quarantined_total) =
                match (state.event_log.count().await, state.event_log.quarantined_count().await) {
                    (Ok(events), Ok(quarantined)) => (events, quarantined),
                    (Err(error), _) | (_, Err(error)) => {
                        return StatusResponse::Unavailable(super::error::read_failed(&error));
                    }
                };
            let health = state.event_log.health().snapshot();
            let external = state.external_backends;
            let not_yet = "configured, but not used by this version yet";
            let backend = |name: &str, configured: bool| BackendStatus {
                name: name.to_owned(),
                kind: name.to_owned(),
                configured,
                in_use: false,
                healthy: None,
                detail: if configured { not_yet.to_owned() } else { "not configured".to_owned() },
            };
            let tracking_backend = state.tracking.backend_name();
            let reachable = state.tracking.check().await;
            let tracking = BackendStatus {
                name: "tracking".to_owned(),
                kind: tracking_backend.to_owned(),
                configured: true,
                in_use: true,
                healthy: Some(reachable.is_ok()),
                detail: match reachable {
                    // Names the endpoint (password redacted) and why.
                    Err(error) => format!("unreachable: {error}"),
                    Ok(()) if tracking_backend == "mysql" => format!(
                        "{}: messages, recipients, history, interactions, member events",
                        state.tracking.endpoint()
                    ),
                    Ok(()) => state.data_dir.join("tracking.db").display().to_string(),
                },
            };
            let mysql = if tracking_backend == "mysql" {
                BackendStatus { name: "mysql".to_owned(), ..tracking.clone() }
            } else {
                BackendStatus {
                    detail: if external.mysql {
                        "configured, not used: storage.mode is embedded (PMC_STORAGE=external uses it)".to_owned()
                    } else {
                        "not configured".to_owned()
                    },
                    ..backend("mysql", external.mysql)
                }
            };
            let stats = match state.supervisor() {
                Some(supervisor) => supervisor.stats(Duration::from_secs(2)).await.ok(),
                None => None,
            };
            let actors = match stats {
                Some(stats) => ActorStatus {
                    running: true,
                    events_applied: stats.events_applied,
                    last_applied_id: stats.last_applied_id,
                },
                None => ActorStatus { running: false, events_applied: 0, last_applied_id: None },
            };
            StatusResponse::Ok(Json(Box::new(StatusBody {
                service: state.service_name.clone(),
                version: state.service_version.clone(),
                started_at: state.started_at_utc,
                uptime_seconds: state.started_at.elapsed().as_secs(),
                channels: {
                    let routes = state.routes();
                    vec![Self::channel(&routes.default_api), Self::channel(&routes.default_bot)]
                },
                storage: StorageStatus {
                    mode: state.storage_mode.as_str().to_owned(),
                    backends: vec![
                        BackendStatus {
                            name: "event_log".to_owned(),
                            kind: "sqlite".to_owned(),
                            configured: true,
                            in_use: true,
                            healthy: Some(state.event_log.health().is_ready()),
                            detail: state.data_dir.join("events.db").display().to_string(),
                        },
                        tracking,
                        mysql,
                        self.mongodb(),
                        BackendStatus {
                            in_use: state.cache.enabled(),
                            healthy: state.cache.healthy(),
                            detail: if state.cache.enabled() {
                                "status cache (read-through, invalidated on every tracking write)".to_owned()
                            } else if external.redis {
                                "configured, not used: storage.mode is embedded (PMC_STORAGE=external uses it)"
                                    .to_owned()
                            } else {
                                "not configured".to_owned()
                            },
                            ..backend("redis", external.redis)
                        },
                    ],
                    event_log: EventLogStatus {
                        events_total,
                        quarantined_total,
                        batches: health.batches,
                        requests: health.requests,
                        largest_batch: health.largest_batch,
                        last_commit_micros: health.last_commit_micros,
                        failed_batches: health.failed_batches,
                    },
                },
                actors,
                callbacks: state.counters.snapshot().into_iter().map(CallbackCount::from).collect(),
                callbacks_all_replicas: state
                    .cache
                    .shared_counters(state.tracking.scope())
                    .await
                    .map(|rows| rows.into_iter().map(CallbackCount::from).collect()),
                process: ProcessStatus::read(),
            })))
        }.await)
    }
}

impl From<crate::webhooks::CounterRow> for CallbackCount {
    fn from(row: crate::webhooks::CounterRow) -> Self {
        Self {
            channel: row.channel,
            callback_type: row.callback_type,
            outcome: row.outcome,
            count: row.count,
        }
    }
}
