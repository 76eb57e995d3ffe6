//! Who is calling: the peer address, or — only when the peer is one of our
//! own trusted proxies — the client address that proxy forwarded.

use std::net::IpAddr;

use ipnet::IpNet;

/// Parses CIDRs (or bare addresses) from the configuration.
pub fn parse_networks(entries: &[String]) -> Result<Vec<IpNet>, String> {
    entries
        .iter()
        .map(|entry| {
            entry
                .parse::<IpNet>()
                .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{entry:?} is neither a CIDR (10.0.0.0/8) nor an address"))
        })
        .collect()
}

/// Whether `address` is inside any of `networks`.
pub fn contains(networks: &[IpNet], address: IpAddr) -> bool {
    let address = canonical(address);
    networks.iter().any(|network| network.contains(&address))
}

/// Resolves the client address of a request.
#[derive(Debug, Clone, Default)]
pub struct ClientIpResolver {
    trusted_proxies: Vec<IpNet>,
}

impl ClientIpResolver {
    /// Trusts forwarding headers only from these networks.
    pub fn new(trusted_proxies: Vec<IpNet>) -> Self {
        Self { trusted_proxies }
    }

    /// The client: the peer, unless the peer is a trusted proxy; then the
    /// right-most `X-Forwarded-For` entry that is not a trusted proxy (the
    /// entries left of it could be written by anyone), else `X-Real-IP`.
    pub fn resolve(&self, peer: Option<IpAddr>, headers: &http::HeaderMap) -> Option<IpAddr> {
        let peer = canonical(peer?);
        if !contains(&self.trusted_proxies, peer) {
            return Some(peer);
        }
        let forwarded = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|entry| entry.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .collect::<Vec<_>>();
        if let Some(client) =
            forwarded.iter().rev().find(|address| !contains(&self.trusted_proxies, **address))
        {
            return Some(*client);
        }
        headers
            .get("x-real-ip")
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<IpAddr>().ok())
            .map(canonical)
            .or(Some(peer))
    }
}

/// `::ffff:1.2.3.4` is 1.2.3.4 (a dual-stack listener reports IPv4 peers so).
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> http::HeaderMap {
        pairs.iter().map(|(name, value)| (name.parse().unwrap(), value.parse().unwrap())).collect()
    }

    #[test]
    fn forwarding_headers_count_only_from_trusted_proxies() {
        let resolver = ClientIpResolver::new(parse_networks(&["10.0.0.0/8".to_owned()]).unwrap());
        let spoofed = headers(&[("x-forwarded-for", "1.1.1.1"), ("x-real-ip", "1.1.1.1")]);
        assert_eq!(
            resolver.resolve(Some("203.0.113.9".parse().unwrap()), &spoofed),
            Some("203.0.113.9".parse().unwrap())
        );
        let proxied = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.3")]);
        assert_eq!(
            resolver.resolve(Some("10.0.0.2".parse().unwrap()), &proxied),
            Some("198.51.100.7".parse().unwrap())
        );
        let real_ip = headers(&[("x-real-ip", "198.51.100.8")]);
        assert_eq!(
            resolver.resolve(Some("10.0.0.2".parse().unwrap()), &real_ip),
            Some("198.51.100.8".parse().unwrap())
        );
        assert_eq!(
            resolver.resolve(Some("::ffff:10.0.0.2".parse().unwrap()), &real_ip),
            Some("198.51.100.8".parse().unwrap())
        );
    }

    #[test]
    fn networks_parse_from_cidrs_and_addresses() {
        let networks = parse_networks(&["101.226.0.0/16".to_owned(), "2001:db8::1".to_owned()]).unwrap();
        assert!(contains(&networks, "101.226.90.1".parse().unwrap()));
        assert!(contains(&networks, "::ffff:101.226.90.1".parse().unwrap()));
        assert!(!contains(&networks, "101.227.0.1".parse().unwrap()));
        assert!(parse_networks(&["not-an-ip".to_owned()]).unwrap_err().contains("not-an-ip"));
    }
}
