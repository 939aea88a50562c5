//! The layer in front of everything: who is calling (API key or session cookie), the CSRF
//! check for cookie-authenticated writes, and the security headers on every response.

use super::access;
use super::client::RequestMeta;
use super::cookies::{self, SESSION_COOKIE};
use super::origin::Origin;
use super::rate_limits::Headroom;
use crate::api::{AppError, ErrorCode};
use crate::server::services::accounts::{self, Principal};
use crate::server::services::api_keys;
use crate::server::state::AppState;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
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
///
/// Before any of that, the request's [`RequestMeta`] (client address, user agent, request id)
/// (put there by `observe`) and the rate limits (`rate_limits`): per address first, per caller
/// once known.
pub async fn authenticate(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let meta = match req.extensions().get::<RequestMeta>() {
        Some(meta) => meta.clone(),
        None => {
            let meta = RequestMeta::of(
                req.extensions(),
                req.headers(),
                &state.settings.trusted_proxies,
            );
            req.extensions_mut().insert(meta.clone());
            meta
        }
    };
    match state
        .rate_limits
        .check_address(meta.ip, req.method(), req.uri().path())
    {
        Err(refused) => refused.into_response(),
        Ok(headroom) => identify(&state, req, next, headroom).await,
    }
}

async fn identify(
    state: &AppState,
    mut req: Request,
    next: Next,
    mut headroom: Option<Headroom>,
) -> Response {
    let caller = match credential(state, &req) {
        Ok(credential) => caller(state, credential).await,
        Err(refused) => Err(refused),
    };
    let caller = match caller {
        Ok(caller) => caller,
        Err(refused) => return refused.into_response(),
    };
    let (method, path) = (req.method(), req.uri().path());
    let mut denied = None;
    if let Err(refused) = access::check(caller.as_ref(), method, path) {
        if !access::is_page(path) {
            return refused.into_response();
        }
        // A page renders in the layout and shows why (its server functions answer with
        // the refusal), with the refusal's status.
        denied = Some(AppError::from(refused));
    }
    if let Some(caller) = &caller {
        match state.rate_limits.check_caller(caller, method, path) {
            Ok(left) => headroom = Headroom::tightest(headroom, left),
            Err(refused) => return refused.into_response(),
        }
        // An operator who must turn on two-factor sign-in is taken to its page first.
        if caller.must_set_up_mfa && access::is_document(method, path) && path != access::MFA_PAGE {
            return axum::response::Redirect::to(access::MFA_PAGE).into_response();
        }
    }
    let status = denied
        .as_ref()
        .and_then(|d| StatusCode::from_u16(d.status()).ok());
    if let Some(denied) = denied {
        req.extensions_mut().insert(access::Denied(denied));
    }
    let signed_in = caller.is_some();
    if let Some(caller) = caller {
        req.extensions_mut().insert(caller);
    }
    let mut response = next.run(req).await;
    if let Some(status) = status {
        *response.status_mut() = status;
    }
    // Not on an answer any cache may keep and give others (the document, the client's
    // files): the counts are this caller's.
    let shared = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("public"));
    if let (Some(headroom), false) = (headroom, shared) {
        headroom.write(response.headers_mut());
    }
    if signed_in {
        not_for_caches(response)
    } else {
        response
    }
}

/// What the request presents to say who it is.
enum Credential {
    ApiKey(String),
    Session(String),
    None,
}

/// The request's credential: an API key or the session cookie. A malformed `Authorization`
/// header, and a cross-site change made with the cookie, are refused here.
fn credential(state: &AppState, req: &Request) -> Result<Credential, AppError> {
    if let Some(value) = req.headers().get(header::AUTHORIZATION) {
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        return match token {
            Some(token) => Ok(Credential::ApiKey(token.to_owned())),
            None => Err(AppError::new(
                ErrorCode::Unauthorized,
                "the Authorization header must be `Bearer <API key>`",
            )),
        };
    }
    let token = cookies::read(req.headers(), SESSION_COOKIE);
    // The SMS-Activate protocol's one path carries its own key, not the cookie: without a
    // cookie there is nothing for a cross-site request to ride on.
    let own_key = req.uri().path() == super::handler_api::PATH && token.is_none();
    if is_state_changing(req.method()) && !own_key {
        let origins = &state.settings.public_origins;
        if let Err(refusal) =
            same_origin_check(req.headers(), token.is_some(), origins, host_of(req))
        {
            tracing::warn!(method = %req.method(), path = %super::webhooks::loggable(req.uri().path()), refusal, "cross-site request refused");
            return Err(AppError::new(
                ErrorCode::Forbidden,
                format!("cross-site request refused: {refusal}"),
            ));
        }
    }
    Ok(token.map_or(Credential::None, |t| Credential::Session(t.to_owned())))
}

/// The caller the credential names; `None` when signed out. A wrong or revoked key is 401.
async fn caller(state: &AppState, credential: Credential) -> Result<Option<Principal>, AppError> {
    match credential {
        Credential::ApiKey(token) => match api_keys::authenticate(state, &token).await {
            Ok(Some(principal)) => Ok(Some(principal)),
            Ok(None) => Err(AppError::new(
                ErrorCode::Unauthorized,
                "invalid or revoked API key",
            )),
            Err(e) => Err(e.into()),
        },
        Credential::Session(token) => accounts::authenticate_session(state, &token)
            .await
            .map_err(AppError::from),
        Credential::None => Ok(None),
    }
}

/// An answer for a signed-in caller (a page, an API answer, a one-time API key) is theirs
/// alone: no cache, shared or the browser's own, may keep it. Static assets stay cacheable
/// (as does what its handler declared `public`: the client's files, the chunks' JSON manifest
/// among them), and so does a `304` (it has no content type, and its headers would replace
/// those of the copy the browser keeps: `no-store` there would throw the copy away).
fn not_for_caches(mut response: Response) -> Response {
    let public = response
        .headers()
        .get(header::CACHE_CONTROL)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|d| d.trim() == "public"));
    if response.status() == StatusCode::NOT_MODIFIED || public {
        return response;
    }
    let dynamic = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|t| {
            [
                "text/html",
                "application/json",
                "text/event-stream",
                "text/plain",
            ]
            .iter()
            .any(|d| t.starts_with(d))
        });
    if dynamic {
        response.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    response
}

/// The host a request names: its `Host` header, or else its URI's authority.
pub fn host_of(req: &Request) -> Option<&str> {
    req.headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| req.uri().authority().map(|a| a.as_str()))
}

/// The public origins a request for `host` may have been made to: one host can be listed
/// under both schemes (while moving to HTTPS), and the scheme is the proxy's to know.
pub fn origins_serving<'a>(
    host: Option<&'a str>,
    origins: &'a [Origin],
) -> impl Iterator<Item = &'a Origin> + 'a {
    origins
        .iter()
        .filter(move |o| host.is_some_and(|h| o.serves_host(h)))
}

/// Whether `url` is on the public origin a request for `host` was made to (scheme, host and
/// port; either scheme where `PUBLIC_ORIGIN` lists both for the host).
fn is_this_site(url: &str, origins: &[Origin], host: &str) -> bool {
    Origin::parse(url).is_some_and(|o| o.serves_host(host) && origins.contains(&o))
}

/// On a response whose redirect off the site its handler chose itself (not from anything the
/// request said): the browser sent on to the payment provider's page.
#[derive(Clone, Copy, Debug)]
pub struct LeavesSite;

/// Another site may not be the target of a redirect we send: a plain form post is sent back
/// to its `Referer`, which the sender controls. A redirect elsewhere (or one that cannot be
/// read) goes to the home page.
fn keep_redirect_on_site(response: &mut Response, origins: &[Origin], host: &str) {
    if response.extensions().get::<LeavesSite>().is_some() {
        return;
    }
    let Some(location) = response.headers().get(header::LOCATION) else {
        return;
    };
    let location = location.to_str().unwrap_or("");
    let on_site =
        |path: &str| path.starts_with('/') && !path.starts_with("//") && !path.contains('\\');
    if on_site(location) {
        return;
    }
    let safe = is_this_site(location, origins, host)
        .then(|| {
            let rest = location.split_once("://")?.1;
            let path = &rest[rest.find('/').unwrap_or(rest.len())..];
            on_site(path).then(|| path.to_owned())
        })
        .flatten()
        .unwrap_or_else(|| "/".to_owned());
    if let Ok(value) = HeaderValue::from_str(&safe) {
        response.headers_mut().insert(header::LOCATION, value);
    }
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A state-changing request passes when its `Origin` is the public origin it was sent to
/// (scheme, host and port); without `Origin`, when its `Referer` is; without either, only when
/// it carries no session cookie (a script or tool with nothing a forged request could borrow).
fn same_origin_check(
    headers: &HeaderMap,
    has_cookie: bool,
    origins: &[Origin],
    host: Option<&str>,
) -> Result<(), &'static str> {
    let header_str = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    let same_site = |url: &str| host.is_some_and(|h| is_this_site(url, origins, h));
    if let Some(origin) = header_str(header::ORIGIN) {
        return if same_site(origin) {
            Ok(())
        } else {
            Err("the Origin header names another site")
        };
    }
    if let Some(referer) = header_str(header::REFERER) {
        return if same_site(referer) {
            Ok(())
        } else {
            Err("the Referer header names another site")
        };
    }
    if has_cookie {
        Err("a request signed in by cookie must say where it comes from (Origin)")
    } else {
        Ok(())
    }
}

/// The outermost of the app's own layers, and one layer rather than several, as each boxed
/// layer costs about a tenth of the API's read throughput:
/// - a request for a host this server is not (`PUBLIC_ORIGIN`) is refused with 421: a
///   DNS-rebinding page that points its own name at this address reaches the port, not the app;
/// - a failed server-function call gets its error's status (`error::with_server_fn_status`);
/// - no redirect leaves the site;
/// - every answer gets the security headers (`secure`).
pub async fn edge(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if !is_plain_path(req.uri().path()) {
        let mut refused = AppError::new(
            ErrorCode::BadRequest,
            "the path may not hold `.` or `..` segments or encoded dots and slashes",
        )
        .into_response();
        secure(refused.headers_mut(), false);
        return refused;
    }
    let origins = &state.settings.public_origins;
    let Some(host) = host_of(&req)
        .filter(|h| origins_serving(Some(h), origins).next().is_some())
        .map(str::to_owned)
    else {
        tracing::warn!(host = ?host_of(&req), path = %super::webhooks::loggable(req.uri().path()), "request for an unknown host refused");
        let mut refused = AppError::new(
            ErrorCode::MisdirectedRequest,
            "this server does not answer for that host name",
        )
        .into_response();
        secure(refused.headers_mut(), false);
        return refused;
    };
    // HSTS only where this host is served over HTTPS alone.
    let https_only = origins_serving(Some(&host), origins).all(Origin::is_https);
    let server_fn = req.uri().path().starts_with(crate::api::SERVER_FN_PREFIX);
    let mut res = next.run(req).await;
    if server_fn {
        res = super::error::with_server_fn_status(res).await;
    }
    keep_redirect_on_site(&mut res, origins, &host);
    secure(res.headers_mut(), https_only);
    res
}

/// Whether `path` names what it seems to: no `.` or `..` segment and no encoded dot, slash or
/// backslash. The access rules match the path as sent, while the page router matches it as a
/// browser would resolve it (`/./admin/…` is `/admin/…` there): such a path could reach a page
/// past the rule that guards it.
fn is_plain_path(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    !path.split('/').any(|s| s == "." || s == "..")
        && !["%2e", "%2f", "%5c"].iter().any(|e| lower.contains(e))
        && !path.contains('\\')
}

/// The security headers. Pages get their own nonce-based CSP from the shell; anything else
/// gets one that allows nothing.
fn secure(h: &mut HeaderMap, https_only: bool) {
    if https_only {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
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
}

/// The CSP for a rendered page whose scripts carry `nonce`. Its forms may lead only to this
/// site and to `checkout` (the payment provider's pages, where a top-up's form ends up).
pub fn page_csp(nonce: &str, checkout: Option<&str>) -> String {
    let checkout = checkout.map(|o| format!(" {o}")).unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'self'; form-action 'self'{checkout}; frame-ancestors 'none'"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::http::origin::parse_list;

    fn headers(pairs: &[(header::HeaderName, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:3000"));
        for (k, v) in pairs {
            h.insert(k.clone(), HeaderValue::from_static(v));
        }
        h
    }

    fn here() -> Vec<Origin> {
        Origin::defaults_for("127.0.0.1:3000".parse().unwrap())
    }

    /// The check as the layer makes it, for a request whose headers are `headers`.
    fn same_origin_check(headers: &HeaderMap, has_cookie: bool) -> Result<(), &'static str> {
        let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
        super::same_origin_check(headers, has_cookie, &here(), host)
    }

    #[test]
    fn a_host_listed_under_both_schemes_accepts_either() {
        let origins = parse_list("http://sms.example.com,https://sms.example.com").unwrap();
        for origin in ["http://sms.example.com", "https://sms.example.com"] {
            let mut h = HeaderMap::new();
            h.insert(header::ORIGIN, HeaderValue::from_str(origin).unwrap());
            assert!(
                super::same_origin_check(&h, true, &origins, Some("sms.example.com")).is_ok(),
                "{origin}"
            );
        }
    }

    #[test]
    fn the_scheme_counts_too() {
        assert!(same_origin_check(
            &headers(&[(header::ORIGIN, "https://127.0.0.1:3000")]),
            true
        )
        .is_err());
        assert!(same_origin_check(
            &headers(&[(header::REFERER, "https://127.0.0.1:3000/keys")]),
            true
        )
        .is_err());
        // Another of the public origins is still another site for this request.
        assert!(
            same_origin_check(&headers(&[(header::ORIGIN, "http://localhost:3000")]), true)
                .is_err()
        );
    }

    #[test]
    fn redirects_stay_on_the_site() {
        let here = here();
        let to = |location: &'static str| {
            let mut r = Response::new(axum::body::Body::empty());
            r.headers_mut()
                .insert(header::LOCATION, HeaderValue::from_static(location));
            keep_redirect_on_site(&mut r, &here, "127.0.0.1:3000");
            r.headers()[header::LOCATION].to_str().unwrap().to_owned()
        };
        assert_eq!(to("/rentals?x=1"), "/rentals?x=1");
        assert_eq!(to("http://127.0.0.1:3000/rentals/5?"), "/rentals/5?");
        assert_eq!(to("http://evil.example/x?"), "/");
        assert_eq!(to("https://127.0.0.1:3000/x"), "/");
        assert_eq!(to("//evil.example/x"), "/");
        assert_eq!(to("/\\evil.example"), "/");
        assert_eq!(to("javascript:alert(1)"), "/");
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
