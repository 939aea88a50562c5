//! The outermost layer: every request gets its id (kept from a trusted proxy's
//! `X-Request-Id`, or made here) in a `request` span that everything logged while answering it
//! carries; the answer is logged, counted and timed by route (`metrics`), and carries the id
//! back in `X-Request-Id`.

use super::client::{RequestMeta, REQUEST_ID};
use crate::server::metrics;
use crate::server::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let started = Instant::now();
    let meta = RequestMeta::of(
        req.extensions(),
        req.headers(),
        &state.settings.trusted_proxies,
    );
    let route = route(req.extensions().get::<MatchedPath>());
    let method = req.method().clone();
    let span = tracing::info_span!(
        "request",
        request_id = %meta.request_id,
        method = %method,
        route = %route,
    );
    let id = HeaderValue::from_str(&meta.request_id).ok();
    req.extensions_mut().insert(meta);
    let mut response = next.run(req).instrument(span.clone()).await;
    let took = started.elapsed();
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(
            status,
            ms = u64::try_from(took.as_millis()).unwrap_or(u64::MAX),
            "answered"
        )
    });
    metrics::http_request(method_label(&method), route, status, took);
    if let Some(id) = id {
        response.headers_mut().insert(&REQUEST_ID, id);
    }
    response
}

/// The method as a label: any method outside HTTP's own is `other` (a client may send any
/// name, and each would be a new series kept for good).
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// The route's pattern, written `/api/rentals/:id/extend` (braces in a label value trip some
/// scrapers' parsers): one label per route, whatever the ids in the path. What no route
/// matched (files served from the site root) counts as `fallback`.
fn route(matched: Option<&MatchedPath>) -> String {
    matched.map_or_else(|| "fallback".to_owned(), |p| label(p.as_str()))
}

fn label(pattern: &str) -> String {
    pattern
        .replace("{*__private__axum_nest_tail_param}", "*path")
        .replace("{*", "*")
        .replace('{', ":")
        .replace('}', "")
}

#[cfg(test)]
mod tests {
    use super::label;

    #[test]
    fn route_labels_name_parameters_without_braces() {
        assert_eq!(label("/api/rentals/{id}/extend"), "/api/rentals/:id/extend");
        assert_eq!(label("/api/{*path}"), "/api/*path");
        assert_eq!(
            label("/pkg/{*__private__axum_nest_tail_param}"),
            "/pkg/*path"
        );
        assert_eq!(label("/health"), "/health");
    }

    #[test]
    fn unknown_methods_share_one_label() {
        let m =
            |s: &str| super::method_label(&axum::http::Method::from_bytes(s.as_bytes()).unwrap());
        assert_eq!(m("GET"), "GET");
        assert_eq!(m("XYZ123"), "other");
        assert_eq!(m("TRACE"), "other");
    }
}
