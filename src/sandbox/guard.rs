//! Who may drive a sandbox's control API (deliver SMS to any number, move the clock, read the
//! request log): callers on this machine, or, once a control token is set, only those who
//! present it. The same rule on the app's port and on the emulator's own.

use crate::server::http::origin::is_loopback_host;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;
use std::sync::Arc;

/// The header that carries `SANDBOX_CONTROL_TOKEN`.
pub const TOKEN_HEADER: &str = "x-sandbox-token";

/// The control token, if one is set (the guard's state).
#[derive(Clone, Default)]
pub struct ControlToken(pub Option<Arc<str>>);

/// Headers a proxy adds: a request that came through one is not from this machine, whatever
/// address it arrives from.
const FORWARDING: [&str; 3] = ["forwarded", "x-forwarded-for", "x-real-ip"];

/// Lets a request through to the control API only when [`allowed`] says so; 403 otherwise.
pub async fn only_trusted_callers(
    State(ControlToken(token)): State<ControlToken>,
    req: Request,
    next: Next,
) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let caller = Caller::of(peer, req.headers());
    if allowed(&caller, token.as_deref()) {
        return next.run(req).await;
    }
    tracing::warn!(?peer, path = %req.uri().path(), "sandbox control request refused");
    let message = match token {
        Some(_) => "the sandbox control API needs the X-Sandbox-Token header",
        None => "the sandbox control API answers only on this machine (127.0.0.1)",
    };
    (
        StatusCode::FORBIDDEN,
        Json(json!({"error": {"code": "forbidden", "message": message}})),
    )
        .into_response()
}

/// What the guard knows of a caller.
#[derive(Debug, Default)]
pub struct Caller<'a> {
    /// Connected from a loopback address.
    pub local_peer: bool,
    /// Named a loopback host (`localhost`, `127.0.0.1`, `[::1]`): not a DNS-rebinding page.
    pub local_host: bool,
    /// Came through a proxy.
    pub forwarded: bool,
    pub presented: Option<&'a str>,
}

impl<'a> Caller<'a> {
    pub fn of(peer: Option<SocketAddr>, headers: &'a HeaderMap) -> Self {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        Caller {
            local_peer: peer.is_some_and(|p| p.ip().to_canonical().is_loopback()),
            local_host: host.is_some_and(is_loopback_host),
            forwarded: FORWARDING.iter().any(|h| headers.contains_key(*h)),
            presented: headers.get(TOKEN_HEADER).and_then(|v| v.to_str().ok()),
        }
    }
}

/// With a token set, the token decides, wherever the caller is. Without one, only a caller on
/// this machine: a loopback peer naming a loopback host, not through a proxy.
pub fn allowed(caller: &Caller, token: Option<&str>) -> bool {
    match token {
        // Compared as digests, so the time taken says nothing about the token.
        Some(token) => caller
            .presented
            .is_some_and(|p| Sha256::digest(p.as_bytes()) == Sha256::digest(token.as_bytes())),
        None => caller.local_peer && caller.local_host && !caller.forwarded,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> Caller<'static> {
        Caller {
            local_peer: true,
            local_host: true,
            ..Caller::default()
        }
    }

    #[test]
    fn only_this_machine_or_the_token_holder_may_drive_the_sandbox() {
        assert!(allowed(&local(), None));
        let remote = Caller {
            local_peer: false,
            ..local()
        };
        assert!(!allowed(&remote, None));
        // A page whose name was rebound to 127.0.0.1.
        let rebound = Caller {
            local_host: false,
            ..local()
        };
        assert!(!allowed(&rebound, None));
        // A proxy on this machine forwarding the public.
        let proxied = Caller {
            forwarded: true,
            ..local()
        };
        assert!(!allowed(&proxied, None));
        // With a token, the token decides.
        assert!(!allowed(&local(), Some("s3cret")));
        let guess = Caller {
            presented: Some("guess"),
            ..local()
        };
        assert!(!allowed(&guess, Some("s3cret")));
        let holder = Caller {
            presented: Some("s3cret"),
            ..remote
        };
        assert!(allowed(&holder, Some("s3cret")));
    }

    #[test]
    fn loopback_hosts_are_recognised_with_or_without_a_port() {
        for host in [
            "localhost",
            "LOCALHOST:3000",
            "127.0.0.1:80",
            "[::1]:3000",
            "[::ffff:127.0.0.1]",
        ] {
            assert!(is_loopback_host(host), "{host}");
        }
        for host in [
            "rebind.evil.example",
            "10.0.0.1:3000",
            "localhost.evil.example",
            "[::2]",
        ] {
            assert!(!is_loopback_host(host), "{host}");
        }
    }

    #[test]
    fn an_ipv4_mapped_loopback_peer_is_local() {
        let headers = HeaderMap::new();
        let peer: SocketAddr = "[::ffff:127.0.0.1]:5000".parse().unwrap();
        assert!(Caller::of(Some(peer), &headers).local_peer);
    }
}
