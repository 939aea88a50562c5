//! The provider accounts, for operators: `/api/5sim/balance` and `/api/admin/providers`.

use super::error::ApiResult;
use super::extract::AuthUser;
use crate::api::dto::{ProviderBalanceView, ProviderList};
use crate::server::services::provider_account;
use crate::server::state::AppState;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(providers))
}

/// Every provider: its account, health and orders in flight
///
/// For each upstream provider: what it sells, its account balance (asked of each now; where
/// one could not be read, `balance` is null and `balance_error` says why), whether the balance
/// is below the alert level, its health over its recent calls, and the rentals and
/// verifications it holds for us.
#[utoipa::path(
    get,
    path = "/api/admin/providers",
    operation_id = "list_providers",
    responses((status = 200, description = "The providers", body = ProviderList))
)]
async fn providers(State(state): State<AppState>) -> ApiResult<Json<ProviderList>> {
    Ok(Json(provider_account::overview(&state).await?))
}

/// The 5SIM account's balance
///
/// Asked of 5SIM now, in its own currency, with the account's rating there.
#[utoipa::path(
    get,
    path = "/api/5sim/balance",
    operation_id = "get_5sim_balance",
    responses(
        (status = 200, description = "The 5SIM account", body = ProviderBalanceView),
        (status = 503, description = "5SIM is not configured or did not answer: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn balance(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<ProviderBalanceView>> {
    Ok(Json(provider_account::balance(&state, &p).await?))
}
