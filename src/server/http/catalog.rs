//! `/api/catalog/*`: what can be bought where, at our prices (the caller's own, when signed
//! in). Public; the providers' offers are cached briefly.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::{CountryList, ServiceList};
use crate::server::services::{catalog, pricing};
use crate::server::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(countries))
        .routes(routes!(services))
}

/// The countries numbers can be bought in
///
/// Every country some provider sells numbers in, by name, with its ISO code (the `country`
/// other requests take) and dialling prefix. No account needed. Cached for up to a minute.
#[utoipa::path(
    get,
    path = "/api/catalog/countries",
    operation_id = "list_countries",
    responses(
        (status = 200, description = "The countries", body = CountryList),
        (status = 503, description = "The providers are not answering: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn countries(State(state): State<AppState>) -> ApiResult<Json<CountryList>> {
    Ok(Json(catalog::countries(&state).await?))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ServicesQuery {
    /// The country: a two-letter ISO 3166-1 code such as `GB`.
    #[param(required = true)]
    country: Option<String>,
}

/// What is on sale in a country, at our prices
///
/// The services a one-shot verification number can be bought for, and the rental lengths
/// (in hours), each with its price and how many numbers are in stock, and for a rental what
/// each auto-renewal costs and what 30 days of them come to. No account needed: signed in,
/// the prices are the caller's own (their tier's and volume discounts; such an answer is
/// marked for no shared cache), otherwise the list prices. The providers' offers behind it
/// are cached for up to a minute.
#[utoipa::path(
    get,
    path = "/api/catalog/services",
    operation_id = "list_services",
    params(ServicesQuery),
    responses(
        (status = 200, description = "The offers in the country", body = ServiceList),
        (status = 422, description = "The country is missing, not a two-letter ISO code, or not served (`field` is `country`)", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "The providers are not answering: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn services(
    State(state): State<AppState>,
    caller: Option<AuthUser>,
    ApiQuery(q): ApiQuery<ServicesQuery>,
) -> ApiResult<Json<ServiceList>> {
    let pricer = pricing::for_customer(&state, caller.map(|AuthUser(p)| p.user_id)).await?;
    let country = q.country.as_deref().unwrap_or_default();
    Ok(Json(catalog::services(&state, country, &pricer).await?))
}
