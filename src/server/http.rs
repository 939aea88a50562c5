//! The REST API under `/api`, and the layers every request passes through.

pub mod access;
pub mod account;
pub mod analytics;
pub mod auth;
pub mod billing;
pub mod catalog;
pub mod client;
pub mod completion;
pub mod connections;
pub mod cookies;
pub mod error;
pub mod events;
pub mod extract;
pub mod handler_api;
pub mod keys;
pub mod notifications;
pub mod observe;
pub mod openapi;
pub mod ops;
pub mod origin;
pub mod presets;
pub mod pricing;
pub mod provider;
pub mod rate_limits;
pub mod rentals;
pub mod sandbox;
pub mod security;
pub mod staff;
pub mod stream_connections;
pub mod verifications;
pub mod webhook_endpoints;
pub mod webhooks;

use super::state::AppState;
use axum::routing::{any, get};
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Every route of the REST API and the SMS-Activate protocol, each with its operation in the
/// OpenAPI document (`openapi`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(auth::router())
        .merge(account::router())
        .merge(notifications::router())
        .merge(staff::router())
        .merge(analytics::router())
        .merge(keys::router())
        .merge(billing::router())
        .merge(pricing::router())
        .merge(catalog::router())
        .merge(provider::router())
        .merge(rentals::router())
        .merge(presets::router())
        .merge(verifications::router())
        .merge(webhooks::router())
        .merge(webhook_endpoints::router())
        .merge(handler_api::router())
        .merge(events::router())
        .routes(routes!(openapi::serve))
}

/// Every REST route. Unknown `/api` paths and wrong methods answer with JSON errors.
pub fn api_router() -> Router<AppState> {
    let (router, _) = routes().split_for_parts();
    router
        .route(billing::PAY_PAGE, get(billing::pay_topup))
        .route("/api", any(error::api_not_found))
        .route("/api/{*path}", any(error::api_not_found))
        .method_not_allowed_fallback(error::method_not_allowed)
}
