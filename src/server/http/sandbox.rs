//! Sandbox mode only: the emulator's control API on the app's own port, and the clock.

use super::error::ApiResult;
use super::extract::ApiJson;
use super::security;
use crate::api::{AppError, ErrorCode};
use crate::sandbox::five_sim::{control, FiveSimEmulator, CONTROL_PATH};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::net::SocketAddr;

/// The routes that exist only in sandbox mode, behind `only_trusted_callers`.
pub fn router(state: &AppState, emulator: FiveSimEmulator) -> Router<AppState> {
    Router::new()
        .nest(CONTROL_PATH, control::router(emulator))
        .route("/sandbox/control/clock", post(advance_clock))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            only_trusted_callers,
        ))
}

/// The header that carries `SANDBOX_CONTROL_TOKEN`.
pub const TOKEN_HEADER: &str = "x-sandbox-token";

/// The control API can deliver SMS to anyone's number and expire every session, so it answers
/// only callers on this machine: with `SANDBOX_CONTROL_TOKEN` set, requests that present it;
/// otherwise, requests from a loopback address made to a loopback host name (a proxy on this
/// machine that forwards the public's requests keeps their public `Host`).
async fn only_trusted_callers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0);
    let host_is_loopback = security::origin_of(req.headers(), &state.settings.public_origins)
        .is_some_and(|o| o.is_loopback());
    let presented = req
        .headers()
        .get(TOKEN_HEADER)
        .and_then(|v| v.to_str().ok());
    let token = state.settings.sandbox_control_token.as_ref();
    if trusted(peer, host_is_loopback, presented, token.map(|t| t.expose())) {
        return next.run(req).await;
    }
    tracing::warn!(?peer, path = %req.uri().path(), "sandbox control request refused");
    AppError::new(
        ErrorCode::Forbidden,
        match token {
            Some(_) => "the sandbox control API needs the X-Sandbox-Token header",
            None => "the sandbox control API answers only on this machine (127.0.0.1)",
        },
    )
    .into_response()
}

fn trusted(
    peer: Option<SocketAddr>,
    host_is_loopback: bool,
    presented: Option<&str>,
    token: Option<&str>,
) -> bool {
    match token {
        Some(token) => presented.is_some_and(|p| {
            use sha2::Digest;
            // Compared as digests, so the time taken says nothing about the token.
            sha2::Sha256::digest(p.as_bytes()) == sha2::Sha256::digest(token.as_bytes())
        }),
        None => host_is_loopback && peer.is_some_and(|p| p.ip().is_loopback()),
    }
}

/// Moves the app's and the emulator's clock forward (they share it) and runs the jobs that are
/// then due, so expiry and timeouts can be shown and tested without waiting.
async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<control::ClockBody>,
) -> ApiResult<Json<Value>> {
    if !(0..=366 * 86_400).contains(&body.advance_seconds) {
        return Err(ServerError::validation(
            "advance_seconds",
            "must be between 0 and a year",
        ));
    }
    state.clock.advance_ms(body.advance_seconds * 1000);
    let ran = crate::server::jobs::run_due(&state).await;
    tracing::info!(
        advance_seconds = body.advance_seconds,
        ?ran,
        "sandbox clock advanced"
    );
    Ok(Json(json!({
        "now": state.clock.now(),
        "jobs": {"renewed": ran.renewed, "warned": ran.warned, "expired": ran.expired, "polled": ran.polled},
    })))
}

#[cfg(test)]
mod tests {
    use super::trusted;

    #[test]
    fn only_this_machine_or_the_token_holder_may_drive_the_sandbox() {
        let local = Some("127.0.0.1:50000".parse().unwrap());
        let remote = Some("203.0.113.7:50000".parse().unwrap());
        assert!(trusted(local, true, None, None));
        assert!(!trusted(remote, true, None, None));
        // A local proxy forwarding the public keeps their Host.
        assert!(!trusted(local, false, None, None));
        assert!(!trusted(None, true, None, None));
        // With a token, the token decides, wherever the caller is.
        assert!(!trusted(local, true, None, Some("s3cret")));
        assert!(!trusted(local, true, Some("guess"), Some("s3cret")));
        assert!(trusted(remote, false, Some("s3cret"), Some("s3cret")));
    }
}
