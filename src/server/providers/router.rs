//! The provider router: every provider services buy from, in order of preference. A purchase
//! goes to the first that can serve it and moves on when an error says another provider might
//! (no numbers, a fault); an error that would repeat anywhere (a bad request) stops it. Later
//! calls on an order go to the provider that sold it. The catalogue is what the providers sell
//! together: each offer at the lowest price any of them asks with numbers in stock.

use super::{
    BuyActivation, BuyRental, Capabilities, Category, Country, Offer, ProviderError, ProviderOrder,
    ProviderResult, SmsProvider,
};
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

#[derive(Debug, Clone)]
pub struct ProviderRouter {
    providers: Vec<Arc<dyn SmsProvider>>,
}

impl ProviderRouter {
    pub fn new(providers: Vec<Arc<dyn SmsProvider>>) -> Self {
        ProviderRouter { providers }
    }

    /// Every provider, in order of preference.
    pub fn all(&self) -> &[Arc<dyn SmsProvider>] {
        &self.providers
    }

    /// The provider named `name`, for calls on an order it sold.
    pub fn get(&self, name: &str) -> Result<&Arc<dyn SmsProvider>, ProviderError> {
        self.providers
            .iter()
            .find(|p| p.name() == name)
            .ok_or(ProviderError::Unsupported(
                "orders from a provider no longer configured",
            ))
    }

    /// Buys an activation from the first provider that has one.
    pub async fn buy_activation(
        &self,
        req: &BuyActivation,
    ) -> ProviderResult<(&Arc<dyn SmsProvider>, ProviderOrder)> {
        self.first(|c| c.activation, |p| p.buy_activation(req))
            .await
    }

    /// Rents a number from the first provider that rents numbers and has one.
    pub async fn buy_rental(
        &self,
        req: &BuyRental,
    ) -> ProviderResult<(&Arc<dyn SmsProvider>, ProviderOrder)> {
        self.first(|c| !c.rental_hours.is_empty(), |p| p.buy_rental(req))
            .await
    }

    /// `buy` from each provider whose capabilities `can` serve, in order, until one sells.
    async fn first<'a, F, Fut>(
        &'a self,
        can: fn(&Capabilities) -> bool,
        buy: F,
    ) -> ProviderResult<(&'a Arc<dyn SmsProvider>, ProviderOrder)>
    where
        F: Fn(&'a Arc<dyn SmsProvider>) -> Fut,
        Fut: Future<Output = ProviderResult<ProviderOrder>>,
    {
        let mut last = ProviderError::NoNumbers;
        for provider in self.providers.iter().filter(|p| can(p.capabilities())) {
            match buy(provider).await {
                Ok(order) => return Ok((provider, order)),
                Err(e) if e.fails_over() => {
                    tracing::warn!(provider = provider.name(), error = %e, "purchase failed; trying the next provider");
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        Err(last)
    }

    /// Every country some provider serves, once each.
    pub async fn countries(&self) -> ProviderResult<Vec<Country>> {
        let mut all = BTreeMap::new();
        for list in self.ask_each(|p| p.countries()).await? {
            for country in list {
                all.entry(country.iso.clone()).or_insert(country);
            }
        }
        Ok(all.into_values().collect())
    }

    /// What the providers sell in `country` through `operator` (or any): each offer once, at
    /// the lowest price asked where numbers are in stock (the lowest of all where none is).
    pub async fn offers(
        &self,
        country: &str,
        operator: Option<&str>,
    ) -> ProviderResult<Vec<Offer>> {
        let lists = self.ask_each(|p| p.offers(country, operator)).await?;
        Ok(cheapest_offers(lists))
    }

    /// `ask` of every provider; the answers of those that gave one, or the first refusal if
    /// none did.
    async fn ask_each<'a, T, F, Fut>(&'a self, ask: F) -> ProviderResult<Vec<T>>
    where
        F: Fn(&'a Arc<dyn SmsProvider>) -> Fut,
        Fut: Future<Output = ProviderResult<T>>,
    {
        let answers = futures_util::future::join_all(self.providers.iter().map(&ask)).await;
        let mut first_error = None;
        let mut got = Vec::new();
        for (provider, answer) in self.providers.iter().zip(answers) {
            match answer {
                Ok(v) => got.push(v),
                Err(e) => {
                    tracing::debug!(provider = provider.name(), error = %e, "a provider could not answer for the catalogue");
                    first_error.get_or_insert(e);
                }
            }
        }
        match (got.is_empty(), first_error) {
            (true, Some(e)) => Err(e),
            _ => Ok(got),
        }
    }
}

/// One offer per (category, product, length): the cheapest with numbers in stock, or the
/// cheapest of all where none has any.
fn cheapest_offers(lists: Vec<Vec<Offer>>) -> Vec<Offer> {
    let mut best: BTreeMap<(u8, String, Option<u32>), Offer> = BTreeMap::new();
    for offer in lists.into_iter().flatten() {
        let category = match offer.category {
            Category::Activation => 0,
            Category::Rental => 1,
        };
        let key = (category, offer.product.clone(), offer.hours);
        let better = |held: &Offer| {
            (offer.stock > 0, std::cmp::Reverse(offer.price))
                > (held.stock > 0, std::cmp::Reverse(held.price))
        };
        match best.get(&key) {
            Some(held) if !better(held) => {}
            _ => {
                best.insert(key, offer);
            }
        }
    }
    best.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal::Decimal;

    fn offer(product: &str, price: i64, stock: u64) -> Offer {
        Offer {
            product: product.into(),
            category: Category::Activation,
            hours: None,
            price: Decimal::new(price, 2),
            stock,
        }
    }

    #[test]
    fn each_offer_once_at_the_cheapest_price_in_stock() {
        let merged = cheapest_offers(vec![
            vec![offer("telegram", 30, 5), offer("whatsapp", 50, 0)],
            vec![
                offer("telegram", 20, 0),
                offer("whatsapp", 60, 0),
                offer("viber", 10, 1),
            ],
            vec![offer("telegram", 25, 2)],
        ]);
        let got: Vec<(String, Decimal, u64)> = merged
            .into_iter()
            .map(|o| (o.product, o.price, o.stock))
            .collect();
        assert_eq!(
            got,
            [
                ("telegram".into(), Decimal::new(25, 2), 2),
                ("viber".into(), Decimal::new(10, 2), 1),
                ("whatsapp".into(), Decimal::new(50, 2), 0),
            ]
        );
    }
}
