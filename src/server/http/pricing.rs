//! Pricing: the operators' policy (`/api/admin/pricing`), customers' tiers
//! (`/api/admin/users/{id}/tier`), and what the caller's own prices are made of
//! (`/api/billing/pricing`). Who may call which is in `access`.

use super::client::RequestMeta;
use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use crate::api::dto::{MyPricing, PricingView, TierChange, TierView};
use crate::domain::pricing::PricingPolicy;
use crate::server::services::audit::Actor;
use crate::server::services::pricing;
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(policy, change_policy))
        .routes(routes!(set_tier))
        .routes(routes!(mine))
}

/// The pricing policy
///
/// The duration bands, customer tiers and volume discounts that price new purchases, with
/// when and by whom they were last changed (`null` while they are the defaults).
#[utoipa::path(
    get,
    path = "/api/admin/pricing",
    operation_id = "admin_get_pricing",
    responses((status = 200, body = PricingView))
)]
async fn policy(State(state): State<AppState>) -> ApiResult<Json<PricingView>> {
    Ok(Json(pricing::view(&state).await?))
}

/// Change the pricing policy
///
/// Replaces the whole policy; it prices purchases from now on (what was bought keeps its
/// price, and a rental its hourly rate for extensions and refunds). `bands` are fractions of
/// the provider's hourly price times the markup, from more than 0 to 2, never rising from
/// `hourly` (the first 24 hours) to `daily` (to a week), `weekly` (to 30 days) and `monthly`;
/// `tiers` must include `standard`, with discounts from 0 to 0.9; `volume` steps rise in
/// `min_spend` (spent in the 30 whole days before today, UTC) and never fall in `discount`. The change is
/// written to the audit log with the policy it replaced.
#[utoipa::path(
    put,
    path = "/api/admin/pricing",
    operation_id = "admin_set_pricing",
    request_body = PricingPolicy,
    responses(
        (status = 200, body = PricingView),
        (
            status = 422,
            description = "A rule broken, with the field named (`bands.daily`, `tiers[1].name`, `volume[0].discount` …)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn change_policy(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PricingPolicy>,
) -> ApiResult<Json<PricingView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(pricing::change(&state, &actor, body).await?))
}

/// Move an account to a tier
///
/// `tier` is one the pricing policy names; its discount applies to the account's purchases
/// from now on. Written to the audit log with the tier before.
#[utoipa::path(
    put,
    path = "/api/admin/users/{id}/tier",
    operation_id = "admin_set_user_tier",
    request_body = TierChange,
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, body = TierView),
        (status = 404, description = "No such account", body = super::openapi::ErrorEnvelope),
        (
            status = 422,
            description = "`tier` is not one of the policy's",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn set_tier(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<TierChange>,
) -> ApiResult<Json<TierView>> {
    let actor = Actor::caller(&p, &meta);
    let user_id = super::staff::user_id(&id)?;
    Ok(Json(
        pricing::set_tier(&state, &actor, user_id, &body).await?,
    ))
}

/// Your prices
///
/// What your prices are made of: your tier and its discount, what you spent on purchases in
/// the 30 whole days before today, UTC (net of their refunds), the volume discount that reaches, and the next
/// step up. The catalogue and every purchase already apply them.
#[utoipa::path(
    get,
    path = "/api/billing/pricing",
    operation_id = "get_my_pricing",
    responses((status = 200, body = MyPricing))
)]
async fn mine(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<MyPricing>> {
    Ok(Json(pricing::mine(&state, p.user_id).await?))
}
