//! The catalogue customers choose from: countries, services and rental lengths with our
//! prices (the provider's times `PRICE_MARKUP`; where several sell the same, the cheapest with
//! stock, see `providers::router`) and stock. Cached briefly, so a page view
//! costs no provider call.

use super::pricing::Pricer;
use super::rentals;
use crate::api::dto::{CountryList, CountryView, RentalOfferView, ServiceList, ServiceOfferView};
use crate::domain::rental::{self, UpstreamProduct};
use crate::domain::{names, CURRENCY};
use crate::server::providers::{Category, Offer, ProviderError};
use crate::server::state::AppState;
use crate::server::ServerError;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

const TTL: Duration = Duration::from_secs(60);

/// A cached value and when it was fetched.
type Cached<T> = (Instant, Arc<T>);
/// Offers are cached by (country, operator).
type OffersKey = (String, Option<String>);

#[derive(Default)]
pub struct CatalogCache {
    countries: RwLock<Option<Cached<CountryList>>>,
    /// The provider's offers by (country, operator).
    offers: RwLock<HashMap<OffersKey, Cached<Vec<Offer>>>>,
}

/// What the provider sells in `country` (ISO) through `operator` (or any), cached briefly.
pub async fn provider_offers(
    state: &AppState,
    country: &str,
    operator: Option<&str>,
) -> Result<Arc<Vec<Offer>>, ServerError> {
    let key = (country.to_owned(), operator.map(str::to_owned));
    if let Some((at, offers)) = state.catalog.offers.read().await.get(&key) {
        if at.elapsed() < TTL {
            return Ok(offers.clone());
        }
    }
    let offers = Arc::new(state.router.offers(country, operator).await?);
    state
        .catalog
        .offers
        .write()
        .await
        .insert(key, (Instant::now(), offers.clone()));
    Ok(offers)
}

pub async fn countries(state: &AppState) -> Result<CountryList, ServerError> {
    if let Some((at, list)) = state.catalog.countries.read().await.as_ref() {
        if at.elapsed() < TTL {
            return Ok((**list).clone());
        }
    }
    let mut list = CountryList {
        countries: state
            .router
            .countries()
            .await?
            .into_iter()
            .map(|c| CountryView {
                name: names::country_name(&c.iso).map_or(c.name, str::to_owned),
                code: c.iso.to_ascii_uppercase(),
                dial_prefix: c.dial_prefix,
            })
            .collect(),
    };
    list.countries.sort_by(|a, b| a.name.cmp(&b.name));
    *state.catalog.countries.write().await = Some((Instant::now(), Arc::new(list.clone())));
    Ok(list)
}

/// A country code from a request: two letters (ISO 3166-1 alpha-2), upper-cased.
pub fn country_code(raw: &str) -> Result<String, ServerError> {
    let code = raw.trim().to_uppercase();
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
    Ok(code)
}

/// A provider refusal of the country itself, as a 422 on our `country` field.
pub fn country_refused(code: &str, e: ServerError) -> ServerError {
    match e {
        ServerError::Provider(ProviderError::BadRequest(_)) => {
            ServerError::validation("country", format!("{code} is not served"))
        }
        other => other,
    }
}

/// What `country` sells, at the prices of `pricer` (a customer's, or the list prices).
pub async fn services(
    state: &AppState,
    country: &str,
    pricer: &Pricer,
) -> Result<ServiceList, ServerError> {
    let code = country_code(country)?;
    let offers = provider_offers(state, &code, None)
        .await
        .map_err(|e| country_refused(&code, e))?;
    let mut list = ServiceList {
        country: code,
        currency: CURRENCY.to_owned(),
        services: Vec::new(),
        rentals: Vec::new(),
    };
    let mut products = Vec::new();
    for offer in offers.iter() {
        match (offer.category, offer.hours) {
            (Category::Activation, _) => list.services.push(ServiceOfferView {
                service: offer.product.clone(),
                price: pricer.activation(offer.price),
                stock: offer.stock,
            }),
            (Category::Rental, Some(hours)) => products.push((
                UpstreamProduct {
                    hours,
                    price: offer.price,
                },
                offer.stock,
                // Who would sell it: their extension terms price its renewals.
                offer.sellers.first().map(|s| s.provider),
            )),
            (Category::Rental, None) => {}
        }
    }
    let bare: Vec<UpstreamProduct> = products.iter().map(|(p, ..)| *p).collect();
    for (hours, product) in rental::offered_lengths(&bare) {
        let (stock, seller) = products
            .iter()
            .find(|(p, ..)| *p == product)
            .map_or((0, None), |(_, stock, seller)| (*stock, *seller));
        let quote = pricer.rental(hours, product);
        let rates = match seller {
            Some(provider) => rentals::extension_rates(state, provider),
            None => state.settings.rental_rates(),
        };
        let renewal = rental::extension_price(hours, quote.hourly, rates, Decimal::ZERO);
        list.rentals.push(RentalOfferView {
            hours,
            price: quote.amount,
            stock,
            renewal,
            month_with_renewals: rental::month_with_renewals(hours, quote.amount, renewal),
        });
    }
    Ok(list)
}
