//! Which management API token the simulator presents: `--token` (or
//! `PMC_API_TOKEN`), else the first configured token (`PMC_API_TOKENS`),
//! else the token the local service generated into its data directory.

use secrecy::{ExposeSecret, SecretString};

use crate::{cli::SimulateArgs, configuration::Settings, security::api_tokens::GENERATED_TOKEN_FILE};

/// The token to send, if any is known.
pub fn resolve(settings: &Settings, args: &SimulateArgs) -> Option<SecretString> {
    if let Some(token) = &args.token {
        return Some(bare(token.expose_secret()));
    }
    if let Some(token) = settings.security.api_tokens.first() {
        return Some(bare(token.expose_secret()));
    }
    let generated = settings.storage.data_dir.join(GENERATED_TOKEN_FILE);
    let text = std::fs::read_to_string(generated).ok()?;
    let token = text.trim();
    (!token.is_empty()).then(|| bare(token))
}

/// The token without its `rw:`/`ro:` scope prefix, as it goes on the wire.
fn bare(spec: &str) -> SecretString {
    let token = spec.strip_prefix("rw:").or_else(|| spec.strip_prefix("ro:")).unwrap_or(spec);
    SecretString::from(token.trim())
}

/// A client that sends `token` as a bearer token on every request.
pub fn client_builder(token: Option<&SecretString>) -> reqwest::ClientBuilder {
    let mut headers = reqwest::header::HeaderMap::new();
    if let Some(token) = token
        && let Ok(mut value) =
            reqwest::header::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret()))
    {
        value.set_sensitive(true);
        headers.insert(reqwest::header::AUTHORIZATION, value);
    }
    reqwest::Client::builder().default_headers(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scope_prefix_is_not_sent() {
        assert_eq!(bare("rw:abcdefghijklmnop").expose_secret(), "abcdefghijklmnop");
        assert_eq!(bare("ro:abcdefghijklmnop").expose_secret(), "abcdefghijklmnop");
        assert_eq!(bare("abcdefghijklmnop").expose_secret(), "abcdefghijklmnop");
    }
}
