//! Account ids: parsed once, so routes, metrics labels and storage only
//! ever see a safe slug.

use std::fmt;

/// `[a-z0-9_-]{1,40}`: safe in a URL path, a metrics label and a storage key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountId(String);

impl AccountId {
    /// Parses an id; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Self, String> {
        if text.is_empty() || text.len() > 40 {
            return Err(format!("account id must be 1-40 characters, not {}", text.len()));
        }
        if !text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            return Err("account id may only hold a-z, 0-9, _ and -".to_owned());
        }
        if text == "verify" {
            // `GET /api/v1/webhooks/wechat/api/verify` is the seed's URL-check alias.
            return Err("account id verify is reserved (the seed's URL-check alias)".to_owned());
        }
        Ok(Self(text.to_owned()))
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
