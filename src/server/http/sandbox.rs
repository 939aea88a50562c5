//! Sandbox mode only: the emulators' control APIs on the app's own port, and the clock.

use super::error::ApiResult;
use super::extract::ApiJson;
use crate::sandbox::Emulators;
use crate::sandbox::{guard, traffic};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::State;
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

/// The routes that exist only in sandbox mode, for callers the guard trusts
/// (`SANDBOX_CONTROL_TOKEN`, or this machine).
pub fn router(state: &AppState, emulators: &Emulators) -> Router<AppState> {
    let token = control_token(state);
    Router::new()
        .merge(emulators.control_routes())
        .route("/sandbox/control/clock", post(advance_clock))
        .route("/sandbox/outbox", get(outbox))
        .route(
            "/sandbox/control/streams/disconnect",
            post(disconnect_streams),
        )
        .layer(axum::middleware::from_fn_with_state(
            token,
            guard::only_trusted_callers,
        ))
}

fn control_token(state: &AppState) -> guard::ControlToken {
    guard::ControlToken(
        state
            .settings
            .sandbox_control_token
            .as_ref()
            .map(|t| Arc::from(t.expose())),
    )
}

/// The Stripe emulator at `/sandbox/stripe`, if it runs: its API and pay pages for anyone
/// (the API asks for its secret key), its control routes for the trusted callers.
pub fn stripe_routes(state: &AppState, emulators: &Emulators) -> Router<AppState> {
    let Some(emulator) = &emulators.stripe else {
        return Router::new();
    };
    let token = control_token(state);
    Router::new().nest_service(
        crate::sandbox::stripe::PATH,
        emulator.router(|control| {
            control.layer(axum::middleware::from_fn_with_state(
                token,
                guard::only_trusted_callers,
            ))
        }),
    )
}

/// Moves the app's and the emulator's clock forward (they share it) and runs the jobs that are
/// then due, so expiry and timeouts can be shown and tested without waiting.
async fn advance_clock(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<traffic::ClockBody>,
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

/// The mail sandbox mode kept instead of sending (newest first): a page, or JSON for
/// `Accept: application/json`.
async fn outbox(State(state): State<AppState>, headers: axum::http::HeaderMap) -> Response {
    let mails = state.outbox.as_ref().map(|o| o.list()).unwrap_or_default();
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Json(json!({ "mails": mails })).into_response();
    }
    let escape = crate::sandbox::escape_html;
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sandbox outbox</title></head>\
         <body><h1>Sandbox outbox</h1><p>Mail the app would have sent, newest first (set SMTP_URL to send it).</p>",
    );
    if mails.is_empty() {
        page.push_str("<p>Nothing yet.</p>");
    }
    for mail in &mails {
        page.push_str(&format!(
            "<article><h2>{}</h2><p>To: {}</p><pre>{}</pre></article>",
            escape(&mail.subject),
            escape(&mail.to),
            escape(&mail.text)
        ));
    }
    page.push_str("</body></html>");
    Html(page).into_response()
}

/// Ends every open live-update stream from the server's side, as a dropped connection would:
/// browsers reconnect and resume from their last event.
async fn disconnect_streams(State(state): State<AppState>) -> Json<Value> {
    let open = state.events.subscribers();
    state.events.disconnect_all();
    tracing::info!(open, "sandbox: live-update streams disconnected");
    Json(json!({ "disconnected": open }))
}
