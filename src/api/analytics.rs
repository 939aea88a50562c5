//! The operators' reports as server functions for the console's pages (the REST routes under
//! `/api/admin/analytics/` call the same services), and a customer's own forecast for the
//! dashboard.

use super::dto::{
    AccountForecast, AnalyticsQuery, CustomersReport, ForecastsReport, MoneyReport,
    ProvidersReport, SavingsReport, UsageReport,
};
use super::AppError;
use leptos::prelude::*;

// Who may call each is in `http::access`. A page renders its server functions in-process,
// past that check: each checks the caller's role again (`fn_context::staff`, `admin`).

#[server(prefix = "/api/fn", endpoint = "analytics_usage")]
pub async fn analytics_usage(query: AnalyticsQuery) -> Result<UsageReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::staff()?;
        Ok(analytics::usage(&cx::state()?, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "analytics_money")]
pub async fn analytics_money(query: AnalyticsQuery) -> Result<MoneyReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::admin()?;
        Ok(analytics::money(&cx::state()?, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "analytics_providers")]
pub async fn analytics_providers(query: AnalyticsQuery) -> Result<ProvidersReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::staff()?;
        Ok(analytics::providers(&cx::state()?, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "analytics_customers")]
pub async fn analytics_customers(query: AnalyticsQuery) -> Result<CustomersReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::admin()?;
        Ok(analytics::customers(&cx::state()?, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "analytics_forecasts")]
pub async fn analytics_forecasts() -> Result<ForecastsReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::admin()?;
        Ok(analytics::forecasts(&cx::state()?).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "analytics_savings")]
pub async fn analytics_savings(query: AnalyticsQuery) -> Result<SavingsReport, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        cx::admin()?;
        Ok(analytics::savings(&cx::state()?, &query).await?)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "account_forecast")]
pub async fn get_account_forecast() -> Result<AccountForecast, AppError> {
    use crate::server::{fn_context as cx, services::analytics};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(analytics::customer_forecast(&state, user.user_id).await?)
    })
    .await
}
