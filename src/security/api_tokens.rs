//! Bearer tokens for the management API: parsed once from the settings (or
//! generated at first start), compared in constant time, never logged.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// The shortest token accepted from the configuration.
const MIN_TOKEN_CHARS: usize = 16;
/// The file in the data directory holding the generated token.
pub const GENERATED_TOKEN_FILE: &str = "api_token";

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Scope {
    /// `GET` operations only.
    ReadOnly,
    /// Every management operation.
    ReadWrite,
}

impl Scope {
    /// `ro` or `rw`, as written in the configuration.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadOnly => "ro",
            Scope::ReadWrite => "rw",
        }
    }
}

/// Why the configured tokens are unusable. Never contains a token.
#[derive(Debug, thiserror::Error)]
pub enum ApiTokenError {
    /// A token is shorter than [`MIN_TOKEN_CHARS`] or has an unknown prefix.
    #[error("API token #{position} is unusable: {reason}")]
    Invalid {
        /// 1-based position in the list.
        position: usize,
        /// Why.
        reason: &'static str,
    },
    /// The generated token could not be read or written.
    #[error("cannot read or write the generated API token at {path}: {reason}")]
    File {
        /// The token file.
        path: PathBuf,
        /// Why.
        reason: String,
    },
}

/// The accepted tokens, kept only as SHA-256 digests: comparing digests in
/// constant time reveals neither a token's content nor its length.
#[derive(Clone)]
pub struct ApiTokens {
    entries: Vec<([u8; 32], Scope)>,
}

impl std::fmt::Debug for ApiTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ApiTokens({} tokens)", self.entries.len())
    }
}

/// A token generated at first start, to be shown once.
pub struct GeneratedToken {
    /// The token (with its `rw:` scope prefix stripped).
    pub token: SecretString,
    /// Where it is stored.
    pub path: PathBuf,
}

impl ApiTokens {
    /// Parses `rw:TOKEN`, `ro:TOKEN` or a bare `TOKEN` (read-write).
    pub fn parse(specs: &[SecretString]) -> Result<Self, ApiTokenError> {
        let mut entries = Vec::with_capacity(specs.len());
        for (index, spec) in specs.iter().enumerate() {
            let spec = spec.expose_secret().trim();
            let (scope, token) = match spec.split_once(':') {
                Some(("rw", token)) => (Scope::ReadWrite, token),
                Some(("ro", token)) => (Scope::ReadOnly, token),
                Some((prefix, _)) if prefix.len() <= 3 => {
                    return Err(ApiTokenError::Invalid {
                        position: index + 1,
                        reason: "the scope prefix must be rw: or ro:",
                    });
                }
                _ => (Scope::ReadWrite, spec),
            };
            if token.chars().count() < MIN_TOKEN_CHARS {
                return Err(ApiTokenError::Invalid {
                    position: index + 1,
                    reason: "tokens must be at least 16 characters",
                });
            }
            if token.chars().any(|c| c.is_whitespace() || c.is_control() || c == ',') {
                return Err(ApiTokenError::Invalid {
                    position: index + 1,
                    reason: "tokens cannot contain spaces, commas or control characters",
                });
            }
            entries.push((digest(token), scope));
        }
        Ok(Self { entries })
    }

    /// The configured tokens or, with none configured, the one generated in
    /// `data_dir` at first start (returned as `Some` the one time it is made).
    pub fn load_or_generate(
        configured: &[SecretString],
        data_dir: &Path,
    ) -> Result<(Self, Option<GeneratedToken>), ApiTokenError> {
        if !configured.is_empty() {
            return Ok((Self::parse(configured)?, None));
        }
        let path = data_dir.join(GENERATED_TOKEN_FILE);
        let file_error = |reason: String| ApiTokenError::File { path: path.clone(), reason };
        match std::fs::read_to_string(&path) {
            Ok(stored) => Ok((Self::parse(&[SecretString::from(stored.trim().to_owned())])?, None)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                let token = format!(
                    "pmc_{}",
                    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>())
                );
                write_private(&path, &format!("rw:{token}\n"))
                    .map_err(|error| file_error(error.to_string()))?;
                let tokens = Self::parse(&[SecretString::from(token.clone())])?;
                Ok((tokens, Some(GeneratedToken { token: SecretString::from(token), path })))
            }
            Err(error) => Err(file_error(error.to_string())),
        }
    }

    /// The scope of `presented`, or `None` if it is not a token of ours.
    /// Every entry is compared, whatever matches, in constant time.
    pub fn scope_of(&self, presented: &str) -> Option<Scope> {
        let presented = digest(presented);
        let mut found = None;
        for (candidate, scope) in &self.entries {
            if bool::from(candidate.ct_eq(&presented)) {
                found = Some(*scope);
            }
        }
        found
    }

    /// How many tokens are accepted.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether no token is accepted (the API is then closed).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Writes a file only its owner can read.
fn write_private(path: &Path, content: &str) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(content.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secrets(specs: &[&str]) -> Vec<SecretString> {
        specs.iter().map(|spec| SecretString::from((*spec).to_owned())).collect()
    }

    #[test]
    fn scopes_follow_the_prefix() {
        let tokens = ApiTokens::parse(&secrets(&[
            "ro:readonly-token-0001",
            "rw:readwrite-token-01",
            "bare-token-is-rw-0",
        ]))
        .unwrap();
        assert_eq!(tokens.scope_of("readonly-token-0001"), Some(Scope::ReadOnly));
        assert_eq!(tokens.scope_of("readwrite-token-01"), Some(Scope::ReadWrite));
        assert_eq!(tokens.scope_of("bare-token-is-rw-0"), Some(Scope::ReadWrite));
        assert_eq!(tokens.scope_of("ro:readonly-token-0001"), None);
        assert_eq!(tokens.scope_of("readonly-token-000"), None);
        assert_eq!(tokens.scope_of(""), None);
    }

    #[test]
    fn weak_or_malformed_tokens_are_refused_without_echoing_them() {
        for spec in ["short", "xx:long-enough-token-here", "rw:has space inside token"] {
            let error = ApiTokens::parse(&secrets(&[spec])).unwrap_err().to_string();
            assert!(!error.contains(spec), "{error}");
        }
    }

    #[test]
    fn a_generated_token_is_stored_privately_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (tokens, generated) = ApiTokens::load_or_generate(&[], dir.path()).unwrap();
        let generated = generated.expect("generated at first start");
        assert_eq!(tokens.scope_of(generated.token.expose_secret()), Some(Scope::ReadWrite));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&generated.path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let (again, none) = ApiTokens::load_or_generate(&[], dir.path()).unwrap();
        assert!(none.is_none(), "shown only once");
        assert_eq!(again.scope_of(generated.token.expose_secret()), Some(Scope::ReadWrite));
        let (configured, _) =
            ApiTokens::load_or_generate(&secrets(&["configured-token-0001"]), dir.path()).unwrap();
        assert_eq!(
            configured.scope_of(generated.token.expose_secret()),
            None,
            "configured tokens replace it"
        );
    }
}
