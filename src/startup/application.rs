//! A built application: its accessors, serving, and the ordered shutdown.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use pmc_actors::HandlerRegistry;
use poem::{Server, endpoint::BoxEndpoint, listener::BoxAcceptor};

use super::{ApplicationBuilder, StartupError};
use crate::{
    background::Background,
    configuration::Settings,
    event_log::EventLog,
    forwarding::ForwardingHandle,
    outbound::OutboundHandle,
    raw_log::RawLog,
    security::GeneratedToken,
    suite::{SuiteDirectory, SuiteKeeper},
    tracking::TrackingPipeline,
};

/// How long shutdown waits for a long connection to close.
const LONG_CONNECTIONS_CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// How long shutdown waits for the raw log to reach MongoDB.
const RAW_LOG_DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long shutdown waits for sends already talking to WeCom.
const SENDS_IN_FLIGHT_TIMEOUT: Duration = Duration::from_secs(15);
/// How long the background threads may take to stop once everything on
/// them was closed.
const BACKGROUND_STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A built, bound, not yet serving application.
pub struct Application {
    pub(super) data_dir: std::path::PathBuf,
    pub(super) generated_api_token: Option<GeneratedToken>,
    pub(super) local_addr: SocketAddr,
    pub(super) acceptor: BoxAcceptor,
    pub(super) https: bool,
    pub(super) idle_timeout: Duration,
    pub(super) endpoint: BoxEndpoint<'static>,
    pub(super) event_log: EventLog,
    pub(super) raw_log: Option<RawLog>,
    pub(super) events_view: Option<crate::events_view::EventsView>,
    pub(super) retention: crate::retention::Retention,
    pub(super) outbound: OutboundHandle,
    pub(super) forwarding: ForwardingHandle,
    pub(super) suites: Arc<SuiteDirectory>,
    pub(super) suite_keeper: SuiteKeeper,
    pub(super) kf_puller: crate::kf::KfPuller,
    pub(super) pipeline: TrackingPipeline,
    pub(super) background: Background,
    pub(super) drain_timeout: Duration,
    pub(super) shutdown_timeout: Duration,
    pub(super) long_connections: crate::robot::longconn::LongConnections,
}

impl Application {
    /// A builder, to register handlers before building.
    pub fn builder(settings: Settings) -> ApplicationBuilder {
        ApplicationBuilder {
            settings,
            handlers: HandlerRegistry::default(),
            sources: Vec::new(),
            reload: None,
            robot_clock: crate::robot::Clock::system(),
            reply_handler: None,
            reply_deadline: crate::replies::DEFAULT_HANDLER_DEADLINE,
        }
    }

    /// Builds with no custom handlers.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        Self::builder(settings).build().await
    }

    /// The bound port (useful with port 0).
    pub fn port(&self) -> u16 {
        self.local_addr.port()
    }

    /// Where its data lives.
    pub fn data_dir(&self) -> &std::path::Path {
        &self.data_dir
    }

    /// The management API token generated at this start, if none was
    /// configured and none existed yet: to be shown once.
    pub fn generated_api_token(&self) -> Option<&GeneratedToken> {
        self.generated_api_token.as_ref()
    }

    /// The suites' tokens (`corp_sender` for sending as a suite's app in
    /// an authorised corp).
    pub fn suites(&self) -> Arc<SuiteDirectory> {
        Arc::clone(&self.suites)
    }

    /// `https` when serving TLS, else `http`.
    pub fn scheme(&self) -> &'static str {
        if self.https { "https" } else { "http" }
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Serves until `shutdown` completes, then shuts down in order: stop
    /// accepting and finish in-flight requests → commit everything queued in
    /// the event log → feed it to the actors → drain the actors and write
    /// their last batch.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send,
    ) -> Result<(), StartupError> {
        tracing::info!(address = %self.local_addr, scheme = self.scheme(), "Listening.");
        // The robots' long connections go first, leases released, so that
        // another replica takes them over at once.
        let long_connections = self.long_connections.clone();
        let shutdown = async move {
            shutdown.await;
            long_connections.close(LONG_CONNECTIONS_CLOSE_TIMEOUT).await;
        };
        let served = Server::new_with_acceptor(self.acceptor)
            .idle_timeout(self.idle_timeout)
            .run_with_graceful_shutdown(self.endpoint, shutdown, Some(self.shutdown_timeout))
            .await;
        tracing::info!("HTTP server stopped; finishing sends in flight, committing queued callbacks.");
        // Sends in flight store their results in the event log: before it closes.
        self.retention.stop();
        self.outbound.close(SENDS_IN_FLIGHT_TIMEOUT).await;
        self.forwarding.close(SENDS_IN_FLIGHT_TIMEOUT).await;
        self.suite_keeper.close(SENDS_IN_FLIGHT_TIMEOUT).await;
        self.kf_puller.close(SENDS_IN_FLIGHT_TIMEOUT).await;
        self.event_log.close().await;
        if let Some(raw_log) = self.raw_log {
            raw_log.close(RAW_LOG_DRAIN_TIMEOUT).await;
        }
        if let Some(events_view) = self.events_view {
            events_view.close(RAW_LOG_DRAIN_TIMEOUT).await;
        }
        self.pipeline.shutdown(self.drain_timeout).await;
        self.background.shutdown(BACKGROUND_STOP_TIMEOUT).await;
        tracing::info!("Shutdown complete.");
        Ok(served?)
    }
}

/// Completes on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => tracing::info!("Ctrl-C received; shutting down."),
        _ = terminate => tracing::info!("SIGTERM received; shutting down."),
    }
}
