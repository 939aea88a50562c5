//! The provider router: every provider services buy from. The catalogue is what the providers
//! sell together: each offer once, at the lowest price any of them asks with numbers in stock,
//! with every provider that sells it (its sellers) in the order to buy from: those with numbers
//! first, cheapest first. A purchase goes to the offer's sellers in that order, never to one
//! that asks more than the customer pays (a quote is honoured, never sold at a loss), and moves
//! on when an error says another provider might serve (no numbers, a fault); an error that
//! would repeat anywhere (a bad request) stops it. Later calls on an order go to the provider
//! that sold it.

use super::health::Health;
use super::monitored::Monitored;
use super::{
    BuyActivation, BuyRental, Category, Country, Offer, ProviderError, ProviderOrder,
    ProviderResult, Seller, SmsProvider,
};
use rust_decimal::Decimal;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ProviderRouter {
    /// Each provider, its calls timed and counted in its health.
    providers: Vec<Arc<dyn SmsProvider>>,
    health: Vec<Arc<Health>>,
}

impl ProviderRouter {
    /// The router over `providers`, each with a circuit breaker that turns purchases away for
    /// `cooldown` once it opens (see `health`).
    pub fn new(providers: Vec<Arc<dyn SmsProvider>>, cooldown: Duration) -> Self {
        let health: Vec<Arc<Health>> = providers
            .iter()
            .map(|_| Arc::new(Health::new(cooldown)))
            .collect();
        let providers = providers
            .into_iter()
            .zip(&health)
            .map(|(p, h)| Arc::new(Monitored::new(p, h.clone())) as Arc<dyn SmsProvider>)
            .collect();
        ProviderRouter { providers, health }
    }

    /// Each provider with its health.
    pub fn with_health(&self) -> impl Iterator<Item = (&Arc<dyn SmsProvider>, &Health)> {
        self.providers
            .iter()
            .zip(self.health.iter().map(|h| h.as_ref()))
    }

    /// Every provider, in the order they are configured.
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

    /// Buys an activation from the offer's sellers, cheapest first, each asked to charge no
    /// more than its own quoted price and none asking more than `ceiling`.
    pub async fn buy_activation(
        &self,
        req: &BuyActivation,
        sellers: &[Seller],
        ceiling: Decimal,
        attempts: &mut Vec<Attempt>,
    ) -> ProviderResult<(&Arc<dyn SmsProvider>, ProviderOrder)> {
        self.first(sellers, ceiling, attempts, |provider, seller| {
            let mut req = req.clone();
            if req.operator.is_none() {
                req.max_price = Some(seller.price);
            }
            async move { provider.buy_activation(&req).await }
        })
        .await
    }

    /// Rents a number from the offer's sellers, cheapest first, none asking more than
    /// `ceiling`.
    pub async fn buy_rental(
        &self,
        req: &BuyRental,
        sellers: &[Seller],
        ceiling: Decimal,
        attempts: &mut Vec<Attempt>,
    ) -> ProviderResult<(&Arc<dyn SmsProvider>, ProviderOrder)> {
        self.first(sellers, ceiling, attempts, |provider, _| {
            provider.buy_rental(req)
        })
        .await
    }

    /// `buy` from each seller in turn (those still configured, at `ceiling` or under) until one
    /// sells.
    async fn first<'a, F, Fut>(
        &'a self,
        sellers: &[Seller],
        ceiling: Decimal,
        attempts: &mut Vec<Attempt>,
        buy: F,
    ) -> ProviderResult<(&'a Arc<dyn SmsProvider>, ProviderOrder)>
    where
        F: Fn(&'a Arc<dyn SmsProvider>, &Seller) -> Fut,
        Fut: Future<Output = ProviderResult<ProviderOrder>>,
    {
        let mut last = ProviderError::NoNumbers;
        let mut turned_away = false;
        for seller in sellers.iter().filter(|s| s.price <= ceiling) {
            let Some((provider, health)) = self
                .with_health()
                .find(|(p, _)| p.name() == seller.provider)
            else {
                continue;
            };
            if !health.admits() {
                tracing::info!(
                    provider = provider.name(),
                    "its circuit breaker is open: not asked"
                );
                turned_away = true;
                continue;
            }
            let answer = buy(provider, seller).await;
            attempts.push(Attempt {
                provider: provider.name(),
                outcome: answer.as_ref().map_or_else(ProviderError::kind, |_| "ok"),
            });
            match answer {
                Ok(mut order) => {
                    // Where the answer does not say what it cost, it cost what was quoted.
                    order.price = order.price.or(Some(seller.price));
                    return Ok((provider, order));
                }
                Err(e) if e.fails_over() => {
                    tracing::warn!(provider = provider.name(), error = %e, "purchase failed; trying the next provider");
                    last = e;
                }
                Err(e) => return Err(e),
            }
        }
        if turned_away && last == ProviderError::NoNumbers {
            return Err(ProviderError::Unavailable);
        }
        Err(last)
    }

    /// Every country some provider serves, once each.
    pub async fn countries(&self) -> ProviderResult<Vec<Country>> {
        let mut all = BTreeMap::new();
        for list in self.ask_each(|p| p.countries()).await? {
            let (_, list) = list;
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

    /// `ask` of every provider; the lists of those that answered with something, by provider,
    /// or the first refusal if none did (an operator only 5SIM knows of is refused by 5SIM
    /// and found in no other list: the refusal stands).
    async fn ask_each<'a, T, F, Fut>(
        &'a self,
        ask: F,
    ) -> ProviderResult<Vec<(&'static str, Vec<T>)>>
    where
        F: Fn(&'a Arc<dyn SmsProvider>) -> Fut,
        Fut: Future<Output = ProviderResult<Vec<T>>>,
    {
        let answers = futures_util::future::join_all(self.providers.iter().map(&ask)).await;
        let mut first_error = None;
        let mut got = Vec::new();
        for (provider, answer) in self.providers.iter().zip(answers) {
            match answer {
                Ok(v) if v.is_empty() => {}
                Ok(v) => got.push((provider.name(), v)),
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

/// One purchase asked of one provider, and how it went (`ok` or the error's kind), for the
/// providers' analytics (success, faults, failovers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub provider: &'static str,
    pub outcome: &'static str,
}

/// One offer per activation service or rental length: the cheapest with numbers in stock (the
/// cheapest of all where none has any), with every seller, in the order to buy from.
fn cheapest_offers(lists: Vec<(&'static str, Vec<Offer>)>) -> Vec<Offer> {
    // Rentals are one product per length, whatever each provider calls it.
    let key = |o: &Offer| {
        let product = match o.category {
            Category::Activation => o.product.clone(),
            Category::Rental => String::new(),
        };
        (o.category, product, o.hours)
    };
    let order = |price: Decimal, stock: u64| (stock == 0, price);
    let mut best: BTreeMap<(Category, String, Option<u32>), Offer> = BTreeMap::new();
    for (provider, list) in lists {
        for mut offer in list {
            let seller = Seller {
                provider,
                price: offer.price,
                stock: offer.stock,
            };
            match best.get_mut(&key(&offer)) {
                Some(held) => {
                    if order(offer.price, offer.stock) < order(held.price, held.stock) {
                        held.product = offer.product;
                        held.price = offer.price;
                        held.stock = offer.stock;
                    }
                    held.sellers.push(seller);
                }
                None => {
                    offer.sellers = vec![seller];
                    best.insert(key(&offer), offer);
                }
            }
        }
    }
    best.into_values()
        .map(|mut offer| {
            offer.sellers.sort_by_key(|s| order(s.price, s.stock));
            offer
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offer(product: &str, price: i64, stock: u64) -> Offer {
        Offer {
            product: product.into(),
            category: Category::Activation,
            hours: None,
            price: Decimal::new(price, 2),
            stock,
            sellers: Vec::new(),
        }
    }

    #[test]
    fn each_offer_once_at_the_cheapest_price_in_stock() {
        let merged = cheapest_offers(vec![
            (
                "a",
                vec![offer("telegram", 30, 5), offer("whatsapp", 50, 0)],
            ),
            (
                "b",
                vec![
                    offer("telegram", 20, 0),
                    offer("whatsapp", 60, 0),
                    offer("viber", 10, 1),
                ],
            ),
            ("c", vec![offer("telegram", 25, 2)]),
        ]);
        let sellers: Vec<Vec<&str>> = merged
            .iter()
            .map(|o| o.sellers.iter().map(|s| s.provider).collect())
            .collect();
        assert_eq!(sellers, [vec!["c", "a", "b"], vec!["b"], vec!["a", "b"]]);
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
