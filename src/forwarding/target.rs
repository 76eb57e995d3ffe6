//! Where deliveries may go. A subscription's URL is chosen by whoever can
//! call the API, so it could point the service at itself, the cloud's
//! metadata endpoint or the office network (SSRF): loopback, private,
//! link-local, unique-local and unspecified addresses are refused unless
//! the configuration allows them. Checked when a subscription is created
//! and again, after resolving, before every delivery.

use std::net::IpAddr;

/// Targets allowed besides public addresses.
#[derive(Debug, Clone, Default)]
pub struct TargetPolicy {
    /// Allow private and loopback addresses (a receiver on the same host or network).
    pub allow_private: bool,
    /// Host names allowed whatever they resolve to.
    pub allowed_hosts: Vec<String>,
}

/// Whether an address is public.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                // 100.64.0.0/10, carrier-grade NAT.
                || (v4.octets()[0] == 100 && (v4.octets()[1] & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

impl TargetPolicy {
    /// Checks a URL's form and, resolving its host, its addresses.
    pub async fn check(&self, url: &str) -> Result<url::Url, String> {
        let parsed = url::Url::parse(url).map_err(|error| format!("url: {error}"))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err("url: http or https only".to_owned());
        }
        let host = parsed.host_str().ok_or("url: a host is required")?.to_owned();
        if self.allow_private || self.allowed_hosts.iter().any(|allowed| allowed.eq_ignore_ascii_case(&host))
        {
            return Ok(parsed);
        }
        let port = parsed.port_or_known_default().unwrap_or(443);
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let addresses: Vec<IpAddr> = match bare.parse::<IpAddr>() {
            Ok(ip) => vec![ip],
            Err(_) => tokio::net::lookup_host((bare, port))
                .await
                .map_err(|error| format!("url: {host} does not resolve ({error})"))?
                .map(|address| address.ip())
                .collect(),
        };
        match addresses.iter().find(|ip| !is_public(**ip)) {
            Some(ip) => Err(format!(
                "url: {host} is {ip}, a private or local address; set forwarding.allow_private_targets or list \
                 the host in forwarding.allowed_hosts to allow it"
            )),
            None if addresses.is_empty() => Err(format!("url: {host} does not resolve")),
            None => Ok(parsed),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn local_and_private_targets_are_refused_unless_allowed() {
        let strict = TargetPolicy::default();
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://localhost/hook",
            "http://10.1.2.3/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]/",
            "http://[fd00::1]/",
            "http://100.64.1.1/",
        ] {
            assert!(strict.check(url).await.is_err(), "{url}");
        }
        assert!(strict.check("ftp://example.com/").await.is_err());
        assert!(strict.check("http://93.184.216.34/hook").await.is_ok());
        let open = TargetPolicy { allow_private: true, ..TargetPolicy::default() };
        assert!(open.check("http://127.0.0.1:8080/hook").await.is_ok());
        let listed = TargetPolicy { allowed_hosts: vec!["localhost".into()], ..TargetPolicy::default() };
        assert!(listed.check("http://localhost:9000/hook").await.is_ok());
    }
}
