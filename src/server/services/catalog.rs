//! The catalogue customers choose from: countries, services and rental lengths with our
//! prices (the provider's times `PRICE_MARKUP`) and stock. Cached briefly, so a page view
//! costs no provider call.

use crate::api::dto::{CountryList, CountryView, RentalOfferView, ServiceList, ServiceOfferView};
use crate::domain::{Money, CURRENCY};
use crate::server::providers::{Category, ProviderError};
use crate::server::state::AppState;
use crate::server::ServerError;
use rust_decimal::{Decimal, RoundingStrategy};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

const TTL: Duration = Duration::from_secs(60);
/// Rental lengths the 5SIM hosting products are sold under.
const HOSTING_HOURS: [(&str, u32); 4] = [
    ("3hours", 3),
    ("1day", 24),
    ("10days", 240),
    ("1month", 720),
];

#[derive(Default)]
pub struct CatalogCache {
    countries: RwLock<Option<(Instant, Arc<CountryList>)>>,
    services: RwLock<HashMap<String, (Instant, Arc<ServiceList>)>>,
}

/// Our price for something the provider sells at `provider_price`: times the markup, rounded
/// up to the nearest 1/10000 so we never sell below cost.
pub fn our_price(provider_price: Decimal, markup: Decimal) -> Result<Money, ServerError> {
    let price = (provider_price * markup).round_dp_with_strategy(4, RoundingStrategy::AwayFromZero);
    Money::try_from(price).map_err(|e| anyhow::anyhow!("price {price} out of range: {e}").into())
}

pub async fn countries(state: &AppState) -> Result<CountryList, ServerError> {
    if let Some((at, list)) = state.catalog.countries.read().await.as_ref() {
        if at.elapsed() < TTL {
            return Ok((**list).clone());
        }
    }
    let list = CountryList {
        countries: state
            .provider
            .countries()
            .await?
            .into_iter()
            .map(|c| CountryView {
                code: c.iso,
                name: c.name,
                dial_prefix: c.dial_prefix,
            })
            .collect(),
    };
    *state.catalog.countries.write().await = Some((Instant::now(), Arc::new(list.clone())));
    Ok(list)
}

pub async fn services(state: &AppState, country: &str) -> Result<ServiceList, ServerError> {
    let code = country.trim().to_uppercase();
    if code.is_empty() {
        return Err(ServerError::validation(
            "country",
            "is required (an ISO code such as GB)",
        ));
    }
    if code.len() != 2 || !code.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(ServerError::validation(
            "country",
            "must be a two-letter ISO code such as GB",
        ));
    }
    if let Some((at, list)) = state.catalog.services.read().await.get(&code) {
        if at.elapsed() < TTL {
            return Ok((**list).clone());
        }
    }
    let offers = state
        .provider
        .offers(&code, None)
        .await
        .map_err(|e| match e {
            ProviderError::BadRequest(_) => {
                ServerError::validation("country", format!("{code} is not served"))
            }
            other => other.into(),
        })?;
    let markup = state.settings.price_markup;
    let mut list = ServiceList {
        country: code.clone(),
        currency: CURRENCY.to_owned(),
        services: Vec::new(),
        rentals: Vec::new(),
    };
    for offer in offers {
        let price = our_price(offer.price, markup)?;
        match offer.category {
            Category::Activation => list.services.push(ServiceOfferView {
                service: offer.product,
                price,
                stock: offer.stock,
            }),
            Category::Rental => {
                if let Some((_, hours)) = HOSTING_HOURS.iter().find(|(p, _)| *p == offer.product) {
                    list.rentals.push(RentalOfferView {
                        hours: *hours,
                        price,
                        stock: offer.stock,
                    });
                }
            }
        }
    }
    list.rentals.sort_by_key(|r| r.hours);
    state
        .catalog
        .services
        .write()
        .await
        .insert(code, (Instant::now(), Arc::new(list.clone())));
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_price_is_marked_up_and_never_below_cost() {
        let p = our_price(Decimal::new(32, 2), Decimal::new(15, 1)).unwrap();
        assert_eq!(p.to_string(), "0.4800");
        let p = our_price(Decimal::new(33333, 5), Decimal::ONE).unwrap();
        assert_eq!(p.to_string(), "0.3334");
        assert!(p.decimal() >= Decimal::new(33333, 5));
    }
}
