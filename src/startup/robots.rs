//! Wiring the robots: where streams and `response_url`s live, how passive
//! replies are decided, and the long connections with the store their
//! lease (and relay) goes through — Redis when configured, else MySQL in
//! external mode, else this process alone.

use std::{sync::Arc, time::Duration};

use crate::{
    accounts::Accounts,
    cache::StatusCache,
    configuration::{Settings, StorageMode},
    event_log::EventLog,
    replies::{Replier, ReplyHandler},
    robot::{
        Clock, Conversations,
        longconn::{ConnectionSettings, Lease, LongConnections},
    },
    tracking::SqlTrackingStore,
    webhooks::CallbackCounters,
};

/// What the robots are built from.
pub(super) struct Parts<'a> {
    pub(super) settings: &'a Settings,
    pub(super) accounts: &'a Accounts,
    pub(super) cache: &'a StatusCache,
    pub(super) store: &'a SqlTrackingStore,
    pub(super) instance: &'a str,
    pub(super) event_log: &'a EventLog,
    pub(super) counters: &'a Arc<CallbackCounters>,
    pub(super) clock: Clock,
    pub(super) reply_handler: Option<Arc<dyn ReplyHandler>>,
    pub(super) reply_deadline: Duration,
}

/// The robots' running parts.
pub(super) struct Robots {
    pub(super) conversations: Arc<Conversations>,
    pub(super) replier: Arc<Replier>,
    pub(super) long_connections: LongConnections,
}

/// The store leases go through — robots' connections, 微信客服 pulls:
/// Redis when configured, else MySQL in external mode, else this process.
pub(super) fn lease_store(
    settings: &Settings,
    cache: &StatusCache,
    store: &SqlTrackingStore,
    instance: &str,
) -> Lease {
    let holder = instance.to_owned();
    if cache.enabled() {
        Lease::Shared { cache: cache.clone(), scope: store.scope().to_owned(), holder }
    } else if settings.storage.mode == StorageMode::External {
        Lease::Sql { db: store.connection().clone(), holder }
    } else {
        Lease::InProcess { holder }
    }
}

/// Builds the conversations and the replier and starts the long
/// connections (inside the background runtime).
pub(super) fn start(parts: Parts<'_>) -> Robots {
    let Parts {
        settings,
        accounts,
        cache,
        store,
        instance,
        event_log,
        counters,
        clock,
        reply_handler,
        reply_deadline,
    } = parts;
    let lease = lease_store(settings, cache, store, instance);
    let conversations = Conversations::new(cache.clone(), clock, settings.robot.clone());
    let replier = Arc::new(Replier::new(reply_handler, reply_deadline));
    let long_connections = LongConnections::start(
        accounts,
        ConnectionSettings {
            url: settings.channels.wechat_bot.ws_url.clone(),
            lease: Duration::from_millis(settings.robot.ws_lease_ms),
            heartbeat: Duration::from_millis(settings.robot.ws_heartbeat_ms),
            reconnect_max: Duration::from_millis(settings.robot.ws_reconnect_max_ms),
        },
        lease,
        event_log.clone(),
        Arc::clone(counters),
        &conversations,
        &replier,
    );
    Robots { conversations, replier, long_connections }
}
