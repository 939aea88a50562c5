//! The origins this server answers as (`PUBLIC_ORIGIN`): which `Host` it serves, which
//! `Origin` may make cookie-authenticated changes, and where a redirect may point.

use std::fmt;
use std::net::{IpAddr, SocketAddr};

/// A web origin: scheme, host and port, normalised (lower case, the default port explicit).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Origin {
    scheme: Scheme,
    host: String,
    port: u16,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scheme {
    Http,
    Https,
}

impl Scheme {
    fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

impl Origin {
    /// Parses `scheme://host[:port]`, with or without a path after it (a `Referer`).
    pub fn parse(url: &str) -> Option<Origin> {
        let (scheme, rest) = url.split_once("://")?;
        let scheme = match scheme.to_ascii_lowercase().as_str() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        let authority = rest.split(['/', '?', '#']).next()?;
        let (host, port) = split_authority(authority, scheme.default_port())?;
        Some(Origin { scheme, host, port })
    }

    /// The origins of a server listening on `addr` with no `PUBLIC_ORIGIN` set: plain HTTP on
    /// its own address (unless it listens on every address) and on the loopback names.
    pub fn defaults_for(addr: SocketAddr) -> Vec<Origin> {
        let port = addr.port();
        let mut hosts = vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "[::1]".to_owned(),
        ];
        let ip = addr.ip();
        if !ip.is_unspecified() && !ip.is_loopback() {
            hosts.push(match ip {
                IpAddr::V4(v4) => v4.to_string(),
                IpAddr::V6(v6) => format!("[{v6}]"),
            });
        }
        hosts
            .into_iter()
            .map(|host| Origin {
                scheme: Scheme::Http,
                host,
                port,
            })
            .collect()
    }

    pub fn is_https(&self) -> bool {
        self.scheme == Scheme::Https
    }

    /// Whether a `Host` header (`host[:port]`) names this origin's host and port.
    pub fn serves_host(&self, host_header: &str) -> bool {
        split_authority(host_header, self.scheme.default_port())
            .is_some_and(|(host, port)| host == self.host && port == self.port)
    }
}

/// The public origin a request with this `Host` header was made to (HTTPS first where both
/// serve it), or else the first of them: where to send a browser back to, so that it comes
/// back to the site it holds its cookie for.
pub fn serving(origins: &[Origin], host_header: Option<&str>) -> String {
    let on_host = |o: &&Origin| host_header.is_some_and(|h| o.serves_host(h));
    origins
        .iter()
        .filter(on_host)
        .find(|o| o.is_https())
        .or_else(|| origins.iter().find(on_host))
        .or_else(|| origins.first())
        .map(ToString::to_string)
        .unwrap_or_default()
}

/// [`serving`] for a request with these headers.
pub fn of_request(origins: &[Origin], headers: &axum::http::HeaderMap) -> String {
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok());
    serving(origins, host)
}

/// Whether a `Host` header (`host[:port]`) names this machine: `localhost` or a loopback
/// address (IPv4-mapped ones included).
pub fn is_loopback_host(host_header: &str) -> bool {
    split_authority(host_header, 0).is_some_and(|(host, _)| {
        host == "localhost"
            || host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.to_canonical().is_loopback())
    })
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme, self.host)?;
        if self.port != self.scheme.default_port() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        })
    }
}

/// `host[:port]` → (lower-case host, port), IPv6 hosts keeping their brackets.
fn split_authority(authority: &str, default_port: u16) -> Option<(String, u16)> {
    if authority.is_empty() || authority.contains('@') {
        return None;
    }
    let (host, port) = match authority.rfind(':') {
        Some(i) if !authority[i..].contains(']') => {
            (&authority[..i], authority[i + 1..].parse().ok()?)
        }
        _ => (authority, default_port),
    };
    if host.is_empty() {
        return None;
    }
    Some((host.to_ascii_lowercase(), port))
}

/// The origins from `PUBLIC_ORIGIN`: a comma-separated list of `https://host[:port]`.
pub fn parse_list(raw: &str) -> Result<Vec<Origin>, String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| {
            let origin = Origin::parse(s)
                .ok_or_else(|| format!("{s:?} is not an origin like https://sms.example.com"))?;
            let bare = s.trim_end_matches('/');
            if bare.matches('/').count() > 2 {
                return Err(format!("{s:?} has a path; give the origin alone"));
            }
            Ok(origin)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_compare_scheme_host_and_port() {
        let o = Origin::parse("http://127.0.0.1:3000").unwrap();
        assert_eq!(
            Origin::parse("HTTP://127.0.0.1:3000/keys?x=1"),
            Some(o.clone())
        );
        assert_ne!(Origin::parse("https://127.0.0.1:3000"), Some(o.clone()));
        assert_ne!(Origin::parse("http://127.0.0.1:3001"), Some(o.clone()));
        assert_eq!(
            Origin::parse("https://Sms.Example.com"),
            Origin::parse("https://sms.example.com:443")
        );
        assert_eq!(Origin::parse("null"), None);
        assert_eq!(Origin::parse("ftp://x"), None);
        assert_eq!(Origin::parse("http://user@evil.example"), None);
        assert_eq!(
            Origin::parse("http://[::1]:3000").unwrap().to_string(),
            "http://[::1]:3000"
        );
    }

    #[test]
    fn a_browser_is_sent_back_to_the_origin_it_came_to() {
        let origins = parse_list("http://localhost:3000,http://127.0.0.1:3000").unwrap();
        assert_eq!(
            serving(&origins, Some("127.0.0.1:3000")),
            "http://127.0.0.1:3000"
        );
        assert_eq!(
            serving(&origins, Some("localhost:3000")),
            "http://localhost:3000"
        );
        // A host that is not ours (or none) gets the first.
        assert_eq!(
            serving(&origins, Some("evil.example")),
            "http://localhost:3000"
        );
        assert_eq!(serving(&origins, None), "http://localhost:3000");
        let both = parse_list("http://sms.example.com,https://sms.example.com").unwrap();
        assert_eq!(
            serving(&both, Some("sms.example.com")),
            "https://sms.example.com"
        );
    }

    #[test]
    fn a_host_header_matches_its_origin_only() {
        let o = Origin::parse("https://sms.example.com").unwrap();
        assert!(o.serves_host("sms.example.com"));
        assert!(o.serves_host("SMS.example.com:443"));
        assert!(!o.serves_host("sms.example.com:80"));
        assert!(!o.serves_host("rebind.evil.example"));
        assert!(!o.serves_host("sms.example.com.evil.example"));
        let local = Origin::parse("http://[::1]:3000").unwrap();
        assert!(local.serves_host("[::1]:3000"));
        assert!(is_loopback_host("[::1]:3000"));
        assert!(!is_loopback_host("sms.example.com"));
    }

    #[test]
    fn defaults_are_the_bind_address_and_the_loopback_names() {
        let d = Origin::defaults_for("127.0.0.1:3000".parse().unwrap());
        let names: Vec<String> = d.iter().map(Origin::to_string).collect();
        assert_eq!(
            names,
            [
                "http://localhost:3000",
                "http://127.0.0.1:3000",
                "http://[::1]:3000"
            ]
        );
        let d = Origin::defaults_for("10.0.0.5:80".parse().unwrap());
        assert!(d.iter().any(|o| o.serves_host("10.0.0.5")));
        let d = Origin::defaults_for("0.0.0.0:3000".parse().unwrap());
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn the_setting_is_a_list_of_bare_origins() {
        assert_eq!(
            parse_list("https://a.example, https://b.example:8443/")
                .unwrap()
                .len(),
            2
        );
        assert!(parse_list("https://a.example/app").is_err());
        assert!(parse_list("a.example").is_err());
    }
}
