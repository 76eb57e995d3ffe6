//! The HTTP front end (poem + poem-openapi): the WeCom callback routes, the
//! operations routes, the events API, the OpenAPI spec and Swagger UI.

mod accounts;
mod activity;
mod actors;
mod auth;
mod callback;
mod convert;
pub mod error;
mod events;
mod examples;
mod forwarding;
mod guards;
mod health;
mod message_actions;
mod message_bodies;
mod messages;
mod metrics;
mod response_examples;
mod robot;
mod robot_bodies;
mod sends;
pub mod state;
mod status;
mod subscriptions;
mod webhook_sources;

use std::sync::Arc;

use poem::{Endpoint, EndpointExt, Route};
use poem_openapi::{OpenApiService, Tags};

use self::{
    accounts::AccountsApi, activity::ActivityApi, actors::ActorsApi, callback::CallbackApi,
    events::EventsApi, forwarding::ForwardingApi, health::HealthApi, message_actions::MessageActionsApi,
    messages::MessagesApi, robot::RobotApi, state::AppState, status::StatusApi,
    subscriptions::SubscriptionsApi, webhook_sources::WebhookSourcesApi,
};

/// Groups in the spec and in Swagger UI.
#[derive(Tags)]
pub enum ApiTags {
    /// Callbacks from WeCom (apps, suites, robots).
    #[oai(rename = "WeCom callbacks")]
    WeComCallbacks,
    /// Tracked messages: registration, status callbacks, status and history.
    Messages,
    /// User interactions and member events.
    Tracking,
    /// Answering robot users: streams and `response_url` replies.
    Robot,
    /// Stored callbacks.
    Events,
    /// Pushing events to business systems: subscriptions, deliveries, replay.
    Forwarding,
    /// Health and status.
    Operations,
}

/// The whole API as one OpenAPI service.
pub type ApiService = OpenApiService<
    (
        CallbackApi,
        WebhookSourcesApi,
        MessagesApi,
        MessageActionsApi,
        RobotApi,
        ActivityApi,
        EventsApi,
        SubscriptionsApi,
        ForwardingApi,
        HealthApi,
        StatusApi,
        ActorsApi,
        AccountsApi,
    ),
    (),
>;

/// Builds the OpenAPI service over `state`.
pub fn api_service(state: Arc<AppState>, version: &str) -> ApiService {
    OpenApiService::new(
        (
            CallbackApi::new(Arc::clone(&state)),
            WebhookSourcesApi::new(Arc::clone(&state)),
            MessagesApi::new(Arc::clone(&state)),
            MessageActionsApi::new(Arc::clone(&state)),
            RobotApi::new(Arc::clone(&state)),
            ActivityApi::new(Arc::clone(&state)),
            EventsApi::new(Arc::clone(&state)),
            SubscriptionsApi::new(Arc::clone(&state)),
            ForwardingApi::new(Arc::clone(&state)),
            HealthApi::new(Arc::clone(&state)),
            StatusApi::new(Arc::clone(&state)),
            ActorsApi::new(Arc::clone(&state)),
            AccountsApi::new(state),
        ),
        "pmc-webhook",
        version,
    )
    .description("Receives WeCom (企业微信) callbacks, verifies, decrypts and durably stores them, and exposes them to business systems.")
}

/// All routes: the API, `/openapi.json`, Swagger UI at `/docs` (served
/// from the binary, no CDN), and Prometheus metrics at `/metrics`.
pub fn routes(state: Arc<AppState>, version: &str) -> impl Endpoint + use<> {
    let api_tokens = Arc::clone(&state.api_tokens);
    let guards = guards::RequestGuards::new(
        Arc::clone(&state.callback_guard),
        state.max_api_body_bytes,
        state.request_timeout,
    );
    let service = api_service(Arc::clone(&state), version);
    let spec = service.spec_endpoint();
    let spec_yaml = service.spec_endpoint_yaml();
    let docs = service.swagger_ui();
    Route::new()
        .nest("/", service)
        .at("/openapi.json", spec)
        .at("/openapi.yaml", spec_yaml)
        .nest("/docs", docs)
        .at("/metrics", poem::get(metrics::metrics).data(state))
        .data(api_tokens)
        .with(guards)
        .with(crate::telemetry::RequestIds)
}
