//! `/api/billing/*`: the wallet's balance and its ledger.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::{BalanceView, PageQuery, TransactionPage};
use crate::server::services::billing;
use crate::server::state::AppState;
use axum::extract::State;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(transactions))
}

/// The account's balance
///
/// What is in the wallet now, as a decimal string, and its currency.
#[utoipa::path(
    get,
    path = "/api/billing/balance",
    operation_id = "get_balance",
    responses((status = 200, description = "The balance", body = BalanceView))
)]
async fn balance(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<BalanceView>> {
    Ok(Json(billing::balance(&state, p.user_id).await?))
}

/// The account's ledger
///
/// Every movement of the balance, the newest first: `amount` is positive for money in and
/// negative for money out, with the balance after it. Pages count from 1, 20 entries each
/// unless `per_page` (1 to 100) says otherwise; `total` counts every entry.
#[utoipa::path(
    get,
    path = "/api/billing/transactions",
    operation_id = "list_transactions",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the ledger", body = TransactionPage),
        (status = 422, description = "`page` or `per_page` is out of range: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn transactions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<TransactionPage>> {
    Ok(Json(
        billing::transactions(&state, p.user_id, q.page, q.per_page).await?,
    ))
}
