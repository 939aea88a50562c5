//! What operators' tooling calls, outside sign-in and the host check (a load balancer's
//! probe names no public host): `GET /health` (the process is up), `GET /ready` (it can serve)
//! and `GET /metrics` (Prometheus). `/metrics` answers only `Authorization: Bearer
//! <METRICS_TOKEN>` when that is set; without it, on the public listener, only a caller on this
//! machine that came through no proxy (the ledger's totals are not for the world), and anyone
//! who reaches `METRICS_ADDR`'s listener.

use crate::api::{AppError, ErrorCode};
use crate::server::services::operations;
use crate::server::state::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/metrics", get(public_metrics))
}

/// `/metrics` alone, as `METRICS_ADDR` serves it.
pub fn metrics_router() -> Router<AppState> {
    Router::new().route("/metrics", get(metrics))
}

/// `/metrics` on the public listener: as on its own, but without a token only for a caller
/// on this machine that came through no proxy.
async fn public_metrics(State(state): State<AppState>, req: Request) -> Response {
    let headers = req.headers().clone();
    let peer = req.extensions().get::<ConnectInfo<SocketAddr>>();
    let local = peer.is_some_and(|ConnectInfo(a)| a.ip().is_loopback())
        && !headers.contains_key("x-forwarded-for")
        && !headers.contains_key(header::FORWARDED);
    if state.settings.metrics_token.is_none() && !local {
        return AppError::new(
            ErrorCode::Forbidden,
            "/metrics answers only this machine unless METRICS_TOKEN is set (or use METRICS_ADDR)",
        )
        .into_response();
    }
    metrics(State(state), headers).await
}

async fn health() -> Response {
    no_store(Json(serde_json::json!({ "status": "ok" })).into_response())
}

async fn ready(State(state): State<AppState>) -> Response {
    let readiness = operations::readiness(&state).await;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    no_store((status, Json(readiness)).into_response())
}

async fn metrics(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(token) = &state.settings.metrics_token {
        let presented = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim);
        // Compared as digests: the time taken says nothing about the token.
        let digest = |t: &str| Sha256::digest(t.as_bytes());
        if presented.map(digest) != Some(digest(token.expose())) {
            let mut refused = AppError::new(
                ErrorCode::Unauthorized,
                "/metrics needs `Authorization: Bearer <METRICS_TOKEN>`",
            )
            .into_response();
            refused.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"metrics\""),
            );
            return refused;
        }
    }
    let body = operations::scrape(&state).await;
    no_store(
        (
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
            )],
            body,
        )
            .into_response(),
    )
}

fn no_store(mut response: Response) -> Response {
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
