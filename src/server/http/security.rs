//! The layer in front of everything: who is calling (API key or session cookie), the CSRF
//! check for cookie-authenticated writes, and the security headers on every response.

use super::cookies::{self, SESSION_COOKIE};
use crate::api::{AppError, ErrorCode};
use crate::server::services::{accounts, api_keys};
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Resolves the caller and puts their `Principal` in the request's extensions.
///
/// - `Authorization: Bearer <key>`: an API key. A wrong or revoked key is 401 at once; API-key
///   requests need no CSRF defence (browsers never attach them by themselves).
/// - Otherwise the session cookie, if any. A state-changing request that comes cross-site gets
///   403 before anything runs: its `Origin` (or, without one, its `Referer`) must be this site.
///   Browsers send `Origin` on every cross-site POST/PUT/PATCH/DELETE, and on same-origin ones
///   from `fetch` and forms, so the UI's own requests pass.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        let Some(token) = token else {
            return AppError::new(
                ErrorCode::Unauthorized,
                "the Authorization header must be `Bearer <API key>`",
            )
            .into_response();
        };
        return match api_keys::authenticate(&state, token).await {
            Ok(Some(principal)) => {
                req.extensions_mut().insert(principal);
                next.run(req).await
            }
            Ok(None) => {
                AppError::new(ErrorCode::Unauthorized, "invalid or revoked API key").into_response()
            }
            Err(e) => e.into_response(),
        };
    }

    let has_cookie = cookies::read(req.headers(), SESSION_COOKIE).is_some();
    if is_state_changing(req.method()) {
        if let Err(refusal) = same_origin_check(req.headers(), has_cookie) {
            tracing::warn!(method = %req.method(), path = %req.uri().path(), refusal, "cross-site request refused");
            return AppError::new(
                ErrorCode::Forbidden,
                format!("cross-site request refused: {refusal}"),
            )
            .into_response();
        }
    }
    if let Some(token) = cookies::read(req.headers(), SESSION_COOKIE) {
        match accounts::authenticate_session(&state, token).await {
            Ok(Some(principal)) => {
                req.extensions_mut().insert(principal);
            }
            Ok(None) => {}
            Err(e) => return e.into_response(),
        }
    }
    next.run(req).await
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A state-changing request passes when its `Origin` names this host; without `Origin`, when its
/// `Referer` does; without either, only when it carries no session cookie (a script or tool
/// with nothing a forged request could borrow).
fn same_origin_check(headers: &HeaderMap, has_cookie: bool) -> Result<(), &'static str> {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .map(str::to_ascii_lowercase);
    let authority_of = |url: &str| -> Option<String> {
        let rest = url.split_once("://")?.1;
        Some(rest.split(['/', '?', '#']).next()?.to_ascii_lowercase())
    };
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    if let Some(origin) = header_str(header::ORIGIN) {
        return match (authority_of(origin), &host) {
            (Some(a), Some(h)) if a == *h => Ok(()),
            _ => Err("the Origin header names another site"),
        };
    }
    if let Some(referer) = header_str(header::REFERER) {
        return match (authority_of(referer), &host) {
            (Some(a), Some(h)) if a == *h => Ok(()),
            _ => Err("the Referer header names another site"),
        };
    }
    if has_cookie {
        Err("a request signed in by cookie must say where it comes from (Origin)")
    } else {
        Ok(())
    }
}

/// Headers for every response. Pages get their own nonce-based CSP from the shell; anything
/// else gets one that allows nothing.
pub async fn headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        );
    }
    res
}

/// The CSP for a rendered page whose scripts carry `nonce`.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_passes_and_cross_site_does_not() {
        assert!(
            same_origin_check(&headers(&[(header::ORIGIN, "http://127.0.0.1:3000")]), true).is_ok()
        );
        assert!(
            same_origin_check(&headers(&[(header::ORIGIN, "https://evil.example")]), true).is_err()
        );
        assert!(same_origin_check(&headers(&[(header::ORIGIN, "null")]), true).is_err());
        assert!(same_origin_check(
            &headers(&[(header::ORIGIN, "http://127.0.0.1:3000.evil.example")]),
            false
        )
        .is_err());
        assert!(same_origin_check(
            &headers(&[(header::REFERER, "http://127.0.0.1:3000/keys?x=1")]),
            true
        )
        .is_ok());
        assert!(same_origin_check(
            &headers(&[(header::REFERER, "http://evil.example/127.0.0.1:3000")]),
            true
        )
        .is_err());
    }

    #[test]
    fn a_cookie_without_origin_is_refused_but_a_bare_tool_is_not() {
        assert!(same_origin_check(&headers(&[]), true).is_err());
        assert!(same_origin_check(&headers(&[]), false).is_ok());
    }
}
