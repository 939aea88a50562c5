//! Customers: new and returning over time, cohorts by the month of their first purchase
//! (a retention grid), segments by recency, frequency and money (RFM), and the top spenders.

use super::{asked, catch_up};
use crate::api::dto::{
    AnalyticsQuery, CohortView, CustomerPoint, CustomersReport, SegmentView, TopCustomer,
};
use crate::domain::analytics::{rfm_segment, Granularity, SEGMENTS};
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::analytics as store;
use crate::server::ServerError;
use std::collections::BTreeMap;

/// How many customers the top list shows.
const TOP: i64 = 20;

pub async fn customers(
    state: &AppState,
    q: &AnalyticsQuery,
) -> Result<CustomersReport, ServerError> {
    let asked = asked(state, q)?;
    if asked.range.granularity == Granularity::Hour {
        return Err(ServerError::validation(
            "granularity",
            "customers are counted by day at the finest: day, week or month",
        ));
    }
    if asked.filter.is_some() {
        return Err(ServerError::validation(
            "service",
            "customers are not broken down by service, country or provider",
        ));
    }
    catch_up(state).await?;
    let range = asked.range;
    let new: BTreeMap<i64, i64> = store::new_customers(&state.db, &range)
        .await?
        .into_iter()
        .collect();
    let active: BTreeMap<i64, i64> = store::active_customers(&state.db, &range)
        .await?
        .into_iter()
        .collect();
    let points = range
        .buckets()
        .into_iter()
        .map(|b| {
            let new = new.get(&b).copied().unwrap_or(0);
            CustomerPoint {
                bucket: from_ms(b),
                new,
                returning: (active.get(&b).copied().unwrap_or(0) - new).max(0),
            }
        })
        .collect();
    let cohorts = cohorts(state, range.from, range.to).await?;
    let mut segments: BTreeMap<&str, (i64, i64)> = BTreeMap::new();
    for row in store::rfm(&state.db).await? {
        let slot = segments
            .entry(rfm_segment(row.r, row.f, row.m))
            .or_default();
        slot.0 += row.customers;
        slot.1 += row.spend_units;
    }
    let segments = SEGMENTS
        .iter()
        .map(|s| {
            let (customers, spend) = segments.get(s).copied().unwrap_or_default();
            SegmentView {
                segment: (*s).to_owned(),
                customers,
                spend: Money::from_units(spend),
            }
        })
        .collect();
    let top = store::top_customers(&state.db, &range, TOP)
        .await?
        .into_iter()
        .map(|r| TopCustomer {
            user_id: r.user_id,
            email: r.email,
            purchases: r.purchases,
            spend: Money::from_units(r.spend_units),
        })
        .collect();
    Ok(CustomersReport {
        range: asked.view(),
        points,
        cohorts,
        segments,
        top,
    })
}

/// The retention grid of the cohorts whose first month falls in the range: for each, the
/// customers active in each month since, up to the range's end.
async fn cohorts(state: &AppState, from: i64, to: i64) -> Result<Vec<CohortView>, ServerError> {
    let months = Granularity::Month;
    let first = months.floor(from);
    let mut grid: BTreeMap<i64, BTreeMap<i64, i64>> = BTreeMap::new();
    for row in store::cohorts(&state.db, first, to).await? {
        grid.entry(row.cohort)
            .or_default()
            .insert(row.month, row.customers);
    }
    Ok(grid
        .into_iter()
        .map(|(cohort, by_month)| {
            let size = by_month.get(&cohort).copied().unwrap_or(0);
            let active: Vec<i64> = months
                .buckets(cohort, to)
                .into_iter()
                .map(|m| by_month.get(&m).copied().unwrap_or(0))
                .collect();
            let retention = active
                .iter()
                .map(|a| {
                    if size > 0 {
                        *a as f64 / size as f64
                    } else {
                        0.0
                    }
                })
                .collect();
            CohortView {
                cohort: from_ms(cohort),
                size,
                active,
                retention,
            }
        })
        .collect())
}
