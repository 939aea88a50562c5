//! Who is on the other end of a request: the client's address (seen through the proxies named
//! in `TRUSTED_PROXIES`), its user agent and the request's id. The edge layer puts a
//! [`RequestMeta`] in every request's extensions; rate limits and the audit log read it.

use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, HeaderName};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;

pub static REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
static FORWARDED_FOR: HeaderName = HeaderName::from_static("x-forwarded-for");

#[derive(Clone, Debug)]
pub struct RequestMeta {
    pub ip: IpAddr,
    pub user_agent: String,
    pub request_id: String,
}

impl RequestMeta {
    /// For a request that did not pass the edge layer (none in the app; a safe default).
    pub fn unknown() -> RequestMeta {
        RequestMeta {
            ip: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            user_agent: String::new(),
            request_id: next_request_id(),
        }
    }

    pub fn of(
        extensions: &axum::http::Extensions,
        headers: &HeaderMap,
        trusted: &[IpNet],
    ) -> RequestMeta {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        let from_proxy = is_trusted(peer, trusted);
        let request_id = headers
            .get(&REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .filter(|id| from_proxy && is_sane_id(id))
            .map_or_else(next_request_id, str::to_owned);
        RequestMeta {
            ip: client_ip(peer, headers, trusted),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|ua| ua.chars().take(256).collect())
                .unwrap_or_default(),
            request_id,
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for RequestMeta {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<RequestMeta>()
            .cloned()
            .unwrap_or_else(RequestMeta::unknown))
    }
}

fn is_trusted(ip: IpAddr, trusted: &[IpNet]) -> bool {
    trusted.iter().any(|net| net.contains(&ip))
}

/// The client's address: the peer's own, unless the peer is a trusted proxy; then the
/// right-most address in `X-Forwarded-For` that is not a trusted proxy (the ones left of it
/// could have been written by the client itself).
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[IpNet]) -> IpAddr {
    if !is_trusted(peer, trusted) {
        return peer;
    }
    let mut nearest = peer;
    let hops = headers
        .get_all(&FORWARDED_FOR)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    for hop in hops.into_iter().rev() {
        let Ok(ip) = hop.parse::<IpAddr>() else {
            // Garbage in the chain: trust nothing left of it.
            return nearest;
        };
        if !is_trusted(ip, trusted) {
            return ip;
        }
        nearest = ip;
    }
    nearest
}

fn is_sane_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
}

/// This process's prefix and a counter: unique across instances without a random draw per
/// request.
fn next_request_id() -> String {
    static PREFIX: OnceLock<String> = OnceLock::new();
    static NEXT: AtomicU64 = AtomicU64::new(1);
    let prefix = PREFIX.get_or_init(|| crate::server::services::secrets::random_token("", 6));
    format!("{prefix}-{}", NEXT.fetch_add(1, Ordering::Relaxed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn forwarded(chain: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(&FORWARDED_FOR, HeaderValue::from_str(chain).unwrap());
        h
    }

    fn nets(list: &[&str]) -> Vec<IpNet> {
        list.iter().map(|n| n.parse().unwrap()).collect()
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let peer: IpAddr = "203.0.113.9".parse().unwrap();
        let h = forwarded("198.51.100.1");
        assert_eq!(client_ip(peer, &h, &nets(&["10.0.0.0/8"])), peer);
    }

    #[test]
    fn through_trusted_proxies_the_first_untrusted_hop_from_the_right_is_the_client() {
        let peer: IpAddr = "10.0.0.2".parse().unwrap();
        let trusted = nets(&["10.0.0.0/8"]);
        // The client wrote a fake first hop; the balancer appended the real one.
        let h = forwarded("1.2.3.4, 198.51.100.7, 10.0.0.1");
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // No header at all: the proxy itself.
        assert_eq!(client_ip(peer, &HeaderMap::new(), &trusted), peer);
        // Garbage stops the walk at the last trusted hop.
        let h = forwarded("198.51.100.7, nonsense, 10.0.0.1");
        assert_eq!(
            client_ip(peer, &h, &trusted),
            "10.0.0.1".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn request_ids_are_taken_from_trusted_proxies_only_and_only_when_sane() {
        assert!(is_sane_id("abc-123_x.y"));
        assert!(!is_sane_id(""));
        assert!(!is_sane_id("a b"));
        assert!(!is_sane_id(&"x".repeat(65)));
        assert_ne!(next_request_id(), next_request_id());
    }
}
