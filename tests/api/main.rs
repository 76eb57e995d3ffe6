//! Black-box tests: the service is started on port 0 and spoken to over HTTP,
//! as WeCom and business systems would. One test binary, one link step.

mod api_surface;
mod backends;
mod callbacks;
mod configuration;
mod dedupe;
mod durability;
mod external_mongo;
mod external_mysql;
mod handlers;
mod helpers;
mod openapi_spec;
mod tracking;
mod vectors_over_http;
mod webhook_sources;
