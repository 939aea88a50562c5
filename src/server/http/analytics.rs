//! `/api/admin/analytics/…`: the operators' reports as JSON, and each of their tables as CSV
//! (`….csv?table=points|by_service|…`); `/api/account/forecast`: the customer's own.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::{
    AccountForecast, AnalyticsQuery, CustomersReport, ForecastsReport, MoneyReport,
    ProvidersReport, SavingsReport, UsageReport,
};
use crate::server::csv;
use crate::server::services::analytics;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// What each `….csv` answers.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // documents the answers `answer` gives for a table
enum CsvTable {
    /// The table, a row per entry after the header
    #[response(status = 200, content_type = "text/csv")]
    Table(String),
    /// No such `table`, or a bad range, granularity or filter (`field`)
    #[response(status = 422)]
    Invalid(super::openapi::ErrorEnvelope),
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(usage))
        .routes(routes!(usage_csv))
        .routes(routes!(money))
        .routes(routes!(money_csv))
        .routes(routes!(providers))
        .routes(routes!(providers_csv))
        .routes(routes!(customers))
        .routes(routes!(customers_csv))
        .routes(routes!(forecasts))
        .routes(routes!(forecasts_csv))
        .routes(routes!(savings))
        .routes(routes!(savings_csv))
        .routes(routes!(account_forecast))
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

/// Usage over a range
///
/// Rentals started, extended (and auto-renewed), released, expired and active, and
/// verifications started, finished, cancelled, timed out and open, per bucket (`points`)
/// and in `totals` with the average rental's length and the extension and auto-renew rates;
/// and the range's counts by service, country and provider, busiest first.
///
/// `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates, a date meaning its midnight UTC
/// (so `to=2024-06-01` ends the range with May 31); the range is then widened to whole
/// buckets of `granularity`: `hour`, `day`, `week` or `month`. By default, the last 30 days
/// to now, by day. At most 1,100 buckets.
///
/// `service`, `country` or `provider` (one at most) narrows `points` and `totals` to it; the
/// `by_…` lists always cover everything.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/usage",
    operation_id = "admin_usage",
    params(AnalyticsQuery),
    responses(
        (status = 200, body = UsageReport),
        (
            status = 422,
            description = "A bad range or granularity, or more than one filter (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn usage(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::usage(&s, &q).await?, "usage", None)
}

/// Usage over a range, one table as CSV
///
/// The table `table` names of `GET /api/admin/analytics/usage`'s report, with the same
/// parameters: `points` (the default, a row per bucket with the `rentals.…` and
/// `verifications.…` counts), `by_service`, `by_country` or `by_provider` (a row per `key`
/// with `rentals_started`, `rentals_extended`, `verifications_started`,
/// `verifications_finished`). Downloaded as `usage-{table}.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/usage.csv",
    operation_id = "admin_usage_csv",
    params(AnalyticsQuery),
    responses(CsvTable)
)]
async fn usage_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::usage(&s, &q).await?, "usage", Some(&q))
}

/// Money over a range
///
/// Revenue, refunds, net revenue, provider cost and margin per bucket (`points`) and in
/// `totals`; refunds by reason; the same figures by service, country and provider, highest
/// net revenue first; the customers who bought anything in the range, and the net revenue
/// per paying customer (`arpu`). Amounts are decimal strings in `currency`.
///
/// `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates, a date meaning its midnight UTC
/// (so `to=2024-06-01` ends the range with May 31); the range is then widened to whole
/// buckets of `granularity`: `hour`, `day`, `week` or `month`. By default, the last 30 days
/// to now, by day. At most 1,100 buckets.
///
/// `service`, `country` or `provider` (one at most) narrows `points`, `totals` and the refunds
/// by reason to it; the `by_…` lists, `paying_customers` and `arpu` always cover everyone.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/money",
    operation_id = "admin_money",
    params(AnalyticsQuery),
    responses(
        (status = 200, body = MoneyReport),
        (
            status = 422,
            description = "A bad range or granularity, or more than one filter (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn money(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::money(&s, &q).await?, "money", None)
}

/// Money over a range, one table as CSV
///
/// The table `table` names of `GET /api/admin/analytics/money`'s report, with the same
/// parameters: `points` (the default, a row per `bucket` with `revenue`, `refunds`,
/// `net_revenue`, `provider_cost`, `margin`), `refunds_by_reason` (`reason`, `count`,
/// `amount`), `by_service`, `by_country` or `by_provider` (a row per `key` with the same
/// figures as `points`). Downloaded as `money-{table}.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/money.csv",
    operation_id = "admin_money_csv",
    params(AnalyticsQuery),
    responses(CsvTable)
)]
async fn money_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::money(&s, &q).await?, "money", Some(&q))
}

/// Providers' performance over a range
///
/// For each provider, over the range (`providers`) and per bucket (`points`): how often it
/// sold a number when asked, failed or was failed over from; how often what it sold received
/// an SMS, and how soon (median and 95th percentile); how often its verifications got a
/// code, and what each successful verification cost.
///
/// `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates, a date meaning its midnight UTC
/// (so `to=2024-06-01` ends the range with May 31); the range is then widened to whole
/// buckets of `granularity`: `hour`, `day`, `week` or `month`. By default, the last 30 days
/// to now, by day. At most 1,100 buckets.
///
/// `provider` narrows the report to that one provider; `service` and `country` are accepted
/// but do not narrow it.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/providers",
    operation_id = "admin_provider_analytics",
    params(AnalyticsQuery),
    responses(
        (status = 200, body = ProvidersReport),
        (
            status = 422,
            description = "A bad range or granularity, or more than one filter (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn providers(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::providers(&s, &q).await?, "providers", None)
}

/// Providers' performance over a range, one table as CSV
///
/// The table `table` names of `GET /api/admin/analytics/providers`'s report, with the same
/// parameters: `points` (the default, a row per provider and `bucket`) or `providers` (a row
/// per provider over the whole range), each with the provider's figures as columns.
/// Downloaded as `providers-{table}.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/providers.csv",
    operation_id = "admin_provider_analytics_csv",
    params(AnalyticsQuery),
    responses(CsvTable)
)]
async fn providers_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::providers(&s, &q).await?, "providers", Some(&q))
}

/// Customers over a range
///
/// New and returning customers per bucket (`points`); cohorts by the month of their first
/// purchase, with how many of each bought in each month since (`cohorts`); every
/// customer's segment now, by recency, frequency and spend (`segments`); and the 20 who spent
/// most in the range (`top`).
///
/// `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates, a date meaning its midnight UTC
/// (so `to=2024-06-01` ends the range with May 31); the range is then widened to whole
/// buckets of `granularity`: `day`, `week` or `month`. By default, the last 30 days to now,
/// by day. At most 1,100 buckets.
///
/// Customers are counted by day at the finest, so `granularity` cannot be `hour`, and the
/// report cannot be narrowed by `service`, `country` or `provider`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/customers",
    operation_id = "admin_customers",
    params(AnalyticsQuery),
    responses(
        (status = 200, body = CustomersReport),
        (
            status = 422,
            description = "A bad range or granularity, or a filter given (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn customers(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::customers(&s, &q).await?, "customers", None)
}

/// Customers over a range, one table as CSV
///
/// The table `table` names of `GET /api/admin/analytics/customers`'s report, with the same
/// parameters: `points` (the default: `bucket`, `new`, `returning`), `cohorts` (`cohort`,
/// `size`, `active.0`, `active.1`, … and `retention.0`, `retention.1`, … per month since
/// the first purchase), `segments` (`segment`, `customers`, `spend`) or `top` (`user_id`,
/// `email`, `purchases`, `spend`). Downloaded as `customers-{table}.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/customers.csv",
    operation_id = "admin_customers_csv",
    params(AnalyticsQuery),
    responses(CsvTable)
)]
async fn customers_csv(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::customers(&s, &q).await?, "customers", Some(&q))
}

/// Forecasts
///
/// Demand over the 14 days from today (rentals and verifications started per day) for the 8
/// busiest services, forecast from the 56 days before, with the method's error on the days
/// held out of its fit; how many days each provider account's balance lasts at its spend of
/// the last 7 days (the balance is asked of the provider now, and is empty when it could not
/// be had within 5 seconds); and the 20 customers whose balance runs out soonest at their
/// spend of the last 30 days. Takes no range: it always looks ahead from today.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/forecasts",
    operation_id = "admin_forecasts",
    responses((status = 200, body = ForecastsReport))
)]
async fn forecasts(State(s): State<AppState>) -> ApiResult<Response> {
    answer(analytics::forecasts(&s).await?, "forecasts", None)
}

/// Forecasts, one table as CSV
///
/// The table `table` names of `GET /api/admin/analytics/forecasts`'s report: `demand` (the
/// default: a row per service with its `method`, `history.0`, `history.1`, …, `days.0`, … and
/// `expected.0`, …, `held_out_days`, `mae`, `mape`), `providers` (`provider`, `balance`,
/// `currency`, `daily_spend`, `runway_days`) or `customers` (`user_id`, `email`, `balance`,
/// `daily_spend`, `runway_days`, `auto_renew_monthly`). The range parameters are accepted
/// and ignored. Downloaded as `forecasts-{table}.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/forecasts.csv",
    operation_id = "admin_forecasts_csv",
    params((
        "table" = Option<String>,
        Query,
        description = "`demand` (the default), `providers` or `customers`"
    )),
    responses(
        (
            status = 200,
            description = "The table, a row per entry after the header",
            content_type = "text/csv",
            body = String
        ),
        (
            status = 422,
            description = "No such `table`",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
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

/// Savings from cheaper providers
///
/// For each offer (a rental or a verification of a service in a country) bought in the
/// range, and each provider that sold it: where another provider, with at least 5 purchases
/// of it, sold it for less on average at a success rate (the share that received an SMS) at
/// least as good, what buying from the cheapest such provider would have saved. Largest
/// saving first, with their `total`.
///
/// `from` and `to` are RFC 3339 times or `YYYY-MM-DD` dates, a date meaning its midnight UTC
/// (so `to=2024-06-01` ends the range with May 31); the range is then widened to whole
/// buckets of `granularity`: `hour`, `day`, `week` or `month`. By default, the last 30 days
/// to now, by day. At most 1,100 buckets.
///
/// Offers are summed over the whole range, whatever the `granularity`. `service`, `country`
/// or `provider` (one at most) keeps only the purchases of that one.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/savings",
    operation_id = "admin_savings",
    params(AnalyticsQuery),
    responses(
        (status = 200, body = SavingsReport),
        (
            status = 422,
            description = "A bad range or granularity, or more than one filter (named in `field`)",
            body = super::openapi::ErrorEnvelope
        )
    )
)]
async fn savings(
    State(s): State<AppState>,
    ApiQuery(q): ApiQuery<AnalyticsQuery>,
) -> ApiResult<Response> {
    answer(analytics::savings(&s, &q).await?, "savings", None)
}

/// Savings from cheaper providers, as CSV
///
/// `GET /api/admin/analytics/savings`'s `savings`, with the same parameters: a row per
/// offer and provider with `product`, `service`, `country`, `provider`, `purchases`,
/// `average_cost`, `success_rate`, `cheaper_provider`, `cheaper_average_cost`,
/// `cheaper_success_rate` and `saving`. `table` is `savings` by default, the report's only
/// table. Downloaded as `savings-savings.csv`.
///
/// One row per entry of the table, its fields as columns in alphabetical order; nested
/// fields become `outer.inner` columns and lists `name.0`, `name.1`, …. A field a spreadsheet
/// would read as a formula starts with `'`.
#[utoipa::path(
    get,
    path = "/api/admin/analytics/savings.csv",
    operation_id = "admin_savings_csv",
    params(AnalyticsQuery),
    responses(CsvTable)
)]
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

/// Your balance runway
///
/// Your balance, what you spent per day over the last 30 days, how many days the balance
/// lasts at that rate (none without spending), and what your auto-renewing rentals will cost
/// over the next 30 days at today's prices. Spending is counted as of a few seconds ago.
#[utoipa::path(
    get,
    path = "/api/account/forecast",
    operation_id = "get_account_forecast",
    responses((status = 200, body = AccountForecast))
)]
async fn account_forecast(
    State(s): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<AccountForecast>> {
    Ok(Json(analytics::customer_forecast(&s, p.user_id).await?))
}
