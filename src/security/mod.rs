//! Security by default: bearer tokens on the management API
//! ([`api_tokens`]), guards on the callback routes (address allowlist,
//! per-address rate limit; [`callback_guard`]), and TLS in the service
//! itself ([`tls`]).

pub mod api_tokens;

pub use self::api_tokens::{ApiTokenError, ApiTokens, GeneratedToken, Scope};
pub mod callback_guard;
pub mod client_ip;
pub mod crypto;

pub use self::crypto::install_crypto_provider;

pub use self::callback_guard::{CallbackGuard, Verdict};
pub mod tls;

pub use self::tls::{TlsError, TlsFiles};
