//! The provider accounts, for operators: `/api/5sim/balance` and `/api/admin/providers`.

use super::error::ApiResult;
use super::extract::AuthUser;
use crate::api::dto::{ProviderBalanceView, ProviderList};
use crate::server::services::provider_account;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/5sim/balance", get(balance))
        .route("/api/admin/providers", get(providers))
}

async fn providers(State(state): State<AppState>) -> ApiResult<Json<ProviderList>> {
    Ok(Json(provider_account::overview(&state).await?))
}

async fn balance(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<ProviderBalanceView>> {
    Ok(Json(provider_account::balance(&state, &p).await?))
}
