//! The guards in front of the callback routes: an optional allowlist of the
//! addresses WeCom calls from, and a per-address rate limit that never
//! applies to those addresses. Both decide before the body is read.

use std::{
    net::IpAddr,
    num::NonZeroU32,
    sync::atomic::{AtomicU64, Ordering},
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock};
use ipnet::IpNet;

use super::client_ip::{self, ClientIpResolver};
use crate::configuration::SecuritySettings;

/// Forget idle addresses every this many checks, so that a scan from many
/// addresses cannot grow the limiter's table without bound.
const PRUNE_EVERY: u64 = 4096;

/// What the guard decided for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Go on.
    Allow,
    /// Not one of the configured WeCom addresses (403).
    NotAllowed,
    /// Over the per-address rate (429); retry after this many seconds.
    RateLimited {
        /// Whole seconds, at least 1.
        retry_after_secs: u64,
    },
}

/// How many requests each guard refused, for `/metrics`.
#[derive(Debug, Default)]
pub struct GuardCounters {
    /// Refused by the allowlist.
    pub not_allowed: AtomicU64,
    /// Refused by the rate limit.
    pub rate_limited: AtomicU64,
}

/// The callback routes' guard, built once from the settings.
pub struct CallbackGuard {
    resolver: ClientIpResolver,
    callback_ips: Vec<IpNet>,
    enforce: bool,
    limiter: Option<DefaultKeyedRateLimiter<IpAddr>>,
    checks: AtomicU64,
    /// What it refused.
    pub counters: GuardCounters,
}

impl CallbackGuard {
    /// Parses the CIDRs and sets up the limiter; the error names the bad entry.
    pub fn from_settings(settings: &SecuritySettings) -> Result<Self, String> {
        let callback_ips = client_ip::parse_networks(&settings.callback_ips)?;
        let trusted_proxies = client_ip::parse_networks(&settings.trusted_proxies)?;
        let limiter = NonZeroU32::new(settings.callback_rate_limit_per_sec).map(|rate| {
            let burst = NonZeroU32::new(settings.callback_rate_limit_burst).unwrap_or(rate).max(rate);
            RateLimiter::keyed(Quota::per_second(rate).allow_burst(burst))
        });
        Ok(Self {
            resolver: ClientIpResolver::new(trusted_proxies),
            callback_ips,
            enforce: settings.enforce_callback_ips,
            limiter,
            checks: AtomicU64::new(0),
            counters: GuardCounters::default(),
        })
    }

    /// The client address of a request (see [`ClientIpResolver`]).
    pub fn client_ip(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Option<IpAddr> {
        self.resolver.resolve(peer, headers)
    }

    /// Decides for a request from `client` (`None`: not an IP peer, e.g. a
    /// Unix socket, which only a local proxy can be).
    pub fn check(&self, client: Option<IpAddr>) -> Verdict {
        let Some(client) = client else { return Verdict::Allow };
        if client_ip::contains(&self.callback_ips, client) {
            return Verdict::Allow;
        }
        if self.enforce && !self.callback_ips.is_empty() {
            self.counters.not_allowed.fetch_add(1, Ordering::Relaxed);
            return Verdict::NotAllowed;
        }
        let Some(limiter) = &self.limiter else { return Verdict::Allow };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        match limiter.check_key(&client) {
            Ok(()) => Verdict::Allow,
            Err(not_until) => {
                self.counters.rate_limited.fetch_add(1, Ordering::Relaxed);
                let wait = not_until.wait_time_from(governor::clock::DefaultClock::default().now());
                Verdict::RateLimited { retry_after_secs: wait.as_secs().max(1) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(callback_ips: &[&str], enforce: bool, rate: u32) -> SecuritySettings {
        SecuritySettings {
            callback_ips: callback_ips.iter().map(|ip| (*ip).to_owned()).collect(),
            enforce_callback_ips: enforce,
            callback_rate_limit_per_sec: rate,
            callback_rate_limit_burst: rate,
            ..SecuritySettings::default()
        }
    }

    #[test]
    fn the_allowlist_refuses_others_and_is_never_rate_limited() {
        let guard = CallbackGuard::from_settings(&settings(&["101.226.0.0/16"], true, 1)).unwrap();
        for _ in 0..100 {
            assert_eq!(guard.check(Some("101.226.1.2".parse().unwrap())), Verdict::Allow);
        }
        assert_eq!(guard.check(Some("8.8.8.8".parse().unwrap())), Verdict::NotAllowed);
        assert_eq!(guard.counters.not_allowed.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn others_are_limited_per_address() {
        let guard = CallbackGuard::from_settings(&settings(&["101.226.0.0/16"], false, 5)).unwrap();
        let one: IpAddr = "198.51.100.1".parse().unwrap();
        let two: IpAddr = "198.51.100.2".parse().unwrap();
        let allowed = (0..50).filter(|_| guard.check(Some(one)) == Verdict::Allow).count();
        assert!((5..=6).contains(&allowed), "a burst of 5, then refused: {allowed}");
        assert!(matches!(guard.check(Some(one)), Verdict::RateLimited { retry_after_secs: 1 }));
        assert_eq!(guard.check(Some(two)), Verdict::Allow, "another address has its own budget");
        for _ in 0..50 {
            assert_eq!(guard.check(Some("101.226.3.4".parse().unwrap())), Verdict::Allow);
        }
    }

    #[test]
    fn a_zero_rate_turns_the_limit_off() {
        let guard = CallbackGuard::from_settings(&settings(&[], true, 0)).unwrap();
        for _ in 0..10_000 {
            assert_eq!(guard.check(Some("198.51.100.1".parse().unwrap())), Verdict::Allow);
        }
    }
}
