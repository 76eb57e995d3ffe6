//! The one rustls crypto provider of the process.
//!
//! Several crates pull rustls in with different providers (aws-lc-rs from
//! reqwest, poem and sqlx; ring from the mongodb driver), and with both
//! compiled rustls cannot pick a process default by itself: a crate that
//! asks for it (fred's `rediss://` connector does) would panic. Installing
//! aws-lc-rs once, first thing, makes that choice explicit for the whole
//! binary. (The mongodb driver still builds its own configs on ring; it
//! never consults the default.)

/// Installs aws-lc-rs as the process-wide rustls provider. Idempotent: a
/// second call (tests start many services in one process) changes nothing.
pub fn install_crypto_provider() {
    // Err means a provider is already installed, which is what we want.
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
