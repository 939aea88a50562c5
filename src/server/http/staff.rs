//! `/api/admin/*` for support and admin: accounts, their ledgers, manual credits, roles, the
//! audit log, every account's rentals and verifications with refunds of them, and the
//! system's state. Who may call which is in `access`.

use super::client::RequestMeta;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{
    AuditPage, AuditQuery, CreditView, HistoryQuery, ManualCredit, OperatorRefund,
    OperatorRefundView, OwnerFilter, PageQuery, RoleChange, StaffRentalPage, StaffUserList,
    StaffUserView, StaffVerificationPage, SystemView, TransactionPage, UserSearch,
};
use crate::server::services::audit::{self, Actor};
use crate::server::services::staff_orders::{self, Order};
use crate::server::services::{operations, staff};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/users", get(users))
        .route("/api/admin/users/{id}", get(user))
        .route("/api/admin/users/{id}/transactions", get(transactions))
        .route("/api/admin/users/{id}/credit", post(credit))
        .route("/api/admin/users/{id}/role", post(role))
        .route("/api/admin/audit", get(audit_log))
        .route("/api/admin/audit.csv", get(audit_csv))
        .route("/api/admin/rentals", get(rentals))
        .route("/api/admin/verifications", get(verifications))
        .route("/api/admin/rentals/{id}/refund", post(refund_rental))
        .route(
            "/api/admin/verifications/{id}/refund",
            post(refund_verification),
        )
        .route("/api/admin/system", get(system))
}

fn user_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound("account"))
}

fn order_id(order: Order, raw: &str) -> Result<i64, ServerError> {
    raw.parse()
        .map_err(|_| ServerError::NotFound(order.as_str()))
}

async fn users(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiQuery(q): ApiQuery<UserSearch>,
) -> ApiResult<Json<StaffUserList>> {
    Ok(Json(
        staff::search(&state, &Actor::caller(&p, &meta), &q).await?,
    ))
}

async fn user(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffUserView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(staff::user(&state, &actor, user_id(&id)?).await?))
}

async fn transactions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<TransactionPage>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        staff::transactions(&state, &actor, user_id(&id)?, q.page, q.per_page).await?,
    ))
}

async fn credit(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ManualCredit>,
) -> ApiResult<Json<CreditView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        staff::credit(&state, &actor, user_id(&id)?, &body).await?,
    ))
}

async fn role(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RoleChange>,
) -> ApiResult<Json<StaffUserView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        staff::set_role(&state, &actor, user_id(&id)?, &body.role).await?,
    ))
}

async fn audit_log(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(audit::search(&state, &q).await?))
}

async fn audit_csv(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<impl IntoResponse> {
    let body = audit::export_csv(&state, &q).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"audit-log.csv\"",
            ),
        ],
        body,
    ))
}

async fn rentals(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiQuery(q): ApiQuery<HistoryQuery>,
    ApiQuery(owner): ApiQuery<OwnerFilter>,
) -> ApiResult<Json<StaffRentalPage>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        staff_orders::rentals(
            &state,
            &actor,
            &q,
            staff_orders::owner(owner.user.as_deref())?,
        )
        .await?,
    ))
}

async fn verifications(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiQuery(q): ApiQuery<HistoryQuery>,
    ApiQuery(owner): ApiQuery<OwnerFilter>,
) -> ApiResult<Json<StaffVerificationPage>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        staff_orders::verifications(
            &state,
            &actor,
            &q,
            staff_orders::owner(owner.user.as_deref())?,
        )
        .await?,
    ))
}

async fn refund(
    state: AppState,
    p: crate::server::services::accounts::Principal,
    meta: RequestMeta,
    order: Order,
    id: String,
    body: OperatorRefund,
) -> ApiResult<Json<OperatorRefundView>> {
    let actor = Actor::caller(&p, &meta);
    let id = order_id(order, &id)?;
    Ok(Json(
        staff_orders::refund(&state, &actor, order, id, &body).await?,
    ))
}

async fn refund_rental(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OperatorRefund>,
) -> ApiResult<Json<OperatorRefundView>> {
    refund(state, p, meta, Order::Rental, id, body).await
}

async fn refund_verification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OperatorRefund>,
) -> ApiResult<Json<OperatorRefundView>> {
    refund(state, p, meta, Order::Verification, id, body).await
}

async fn system(State(state): State<AppState>) -> ApiResult<Json<SystemView>> {
    Ok(Json(operations::system(&state).await?))
}
