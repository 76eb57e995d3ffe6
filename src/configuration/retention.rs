//! `storage.retention`: how long stored data is kept, as durations written
//! the way people write them (`30d`, `12h`, `90s`; `0` keeps forever).

use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// A retention period; `None` keeps forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period(pub Option<Duration>);

impl Period {
    /// Keep for `secs` seconds.
    pub const fn secs(secs: u64) -> Self {
        Self(Some(Duration::from_secs(secs)))
    }

    /// Parses `30d`, `12h 30m`, `90s`, a bare number of seconds, or `0` (forever).
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if let Ok(secs) = text.parse::<u64>() {
            return Ok(Self((secs > 0).then(|| Duration::from_secs(secs))));
        }
        humantime::parse_duration(text)
            .map(|duration| Self((!duration.is_zero()).then_some(duration)))
            .map_err(|error| format!("{text:?} is not a duration such as 30d, 12h or 90s ({error})"))
    }
}

impl<'de> Deserialize<'de> for Period {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Seconds(u64),
            Text(String),
        }
        match Raw::deserialize(deserializer)? {
            Raw::Seconds(secs) => Ok(Self((secs > 0).then(|| Duration::from_secs(secs)))),
            Raw::Text(text) => Self::parse(&text).map_err(serde::de::Error::custom),
        }
    }
}

/// `storage.retention:` in the YAML.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct RetentionSettings {
    /// Stored callbacks (ciphertext, document, payload) older than this are
    /// pruned once every consumer has processed them (default 30d).
    pub events: Period,
    /// Status history, interactions, member events, forwarding deliveries and
    /// quarantine older than this are pruned (default 180d); messages and
    /// recipients (each message's current state) are kept.
    pub history: Period,
    /// How often pruning runs (default 10m; `0` never).
    pub prune_interval: Period,
}

impl Default for RetentionSettings {
    fn default() -> Self {
        Self {
            events: Period::secs(30 * 86_400),
            history: Period::secs(180 * 86_400),
            prune_interval: Period::secs(600),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_as_people_write_them() {
        assert_eq!(Period::parse("30d").unwrap(), Period::secs(30 * 86_400));
        assert_eq!(Period::parse("12h").unwrap(), Period::secs(12 * 3600));
        assert_eq!(Period::parse("90s").unwrap(), Period::secs(90));
        assert_eq!(Period::parse("600").unwrap(), Period::secs(600));
        assert_eq!(Period::parse("0").unwrap(), Period(None));
        assert!(Period::parse("soon").unwrap_err().contains("30d"));
    }
}
