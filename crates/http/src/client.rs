//! Who is on the other end of a request. Behind an ingress the connection comes from the proxy,
//! so the client is taken from `X-Forwarded-For`, but only when the connection itself comes
//! from a proxy the operator listed: anyone else could write that header to pose as another
//! client (and slip past a per-client rate limit).

use std::net::IpAddr;

/// The address in `spin-client-addr` (`ip:port`, `[v6]:port`, or a bare address).
pub fn peer_ip(addr: &str) -> Option<IpAddr> {
    if let Ok(ip) = addr.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = addr.rsplit_once(':')?;
    if !port.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse()
        .ok()
}

/// Parses the `trusted_proxies` setting: addresses separated by commas or spaces. A malformed
/// entry is named in the error, so an operator's typo does not silently trust nobody.
pub fn parse_trusted(list: &str) -> Result<Vec<IpAddr>, String> {
    list.split([',', ' '])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            s.parse::<IpAddr>()
                .map_err(|_| format!("trusted_proxies: {s:?} is not an IP address"))
        })
        .collect()
}

/// The client's address: the peer itself, unless the peer is a trusted proxy and sent
/// `X-Forwarded-For`; then the rightmost address in that list that is not a trusted proxy
/// (proxies append what they saw, so the entries left of the last untrusted one are the
/// client's own claims). `None` when the peer address cannot be read.
pub fn client_ip(peer: &str, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> Option<IpAddr> {
    let peer = peer_ip(peer)?;
    if !trusted.contains(&peer) {
        return Some(peer);
    }
    let Some(chain) = forwarded_for else {
        return Some(peer);
    };
    // Some proxies write `ip:port`; `peer_ip` takes either.
    let hops: Vec<IpAddr> = chain
        .split(',')
        .map(|h| peer_ip(h.trim()))
        .collect::<Option<_>>()?;
    Some(
        hops.iter()
            .rev()
            .find(|ip| !trusted.contains(ip))
            .or(hops.first())
            .copied()
            .unwrap_or(peer),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_direct_client_is_its_own_address_whatever_it_claims() {
        let trusted = [ip("10.0.0.2")];
        assert_eq!(
            client_ip("203.0.113.9:51000", Some("198.51.100.1"), &trusted),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_ip("[2001:db8::7]:443", None, &[]),
            Some(ip("2001:db8::7"))
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_last_untrusted_hop_is_the_client() {
        let trusted = [ip("10.0.0.2"), ip("10.0.0.3")];
        // The client claimed 1.1.1.1; the outer proxy saw 203.0.113.9; the inner proxy 10.0.0.3.
        assert_eq!(
            client_ip(
                "10.0.0.2:1234",
                Some("1.1.1.1, 203.0.113.9, 10.0.0.3"),
                &trusted
            ),
            Some(ip("203.0.113.9"))
        );
        assert_eq!(
            client_ip("10.0.0.2:1234", None, &trusted),
            Some(ip("10.0.0.2")),
            "a proxy's own request is the proxy's"
        );
        assert_eq!(
            client_ip("10.0.0.2:1234", Some("10.0.0.3"), &trusted),
            Some(ip("10.0.0.3")),
            "only proxies in the chain: the first of them"
        );
    }

    #[test]
    fn forwarded_hops_may_carry_ports() {
        let trusted = [ip("10.0.0.2")];
        assert_eq!(
            client_ip("10.0.0.2:1234", Some("203.0.113.9:40123"), &trusted),
            Some(ip("203.0.113.9"))
        );
    }

    #[test]
    fn a_garbled_chain_or_peer_is_no_address() {
        let trusted = [ip("10.0.0.2")];
        assert_eq!(
            client_ip("10.0.0.2:1234", Some("not-an-ip"), &trusted),
            None
        );
        assert_eq!(client_ip("somewhere", None, &trusted), None);
    }

    #[test]
    fn the_setting_names_a_bad_entry() {
        assert_eq!(
            parse_trusted("10.0.0.2, 10.0.0.3").unwrap(),
            vec![ip("10.0.0.2"), ip("10.0.0.3")]
        );
        assert!(parse_trusted("").unwrap().is_empty());
        assert!(
            parse_trusted("10.0.0.2, proxy")
                .unwrap_err()
                .contains("\"proxy\"")
        );
    }
}
