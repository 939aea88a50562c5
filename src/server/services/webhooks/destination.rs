//! Where a webhook may be sent: outside sandbox mode, HTTPS to public addresses only. A name
//! is checked when the endpoint is saved, and again by the delivery client's own resolver,
//! which refuses it if any address it resolves to is forbidden: the addresses a delivery
//! connects to are the ones checked (so a name that resolves elsewhere a moment later gains
//! nothing).

use ipnet::{Ipv4Net, Ipv6Net};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// Addresses no webhook may reach outside sandbox mode: this host, private networks, link-local
/// (the clouds' metadata service at 169.254.169.254 among them), shared, reserved and
/// multicast ones.
pub fn forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            const BLOCKED: [&str; 15] = [
                "0.0.0.0/8",
                "10.0.0.0/8",
                "100.64.0.0/10",
                "127.0.0.0/8",
                "169.254.0.0/16",
                "172.16.0.0/12",
                "192.0.0.0/24",
                "192.0.2.0/24",
                "192.88.99.0/24",
                "192.168.0.0/16",
                "198.18.0.0/15",
                "198.51.100.0/24",
                "203.0.113.0/24",
                "224.0.0.0/4",
                "240.0.0.0/4",
            ];
            BLOCKED
                .iter()
                .any(|net| net.parse::<Ipv4Net>().expect("a network").contains(&v4))
        }
        IpAddr::V6(v6) => {
            // An IPv4 address carried in an IPv6 one is judged as itself.
            if let Some(v4) = embedded_v4(v6) {
                return forbidden(IpAddr::V4(v4));
            }
            const BLOCKED: [&str; 9] = [
                "::/96",
                "64:ff9b:1::/48",
                "100::/64",
                "2001::/32",
                "2001:db8::/32",
                "fc00::/7",
                "fe80::/10",
                "fec0::/10",
                "ff00::/8",
            ];
            BLOCKED
                .iter()
                .any(|net| net.parse::<Ipv6Net>().expect("a network").contains(&v6))
        }
    }
}

/// The IPv4 address an IPv6 one stands for: mapped (`::ffff:a.b.c.d`), compatible
/// (`::a.b.c.d`), NAT64 (`64:ff9b::a.b.c.d`) or 6to4 (`2002:aabb:ccdd::`).
fn embedded_v4(v6: Ipv6Addr) -> Option<Ipv4Addr> {
    let s = v6.segments();
    let last = || Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(last()),
        // `::` and `::1` are not IPv4 addresses (and are refused as themselves).
        [0, 0, 0, 0, 0, 0, hi, _] if hi != 0 => Some(last()),
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(last()),
        [0x2002, a, b, ..] => Some(Ipv4Addr::new(
            (a >> 8) as u8,
            a as u8,
            (b >> 8) as u8,
            b as u8,
        )),
        _ => None,
    }
}

/// Checks `url` as a webhook's destination without resolving it: its scheme, that it carries
/// no credentials, and an address written in it. In sandbox mode, plain HTTP and local
/// addresses are allowed (to try webhooks against a receiver on the same machine).
pub fn check_url(url: &reqwest::Url, sandbox: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => {}
        "http" if sandbox => {}
        "http" => return Err("must be an https:// URL".into()),
        other => return Err(format!("must be an https:// URL, not {other}:")),
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry a user name or password".into());
    }
    let host = url
        .host_str()
        .filter(|h| !h.is_empty())
        .ok_or("must name a host")?;
    url.port_or_known_default().ok_or("must name a port")?;
    if let Ok(ip) = literal(host).parse::<IpAddr>() {
        if !sandbox && forbidden(ip) {
            return Err(refusal(host));
        }
    }
    Ok(())
}

/// Checks `url` as a webhook's destination, resolving its host; or why not, in words for the
/// customer.
pub async fn check_destination(url: &reqwest::Url, sandbox: bool) -> Result<(), String> {
    check_url(url, sandbox)?;
    let host = literal(url.host_str().unwrap_or_default());
    if host.parse::<IpAddr>().is_ok() {
        return Ok(());
    }
    resolve(host, sandbox).await.map(drop)
}

/// The resolver of the delivery client (`reqwest` calls it for names, not for addresses
/// written in the URL, which `check_url` judges).
pub struct CheckedResolver {
    pub sandbox: bool,
}

impl reqwest::dns::Resolve for CheckedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let sandbox = self.sandbox;
        Box::pin(async move {
            let addresses = resolve(name.as_str(), sandbox).await.map_err(Refused)?;
            Ok(Box::new(addresses.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Why the resolver refused a name, in words for the customer.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// The addresses `host` resolves to (port 0: the caller's port applies), if none of them is
/// forbidden outside sandbox mode.
async fn resolve(host: &str, sandbox: bool) -> Result<Vec<SocketAddr>, String> {
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host((host, 0))
        .await
        .map_err(|_| format!("{host} does not resolve"))?
        .collect();
    if addresses.is_empty() {
        return Err(format!("{host} does not resolve"));
    }
    if !sandbox && addresses.iter().any(|a| forbidden(a.ip())) {
        return Err(refusal(host));
    }
    Ok(addresses)
}

fn literal(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

fn refusal(host: &str) -> String {
    format!(
        "{host} is, or resolves to, a private, local or reserved address; webhooks go only to public addresses"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_local_and_metadata_addresses_are_refused() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::10.0.0.1",
            "2002:7f00:1::",
            "2001:0:4136:e378::1",
            "fec0::1",
            "203.0.113.9",
        ] {
            assert!(forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "64:ff9b::5db8:d822",
            "2002:5db8:d822::1",
        ] {
            assert!(!forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[tokio::test]
    async fn only_https_to_public_addresses_outside_sandbox_mode() {
        let check = |url: &str, sandbox| {
            let url = reqwest::Url::parse(url).unwrap();
            async move { check_destination(&url, sandbox).await }
        };
        assert!(check("http://93.184.216.34/hook", false)
            .await
            .unwrap_err()
            .contains("https"));
        assert!(check("https://127.0.0.1/hook", false).await.is_err());
        assert!(check("https://[::1]:8443/hook", false).await.is_err());
        assert!(check("https://169.254.169.254/latest/meta-data", false)
            .await
            .is_err());
        assert!(
            check("https://localhost/hook", false).await.is_err(),
            "a name is resolved first"
        );
        assert!(check("https://user:pw@93.184.216.34/", false)
            .await
            .is_err());
        assert!(check("ftp://93.184.216.34/", false).await.is_err());
        assert!(check("https://93.184.216.34/hook", false).await.is_ok());
        assert!(
            check("http://127.0.0.1:9/hook", true).await.is_ok(),
            "sandbox mode"
        );
    }

    #[tokio::test]
    async fn the_delivery_client_refuses_a_name_that_resolves_to_a_local_address() {
        let client = super::super::client(false);
        let err = client
            .post("https://localhost:9/hook")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            super::super::refusal_in(&err).as_deref(),
            Some(refusal("localhost").as_str())
        );
    }
}
