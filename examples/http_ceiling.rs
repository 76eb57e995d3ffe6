//! The HTTP ceiling for `bench/load.sh`: the same web framework as the
//! service (poem, same allocator), answering every request 200 with an
//! empty body after reading it, and nothing else. What the service reaches
//! as a fraction of this is the cost of its own work.
//!
//!     cargo run --release --example http_ceiling -- 127.0.0.1:18081

use poem::{Body, Route, Server, handler, listener::TcpListener};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[handler]
async fn empty(body: Body) -> &'static str {
    // Read the body as the service does, so both do the same socket work.
    let _ = body.into_bytes_limit(1 << 20).await;
    ""
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let address = std::env::args().nth(1).unwrap_or_else(|| "127.0.0.1:18081".to_owned());
    let app = Route::new().at("/*path", empty);
    Server::new(TcpListener::bind(address)).run(app).await
}
