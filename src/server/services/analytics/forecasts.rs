//! Forecasts: demand per service for the next days (Holt-Winters over daily counts, with its
//! error on held-out days), how long each provider account's balance lasts at its recent
//! spend, and each customer's balance runway and the monthly cost of their auto-renewals.

use super::{by_value, catch_up};
use crate::api::dto::{
    AccountForecast, CustomerRunway, DemandForecast, ForecastsReport, ProviderRunway,
};
use crate::domain::analytics::{Granularity, Range, DAY_MS};
use crate::domain::forecast::forecast;
use crate::domain::{Money, CURRENCY};
use crate::server::clock::from_ms;
use crate::server::services::rentals::renewal_price;
use crate::server::state::AppState;
use crate::server::storage::analytics::{self as store, Sums};
use crate::server::storage::{rentals, users};
use crate::server::ServerError;
use rust_decimal::prelude::ToPrimitive;
use std::collections::HashMap;
use std::time::Duration;

/// Days forecast, days of history they are fitted on, and days held out to measure them.
const HORIZON: i64 = 14;
const HISTORY: i64 = 56;
const HELD_OUT: usize = 14;
/// Services forecast: the busiest.
const SERVICES: usize = 8;
/// Customers listed: those whose balance runs out soonest.
const CUSTOMERS: i64 = 20;
/// How long a provider may take to say its balance.
const BALANCE_WAIT: Duration = Duration::from_secs(5);

pub async fn forecasts(state: &AppState) -> Result<ForecastsReport, ServerError> {
    catch_up(state).await?;
    let today = Granularity::Day.floor(state.clock.now_ms());
    Ok(ForecastsReport {
        horizon_days: HORIZON,
        demand: demand(state, today).await?,
        providers: provider_runways(state, today).await?,
        customers: customer_runways(state, today).await?,
    })
}

/// Rentals and verifications started per day per service over the whole days before
/// `today`, and what the next days will bring.
async fn demand(state: &AppState, today: i64) -> Result<Vec<DemandForecast>, ServerError> {
    let range = Range::new(today - HISTORY * DAY_MS, today, Granularity::Day)
        .map_err(|e| ServerError::validation(e.field, e.message))?;
    let rows = store::sums(
        &state.db,
        Sums {
            by_bucket: true,
            by_value: true,
            ..Sums::total("service", None, &range)
        },
    )
    .await?;
    let days = range.buckets();
    let mut started: HashMap<(&str, i64), i64> = HashMap::new();
    for r in rows.iter().filter(|r| r.event == "started") {
        *started.entry((r.dim_value.as_str(), r.bucket)).or_default() += r.events;
    }
    let mut series: Vec<(String, Vec<i64>)> = by_value(&rows)
        .into_keys()
        .map(|service| {
            let counts = days
                .iter()
                .map(|d| started.get(&(service.as_str(), *d)).copied().unwrap_or(0))
                .collect();
            (service, counts)
        })
        .collect();
    series.sort_by_key(|(name, counts)| (-counts.iter().sum::<i64>(), name.clone()));
    series.truncate(SERVICES);
    Ok(series
        .into_iter()
        .map(|(service, history)| {
            let values: Vec<f64> = history.iter().map(|c| *c as f64).collect();
            let f = forecast(&values, 7, HORIZON as usize, HELD_OUT);
            DemandForecast {
                service,
                method: f.method,
                history,
                days: (0..HORIZON).map(|k| from_ms(today + k * DAY_MS)).collect(),
                expected: f.points.iter().map(|p| (p * 10.0).round() / 10.0).collect(),
                held_out_days: f.held_out.len() as i64,
                mae: f.mae,
                mape: f.mape,
            }
        })
        .collect())
}

/// Each provider's balance (asked now) over what its numbers cost us per day last week.
async fn provider_runways(
    state: &AppState,
    today: i64,
) -> Result<Vec<ProviderRunway>, ServerError> {
    let week = Range::new(today - 7 * DAY_MS, today, Granularity::Day)
        .map_err(|e| ServerError::validation(e.field, e.message))?;
    let rows = store::sums(
        &state.db,
        Sums {
            by_value: true,
            ..Sums::total("provider", None, &week)
        },
    )
    .await?;
    let spent = by_value(&rows);
    let providers: Vec<_> = state.router.with_health().map(|(p, _)| p.clone()).collect();
    let balances = futures_util::future::join_all(
        providers
            .iter()
            .map(|p| tokio::time::timeout(BALANCE_WAIT, p.balance())),
    )
    .await;
    Ok(providers
        .iter()
        .zip(balances)
        .map(|(p, balance)| {
            let daily = spent.get(p.name()).map_or(0, |t| t.cost(None)) / 7;
            let balance = balance.ok().and_then(Result::ok);
            let runway_days = balance.as_ref().and_then(|b| {
                (daily > 0).then(|| {
                    b.balance.to_f64().unwrap_or(0.0)
                        / Money::from_units(daily).decimal().to_f64().unwrap_or(1.0)
                })
            });
            ProviderRunway {
                provider: p.name().to_owned(),
                balance: balance.as_ref().map(|b| b.balance.to_string()),
                currency: balance.map(|b| b.currency),
                daily_spend: Money::from_units(daily),
                runway_days,
            }
        })
        .collect())
}

/// The customers whose balance runs out soonest at their spend of the last 30 days.
async fn customer_runways(
    state: &AppState,
    today: i64,
) -> Result<Vec<CustomerRunway>, ServerError> {
    // The last 30 days, today among them.
    let since = today - 29 * DAY_MS;
    let mut out = Vec::new();
    for row in store::soonest_out(&state.db, since, CUSTOMERS).await? {
        let daily = row.spend_units / 30;
        out.push(CustomerRunway {
            user_id: row.user_id,
            email: row.email,
            balance: Money::from_units(row.balance_units),
            daily_spend: Money::from_units(daily),
            runway_days: runway(row.balance_units, daily),
            auto_renew_monthly: auto_renew_monthly(state, row.user_id).await?.0,
        });
    }
    Ok(out)
}

/// The caller's own forecast, for their dashboard.
pub async fn customer_forecast(
    state: &AppState,
    user_id: i64,
) -> Result<AccountForecast, ServerError> {
    // What the analytics job has folded (a few seconds behind at most): a customer's page
    // does not fold for everyone.
    let today = Granularity::Day.floor(state.clock.now_ms());
    let balance = users::balance_units(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    let spent = store::spend_of(&state.db, &[user_id], today - 29 * DAY_MS, today + DAY_MS)
        .await?
        .first()
        .map_or(0, |(_, s)| *s);
    let daily = spent.max(0) / 30;
    let (monthly, auto_renewing) = auto_renew_monthly(state, user_id).await?;
    let advice = crate::server::services::advice::or_none(state, user_id).await;
    Ok(AccountForecast {
        balance: Money::from_units(balance),
        currency: CURRENCY.to_owned(),
        daily_spend: Money::from_units(daily),
        runway_days: runway(balance, daily),
        auto_renew_monthly: monthly,
        auto_renewing,
        spent_this_month: advice.spent_this_month,
        projected_this_month: advice.projected_this_month,
        suggestions: advice.suggestions,
    })
}

/// Days a balance lasts at a daily spend, to a tenth (none left below zero).
fn runway(balance_units: i64, daily_units: i64) -> Option<f64> {
    (daily_units > 0)
        .then(|| (balance_units.max(0) as f64 / daily_units as f64 * 10.0).round() / 10.0)
}

/// What the user's auto-renewing rentals cost over 30 days (each renewal at today's price,
/// as often as its length fits in 30 days), and how many there are.
async fn auto_renew_monthly(state: &AppState, user_id: i64) -> Result<(Money, i64), ServerError> {
    let mut units = 0i64;
    let mut count = 0;
    for row in rentals::active_for(&state.db.pool, user_id).await? {
        if row.auto_renew != 1 {
            continue;
        }
        let hours = i64::from(row.original_hours.max(1));
        units += renewal_price(state, &row)?.units() * (30 * 24) / hours;
        count += 1;
    }
    Ok((Money::from_units(units), count))
}
