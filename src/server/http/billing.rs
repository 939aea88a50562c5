//! `/api/billing/*`: the wallet's balance, its ledger, and top-ups by card (with the payment
//! provider's webhook).

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{
    BalanceView, LedgerExportQuery, NewTopup, PageQuery, Receipt, Statement, TopupPage, TopupView,
    TransactionPage,
};
use crate::server::services::{billing, statements, topups};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::{json, Value};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the wallet sends the browser to pay a top-up: on to the provider's page.
pub const PAY_PAGE: &str = "/billing/topups/{id}/pay";

/// `GET /billing/topups/{id}/pay`: sends the customer's browser on to pay the top-up at the
/// payment provider's page while it can be paid, else back to the wallet, which says why.
/// The one redirect off the site the app sends, to the address the provider gave for this
/// customer's own top-up.
pub async fn pay_topup(
    State(state): State<AppState>,
    user: Option<AuthUser>,
    Path(id): Path<String>,
) -> Response {
    let Some(AuthUser(p)) = user else {
        return Redirect::to("/login").into_response();
    };
    let Ok(id) = id.parse::<i64>() else {
        return Redirect::to("/billing").into_response();
    };
    match topups::get(&state, p.user_id, id).await {
        Ok(TopupView {
            checkout_url: Some(url),
            ..
        }) => {
            let mut to = Redirect::to(&url).into_response();
            to.extensions_mut().insert(super::security::LeavesSite);
            to
        }
        _ => Redirect::to(&format!("/billing?topup={id}")).into_response(),
    }
}

/// Where Stripe sends its events (the endpoint to set up in Stripe's dashboard).
pub const STRIPE_WEBHOOK_PATH: &str = "/api/billing/stripe/webhook";

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(balance))
        .routes(routes!(transactions))
        .routes(routes!(start_topup, list_topups))
        .routes(routes!(topup))
        .routes(routes!(receipt))
        .routes(routes!(statement))
        .routes(routes!(ledger_csv))
        // Stripe's events are a few KB: a bigger body is not one, and is not hashed.
        .merge(
            OpenApiRouter::new()
                .routes(routes!(stripe_webhook))
                .layer(DefaultBodyLimit::max(256 * 1024)),
        )
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

/// Start a top-up
///
/// Opens a card checkout at the payment provider for `amount` (whole cents, from `MIN_TOPUP`
/// to `MAX_TOPUP`: 5.00 to 1000.00 unless the operator changed them). Send the customer's
/// browser to `checkout_url`; once they have paid, the provider tells this server, which
/// credits the balance (once) and sends the browser back to `/billing?topup={id}`. Nothing is
/// charged until they pay; an unpaid top-up expires with its checkout (24 hours).
#[utoipa::path(
    post,
    path = "/api/billing/topups",
    operation_id = "start_topup",
    request_body = NewTopup,
    responses(
        (status = 201, description = "The top-up, with where to pay it", body = TopupView),
        (status = 422, description = "`amount` is not in whole cents or is outside the limits", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Card top-ups are not set up on this server, or the payment provider cannot be reached (nothing was charged)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn start_topup(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewTopup>,
) -> ApiResult<(StatusCode, Json<TopupView>)> {
    let origin = super::origin::of_request(&state.settings.public_origins, &headers);
    let topup = topups::start(&state, p.user_id, body.amount, &origin).await?;
    Ok((StatusCode::CREATED, Json(topup)))
}

/// The account's top-ups
///
/// Every top-up started, the newest first, paid or not. Pages as for the ledger.
#[utoipa::path(
    get,
    path = "/api/billing/topups",
    operation_id = "list_topups",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of top-ups", body = TopupPage),
        (status = 422, description = "`page` or `per_page` is out of range: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn list_topups(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<PageQuery>,
) -> ApiResult<Json<TopupPage>> {
    Ok(Json(
        topups::list(&state, p.user_id, q.page, q.per_page).await?,
    ))
}

/// One top-up
///
/// Where it is: `pending` until paid (or `declined`, still payable at `checkout_url`), then
/// `paid` with the balance credited; `expired` if never paid.
#[utoipa::path(
    get,
    path = "/api/billing/topups/{id}",
    operation_id = "get_topup",
    params(("id" = i64, Path, description = "The top-up's id")),
    responses(
        (status = 200, description = "The top-up", body = TopupView),
        (status = 404, description = "No such top-up on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn topup(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<TopupView>> {
    let id = id.parse().map_err(|_| ServerError::NotFound("top-up"))?;
    Ok(Json(topups::get(&state, p.user_id, id).await?))
}

/// A top-up's receipt
///
/// For a paid top-up: what was paid, the tax it includes (`TAX_RATE`), and who issued it
/// (`BUSINESS_NAME`, `BUSINESS_ADDRESS`, `BUSINESS_TAX_ID`). The wallet shows it as a page
/// to print at `/billing/topups/{id}/receipt`.
#[utoipa::path(
    get,
    path = "/api/billing/topups/{id}/receipt",
    operation_id = "get_receipt",
    params(("id" = i64, Path, description = "The top-up's id")),
    responses(
        (status = 200, description = "The receipt", body = Receipt),
        (status = 404, description = "No such top-up on this account, or it is not paid", body = super::openapi::ErrorEnvelope),
    )
)]
async fn receipt(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Receipt>> {
    let id = id.parse().map_err(|_| ServerError::NotFound("top-up"))?;
    Ok(Json(statements::receipt(&state, p.user_id, id).await?))
}

/// A month's statement
///
/// The balance at the start and end of `month` (`YYYY-MM`, UTC), what came in and went out,
/// the card top-ups and the tax they include, and the month's ledger rows, oldest first (at
/// most 5,000; `truncated` says when there were more: the CSV export has up to 100,000). Shown to
/// print at `/billing/statements/{month}`.
#[utoipa::path(
    get,
    path = "/api/billing/statements/{month}",
    operation_id = "get_statement",
    params(("month" = String, Path, description = "The month, `YYYY-MM`", example = "2026-12")),
    responses(
        (status = 200, description = "The statement", body = Statement),
        (status = 422, description = "`month` is not a month like 2026-12, or has not begun", body = super::openapi::ErrorEnvelope),
    )
)]
async fn statement(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(month): Path<String>,
) -> ApiResult<Json<Statement>> {
    Ok(Json(
        statements::statement(&state, p.user_id, &month).await?,
    ))
}

/// The ledger as CSV
///
/// Every ledger row from `from` to `to` (the whole ledger by default; at most 100,000 rows),
/// oldest first, with the columns `id,created_at,kind,amount,balance_after,reference,note`.
#[utoipa::path(
    get,
    path = "/api/billing/transactions.csv",
    operation_id = "export_transactions",
    params(LedgerExportQuery),
    responses(
        (status = 200, description = "The rows, a line each after the header", content_type = "text/csv", body = String),
        (status = 422, description = "`from` or `to` is not a date or time, or `to` is not after `from`", body = super::openapi::ErrorEnvelope),
    )
)]
async fn ledger_csv(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<LedgerExportQuery>,
) -> ApiResult<Response> {
    let csv = statements::ledger_csv(&state, p.user_id, q.from.as_deref(), q.to.as_deref()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"namaskah-ledger.csv\"",
            ),
        ],
        csv,
    )
        .into_response())
}

/// Stripe's events
///
/// Where Stripe sends its webhook events (set this URL up in Stripe's dashboard, with the
/// events `checkout.session.completed`, `checkout.session.async_payment_succeeded`,
/// `checkout.session.expired` and `payment_intent.payment_failed`). Each must carry a valid
/// `Stripe-Signature` made with `STRIPE_WEBHOOK_SECRET` within the last five minutes; a paid
/// checkout credits its top-up once, however often and in whatever order events arrive.
#[utoipa::path(
    post,
    path = "/api/billing/stripe/webhook",
    operation_id = "stripe_webhook",
    params((
        "Stripe-Signature" = String,
        Header,
        description = "`t=<unix time>,v1=<hex HMAC-SHA256 of \"t.body\">` under the endpoint's signing secret"
    )),
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "A Stripe event",
        example = json!({
            "id": "evt_1", "object": "event", "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1",
                "amount_total": 2000, "currency": "usd", "client_reference_id": "7"}}
        })
    ),
    responses(
        (
            status = 200,
            description = "Taken: `outcome` is `credited`, `already_credited`, `recorded` or `ignored`",
            body = serde_json::Value,
            example = json!({"received": true, "outcome": "credited"})
        ),
        (status = 401, description = "The signature is missing or wrong, or its time is outside the tolerance: nothing was done", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "Stripe is not set up here", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "A signed body that is not a readable event (`field` is `body`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn stripe_webhook(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let outcome = topups::notified(&state, &headers, &body).await?;
    Ok(Json(
        json!({ "received": true, "outcome": outcome.as_str() }),
    ))
}
