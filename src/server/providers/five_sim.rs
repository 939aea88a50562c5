//! The 5SIM client (`https://5sim.net/v1`): bearer auth, plain-text errors mapped to typed
//! errors, a client-side rate limit under 5SIM's per-key limit, and retries with backoff for
//! idempotent reads only (a buy is never retried blindly).

mod errors;
mod wire;

use super::rate_limit::RateLimiter;
use super::retrying;
use super::{
    BuyActivation, BuyRental, Capabilities, Category, Country, Delivery, Extension, Offer,
    OperatorPrice, OrderPage, ProviderBalance, ProviderError, ProviderOrder, ProviderResult,
    ProviderSms, Retry, SmsProvider,
};
use crate::server::config::SecretString;
use async_trait::async_trait;
use chrono::Utc;
use reqwest::header;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::time::{Duration, Instant};
use tokio::sync::RwLock;

pub const NAME: &str = "5sim";
/// 5SIM limits a key to 100 requests/s; stay well under it.
pub const DEFAULT_RATE_PER_SEC: u32 = 50;
/// 5SIM calls its balance a number; the currency is the account's, USD for ours.
pub const CURRENCY: &str = "USD";
const COUNTRY_CACHE_TTL: Duration = Duration::from_secs(600);

/// 5SIM's hosting products, by the hours they last.
pub const HOSTING_PRODUCTS: [(u32, &str); 4] = [
    (3, "3hours"),
    (24, "1day"),
    (240, "10days"),
    (720, "1month"),
];

/// The hosting product that covers `hours`: the shortest one at least that long.
pub fn hosting_product_for(hours: u32) -> Option<(u32, &'static str)> {
    HOSTING_PRODUCTS.iter().copied().find(|(h, _)| *h >= hours)
}

#[derive(Clone, Debug)]
pub struct FiveSimSettings {
    pub base_url: String,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub rate_per_sec: u32,
}

#[derive(Debug)]
pub struct FiveSimClient {
    http: reqwest::Client,
    base_url: String,
    api_key: SecretString,
    timeout: Duration,
    limiter: RateLimiter,
    capabilities: Capabilities,
    countries: RwLock<Option<(Instant, Vec<Country>)>>,
}

impl FiveSimClient {
    pub fn new(settings: FiveSimSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            // An unknown route answers 302 → /404.html: see it, don't follow it.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("namaskah/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(FiveSimClient {
            http,
            base_url: settings.base_url.trim_end_matches('/').to_owned(),
            api_key: settings.api_key,
            timeout: settings.timeout,
            limiter: RateLimiter::per_second(settings.rate_per_sec),
            capabilities: Capabilities {
                activation: true,
                rental_hours: HOSTING_PRODUCTS.iter().map(|(h, _)| *h).collect(),
                extension: Extension::WithinHeldOrder,
                early_cancel: true,
                delivery: Delivery::Poll,
            },
            countries: RwLock::new(None),
        })
    }

    async fn get<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        retry: Retry,
    ) -> ProviderResult<T> {
        retrying(retry, || self.get_once(path, query)).await
    }

    #[tracing::instrument(name = "5sim", skip(self, query), fields(path = path))]
    async fn get_once<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> ProviderResult<T> {
        self.limiter.acquire().await;
        let response = self
            .http
            .get(format!("{}{path}", self.base_url))
            .query(query)
            .bearer_auth(self.api_key.expose())
            .header(header::ACCEPT, "application/json")
            .send()
            .await;
        let response = match response {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(path, e)),
        };
        let status = response.status().as_u16();
        let body = match response.text().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_error(path, e)),
        };
        let outcome = if status == 200 {
            match errors::known(&body) {
                Some(e) => Err(e),
                None => serde_json::from_str(&body)
                    .map_err(|e| ProviderError::Decode(format!("{e} in {}", snippet(&body)))),
            }
        } else {
            Err(errors::from_status(status, &body))
        };
        if let Err(e) = &outcome {
            tracing::warn!(provider = NAME, path, status, provider_message = %snippet(&body), error = %e, "5SIM call failed");
        }
        outcome
    }

    fn transport_error(&self, path: &str, e: reqwest::Error) -> ProviderError {
        let error = if e.is_timeout() {
            ProviderError::Timeout(self.timeout)
        } else {
            ProviderError::Upstream {
                status: 0,
                body: format!("could not reach 5SIM: {}", e.without_url()),
            }
        };
        tracing::warn!(provider = NAME, path, error = %error, "5SIM call failed");
        error
    }

    async fn order(&self, path: &str, retry: Retry) -> ProviderResult<ProviderOrder> {
        Ok(self
            .get::<wire::Order>(path, &[], retry)
            .await?
            .into_order())
    }

    /// The ISO code → 5SIM country, from 5SIM's own list (cached for a while).
    async fn country_list(&self) -> ProviderResult<Vec<Country>> {
        if let Some((at, list)) = self.countries.read().await.as_ref() {
            if at.elapsed() < COUNTRY_CACHE_TTL {
                return Ok(list.clone());
            }
        }
        let body: Map<String, Value> = self.get("/guest/countries", &[], Retry::Idempotent).await?;
        let mut entries = wire::countries(body);
        // Several 5SIM names can share an ISO code; keep the one with the most operators.
        entries.sort_by(|a, b| b.operators.cmp(&a.operators).then(a.name.cmp(&b.name)));
        let mut list: Vec<Country> = Vec::new();
        for e in entries {
            let Some(iso) = e.iso else { continue };
            if list.iter().any(|c| c.iso == iso) {
                continue;
            }
            list.push(Country {
                name: e.text_en.unwrap_or_else(|| e.name.clone()),
                provider_name: e.name,
                dial_prefix: e.prefix,
                iso,
            });
        }
        list.sort_by(|a, b| a.name.cmp(&b.name));
        *self.countries.write().await = Some((Instant::now(), list.clone()));
        Ok(list)
    }

    async fn country_name(&self, iso: &str) -> ProviderResult<String> {
        let iso = iso.trim().to_uppercase();
        self.country_list()
            .await?
            .into_iter()
            .find(|c| c.iso == iso)
            .map(|c| c.provider_name)
            .ok_or_else(|| ProviderError::BadRequest(format!("5SIM does not serve country {iso}")))
    }
}

fn operator_or_any(operator: Option<&str>) -> String {
    operator
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .unwrap_or("any")
        .to_lowercase()
}

/// A path segment from caller input: only what 5SIM's names are made of.
fn segment(s: &str) -> ProviderResult<String> {
    let s = s.trim();
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(s.to_owned())
    } else {
        Err(ProviderError::BadRequest(format!(
            "{s:?} is not a valid name"
        )))
    }
}

fn snippet(body: &str) -> String {
    body.trim().chars().take(200).collect()
}

#[async_trait]
impl SmsProvider for FiveSimClient {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn balance(&self) -> ProviderResult<ProviderBalance> {
        let p: wire::Profile = self.get("/user/profile", &[], Retry::Idempotent).await?;
        Ok(ProviderBalance {
            balance: p
                .balance
                .ok_or_else(|| ProviderError::Decode("profile has no balance".into()))?,
            currency: CURRENCY.to_owned(),
            rating: p.rating,
        })
    }

    async fn countries(&self) -> ProviderResult<Vec<Country>> {
        self.country_list().await
    }

    async fn offers(&self, country: &str, operator: Option<&str>) -> ProviderResult<Vec<Offer>> {
        let name = self.country_name(country).await?;
        let path = format!(
            "/guest/products/{name}/{}",
            segment(&operator_or_any(operator))?
        );
        let body: Map<String, Value> = self.get(&path, &[], Retry::Idempotent).await?;
        Ok(wire::offers(body))
    }

    async fn prices(&self, country: &str, product: &str) -> ProviderResult<Vec<OperatorPrice>> {
        let name = self.country_name(country).await?;
        let product = segment(product)?;
        let query = [("country", name.clone()), ("product", product.clone())];
        let body: Value = self.get("/guest/prices", &query, Retry::Idempotent).await?;
        Ok(wire::operator_prices(body, &name, &product))
    }

    async fn buy_activation(&self, req: &BuyActivation) -> ProviderResult<ProviderOrder> {
        let name = self.country_name(&req.country).await?;
        let operator = operator_or_any(req.operator.as_deref());
        let path = format!(
            "/user/buy/activation/{name}/{}/{}",
            segment(&operator)?,
            segment(&req.product)?
        );
        let mut query = Vec::new();
        if let Some(max) = req.max_price {
            // 5SIM honours maxPrice only with operator `any`.
            query.push(("maxPrice", max.normalize().to_string()));
        }
        if req.reusable {
            query.push(("reuse", "1".to_owned()));
        }
        Ok(self
            .get::<wire::Order>(&path, &query, Retry::Never)
            .await?
            .into_order())
    }

    async fn buy_rental(&self, req: &BuyRental) -> ProviderResult<ProviderOrder> {
        let (_, product) = hosting_product_for(req.hours).ok_or_else(|| {
            ProviderError::BadRequest(format!(
                "5SIM rents numbers for at most {} hours",
                HOSTING_PRODUCTS[3].0
            ))
        })?;
        let name = self.country_name(&req.country).await?;
        let operator = operator_or_any(req.operator.as_deref());
        let path = format!("/user/buy/hosting/{name}/{}/{product}", segment(&operator)?);
        self.order(&path, Retry::Never).await
    }

    async fn check(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.order(
            &format!("/user/check/{}", segment(order_id)?),
            Retry::Idempotent,
        )
        .await
    }

    async fn rental_messages(&self, order_id: &str) -> ProviderResult<Vec<ProviderSms>> {
        let path = format!("/user/sms/inbox/{}", segment(order_id)?);
        let inbox: wire::Listing<wire::Sms> = self.get(&path, &[], Retry::Idempotent).await?;
        let now = Utc::now();
        let mut sms: Vec<ProviderSms> = inbox.data.into_iter().map(|s| s.into_sms(now)).collect();
        sms.sort_by_key(|s| s.received_at);
        Ok(sms)
    }

    async fn finish(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.order(
            &format!("/user/finish/{}", segment(order_id)?),
            Retry::Never,
        )
        .await
    }

    async fn cancel(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.order(
            &format!("/user/cancel/{}", segment(order_id)?),
            Retry::Never,
        )
        .await
    }

    async fn ban(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.order(&format!("/user/ban/{}", segment(order_id)?), Retry::Never)
            .await
    }

    /// 5SIM cannot cancel a hosting order (`hosting order`); finishing it gives the number back.
    async fn release(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.finish(order_id).await
    }

    async fn extend(&self, _order_id: &str, _hours: u32) -> ProviderResult<ProviderOrder> {
        Err(ProviderError::Unsupported("extending a hosting order"))
    }

    async fn reuse(
        &self,
        _order_id: &str,
        product: &str,
        phone: &str,
    ) -> ProviderResult<ProviderOrder> {
        let number: String = phone.chars().filter(char::is_ascii_digit).collect();
        let path = format!("/user/reuse/{}/{}", segment(product)?, segment(&number)?);
        self.order(&path, Retry::Never).await
    }

    async fn orders(
        &self,
        category: Category,
        limit: u32,
        offset: u32,
    ) -> ProviderResult<OrderPage> {
        let category = match category {
            Category::Activation => "activation",
            Category::Rental => "hosting",
        };
        let query = [
            ("category", category.to_owned()),
            ("limit", limit.to_string()),
            ("offset", offset.to_string()),
            ("order", "id".to_owned()),
            ("reverse", "true".to_owned()),
        ];
        let page: wire::Listing<wire::Order> =
            self.get("/user/orders", &query, Retry::Idempotent).await?;
        Ok(OrderPage {
            orders: page.data.into_iter().map(wire::Order::into_order).collect(),
            total: page.total,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rentals_map_onto_the_hosting_product_that_covers_them() {
        assert_eq!(hosting_product_for(1), Some((3, "3hours")));
        assert_eq!(hosting_product_for(3), Some((3, "3hours")));
        assert_eq!(hosting_product_for(4), Some((24, "1day")));
        assert_eq!(hosting_product_for(24), Some((24, "1day")));
        assert_eq!(hosting_product_for(100), Some((240, "10days")));
        assert_eq!(hosting_product_for(720), Some((720, "1month")));
        assert_eq!(hosting_product_for(721), None);
    }

    #[test]
    fn path_segments_cannot_smuggle_paths() {
        assert!(segment("telegram").is_ok());
        assert!(segment("virtual_21").is_ok());
        assert!(segment("../user/profile").is_err());
        assert!(segment("a/b").is_err());
        assert!(segment("").is_err());
        assert_eq!(operator_or_any(None), "any");
        assert_eq!(operator_or_any(Some(" ")), "any");
    }
}
