//! `GET /api/v1/actors` (the actor tree's counters) and
//! `GET /api/v1/webhooks/handlers` (every webhook source and user handler).

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::auth::{Guarded, ReadAccess};
use super::{ApiTags, error::ErrorBody, state::AppState};
use crate::webhooks::WebhookHandler;

/// Introspection routes.
pub struct ActorsApi {
    state: Arc<AppState>,
}

/// The actor tree's counters.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct ActorsBody {
    /// Message actors alive now (bounded by `tracking.max_live_actors`).
    pub live_message_actors: u64,
    /// The most message actors alive at once (live, parking and stopping).
    pub peak_message_actors: u64,
    /// Message actors started (first use or reactivation).
    pub activations: u64,
    /// Message actors passivated (idle or over the cap).
    pub passivations: u64,
    /// Message actors restarted after a crash.
    pub restarts: u64,
    /// Message actors reloaded because another replica changed their
    /// message first (their compare-and-set write was superseded).
    pub resyncs: u64,
    /// Rows the tracking store refused (a value it cannot hold), skipped
    /// and logged as dead letters; their events stay in the event log.
    pub dead_letters: u64,
    /// Events applied since start.
    pub events_applied: u64,
    /// Highest event id applied.
    pub last_applied_id: Option<i64>,
    /// Every event at or below this id is fully stored.
    pub checkpoint: i64,
    /// The last event committed to the event log: tracking has caught up
    /// when `checkpoint` equals it.
    pub event_log_head: i64,
    /// Mailbox depth of the pipeline: units of work sent to message,
    /// callback and writer actors and not yet stored.
    pub pending_units: u64,
    /// Signals held for actors being passivated.
    pub held_for_parking: u64,
    /// Message ids waiting for a free slot under the live cap.
    pub waiting_for_slot: u64,
    /// Events applied per callback type.
    pub applied_by_type: BTreeMap<String, u64>,
}

/// A webhook source or user handler.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none, example)]
pub struct HandlerBody {
    /// Its name.
    pub name: String,
    /// `webhook` (a source mounted under /api/v1/webhooks), `status` or `interaction` (user handlers).
    pub kind: String,
    /// The account a WeCom route serves: its own for
    /// `…/wechat/{api,bot}/{account}`, `default` for the seed's fixed routes
    /// (whose `listens_to` names every account they serve, such as the
    /// default suite); absent for other sources and for handlers.
    pub account: Option<String>,
    /// What it listens to.
    pub listens_to: Vec<String>,
    /// Its routes (webhook sources).
    pub routes: Vec<String>,
    /// Calls (for a WeCom route: requests of the accounts it serves, so the
    /// seed's fixed route and `…/default` count the default account's together).
    pub invocations: u64,
    /// Calls that failed (refused requests for sources; errors, panics and timeouts for handlers).
    pub failures: u64,
    /// The last failure, when known.
    pub last_error: Option<String>,
}

/// `/api/v1/actors` answers.
#[derive(ApiResponse)]
pub enum ActorsResponse {
    /// The counters.
    #[oai(status = 200)]
    Ok(Json<ActorsBody>),
    /// The supervisor did not answer.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

impl ActorsApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    fn source(&self, source: &dyn WebhookHandler) -> HandlerBody {
        let served = source.served_accounts();
        let (mut invocations, mut failures) = (0, 0);
        for row in self.state.counters.snapshot() {
            // Both WeCom channels have a source per account: each counts its own.
            if row.channel == source.name() && (served.is_empty() || served.contains(&row.account)) {
                invocations += row.count;
                if !matches!(row.outcome.as_str(), "stored" | "duplicate" | "verified") {
                    failures += row.count;
                }
            }
        }
        HandlerBody {
            name: source.name().to_owned(),
            kind: "webhook".to_owned(),
            account: served.into_iter().next(),
            listens_to: source.listens_to(),
            routes: source.routes(),
            invocations,
            failures,
            last_error: None,
        }
    }
}

#[OpenApi(tag = "ApiTags::Operations")]
impl ActorsApi {
    /// Actor counters
    ///
    /// Live message actors, activations, passivations, restarts, the
    /// backlog of unstored work and the checkpoint.
    #[oai(path = "/api/v1/actors", method = "get", operation_id = "actors")]
    async fn actors(&self, _access: ReadAccess) -> Guarded<ActorsResponse> {
        Guarded::Allowed(async move {
            let Some(supervisor) = self.state.supervisor() else {
                return ActorsResponse::Unavailable(ErrorBody::new(
                    "tracking_starting",
                    "tracking has not started yet: its database is unreachable (callbacks are still stored)",
                    None,
                ));
            };
            match supervisor.stats(Duration::from_secs(5)).await {
                Ok(stats) => ActorsResponse::Ok(Json(ActorsBody {
                    live_message_actors: stats.live_message_actors,
                    peak_message_actors: stats.peak_message_actors,
                    activations: stats.activations,
                    passivations: stats.passivations,
                    restarts: stats.restarts,
                    resyncs: stats.resyncs,
                    dead_letters: stats.dead_letters,
                    events_applied: stats.events_applied,
                    last_applied_id: stats.last_applied_id,
                    checkpoint: stats.checkpoint,
                    event_log_head: self.state.event_log.head(),
                    pending_units: stats.pending_units,
                    held_for_parking: stats.held_for_parking,
                    waiting_for_slot: stats.waiting_for_slot,
                    applied_by_type: stats.applied_by_type,
                })),
                Err(error) => {
                    ActorsResponse::Unavailable(ErrorBody::new("actors_unavailable", error.to_string(), None))
                }
            }
        }.await)
    }

    /// Webhook sources and handlers
    ///
    /// Every webhook source with its routes, and every registered status
    /// and interaction handler, with invocations, failures and the last error.
    #[oai(path = "/api/v1/webhooks/handlers", method = "get", operation_id = "listHandlers")]
    async fn handlers(&self, _access: ReadAccess) -> Guarded<Json<Vec<HandlerBody>>> {
        Guarded::Allowed(
            async move {
                let mut handlers: Vec<HandlerBody> =
                    self.state.all_sources().iter().map(|source| self.source(source.as_ref())).collect();
                let handler_stats = self
                    .state
                    .supervisor()
                    .map(|supervisor| supervisor.handler_stats().snapshot())
                    .unwrap_or_default();
                for (name, stat) in handler_stats {
                    handlers.push(HandlerBody {
                        kind: if stat.listens_to.starts_with("status") { "status" } else { "interaction" }
                            .to_owned(),
                        listens_to: vec![stat.listens_to],
                        account: None,
                        routes: Vec::new(),
                        invocations: stat.invocations,
                        failures: stat.failures,
                        last_error: stat.last_error,
                        name,
                    });
                }
                Json(handlers)
            }
            .await,
        )
    }
}
