//! `/api/5sim/*`: the provider account, for operators.

use super::error::ApiResult;
use super::extract::AuthUser;
use crate::api::dto::ProviderBalanceView;
use crate::server::services::provider_account;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/5sim/balance", get(balance))
}

async fn balance(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<ProviderBalanceView>> {
    Ok(Json(provider_account::balance(&state, &p).await?))
}
