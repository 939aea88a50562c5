//! Money: revenue, refunds (by reason), provider cost and margin, over time and by service,
//! country and provider; paying customers and ARPU.

use super::{asked, breakdowns, by_bucket, catch_up, Tally};
use crate::api::dto::{
    AnalyticsQuery, MoneyFigures, MoneyPoint, MoneyReport, MoneyShare, RefundReason,
};
use crate::domain::{Money, CURRENCY};
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::analytics::{self as store, Sums};
use crate::server::ServerError;

pub async fn money(state: &AppState, q: &AnalyticsQuery) -> Result<MoneyReport, ServerError> {
    let asked = asked(state, q)?;
    catch_up(state).await?;
    let range = asked.range;
    let (dim, value) = asked.dim();
    let rows = store::sums(
        &state.db,
        Sums {
            by_bucket: true,
            ..Sums::total(dim, value, &range)
        },
    )
    .await?;
    let points = by_bucket(&range, &rows)
        .into_iter()
        .map(|(bucket, t)| MoneyPoint {
            bucket: from_ms(bucket),
            figures: figures(&t),
        })
        .collect();
    let all = Tally::of(&rows);
    let totals = figures(&all);
    let refunds_by_reason = all
        .details(None, "refunded")
        .into_iter()
        .map(|(reason, [count, amount, _, _])| RefundReason {
            reason,
            count,
            amount: Money::from_units(amount),
        })
        .collect();
    let [by_service, by_country, by_provider] = breakdowns(state, &range).await?.map(|values| {
        let mut list: Vec<MoneyShare> = values
            .into_iter()
            .map(|(key, t)| MoneyShare {
                key,
                figures: figures(&t),
            })
            .filter(|s| s.figures.revenue.is_positive() || s.figures.provider_cost.is_positive())
            .collect();
        list.sort_by(|a, b| {
            b.figures
                .net_revenue
                .decimal()
                .cmp(&a.figures.net_revenue.decimal())
                .then_with(|| a.key.cmp(&b.key))
        });
        list
    });
    // ARPU is over every customer: the net revenue of all of them, whatever the filter.
    let everyone = if asked.filter.is_some() {
        figures(&Tally::of(
            &store::sums(&state.db, Sums::total("all", None, &range)).await?,
        ))
    } else {
        totals.clone()
    };
    let paying_customers = store::paying_customers(&state.db, &range).await?;
    let arpu = if paying_customers > 0 {
        Money::from_units(everyone.net_revenue.units() / paying_customers)
    } else {
        Money::ZERO
    };
    Ok(MoneyReport {
        range: asked.view(),
        currency: CURRENCY.to_owned(),
        points,
        totals,
        refunds_by_reason,
        by_service,
        by_country,
        by_provider,
        paying_customers,
        arpu,
    })
}

/// Revenue (purchases and extensions), refunds, and what is left after the providers' cost.
pub fn figures(t: &Tally) -> MoneyFigures {
    let revenue = t.sum(None, "started", None)[1] + t.sum(None, "extended", None)[1];
    let refunds = t.sum(None, "refunded", None)[1];
    let cost = t.cost(None);
    MoneyFigures {
        revenue: Money::from_units(revenue),
        refunds: Money::from_units(refunds),
        net_revenue: Money::from_units(revenue - refunds),
        provider_cost: Money::from_units(cost),
        margin: Money::from_units(revenue - refunds - cost),
    }
}
