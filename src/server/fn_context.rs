//! What a `#[server]` function needs from the request it runs in: the shared state, the
//! caller, and a way to set cookies on the response. Bodies stay a few lines long.

use super::http::access;
use super::http::client::RequestMeta;
use super::http::cookies;
use super::services::accounts::{NewSession, Principal, SignIn};
use super::services::audit::Actor;
use super::services::idempotency;
use super::state::AppState;
use super::ServerError;
use crate::api::dto::SignInView;
use crate::api::AppError;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue};
use leptos::prelude::{expect_context, use_context, with_context};
use leptos_axum::ResponseOptions;

/// Runs a server function's body and gives a failure its proper HTTP status (401, 409, 422…)
/// instead of the blanket 500 server functions answer with by default. A plain form post keeps
/// its redirect back to the page, which shows the error; a call made while rendering a page
/// leaves the page's status alone.
pub async fn run<T>(
    body: impl std::future::Future<Output = Result<T, AppError>>,
) -> Result<T, AppError> {
    let result = body.await;
    if let (Err(e), true) = (&result, is_server_fn_call() && !is_plain_form_post()) {
        if let (Some(res), Ok(status)) = (
            use_context::<ResponseOptions>(),
            axum::http::StatusCode::from_u16(e.status()),
        ) {
            res.set_status(status);
            if let Some(seconds) = e.retry_after {
                res.insert_header(header::RETRY_AFTER, HeaderValue::from(seconds));
            }
        }
    }
    result
}

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("server function ran without AppState in its context");
        AppError::internal()
    })
}

/// Reads the request this runs in, in place (`use_context` would clone all of it).
fn with_request<R>(read: impl FnOnce(&Parts) -> Option<R>) -> Option<R> {
    with_context::<Parts, _>(read).flatten()
}

/// The signed-in caller, as resolved by the auth layer; 401 when there is none.
/// On an operators' page the caller may not see, the refusal (`http::access`).
pub fn principal() -> Result<Principal, AppError> {
    with_request(|parts| {
        if let Some(denied) = parts.extensions.get::<access::Denied>() {
            return Some(Err(denied.0.clone()));
        }
        parts.extensions.get::<Principal>().cloned().map(Ok)
    })
    .unwrap_or_else(|| Err(AppError::unauthorized()))
}

/// The caller, who must be support or an admin (a page's server functions run past the HTTP
/// layer's rules, so the ones behind operators' pages check again here).
pub fn staff() -> Result<Principal, AppError> {
    at_least(access::Access::Staff, "support and admins")
}

/// The caller, who must be an admin.
pub fn admin() -> Result<Principal, AppError> {
    at_least(access::Access::Admin, "admins")
}

fn at_least(level: access::Access, who: &str) -> Result<Principal, AppError> {
    let caller = principal()?;
    if level.allows(Some(caller.role)) {
        return Ok(caller);
    }
    Err(ServerError::Forbidden(format!(
        "only {who} may do this; this account is a {}",
        caller.role.as_str()
    ))
    .into())
}

/// Where the request comes from (address, user agent, request id), as the edge layer read it.
pub fn request_meta() -> RequestMeta {
    with_request(|parts| parts.extensions.get::<RequestMeta>().cloned())
        .unwrap_or_else(RequestMeta::unknown)
}

/// The public origin this request was made to (`https://sms.example.com`).
pub fn site_origin(state: &AppState) -> String {
    let origins = &state.settings.public_origins;
    with_request(|p| Some(crate::server::http::origin::of_request(origins, &p.headers)))
        .unwrap_or_else(|| crate::server::http::origin::serving(origins, None))
}

/// The signed-in caller as the audit log names them.
pub fn actor(caller: &Principal) -> Actor {
    Actor::caller(caller, &request_meta())
}

/// Runs a paid server function's `work` once per idempotency key: the form's own
/// (`idempotency_key`, rendered once per page, so a form sent twice pays once) or, from
/// scripts, the `Idempotency-Key` header. A repeat gets the first answer.
pub async fn pay_once<T, R, F>(
    state: &AppState,
    user_id: i64,
    form_key: Option<String>,
    request: &R,
    work: F,
) -> Result<T, ServerError>
where
    T: serde::Serialize + serde::de::DeserializeOwned,
    R: serde::Serialize,
    F: std::future::Future<Output = Result<T, ServerError>>,
{
    let key = form_key
        .filter(|k| !k.is_empty())
        .or_else(|| with_request(|p| idempotency::key_in(&p.headers).map(str::to_owned)));
    idempotency::once(state, user_id, key.as_deref(), request, work).await
}

/// Whether this is an HTTP call of a server function (not a page render calling one in-process).
fn is_server_fn_call() -> bool {
    with_request(|p| Some(p.uri.path().starts_with(crate::api::SERVER_FN_PREFIX))).unwrap_or(false)
}

/// Whether the call came from a plain HTML form (JavaScript off) rather than the WASM client.
pub fn is_plain_form_post() -> bool {
    with_request(|p| {
        let accept = p.headers.get(header::ACCEPT)?.to_str().ok()?;
        Some(accept.contains("text/html"))
    })
    .unwrap_or(false)
}

pub fn start_session(state: &AppState, session: &NewSession) {
    set_cookie(cookies::session(
        &state.settings,
        &session.token,
        session.max_age_secs,
    ));
}

/// Where a sign-in landed: the session starts and the browser goes home, or the challenge is
/// kept in a cookie and the browser goes on to the code.
pub fn signed_in(state: &AppState, outcome: SignIn) -> SignInView {
    match outcome {
        SignIn::Done(me, session) => {
            start_session(state, &session);
            leptos_axum::redirect("/");
            SignInView {
                user: Some(me),
                second_factor_required: false,
                challenge: None,
            }
        }
        SignIn::SecondFactor { challenge } => {
            set_cookie(cookies::second_factor(&state.settings, &challenge));
            leptos_axum::redirect("/login/code");
            SignInView {
                user: None,
                second_factor_required: true,
                challenge: None,
            }
        }
    }
}

/// The challenge of a sign-in waiting for its code.
pub fn second_factor_challenge() -> Option<String> {
    with_request(|parts| {
        cookies::read(&parts.headers, cookies::SECOND_FACTOR_COOKIE).map(str::to_owned)
    })
    .filter(|c| !c.is_empty())
}

pub fn end_second_factor(state: &AppState) {
    set_cookie(cookies::clear_second_factor(&state.settings));
}

pub fn end_session(state: &AppState) {
    set_cookie(cookies::clear_session(&state.settings));
}

/// Hands `value` to the next load of the page at `path` only, through a short-lived cookie.
pub fn set_flash(state: &AppState, name: &str, value: &str, path: &str) {
    set_cookie(cookies::flash(&state.settings, name, value, path));
}

/// Hands `value` to the page at `path`, and goes there (a value shown once, like new
/// recovery codes).
pub fn show_once(state: &AppState, name: &str, value: &str, path: &str) {
    set_flash(state, name, value, path);
    leptos_axum::redirect(path);
}

/// Reads a flash cookie set by `set_flash` and clears it, so it is shown once.
pub fn take_flash(state: &AppState, name: &str, path: &str) -> Option<String> {
    let value = with_request(|parts| cookies::read(&parts.headers, name).map(str::to_owned))?;
    set_cookie(cookies::clear_flash(&state.settings, name, path));
    Some(value)
}

/// The cookie that carries what a plain form post did to the page it returns to.
const NOTICE_FLASH: &str = "namaskah_notice";
/// Cookies are kept under 4 KB; a notice of more lines than this says how many more.
const NOTICE_MOST_LINES: usize = 8;

/// Tells the next page load what this plain form post did, one line each (hex in the cookie:
/// the text has spaces and `;`). Nothing for a call from the WASM client, which shows the
/// answer itself.
pub fn notice_if_plain_form_post(state: &AppState, lines: &[String]) {
    if !is_plain_form_post() || lines.is_empty() {
        return;
    }
    let mut shown: Vec<&str> = lines
        .iter()
        .take(NOTICE_MOST_LINES)
        .map(String::as_str)
        .collect();
    let more = lines.len().saturating_sub(NOTICE_MOST_LINES);
    let tail = format!("and {more} more");
    if more > 0 {
        shown.push(&tail);
    }
    set_flash(state, NOTICE_FLASH, &hex::encode(shown.join("\n")), "/");
}

/// The lines of the notice left by a plain form post, once.
pub fn take_notice(state: &AppState) -> Vec<String> {
    take_flash(state, NOTICE_FLASH, "/")
        .and_then(|h| hex::decode(h).ok())
        .and_then(|b| String::from_utf8(b).ok())
        .map(|text| text.lines().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn set_cookie(value: HeaderValue) {
    expect_context::<ResponseOptions>().append_header(header::SET_COOKIE, value);
}
