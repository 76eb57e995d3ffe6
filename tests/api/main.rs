//! Black-box tests: the service is started on port 0 and spoken to over HTTP,
//! as WeCom and business systems would. One test binary, one link step.

// The service's futures (poem + sea-orm + fred + mongodb) nest deeper than the default.
#![recursion_limit = "256"]

mod accounts;
mod accounts_migration;
mod accounts_reload;
mod accounts_replicas;
mod accounts_views;
mod api_surface;
mod app_sends;
mod backends;
mod background;
mod callbacks;
mod configuration;
mod dedupe;
mod disk_full;
mod durability;
mod events_view;
mod external_mongo;
mod external_mysql;
mod external_redis;
mod external_sends;
mod fake_wecom;
mod fake_wecom_ws;
mod forwarding;
mod fsync_failure;
mod handlers;
mod helpers;
mod hostile;
mod kf;
mod logs;
mod metrics;
mod openapi_spec;
mod outbound;
mod payloads;
mod replicas;
mod replies;
mod retention;
mod robot;
mod robot_ws;
mod robot_ws_answers;
mod security;
mod simulator;
mod smoke;
mod suites;
mod suites_external;
mod suites_sending;
mod test_ca;
mod tls;
mod tls_backends;
mod tracking;
mod vectors_over_http;
mod webhook_sources;
