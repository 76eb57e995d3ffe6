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

/// Whether `error` (or one of its causes) is a TLS failure that trying
/// again cannot fix: the peer's certificate was refused (unknown issuer, a
/// name it does not cover, expired) or the handshake itself was refused.
/// Callers fail such a call at once, with the reason, instead of retrying
/// a misconfiguration quietly for hours.
pub fn is_tls_failure(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(cause) = current {
        if cause.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        // tokio-rustls hands rustls' error up inside an io::Error (at times
        // inside another one), whose `source()` skips the error it wraps.
        if let Some(io) = cause.downcast_ref::<std::io::Error>()
            && io.get_ref().is_some_and(|inner| is_tls_failure(inner))
        {
            return true;
        }
        current = cause.source();
    }
    false
}
