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
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(users))
        .routes(routes!(user))
        .routes(routes!(transactions))
        .routes(routes!(credit))
        .routes(routes!(role))
        .routes(routes!(audit_log))
        .routes(routes!(audit_csv))
        .routes(routes!(rentals))
        .routes(routes!(verifications))
        .routes(routes!(refund_rental))
        .routes(routes!(refund_verification))
        .routes(routes!(system))
}

/// An account id from the path: anything else is no such account.
pub(super) fn user_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound("account"))
}

fn order_id(order: Order, raw: &str) -> Result<i64, ServerError> {
    raw.parse()
        .map_err(|_| ServerError::NotFound(order.as_str()))
}

/// Find accounts
///
/// Accounts whose email contains `q` (every account when `q` is empty or absent), newest
/// first, at most `limit` of them: 1 to 200, 50 by default. Each search is written to the
/// audit log.
#[utoipa::path(
    get,
    path = "/api/admin/users",
    operation_id = "admin_list_users",
    params(UserSearch),
    responses(
        (status = 200, body = StaffUserList),
        (
            status = 422,
            description = "`limit` is not between 1 and 200, or a parameter is malformed",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// One account
///
/// Its email, role, balance and when it was created. Each look is written to the audit log.
#[utoipa::path(
    get,
    path = "/api/admin/users/{id}",
    operation_id = "admin_get_user",
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, body = StaffUserView),
        (status = 404, description = "No such account", body = super::openapi::ErrorEnvelope)
    )
)]
async fn user(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<Json<StaffUserView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(staff::user(&state, &actor, user_id(&id)?).await?))
}

/// An account's ledger
///
/// Every movement of the account's balance, newest first, as its owner sees them at
/// `GET /api/billing/transactions`: pages count from 1, `per_page` is 1 to 100 (20 by
/// default). Each look is written to the audit log.
#[utoipa::path(
    get,
    path = "/api/admin/users/{id}/transactions",
    operation_id = "admin_list_user_transactions",
    params(("id" = i64, Path, description = "The account's id"), PageQuery),
    responses(
        (status = 200, body = TransactionPage),
        (status = 404, description = "No such account", body = super::openapi::ErrorEnvelope),
        (
            status = 422,
            description = "`page` is 0, or `per_page` is not between 1 and 100",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Credit or debit an account
///
/// A positive `amount` (a decimal string with at most 4 places, e.g. `"5.00"`) adds money to
/// the balance; a negative one takes it back, and cannot take the balance below zero. The `note` is
/// required: it is kept in the ledger and the audit log. Answers with the account's new
/// balance. Not idempotent: each call moves the money again.
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/credit",
    operation_id = "admin_credit_user",
    request_body = ManualCredit,
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, body = CreditView),
        (
            status = 402,
            description = "A negative `amount` larger than the balance",
            body = super::openapi::ErrorEnvelope
        ),
        (status = 404, description = "No such account", body = super::openapi::ErrorEnvelope),
        (
            status = 422,
            description = "`amount` is zero or not a number, or `note` is empty",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Change an account's role
///
/// `role` is `user`, `support` or `admin`. The change counts from the account's next
/// request, through its API keys too. Operators cannot change their own role, so the last
/// admin cannot demote themselves by mistake: another admin must do it.
#[utoipa::path(
    post,
    path = "/api/admin/users/{id}/role",
    operation_id = "admin_set_user_role",
    request_body = RoleChange,
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account, with its new role", body = StaffUserView),
        (status = 404, description = "No such account", body = super::openapi::ErrorEnvelope),
        (
            status = 409,
            description = "The account is the caller's own (`field` is `role`)",
            body = super::openapi::ErrorEnvelope
        ),
        (
            status = 422,
            description = "`role` is not one of user, support, admin",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Search the audit log
///
/// What operators and customers did, newest first. Every filter given must hold: `actor`
/// (who did it) and `subject` (whose account it concerns) are account ids; `action` is an
/// action (`auth.sign_in`) or a prefix ending in `.` (`auth.`); `from` and `to` are RFC 3339
/// times or `YYYY-MM-DD` dates (`to` includes its whole day). `limit` is 1 to 500 (50 by
/// default); for the next page, pass the answer's `next_before` as `before`.
#[utoipa::path(
    get,
    path = "/api/admin/audit",
    operation_id = "admin_list_audit",
    params(AuditQuery),
    responses(
        (status = 200, body = AuditPage),
        (
            status = 422,
            description = "A bad `action`, `from`, `to` or `limit` (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn audit_log(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<AuditQuery>,
) -> ApiResult<Json<AuditPage>> {
    Ok(Json(audit::search(&state, &q).await?))
}

/// Export the audit log as CSV
///
/// The entries `GET /api/admin/audit`'s filters match (`limit` is ignored here), newest
/// first, at most 100,000 of them: narrow the filters for more. Downloaded as
/// `audit-log.csv`, with the columns `id`, `at` (RFC 3339), `actor_user_id`, `actor_role`,
/// `subject_user_id`, `action`, `target`, `before` and `after` (JSON), `ip`, `user_agent`,
/// `request_id`. A field a spreadsheet would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/audit.csv",
    operation_id = "admin_audit_csv",
    params(AuditQuery),
    responses(
        (
            status = 200,
            description = "The matching entries, one a row after the header",
            content_type = "text/csv",
            body = String
        ),
        (
            status = 422,
            description = "A bad `action`, `from` or `to` (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Every account's rentals
///
/// Newest first, with the customers' history filters across all accounts: `status`
/// (`active`, `expired`, `released` or `failed`), `service`, `country` (a two-letter ISO
/// code), `provider`, `from` and `to` (RFC 3339 times or `YYYY-MM-DD` dates; `to` includes
/// its whole day), `q` (in the number or its messages), `page` and `per_page` (1 to 100, 20
/// by default); and `user`, an account's id, for one account's only. Each rental says whose
/// it is and what was refunded of it. Each search is written to the audit log.
#[utoipa::path(
    get,
    path = "/api/admin/rentals",
    operation_id = "admin_list_rentals",
    params(HistoryQuery, OwnerFilter),
    responses(
        (status = 200, body = StaffRentalPage),
        (
            status = 422,
            description = "A bad filter or page (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Every account's verifications
///
/// Newest first, with the customers' history filters across all accounts: `status`
/// (`waiting`, `received`, `finished`, `cancelled` or `timed_out`), `service`, `country` (a
/// two-letter ISO code), `provider`, `from` and `to` (RFC 3339 times or `YYYY-MM-DD` dates;
/// `to` includes its whole day), `q` (in the number, the code or the messages), `page` and
/// `per_page` (1 to 100, 20 by default); and `user`, an account's id, for one account's only.
/// Each verification says whose it is and what was refunded of it. Each search is written to
/// the audit log.
#[utoipa::path(
    get,
    path = "/api/admin/verifications",
    operation_id = "admin_list_verifications",
    params(HistoryQuery, OwnerFilter),
    responses(
        (status = 200, body = StaffVerificationPage),
        (
            status = 422,
            description = "A bad filter or page (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Refund a rental
///
/// Gives the customer back `amount` (a positive decimal string, at most 4 places) of what they
/// paid for the rental, or all that is left unrefunded when `amount` is absent. Only once the
/// rental has ended (while it is active, the customer's own release refunds the unused
/// hours), and at most once per rental by an operator. The `reason` (required, up to 500
/// characters) goes into the ledger, the audit log and the notification the customer
/// receives.
#[utoipa::path(
    post,
    path = "/api/admin/rentals/{id}/refund",
    operation_id = "admin_refund_rental",
    request_body = OperatorRefund,
    params(("id" = i64, Path, description = "The rental's id")),
    responses(
        (status = 200, body = OperatorRefundView),
        (status = 404, description = "No such rental", body = super::openapi::ErrorEnvelope),
        (
            status = 409,
            description = "Still active, refunded in full already, or refunded by an operator",
            body = super::openapi::ErrorEnvelope
        ),
        (
            status = 422,
            description = "A bad `reason`, or a bad `amount` or one more than is left to refund",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn refund_rental(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OperatorRefund>,
) -> ApiResult<Json<OperatorRefundView>> {
    refund(state, p, meta, Order::Rental, id, body).await
}

/// Refund a verification
///
/// Gives the customer back `amount` (a positive decimal string, at most 4 places) of what they
/// paid for the verification, or all that is left unrefunded when `amount` is absent. Only
/// once the verification has ended (while it waits for its code, the customer can cancel it
/// for a full refund), and at most once per verification by an operator. The `reason`
/// (required, up to 500 characters) goes into the ledger, the audit log and the notification
/// the customer receives.
#[utoipa::path(
    post,
    path = "/api/admin/verifications/{id}/refund",
    operation_id = "admin_refund_verification",
    request_body = OperatorRefund,
    params(("id" = i64, Path, description = "The verification's id")),
    responses(
        (status = 200, body = OperatorRefundView),
        (status = 404, description = "No such verification", body = super::openapi::ErrorEnvelope),
        (
            status = 409,
            description = "Still open, refunded in full already, or refunded by an operator",
            body = super::openapi::ErrorEnvelope
        ),
        (
            status = 422,
            description = "A bad `reason`, or a bad `amount` or one more than is left to refund",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn refund_verification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<OperatorRefund>,
) -> ApiResult<Json<OperatorRefundView>> {
    refund(state, p, meta, Order::Verification, id, body).await
}

/// The system's state
///
/// This instance (version, start time, database, sandbox or not) and the deployment's
/// background work: the jobs this instance ran since it started, the jobs one instance runs
/// at a time with their leases, the orders the pollers watch and how overdue they are, and
/// the live event streams open here.
#[utoipa::path(
    get,
    path = "/api/admin/system",
    operation_id = "admin_get_system",
    responses((status = 200, body = SystemView))
)]
async fn system(State(state): State<AppState>) -> ApiResult<Json<SystemView>> {
    Ok(Json(operations::system(&state).await?))
}
