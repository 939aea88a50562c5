//! `/api/billing/*`: the wallet's balance and its ledger.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::{BalanceView, PageQuery, TransactionPage};
use crate::server::services::billing;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/billing/balance", get(balance))
        .route("/api/billing/transactions", get(transactions))
}

async fn balance(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<BalanceView>> {
    Ok(Json(billing::balance(&state, p.user_id).await?))
}

async fn transactions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<TransactionPage>> {
    Ok(Json(
        billing::transactions(&state, p.user_id, q.page, q.per_page).await?,
    ))
}
