//! `/api/admin/analytics/…`: the operators' reports as JSON, and each of their tables as CSV
//! (`….csv?table=points|by_service|…`); `/api/account/forecast`: the customer's own.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::{AccountForecast, AnalyticsQuery};
use crate::server::csv;
use crate::server::services::analytics;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/admin/analytics/usage", get(usage))
        .route("/api/admin/analytics/usage.csv", get(usage_csv))
        .route("/api/admin/analytics/money", get(money))
        .route("/api/admin/analytics/money.csv", get(money_csv))
        .route("/api/admin/analytics/providers", get(providers))
        .route("/api/admin/analytics/providers.csv", get(providers_csv))
        .route("/api/admin/analytics/customers", get(customers))
        .route("/api/admin/analytics/customers.csv", get(customers_csv))
        .route("/api/admin/analytics/forecasts", get(forecasts))
        .route("/api/admin/analytics/forecasts.csv", get(forecasts_csv))
        .route("/api/admin/analytics/savings", get(savings))
        .route("/api/admin/analytics/savings.csv", get(savings_csv))
        .route("/api/account/forecast", get(account_forecast))
}

/// A JSON report, or one of its tables as a CSV file named after it.
fn answer(report: impl Serialize, name: &str, q: Option<&AnalyticsQuery>) -> ApiResult<Response> {
    let Some(q) = q else {
        return Ok(Json(report).into_response());
    };
    let table = q.table.as_deref().unwrap_or("points");
    let value = serde_json::to_value(report).map_err(anyhow::Error::from)?;
    let body = csv::table(&value, table).ok_or_else(|| {
        ServerError::validation("table", format!("the {name} report has no table {table:?}"))
    })?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}-{table}.csv\""),
            ),
        ],
        body,
    )
        .into_response())
}

async fn usage(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::usage(&s, &q).await?, "usage", None)
}

async fn usage_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::usage(&s, &q).await?, "usage", Some(&q))
}

async fn money(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::money(&s, &q).await?, "money", None)
}

async fn money_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::money(&s, &q).await?, "money", Some(&q))
}

async fn providers(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::providers(&s, &q).await?, "providers", None)
}

async fn providers_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::providers(&s, &q).await?, "providers", Some(&q))
}

async fn customers(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::customers(&s, &q).await?, "customers", None)
}

async fn customers_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::customers(&s, &q).await?, "customers", Some(&q))
}

async fn forecasts(State(s): State<AppState>) -> ApiResult<Response> {
    answer(analytics::forecasts(&s).await?, "forecasts", None)
}

async fn forecasts_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    let q = AnalyticsQuery {
        table: Some(q.table.unwrap_or_else(|| "demand".to_owned())),
        ..q
    };
    answer(analytics::forecasts(&s).await?, "forecasts", Some(&q))
}

async fn savings(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::savings(&s, &q).await?, "savings", None)
}

async fn savings_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    let q = AnalyticsQuery {
        table: Some(q.table.unwrap_or_else(|| "savings".to_owned())),
        ..q
    };
    answer(analytics::savings(&s, &q).await?, "savings", Some(&q))
}

async fn account_forecast(
    State(s): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<AccountForecast>> {
    Ok(Json(analytics::customer_forecast(&s, p.user_id).await?))
}
