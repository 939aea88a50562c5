//! The TextVerified client (API v2, US numbers): a bearer token from `POST /auth`, kept until
//! shortly before it expires and fetched again on a 401; create calls answered `201` with a
//! link that is followed; `{errorCode, errorDescription}` refusals typed; an `Idempotency-Key`
//! on every create. Verifications are single-use numbers; rentals are lines for any sender,
//! non-renewable or renewable (`rentals`). Its SMS are also pushed to us, signed
//! (`server::services::provider_webhooks`).

mod rentals;

use super::lenient::{decimal, items, string, time};
use super::rate_limit::RateLimiter;
use super::{
    prices_from_offers, retrying, BuyActivation, BuyRental, Capabilities, Category, Country,
    Delivery, Extension, Offer, OperatorPrice, OrderPage, OrderStateError, OrderStatus,
    ProviderBalance, ProviderError, ProviderOrder, ProviderResult, ProviderSms, Retry, SmsProvider,
};
use crate::server::config::SecretString;
use async_trait::async_trait;
use reqwest::{header, Method};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

pub const NAME: &str = "textverified";
/// The contract's rental durations we rent, with their hours.
pub const DURATIONS: [(&str, u32); 5] = [
    ("oneDay", 24),
    ("threeDay", 72),
    ("sevenDay", 168),
    ("fourteenDay", 336),
    ("thirtyDay", 720),
];
/// The service a line is rented for when it takes SMS from anyone.
const ANY_SERVICE: &str = "allservices";
/// A token is fetched again this long before it expires.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);
/// Offers are asked for (one pricing and one inventory call per service) this often at most.
const OFFERS_TTL: Duration = Duration::from_secs(300);
/// Pages of SMS read at most per reservation.
const MOST_SMS_PAGES: usize = 10;

#[derive(Clone, Debug)]
pub struct TextVerifiedSettings {
    /// `https://www.textverified.com`; paths start with `/api/pub/v2` under it.
    pub base_url: String,
    pub username: String,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub rate_per_sec: u32,
    /// Whether its SMS are pushed to us (a webhook secret is configured).
    pub pushes: bool,
}

#[derive(Debug)]
pub struct TextVerifiedClient {
    http: reqwest::Client,
    api: String,
    username: String,
    api_key: SecretString,
    timeout: Duration,
    limiter: RateLimiter,
    capabilities: Capabilities,
    token: Mutex<Option<(String, Instant)>>,
    offers: Mutex<Option<(Instant, Vec<Offer>)>>,
}

/// A `200`/`201` answer: its body, and where a create call's link points.
struct Answer {
    body: Value,
    link: Option<String>,
}

impl TextVerifiedClient {
    pub fn new(settings: TextVerifiedSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("namaskah/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(TextVerifiedClient {
            http,
            api: format!("{}/api/pub/v2", settings.base_url.trim_end_matches('/')),
            username: settings.username,
            api_key: settings.api_key,
            timeout: settings.timeout,
            limiter: RateLimiter::per_second(settings.rate_per_sec),
            capabilities: Capabilities {
                activation: true,
                rental_hours: DURATIONS.iter().map(|(_, h)| *h).collect(),
                extension: Extension::Native,
                early_cancel: true,
                delivery: if settings.pushes {
                    Delivery::Push
                } else {
                    Delivery::Poll
                },
            },
            token: Mutex::new(None),
            offers: Mutex::new(None),
        })
    }

    /// A token that is good for a while yet: the one held, or a new one.
    async fn token(&self, fresh: bool) -> ProviderResult<String> {
        let mut held = self.token.lock().await;
        if let Some((token, until)) = held.as_ref() {
            if !fresh && Instant::now() + TOKEN_MARGIN < *until {
                return Ok(token.clone());
            }
        }
        self.limiter.acquire().await;
        let response = self
            .http
            .post(format!("{}/auth", self.api))
            .header("X-API-USERNAME", &self.username)
            .header("X-API-KEY", self.api_key.expose())
            .send()
            .await
            .map_err(|e| self.transport_error(e))?;
        let status = response.status().as_u16();
        let body: Value = response.json().await.unwrap_or(Value::Null);
        match status {
            200 | 201 => {}
            401 | 403 => return Err(ProviderError::Unauthorized),
            other => return Err(refusal(other, &body)),
        }
        let token = string(&body["token"])
            .ok_or_else(|| ProviderError::Decode("no token in the auth answer".into()))?;
        let lifetime = body["expiresIn"].as_u64().unwrap_or(899);
        *held = Some((
            token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(token)
    }

    /// One call, with the token; on a 401 the token is fetched again and the call sent once
    /// more (it was refused, so nothing happened).
    async fn call(
        &self,
        method: Method,
        url: &str,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> ProviderResult<Answer> {
        let mut fresh = false;
        loop {
            let token = self.token(fresh).await?;
            self.limiter.acquire().await;
            let mut req = self
                .http
                .request(method.clone(), url)
                .bearer_auth(&token)
                .header(header::ACCEPT, "application/json");
            if let Some(body) = body {
                req = req.json(body);
            }
            if let Some(key) = idempotency_key {
                req = req.header("Idempotency-Key", key);
            }
            let response = req.send().await.map_err(|e| self.transport_error(e))?;
            let status = response.status().as_u16();
            if status == 401 && !fresh {
                fresh = true;
                continue;
            }
            let link = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let text = response.text().await.map_err(|e| self.transport_error(e))?;
            let parsed: Option<Value> = if text.trim().is_empty() {
                Some(Value::Null)
            } else {
                serde_json::from_str(&text).ok()
            };
            return match (status, parsed) {
                (200 | 201, Some(body)) => {
                    let link = link.or_else(|| body.get("href").and_then(string));
                    Ok(Answer { body, link })
                }
                (200 | 201, None) => Err(ProviderError::Decode(format!(
                    "not JSON: {}",
                    text.chars().take(200).collect::<String>()
                ))),
                (401 | 403, _) => Err(ProviderError::Unauthorized),
                (404, _) => Err(ProviderError::NotFound),
                (429, _) => Err(ProviderError::RateLimited),
                (status, body) => {
                    let e = refusal(status, &body.unwrap_or(Value::Null));
                    tracing::warn!(provider = NAME, status, error = %e, "TextVerified call failed");
                    Err(e)
                }
            };
        }
    }

    async fn get(&self, path_or_url: &str) -> ProviderResult<Value> {
        let url = self.url(path_or_url);
        retrying(Retry::Idempotent, || {
            self.call(Method::GET, &url, None, None)
        })
        .await
        .map(|a| a.body)
    }

    async fn post(&self, path: &str, body: &Value) -> ProviderResult<Answer> {
        self.call(Method::POST, &self.url(path), Some(body), None)
            .await
    }

    /// A create call (sent once, under a fresh `Idempotency-Key`), then the link it answers
    /// with, followed.
    async fn create(&self, path: &str, body: &Value) -> ProviderResult<Value> {
        let key = crate::server::services::secrets::random_token("nmsk_", 16);
        self.bought(path, body, Some(&key)).await
    }

    /// A purchase (sent once), then the link it answers with, followed.
    async fn bought(&self, path: &str, body: &Value, key: Option<&str>) -> ProviderResult<Value> {
        let answer = self
            .call(Method::POST, &self.url(path), Some(body), key)
            .await?;
        // Taken: from here an error must not send the purchase to another provider.
        let unconfirmed = |e: ProviderError| ProviderError::Unconfirmed(e.to_string());
        let link = answer
            .link
            .ok_or_else(|| unconfirmed(ProviderError::Decode("no link".into())))?;
        self.get(&link).await.map_err(unconfirmed)
    }

    /// A path under the API, or a link it gave; a link to anywhere else is not followed (the
    /// token would go with it): its path is taken under the API instead.
    fn url(&self, path_or_url: &str) -> String {
        if path_or_url.starts_with(&self.api) {
            return path_or_url.to_owned();
        }
        match path_or_url.find("/api/pub/v2/") {
            Some(at) if path_or_url.starts_with("http") => {
                format!("{}{}", self.api, &path_or_url[at + "/api/pub/v2".len()..])
            }
            _ if path_or_url.starts_with("http") => format!("{}/", self.api),
            _ => format!("{}{path_or_url}", self.api),
        }
    }

    fn transport_error(&self, e: reqwest::Error) -> ProviderError {
        if e.is_timeout() {
            ProviderError::Timeout(self.timeout)
        } else {
            ProviderError::Upstream {
                status: 0,
                body: format!("could not reach TextVerified: {}", e.without_url()),
            }
        }
    }

    /// Every SMS to `reservation`, oldest first, following the pages.
    async fn messages(&self, reservation: &str) -> ProviderResult<Vec<ProviderSms>> {
        let mut next = Some(format!("/sms?reservationId={reservation}"));
        let mut all = Vec::new();
        for _ in 0..MOST_SMS_PAGES {
            let Some(url) = next.take() else { break };
            let page = self.get(&url).await?;
            all.extend(items(page.get("data")).into_iter().map(sms));
            next = page["links"]["next"]["href"].as_str().map(str::to_owned);
        }
        // Listed newest first: reversed, then sorted (stably) by time, messages of the same
        // millisecond keep the order they came in.
        all.reverse();
        all.sort_by_key(|m: &ProviderSms| m.received_at);
        Ok(all)
    }

    async fn verification(&self, id: &str) -> ProviderResult<ProviderOrder> {
        let v = self.get(&format!("/verifications/{id}")).await?;
        let mut order = verification_order(&v)?;
        order.sms = self.messages(&order.id).await?;
        Ok(order)
    }

    async fn all_offers(&self) -> ProviderResult<Vec<Offer>> {
        if let Some((at, offers)) = self.offers.lock().await.as_ref() {
            if at.elapsed() < OFFERS_TTL {
                return Ok(offers.clone());
            }
        }
        let services = self
            .get("/services?numberType=mobile&reservationType=verification")
            .await?;
        let names: Vec<String> = items(Some(&services))
            .into_iter()
            .filter_map(|s| s.get("serviceName").and_then(string))
            .collect();
        let activation = names.iter().map(|name| async move {
            let body = json!({"serviceName": name, "areaCode": false, "carrier": false,
                "numberType": "mobile", "capability": "sms"});
            let price = self.post("/pricing/verifications", &body).await?.body;
            let stock = self.post("/inventory/verifications", &body).await?.body;
            Ok::<_, ProviderError>(Offer {
                product: name.clone(),
                category: Category::Activation,
                hours: None,
                price: decimal(&price["price"])
                    .ok_or_else(|| ProviderError::Decode("a price without a price".into()))?,
                stock: stock["availableQuantity"].as_u64().unwrap_or(0),
                sellers: Vec::new(),
            })
        });
        let mut offers: Vec<Offer> = futures_util::future::join_all(activation)
            .await
            .into_iter()
            .collect::<ProviderResult<_>>()?;
        let stock_body = json!({"serviceName": ANY_SERVICE, "numberType": "mobile",
            "capability": "sms", "isRenewable": false});
        let stock = self.post("/inventory/rentals", &stock_body).await?.body["availableQuantity"]
            .as_u64()
            .unwrap_or(0);
        for (duration, hours) in DURATIONS {
            let body = json!({"serviceName": ANY_SERVICE, "areaCode": false, "numberType": "mobile",
                "capability": "sms", "isRenewable": false, "duration": duration});
            let price = self.post("/pricing/rentals", &body).await?.body;
            if let Some(price) = decimal(&price["price"]) {
                offers.push(Offer {
                    product: duration.to_owned(),
                    category: Category::Rental,
                    hours: Some(hours),
                    price,
                    stock,
                    sellers: Vec::new(),
                });
            }
        }
        *self.offers.lock().await = Some((Instant::now(), offers.clone()));
        Ok(offers)
    }
}

/// A `400`/`409` refusal's `{errorCode, errorDescription}` as a typed error.
fn refusal(status: u16, body: &Value) -> ProviderError {
    let code = body["errorCode"].as_str().unwrap_or_default();
    let description = body["errorDescription"].as_str().unwrap_or_default();
    let state = |state| ProviderError::OrderState {
        state,
        message: description.to_owned(),
    };
    match (status, code) {
        (_, "Unavailable" | "PricingFailure") => ProviderError::NoNumbers,
        (_, "InsufficientBalance") => ProviderError::InsufficientProviderBalance,
        (_, "TooManyUnfinishedVerifications") => ProviderError::NotEnoughRating,
        (_, "NotCancelable") => state(OrderStateError::HasSms),
        (_, "NotRefundable" | "NotReportable") => state(OrderStateError::Expired),
        (_, "ProcessingError") => state(OrderStateError::ReuseRefused),
        (400, _) => ProviderError::BadRequest(format!("{code}: {description}")),
        (status, _) => ProviderError::Upstream {
            status,
            body: format!("{code}: {description}"),
        },
    }
}

/// An amount as a JSON number, as the API takes prices.
fn json_number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn e164(number: &str) -> String {
    let digits: String = number.chars().filter(char::is_ascii_digit).collect();
    if digits.len() == 10 {
        format!("+1{digits}")
    } else {
        format!("+{digits}")
    }
}

fn sms(m: &Value) -> ProviderSms {
    ProviderSms {
        // No id: the same SMS pushed by webhook (which carries none) must be the same message.
        id: None,
        received_at: time(&m["createdAt"]).unwrap_or_else(chrono::Utc::now),
        sender: string(&m["from"]).unwrap_or_default(),
        text: string(&m["smsContent"]).unwrap_or_default(),
        code: string(&m["parsedCode"]).filter(|c| !c.is_empty()),
    }
}

fn order(v: &Value, status: OrderStatus) -> ProviderResult<ProviderOrder> {
    Ok(ProviderOrder {
        id: string(&v["id"]).ok_or_else(|| ProviderError::Decode("no id".into()))?,
        phone: e164(&string(&v["number"]).unwrap_or_default()),
        product: string(&v["serviceName"]),
        operator: None,
        country: Some("US".to_owned()),
        price: decimal(&v["totalCost"]),
        status,
        created_at: time(&v["createdAt"]),
        expires_at: time(&v["endsAt"]),
        sms: Vec::new(),
    })
}

fn verification_order(v: &Value) -> ProviderResult<ProviderOrder> {
    let status = match v["state"].as_str().unwrap_or_default() {
        "verificationPending" => OrderStatus::Active,
        "verificationCompleted" | "verificationReused" | "verificationReactivated" => {
            OrderStatus::Finished
        }
        "verificationCanceled" | "verificationRefunded" => OrderStatus::Cancelled,
        "verificationTimedOut" => OrderStatus::TimedOut,
        "verificationReported" => OrderStatus::Banned,
        other => OrderStatus::Other(other.to_owned()),
    };
    order(v, status)
}

/// Rentals and verifications share one id space upstream; ours are told apart by prefix.
fn is_rental(id: &str) -> bool {
    id.starts_with("ren")
}

#[async_trait]
impl SmsProvider for TextVerifiedClient {
    fn name(&self) -> &'static str {
        NAME
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn balance(&self) -> ProviderResult<ProviderBalance> {
        let me = self.get("/account/me").await?;
        Ok(ProviderBalance {
            balance: decimal(&me["currentBalance"])
                .ok_or_else(|| ProviderError::Decode("no currentBalance".into()))?,
            currency: "USD".to_owned(),
            rating: None,
        })
    }

    async fn countries(&self) -> ProviderResult<Vec<Country>> {
        Ok(vec![Country {
            iso: "US".to_owned(),
            name: "United States".to_owned(),
            provider_name: "US".to_owned(),
            dial_prefix: Some("+1".to_owned()),
        }])
    }

    /// Nothing through a named operator: numbers here are sold through any.
    async fn offers(&self, country: &str, operator: Option<&str>) -> ProviderResult<Vec<Offer>> {
        if operator.is_some_and(|o| !o.trim().is_empty() && o.trim() != "any") {
            return Ok(Vec::new());
        }
        if !country.eq_ignore_ascii_case("US") {
            return Ok(Vec::new());
        }
        self.all_offers().await
    }

    async fn prices(&self, country: &str, product: &str) -> ProviderResult<Vec<OperatorPrice>> {
        Ok(prices_from_offers(
            self.offers(country, None).await?,
            product,
        ))
    }

    async fn buy_activation(&self, req: &BuyActivation) -> ProviderResult<ProviderOrder> {
        if !req.country.eq_ignore_ascii_case("US") {
            return Err(ProviderError::BadRequest(
                "TextVerified sells US numbers only".into(),
            ));
        }
        let mut body = json!({"serviceName": req.product, "capability": "sms"});
        if let Some(max) = req.max_price {
            body["maxPrice"] = json_number(max);
        }
        let v = self.create("/verifications", &body).await?;
        verification_order(&v)
    }

    async fn buy_rental(&self, req: &BuyRental) -> ProviderResult<ProviderOrder> {
        self.buy_line(req).await
    }

    async fn check(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        if is_rental(order_id) {
            let mut order = self.rental(order_id).await?;
            order.sms = self.messages(order_id).await?;
            Ok(order)
        } else {
            self.verification(order_id).await
        }
    }

    async fn rental_messages(&self, order_id: &str) -> ProviderResult<Vec<ProviderSms>> {
        self.messages(order_id).await
    }

    /// TextVerified completes a verification by itself once its code came: nothing to send.
    async fn finish(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        let mut order = self.verification(order_id).await?;
        if order.status == OrderStatus::Active && !order.has_sms() {
            return Err(ProviderError::OrderState {
                state: OrderStateError::NoSms,
                message: "no code yet".into(),
            });
        }
        order.status = OrderStatus::Finished;
        Ok(order)
    }

    async fn cancel(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.post(&format!("/verifications/{order_id}/cancel"), &json!({}))
            .await?;
        self.verification(order_id).await
    }

    async fn ban(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.post(&format!("/verifications/{order_id}/report"), &json!({}))
            .await?;
        self.verification(order_id).await
    }

    async fn release(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.release_line(order_id).await
    }

    async fn extend(&self, order_id: &str, hours: u32) -> ProviderResult<ProviderOrder> {
        self.extend_line(order_id, hours).await
    }

    /// Within the reuse window after its code, the verification is reused; after it,
    /// reactivated (both are new verifications on the same number, charged anew).
    async fn reuse(
        &self,
        order_id: &str,
        _product: &str,
        _phone: &str,
    ) -> ProviderResult<ProviderOrder> {
        let v = self.get(&format!("/verifications/{order_id}")).await?;
        let again = if v["reuse"]["reusableUntil"].is_string() {
            "reuse"
        } else if v["reactivate"]["canReactivate"] == Value::Bool(true) {
            "reactivate"
        } else {
            return Err(ProviderError::OrderState {
                state: OrderStateError::ReuseRefused,
                message: "neither reusable nor reactivatable".into(),
            });
        };
        let path = format!("/verifications/{order_id}/{again}");
        let v = self.bought(&path, &json!({}), None).await?;
        verification_order(&v)
    }

    async fn reactivation_price(&self, order_id: &str) -> ProviderResult<Decimal> {
        self.reactivation_cost(order_id).await
    }

    async fn reactivate(
        &self,
        order_id: &str,
        max_price: Decimal,
    ) -> ProviderResult<ProviderOrder> {
        self.reactivate_line(order_id, max_price).await
    }

    async fn orders(
        &self,
        category: Category,
        limit: u32,
        offset: u32,
    ) -> ProviderResult<OrderPage> {
        if category == Category::Rental {
            return self.rental_orders(limit, offset).await;
        }
        let size = limit.clamp(1, 100);
        let page = offset / size + 1;
        let listed = self
            .get(&format!("/verifications?page={page}&size={size}"))
            .await?;
        let orders = items(listed.get("data"))
            .into_iter()
            .filter_map(|v| verification_order(v).ok())
            .collect();
        Ok(OrderPage {
            orders,
            total: listed["count"].as_u64().unwrap_or(0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn us_numbers_are_written_in_e164() {
        assert_eq!(e164("5551234567"), "+15551234567");
    }

    #[test]
    fn links_are_followed_on_the_apis_own_origin_only() {
        let client = TextVerifiedClient::new(TextVerifiedSettings {
            base_url: "https://www.textverified.com".into(),
            username: "u".into(),
            api_key: SecretString::new("k".into()),
            timeout: Duration::from_secs(1),
            rate_per_sec: 1,
            pushes: false,
        })
        .unwrap();
        let api = "https://www.textverified.com/api/pub/v2";
        assert_eq!(client.url("/sales/1"), format!("{api}/sales/1"));
        assert_eq!(
            client.url(&format!("{api}/sales/1")),
            format!("{api}/sales/1")
        );
        assert_eq!(
            client.url("https://evil.example/api/pub/v2/sales/1"),
            format!("{api}/sales/1")
        );
        assert_eq!(client.url("https://evil.example/steal"), format!("{api}/"));
    }

    #[test]
    fn refusals_are_typed() {
        let body = |code: &str| json!({"errorCode": code, "errorDescription": "x"});
        assert_eq!(refusal(400, &body("Unavailable")), ProviderError::NoNumbers);
        assert_eq!(
            refusal(400, &body("InsufficientBalance")),
            ProviderError::InsufficientProviderBalance
        );
        assert!(matches!(
            refusal(409, &body("IdempotencyConflict")),
            ProviderError::Upstream { status: 409, .. }
        ));
        assert!(matches!(
            refusal(400, &body("NotCancelable")),
            ProviderError::OrderState {
                state: OrderStateError::HasSms,
                ..
            }
        ));
    }
}
