//! HTTPS in the service itself: the certificate chain and key from
//! `security.tls`, checked at start (a bad pair stops the start with a clear
//! error), and read again on SIGHUP or when either file changes. A reload
//! applies to new connections; open ones keep their session, so nothing is
//! dropped. A bad pair at reload is logged and the previous one kept.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, SystemTime},
};

use futures::channel::mpsc;
use poem::listener::{RustlsCertificate, RustlsConfig};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, pem::PemObject};

/// How often the files' modification times are compared.
const WATCH_INTERVAL: Duration = Duration::from_secs(2);

/// Why the certificate or key cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// Only one of the two files is configured.
    #[error("security.tls needs both cert_file (PMC_TLS_CERT) and key_file (PMC_TLS_KEY)")]
    Incomplete,
    /// A file is missing or unreadable.
    #[error("cannot read {path}: {reason}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// The files do not hold a usable certificate chain and matching key.
    #[error("unusable certificate/key ({cert} + {key}): {reason}")]
    Unusable {
        /// The certificate file.
        cert: PathBuf,
        /// The key file.
        key: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The two files, once both are configured.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    cert: PathBuf,
    key: PathBuf,
}

impl TlsFiles {
    /// `None` when TLS is not configured (plain HTTP).
    pub fn from_settings(settings: &crate::configuration::TlsSettings) -> Result<Option<Self>, TlsError> {
        match (&settings.cert_file, &settings.key_file) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Ok(Some(Self { cert: cert.clone(), key: key.clone() })),
            _ => Err(TlsError::Incomplete),
        }
    }

    /// Reads and checks both files: a parsable chain, a key that rustls can
    /// sign with and that belongs to the chain's first certificate.
    pub fn load(&self) -> Result<RustlsConfig, TlsError> {
        let cert_pem = read(&self.cert)?;
        let key_pem = read(&self.key)?;
        let unusable =
            |reason: String| TlsError::Unusable { cert: self.cert.clone(), key: self.key.clone(), reason };
        let chain = CertificateDer::pem_slice_iter(&cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|error| unusable(format!("certificate PEM: {error}")))?;
        if chain.is_empty() {
            return Err(unusable("no certificate in the file".to_owned()));
        }
        let key =
            PrivateKeyDer::from_pem_slice(&key_pem).map_err(|error| unusable(format!("key PEM: {error}")))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .and_then(|builder| builder.with_no_client_auth().with_single_cert(chain, key))
            .map_err(|error| unusable(error.to_string()))?;
        Ok(RustlsConfig::new().fallback(RustlsCertificate::new().cert(cert_pem).key(key_pem)))
    }

    fn modified(&self) -> Option<(SystemTime, SystemTime)> {
        let modified = |path: &Path| std::fs::metadata(path).and_then(|meta| meta.modified()).ok();
        Some((modified(&self.cert)?, modified(&self.key)?))
    }

    /// The configs to serve with: the checked one now, then one per reload
    /// (SIGHUP, or a change of either file). The watcher stops when the
    /// listener drops the stream.
    pub fn watch(self, initial: RustlsConfig) -> mpsc::UnboundedReceiver<RustlsConfig> {
        let (sender, receiver) = mpsc::unbounded();
        let _ = sender.unbounded_send(initial);
        tokio::spawn(async move {
            let mut hangups = hangup_signals();
            let mut last_seen = self.modified();
            loop {
                let signalled = tokio::select! {
                    _ = tokio::time::sleep(WATCH_INTERVAL) => false,
                    Some(()) = next_hangup(&mut hangups) => true,
                };
                if sender.is_closed() {
                    return;
                }
                let seen = self.modified();
                if !signalled && seen == last_seen {
                    continue;
                }
                last_seen = seen;
                match self.load() {
                    Ok(config) => {
                        tracing::info!(
                            cert = %self.cert.display(),
                            reason = if signalled { "SIGHUP" } else { "file changed" },
                            "TLS certificate reloaded; new connections use it."
                        );
                        if sender.unbounded_send(config).is_err() {
                            return;
                        }
                    }
                    Err(error) => {
                        tracing::error!(error = %error, "TLS reload failed; still serving the previous certificate.")
                    }
                }
            }
        });
        receiver
    }
}

fn read(path: &Path) -> Result<Vec<u8>, TlsError> {
    std::fs::read(path).map_err(|error| TlsError::Read { path: path.to_owned(), reason: error.to_string() })
}

#[cfg(unix)]
type Hangups = Option<tokio::signal::unix::Signal>;
#[cfg(not(unix))]
type Hangups = Option<()>;

#[cfg(unix)]
fn hangup_signals() -> Hangups {
    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok()
}

#[cfg(not(unix))]
fn hangup_signals() -> Hangups {
    None
}

async fn next_hangup(hangups: &mut Hangups) -> Option<()> {
    #[cfg(unix)]
    if let Some(signal) = hangups {
        return signal.recv().await;
    }
    let _ = hangups;
    std::future::pending().await
}
