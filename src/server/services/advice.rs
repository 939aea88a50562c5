//! A customer's spending advice, for their dashboard: this month's spend and where it is
//! heading, and suggestions that save money (`domain::advice` decides; this gathers the facts:
//! their active rentals, when each last heard anything, and what renewing or a 30-day rental
//! costs them now).

use super::pricing::{self, Pricer};
use super::{catalog, rentals};
use crate::domain::advice::{project_month, suggest, RentalFacts, ServiceFacts, Suggestion};
use crate::domain::statement::Month;
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::pricing as spend;
use crate::server::storage::rentals as store;
use crate::server::storage::{favourites, verifications};
use crate::server::ServerError;
use std::collections::HashMap;

#[derive(Default)]
pub struct Advice {
    pub spent_this_month: Money,
    pub projected_this_month: Money,
    pub suggestions: Vec<Suggestion>,
}

/// The advice, or none when it cannot be worked out now (logged): it never stands between a
/// customer and the rest of their dashboard.
pub async fn or_none(state: &AppState, user_id: i64) -> Advice {
    match for_customer(state, user_id).await {
        Ok(advice) => advice,
        Err(e) => {
            tracing::warn!(user_id, error = %e, "no spending advice");
            Advice::default()
        }
    }
}

pub async fn for_customer(state: &AppState, user_id: i64) -> Result<Advice, ServerError> {
    let now = state.clock.now_ms();
    let month = Month::of(from_ms(now));
    let (start, end) = (
        month.start().timestamp_millis(),
        month.end().timestamp_millis(),
    );
    let spent = Money::from_units(spend::spend_since(&state.db.pool, user_id, start).await?);
    let pricer = pricing::for_customer(state, Some(user_id)).await?;
    let rentals = rental_facts(state, user_id, now, &pricer).await?;
    let services = service_facts(state, user_id, now, &pricer).await?;
    Ok(Advice {
        spent_this_month: spent,
        projected_this_month: project_month(spent, now - start, end - start),
        suggestions: suggest(&rentals, &services),
    })
}

/// The most countries whose prices advice compares (each is a catalogue read).
const MOST_COUNTRIES: usize = 6;
const MONTH_MS: i64 = 30 * 24 * 3_600_000;

/// The services the customer verified with at least twice in 30 days, with their prices there
/// and in the other countries they use (favourites and recent purchases).
async fn service_facts(
    state: &AppState,
    user_id: i64,
    now: i64,
    pricer: &Pricer,
) -> Result<Vec<ServiceFacts>, ServerError> {
    let db = &state.db.pool;
    let bought: Vec<(String, String, i64)> =
        verifications::bought_since(db, user_id, now - MONTH_MS)
            .await?
            .into_iter()
            .filter(|(_, _, n)| *n >= 2)
            .collect();
    if bought.is_empty() {
        return Ok(Vec::new());
    }
    let mut countries: Vec<String> = bought.iter().map(|(_, c, _)| c.clone()).collect();
    countries.extend(
        favourites::list(db, user_id)
            .await?
            .into_iter()
            .filter(|(kind, _)| kind == "country")
            .map(|(_, code)| code),
    );
    countries.extend(
        favourites::recent_purchases(db, user_id, 20)
            .await?
            .into_iter()
            .map(|(_, country)| country),
    );
    let mut seen = std::collections::HashSet::new();
    countries.retain(|c| seen.insert(c.to_ascii_uppercase()));
    let mut prices: HashMap<String, HashMap<String, Money>> = HashMap::new();
    for country in countries.into_iter().take(MOST_COUNTRIES) {
        // A country the providers cannot price now is left out; advice is not worth an error.
        if let Ok(list) = catalog::services(state, &country, pricer).await {
            let offers = list.services.into_iter().map(|o| (o.service, o.price));
            prices.insert(list.country, offers.collect());
        }
    }
    Ok(bought
        .into_iter()
        .filter_map(|(service, country, n)| {
            let price = *prices.get(&country)?.get(&service)?;
            let elsewhere = prices
                .iter()
                .filter(|(c, _)| **c != country)
                .filter_map(|(c, offers)| offers.get(&service).map(|p| (c.clone(), *p)))
                .collect();
            Some(ServiceFacts {
                service,
                country,
                bought: n,
                price,
                elsewhere,
            })
        })
        .collect())
}

/// The customer's active rentals, with when each last heard anything and what renewing it or
/// a 30-day rental in its country costs.
async fn rental_facts(
    state: &AppState,
    user_id: i64,
    now: i64,
    pricer: &Pricer,
) -> Result<Vec<RentalFacts>, ServerError> {
    let rows = store::active_for(&state.db.pool, user_id).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let heard: HashMap<i64, Option<i64>> = store::last_message_of_active(&state.db.pool, user_id)
        .await?
        .into_iter()
        .collect();
    let mut month_prices: HashMap<String, Option<Money>> = HashMap::new();
    let mut facts = Vec::with_capacity(rows.len());
    for row in rows {
        // A few countries' catalogues at most (each may ask a provider).
        if !month_prices.contains_key(&row.country_code) && month_prices.len() < MOST_COUNTRIES {
            let price = month_price(state, &row.country_code, pricer).await;
            month_prices.insert(row.country_code.clone(), price);
        }
        let last = heard
            .get(&row.id)
            .copied()
            .flatten()
            .unwrap_or(row.created_at);
        let renewal = rentals::renewal_price(state, &row)?;
        // It renews by the length it was first rented for.
        let hours = u32::try_from(row.original_hours).unwrap_or(0).max(1);
        let view = rentals::view(state, row)?;
        facts.push(RentalFacts {
            id: view.id,
            month_price: month_prices.get(&view.country_code).copied().flatten(),
            phone_number: view.phone_number,
            service: view.service_name,
            country: view.country_code,
            hours,
            auto_renew: view.auto_renew,
            quiet_ms: now - last,
            left_ms: view.seconds_remaining.saturating_mul(1000),
            refund_if_released: view.refund_if_released,
            renewal,
        });
    }
    Ok(facts)
}

/// What a 30-day rental in `country` costs the customer now; `None` when none is on sale or
/// the providers cannot say (advice is not worth an error).
async fn month_price(state: &AppState, country: &str, pricer: &Pricer) -> Option<Money> {
    let list = catalog::services(state, country, pricer).await.ok()?;
    list.rentals
        .iter()
        .find(|r| r.hours == 720)
        .map(|r| r.price)
}
