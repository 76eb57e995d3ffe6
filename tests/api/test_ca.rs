//! A certificate authority each TLS test makes for itself (rcgen), a server
//! certificate it signs for 127.0.0.1, and HTTPS listeners for our fakes.
//! The service is made to trust the CA exactly as in production: through
//! `SSL_CERT_FILE` for a spawned binary, or the backend's CA setting.

use std::path::{Path, PathBuf};

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// A CA, and a server certificate for 127.0.0.1/localhost signed by it.
pub struct TestCa {
    /// The CA certificate (PEM): what a client must trust.
    pub ca_pem: String,
    /// The server's certificate (PEM).
    pub cert_pem: String,
    /// The server's key (PEM, PKCS#8).
    pub key_pem: String,
    /// Where the three are written: `ca.pem`, `cert.pem`, `key.pem`.
    pub dir: tempfile::TempDir,
}

impl TestCa {
    /// A fresh CA named `name` and its server certificate, written to a
    /// temporary directory.
    pub fn new(name: &str) -> Self {
        let mut ca_params = CertificateParams::new(Vec::new()).unwrap();
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca_params.distinguished_name.push(DnType::CommonName, format!("pmc test CA {name}"));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = KeyPair::generate().unwrap();
        let ca_cert = ca_params.self_signed(&ca_key).unwrap();
        let issuer = Issuer::new(ca_params, ca_key);
        let mut params =
            CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()]).unwrap();
        params.distinguished_name.push(DnType::CommonName, "127.0.0.1");
        params.use_authority_key_identifier_extension = true;
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &issuer).unwrap();
        let made = Self {
            ca_pem: ca_cert.pem(),
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            dir: tempfile::tempdir().unwrap(),
        };
        std::fs::write(made.ca_file(), &made.ca_pem).unwrap();
        std::fs::write(made.cert_file(), &made.cert_pem).unwrap();
        std::fs::write(made.key_file(), &made.key_pem).unwrap();
        made
    }

    /// `ca.pem`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }

    /// `cert.pem`.
    pub fn cert_file(&self) -> PathBuf {
        self.dir.path().join("cert.pem")
    }

    /// `key.pem`.
    pub fn key_file(&self) -> PathBuf {
        self.dir.path().join("key.pem")
    }

    /// poem's TLS configuration serving the server certificate.
    pub fn rustls_config(&self) -> poem::listener::RustlsConfig {
        poem::listener::RustlsConfig::new().fallback(
            poem::listener::RustlsCertificate::new().cert(self.cert_pem.clone()).key(self.key_pem.clone()),
        )
    }
}

/// The service binary the process tests run: `PMC_SERVICE_BINARY` (CI sets
/// it to the artifact built without dev-dependencies, see `.ci/run`), else
/// the one cargo built for this test run.
pub fn service_binary() -> PathBuf {
    std::env::var_os("PMC_SERVICE_BINARY")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pmc-webhook")))
}

/// Writes `env` as an env file in `dir`.
pub fn env_file(dir: &Path, env: &[(&str, String)]) -> PathBuf {
    let path = dir.join("service.env");
    let lines: Vec<String> = env.iter().map(|(name, value)| format!("{name}={value}")).collect();
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}
