//! A client for any provider that speaks the SMS-Activate protocol (`handler_api.php`): the
//! original and its many clones, each under its own name and base URL
//! (`SMSACTIVATE_PROVIDERS=name=url,…`). Errors arrive as HTTP 200 with a token for a body and
//! are typed here; a clone's HTTP statuses (401, 404, 429, 5xx) are typed too. Reads are
//! retried with backoff; purchases and other changes are sent once.

pub mod codes;
pub mod wire;

use super::lenient;
use super::rate_limit::RateLimiter;
use super::{
    prices_from_offers, retrying, BuyActivation, BuyRental, Capabilities, Category, Country,
    Delivery, Extension, Offer, OperatorPrice, OrderPage, OrderStateError, OrderStatus,
    ProviderBalance, ProviderError, ProviderOrder, ProviderResult, ProviderSms, Retry, SmsProvider,
};
use crate::server::config::SecretString;
use async_trait::async_trait;
use chrono::{Duration as Span, Utc};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

/// Rent lengths on sale, in hours (the protocol's minimum is 4).
pub const RENT_HOURS: [u32; 6] = [4, 12, 24, 72, 168, 720];
/// How long an activation waits for its SMS when the provider does not say.
const ACTIVATION_LIFETIME: Span = Span::minutes(20);
/// Numbers of orders this client has seen, kept for the calls that do not say them.
const KNOWN_PHONES_CAP: usize = 10_000;

#[derive(Clone, Debug)]
pub struct SmsActivateSettings {
    /// The name orders are recorded under (`SMSACTIVATE_PROVIDERS`' name).
    pub name: String,
    /// The full URL of `handler_api.php`.
    pub url: String,
    pub api_key: SecretString,
    pub timeout: Duration,
    pub rate_per_sec: u32,
    /// The currency the account is kept in.
    pub currency: String,
    /// Where the provider is to push each rent's SMS (`url` on `getRentNumber`); unset, rents
    /// are only polled.
    pub push_url: Option<String>,
}

#[derive(Debug)]
pub struct SmsActivateClient {
    name: &'static str,
    http: reqwest::Client,
    url: String,
    api_key: SecretString,
    timeout: Duration,
    currency: String,
    limiter: RateLimiter,
    capabilities: Capabilities,
    push_url: Option<String>,
    /// Order id → number: `getStatus` and `getRentStatus` do not say the number.
    phones: Mutex<HashMap<String, String>>,
}

impl SmsActivateClient {
    pub fn new(settings: SmsActivateSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout.min(Duration::from_secs(5)))
            .user_agent(concat!("namaskah/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(SmsActivateClient {
            // Configured once at start-up, and orders are recorded under it for good.
            name: Box::leak(settings.name.into_boxed_str()),
            http,
            url: settings.url,
            api_key: settings.api_key,
            timeout: settings.timeout,
            currency: settings.currency,
            limiter: RateLimiter::per_second(settings.rate_per_sec),
            capabilities: Capabilities {
                activation: true,
                rental_hours: RENT_HOURS.to_vec(),
                extension: Extension::Native,
                early_cancel: true,
                // Rents push their SMS when we give a URL; activations are always polled.
                delivery: if settings.push_url.is_some() {
                    Delivery::Push
                } else {
                    Delivery::Poll
                },
            },
            push_url: settings.push_url,
            phones: Mutex::new(HashMap::new()),
        })
    }

    /// Sends `action` and returns the body of a 200, or the error a common token or another
    /// status means.
    async fn call(
        &self,
        action: &str,
        params: &[(&str, String)],
        retry: Retry,
    ) -> ProviderResult<String> {
        retrying(retry, || self.call_once(action, params)).await
    }

    #[tracing::instrument(name = "sms-activate", skip(self, params), fields(provider = self.name))]
    async fn call_once(&self, action: &str, params: &[(&str, String)]) -> ProviderResult<String> {
        self.limiter.acquire().await;
        let mut query = vec![
            ("api_key", self.api_key.expose().to_owned()),
            ("action", action.to_owned()),
        ];
        query.extend(params.iter().cloned());
        let response = match self.http.get(&self.url).query(&query).send().await {
            Ok(r) => r,
            Err(e) => return Err(self.transport_error(action, e)),
        };
        let status = response.status().as_u16();
        let body = match response.text().await {
            Ok(b) => b,
            Err(e) => return Err(self.transport_error(action, e)),
        };
        let outcome = match status {
            200 => match wire::common_error(&body) {
                Some(e) => Err(e),
                None => Ok(body.trim().to_owned()),
            },
            401 | 403 => Err(ProviderError::Unauthorized),
            404 => Err(ProviderError::NotFound),
            429 => Err(ProviderError::RateLimited),
            400 | 422 => Err(ProviderError::BadRequest(snippet(&body))),
            _ => Err(ProviderError::Upstream {
                status,
                body: snippet(&body),
            }),
        };
        if let Err(e) = &outcome {
            tracing::warn!(provider = self.name, action, status, provider_message = %snippet(&body), error = %e, "SMS-Activate call failed");
        }
        outcome
    }

    async fn json(
        &self,
        action: &str,
        params: &[(&str, String)],
        retry: Retry,
    ) -> ProviderResult<Value> {
        let body = self.call(action, params, retry).await?;
        serde_json::from_str(&body)
            .map_err(|e| ProviderError::Decode(format!("{e} in {}", snippet(&body))))
    }

    /// A rent API call: JSON whose `status` is `success`, or the error its message means.
    async fn rent_call(
        &self,
        action: &str,
        params: &[(&str, String)],
        retry: Retry,
    ) -> ProviderResult<Value> {
        let v = self.json(action, params, retry).await?;
        match wire::rent_refusal(&v) {
            None => Ok(v),
            Some(token) => Err(
                wire::common_error(&token).unwrap_or(ProviderError::Upstream {
                    status: 200,
                    body: token,
                }),
            ),
        }
    }

    fn transport_error(&self, action: &str, e: reqwest::Error) -> ProviderError {
        let error = if e.is_timeout() {
            ProviderError::Timeout(self.timeout)
        } else {
            ProviderError::Upstream {
                status: 0,
                body: format!("could not reach {}: {}", self.name, e.without_url()),
            }
        };
        tracing::warn!(provider = self.name, action, error = %error, "SMS-Activate call failed");
        error
    }

    fn remember(&self, id: &str, phone: &str) {
        let mut phones = self.phones.lock().expect("phones lock");
        if phones.len() >= KNOWN_PHONES_CAP {
            phones.clear();
        }
        phones.insert(id.to_owned(), phone.to_owned());
    }

    /// The number of order `id`: remembered, or looked up in the account's open orders.
    async fn phone_of(&self, id: &str, category: Category) -> String {
        let known = |c: &Self| c.phones.lock().expect("phones lock").get(id).cloned();
        if let Some(phone) = known(self) {
            return phone;
        }
        // One listing fills in every open order's number.
        let _ = self.open_orders(category).await;
        known(self).unwrap_or_default()
    }

    async fn open_orders(&self, category: Category) -> ProviderResult<Vec<ProviderOrder>> {
        let orders: Vec<ProviderOrder> = match category {
            Category::Activation => {
                let v = self
                    .json("getActiveActivations", &[], Retry::Idempotent)
                    .await?;
                lenient::items(v.get("activeActivations"))
                    .into_iter()
                    .filter_map(|a| self.activation_listed(a))
                    .collect()
            }
            Category::Rental => {
                let v = self
                    .rent_call("getRentList", &[], Retry::Idempotent)
                    .await?;
                lenient::items(v.get("values"))
                    .into_iter()
                    .filter_map(|r| {
                        Some(order(
                            lenient::string(r.get("id")?)?,
                            wire::e164(&lenient::string(r.get("phone")?)?),
                            OrderStatus::Active,
                        ))
                    })
                    .collect()
            }
        };
        for o in &orders {
            self.remember(&o.id, &o.phone);
        }
        Ok(orders)
    }

    fn activation_listed(&self, a: &Value) -> Option<ProviderOrder> {
        let id = lenient::string(a.get("activationId")?)?;
        let phone = wire::e164(&lenient::string(a.get("phoneNumber")?)?);
        let mut o = order(id, phone, OrderStatus::Active);
        o.product = a
            .get("serviceCode")
            .and_then(Value::as_str)
            .map(|c| codes::service_name(c).unwrap_or(c).to_owned());
        o.price = a.get("activationCost").and_then(lenient::decimal);
        o.created_at = a.get("activationTime").and_then(lenient::time);
        o.expires_at = o.created_at.map(|t| t + ACTIVATION_LIFETIME);
        if let Some(text) = a.get("smsText").and_then(Value::as_str) {
            o.sms
                .push(sms(&o.id, text, a.get("smsCode").and_then(Value::as_str)));
        }
        Some(o)
    }

    fn country_id(&self, iso: &str) -> ProviderResult<u32> {
        codes::country_id(iso).ok_or_else(|| {
            ProviderError::BadRequest(format!("{} does not serve country {iso}", self.name))
        })
    }

    /// An activation as `getStatus` (and, once a code came, `getFullSms`) say it is.
    async fn activation_status(&self, id: &str) -> ProviderResult<ProviderOrder> {
        let token = self
            .call("getStatus", &[("id", id.to_owned())], Retry::Idempotent)
            .await?;
        let (name, code) = token.split_once(':').unwrap_or((token.as_str(), ""));
        let status = match name {
            "STATUS_CANCEL" => OrderStatus::Cancelled,
            "STATUS_WAIT_CODE" | "STATUS_WAIT_RETRY" | "STATUS_WAIT_RESEND" | "STATUS_OK" => {
                OrderStatus::Active
            }
            other => OrderStatus::Other(other.to_owned()),
        };
        let mut o = order(
            id.to_owned(),
            self.phone_of(id, Category::Activation).await,
            status,
        );
        if !code.is_empty() {
            let full = self
                .call("getFullSms", &[("id", id.to_owned())], Retry::Idempotent)
                .await?;
            let text = full.strip_prefix("FULL_SMS:").unwrap_or(code);
            o.sms.push(sms(id, text, Some(code)));
        }
        Ok(o)
    }

    /// A rent's messages, oldest first, or how it ended.
    async fn rent_status(&self, id: &str) -> ProviderResult<(OrderStatus, Vec<ProviderSms>)> {
        let v = match self
            .rent_call("getRentStatus", &[("id", id.to_owned())], Retry::Idempotent)
            .await
        {
            Ok(v) => v,
            Err(ProviderError::Upstream { body, .. }) if body == "STATUS_WAIT_CODE" => {
                return Ok((OrderStatus::Active, Vec::new()))
            }
            Err(ProviderError::Upstream { body, .. }) if body == "STATUS_CANCEL" => {
                return Ok((OrderStatus::Cancelled, Vec::new()))
            }
            Err(ProviderError::Upstream { body, .. }) if body == "STATUS_FINISH" => {
                return Ok((OrderStatus::Finished, Vec::new()))
            }
            Err(e) => return Err(e),
        };
        let now = Utc::now();
        let mut messages: Vec<ProviderSms> = lenient::items(v.get("values"))
            .into_iter()
            .map(|m| ProviderSms {
                id: None,
                received_at: m.get("date").and_then(lenient::time).unwrap_or(now),
                sender: m
                    .get("phoneFrom")
                    .and_then(lenient::string)
                    .unwrap_or_default(),
                text: m.get("text").and_then(lenient::string).unwrap_or_default(),
                code: None,
            })
            .collect();
        // Listed oldest first; the sort is stable, for messages of the same second.
        messages.sort_by_key(|m| m.received_at);
        Ok((OrderStatus::Active, messages))
    }

    async fn set_status(&self, id: &str, status: &str) -> ProviderResult<String> {
        let params = [("id", id.to_owned()), ("status", status.to_owned())];
        self.call("setStatus", &params, Retry::Never).await
    }

    async fn set_rent_status(&self, id: &str, status: &str) -> ProviderResult<()> {
        let params = [("id", id.to_owned()), ("status", status.to_owned())];
        self.rent_call("setRentStatus", &params, Retry::Never)
            .await
            .map(drop)
    }

    fn rented(&self, v: &Value, hours: u32) -> ProviderResult<ProviderOrder> {
        let phone = v
            .get("phone")
            .ok_or_else(|| ProviderError::Decode("no phone in the rent answer".into()))?;
        let id = phone
            .get("id")
            .and_then(lenient::string)
            .ok_or_else(|| ProviderError::Decode("no rent id".into()))?;
        let number = phone
            .get("number")
            .and_then(lenient::string)
            .ok_or_else(|| ProviderError::Decode("no rented number".into()))?;
        let mut o = order(id, wire::e164(&number), OrderStatus::Active);
        o.created_at = Some(Utc::now());
        o.expires_at = phone
            .get("endDate")
            .and_then(lenient::time)
            .or_else(|| Some(Utc::now() + Span::hours(i64::from(hours))));
        self.remember(&o.id, &o.phone);
        Ok(o)
    }
}

/// An order with only what every answer says.
fn order(id: String, phone: String, status: OrderStatus) -> ProviderOrder {
    ProviderOrder {
        id,
        phone,
        product: None,
        operator: None,
        country: None,
        price: None,
        status,
        created_at: None,
        expires_at: None,
        sms: Vec::new(),
    }
}

/// An activation's SMS. The protocol gives it no id nor time: its id is the order's and its
/// text's, so the same SMS is the same message however often it is read.
fn sms(order_id: &str, text: &str, code: Option<&str>) -> ProviderSms {
    let digest = crate::server::services::secrets::digest(text);
    ProviderSms {
        id: Some(format!("{order_id}:{}", &digest[..16.min(digest.len())])),
        received_at: Utc::now(),
        sender: String::new(),
        text: text.to_owned(),
        code: code.filter(|c| !c.is_empty()).map(str::to_owned),
    }
}

/// The shortest length on sale that covers `hours`.
fn rent_time_for(hours: u32) -> Option<u32> {
    RENT_HOURS.iter().copied().find(|h| *h >= hours)
}

fn snippet(body: &str) -> String {
    body.trim().chars().take(200).collect()
}

#[async_trait]
impl SmsProvider for SmsActivateClient {
    fn name(&self) -> &'static str {
        self.name
    }

    fn capabilities(&self) -> &Capabilities {
        &self.capabilities
    }

    async fn balance(&self) -> ProviderResult<ProviderBalance> {
        let body = self.call("getBalance", &[], Retry::Idempotent).await?;
        let balance = body
            .strip_prefix("ACCESS_BALANCE:")
            .and_then(|b| b.trim().parse().ok())
            .ok_or_else(|| ProviderError::Decode(format!("a balance of {}", snippet(&body))))?;
        Ok(ProviderBalance {
            balance,
            currency: self.currency.clone(),
            rating: None,
        })
    }

    async fn countries(&self) -> ProviderResult<Vec<Country>> {
        let v = self.json("getCountries", &[], Retry::Idempotent).await?;
        let mut list: Vec<Country> = lenient::items(Some(&v))
            .into_iter()
            .filter_map(|c| {
                let id = lenient::integer(c.get("id")?)?;
                let iso = codes::country_iso(u32::try_from(id).ok()?)?;
                let name = c.get("eng").and_then(lenient::string)?;
                Some(Country {
                    iso: iso.to_owned(),
                    provider_name: id.to_string(),
                    name,
                    dial_prefix: None,
                })
            })
            .collect();
        list.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(list)
    }

    /// Nothing through a named operator: numbers here are sold through any.
    async fn offers(&self, country: &str, operator: Option<&str>) -> ProviderResult<Vec<Offer>> {
        if operator.is_some_and(|o| !o.trim().is_empty() && o.trim() != "any") {
            return Ok(Vec::new());
        }
        let id = self.country_id(country)?.to_string();
        let v = self
            .json("getPrices", &[("country", id.clone())], Retry::Idempotent)
            .await?;
        let mut offers: Vec<Offer> = v
            .get(&id)
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(code, o)| {
                Some(Offer {
                    product: codes::service_name(code)?.to_owned(),
                    category: Category::Activation,
                    hours: None,
                    price: o.get("cost").and_then(lenient::decimal)?,
                    stock: o
                        .get("count")
                        .or_else(|| o.get("quant"))
                        .and_then(lenient::integer)
                        .unwrap_or(0),
                    sellers: Vec::new(),
                })
            })
            .collect();
        for hours in RENT_HOURS {
            let params = [("rent_time", hours.to_string()), ("country", id.clone())];
            let v = self
                .rent_call("getRentServicesAndCountries", &params, Retry::Idempotent)
                .await
                .or_else(|e| match e {
                    ProviderError::NoNumbers => Ok(Value::Null),
                    e => Err(e),
                })?;
            if let Some(full) = v.get("services").and_then(|s| s.get(codes::ANY_SERVICE)) {
                if let Some(price) = full.get("cost").and_then(lenient::decimal) {
                    offers.push(Offer {
                        product: format!("{hours}h"),
                        category: Category::Rental,
                        hours: Some(hours),
                        price,
                        stock: full.get("quant").and_then(lenient::integer).unwrap_or(0),
                        sellers: Vec::new(),
                    });
                }
            }
        }
        Ok(offers)
    }

    async fn prices(&self, country: &str, product: &str) -> ProviderResult<Vec<OperatorPrice>> {
        Ok(prices_from_offers(
            self.offers(country, None).await?,
            product,
        ))
    }

    async fn buy_activation(&self, req: &BuyActivation) -> ProviderResult<ProviderOrder> {
        let service = codes::service_code(&req.product).ok_or_else(|| {
            ProviderError::BadRequest(format!("{} does not sell {}", self.name, req.product))
        })?;
        let mut params = vec![
            ("service", service.to_owned()),
            ("country", self.country_id(&req.country)?.to_string()),
        ];
        if let Some(max) = req.max_price {
            params.push(("maxPrice", max.normalize().to_string()));
        }
        let v = self.json("getNumberV2", &params, Retry::Never).await?;
        let id = v
            .get("activationId")
            .and_then(lenient::string)
            .ok_or_else(|| ProviderError::Decode("no activationId".into()))?;
        let number = v
            .get("phoneNumber")
            .and_then(lenient::string)
            .ok_or_else(|| ProviderError::Decode("no phoneNumber".into()))?;
        let mut o = order(id, wire::e164(&number), OrderStatus::Active);
        o.product = Some(req.product.clone());
        o.country = Some(req.country.to_uppercase());
        o.operator = v.get("activationOperator").and_then(lenient::string);
        o.price = v.get("activationCost").and_then(lenient::decimal);
        o.created_at = v
            .get("activationTime")
            .and_then(lenient::time)
            .or_else(|| Some(Utc::now()));
        o.expires_at = v
            .get("activationEndTime")
            .and_then(lenient::time)
            .or_else(|| o.created_at.map(|t| t + ACTIVATION_LIFETIME));
        self.remember(&o.id, &o.phone);
        Ok(o)
    }

    async fn buy_rental(&self, req: &BuyRental) -> ProviderResult<ProviderOrder> {
        let hours = rent_time_for(req.hours).ok_or_else(|| {
            ProviderError::BadRequest(format!(
                "{} rents numbers for at most {} hours",
                self.name,
                RENT_HOURS[RENT_HOURS.len() - 1]
            ))
        })?;
        let mut params = vec![
            ("service", codes::ANY_SERVICE.to_owned()),
            ("rent_time", hours.to_string()),
            ("country", self.country_id(&req.country)?.to_string()),
        ];
        if let Some(url) = &self.push_url {
            params.push(("url", url.clone()));
        }
        let v = self
            .rent_call("getRentNumber", &params, Retry::Never)
            .await?;
        let mut o = self.rented(&v, hours)?;
        o.country = Some(req.country.to_uppercase());
        Ok(o)
    }

    async fn check(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        match self.activation_status(order_id).await {
            Err(ProviderError::NotFound) => {
                let (status, sms) = self.rent_status(order_id).await?;
                let mut o = order(
                    order_id.to_owned(),
                    self.phone_of(order_id, Category::Rental).await,
                    status,
                );
                o.sms = sms;
                Ok(o)
            }
            other => other,
        }
    }

    async fn rental_messages(&self, order_id: &str) -> ProviderResult<Vec<ProviderSms>> {
        Ok(self.rent_status(order_id).await?.1)
    }

    async fn finish(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        match self.set_status(order_id, "6").await {
            Ok(_) => {}
            Err(ProviderError::BadRequest(t)) if t == "BAD_STATUS" => {
                return Err(wire::state(OrderStateError::NoSms, &t))
            }
            Err(e) => return Err(e),
        }
        let phone = self.phone_of(order_id, Category::Activation).await;
        Ok(order(order_id.to_owned(), phone, OrderStatus::Finished))
    }

    async fn cancel(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        match self.set_status(order_id, "8").await {
            Ok(_) => {}
            // Refused once an SMS came (the protocol's token for it varies by vendor).
            Err(ProviderError::BadRequest(t)) if t == "BAD_STATUS" => {
                return Err(wire::state(OrderStateError::HasSms, &t))
            }
            Err(e) => return Err(e),
        }
        let phone = self.phone_of(order_id, Category::Activation).await;
        Ok(order(order_id.to_owned(), phone, OrderStatus::Cancelled))
    }

    /// The protocol has no ban: the number is given back as a cancel.
    async fn ban(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        self.cancel(order_id).await
    }

    /// Cancelled while the protocol refunds it (the first 20 minutes), finished after.
    async fn release(&self, order_id: &str) -> ProviderResult<ProviderOrder> {
        let status = match self.set_rent_status(order_id, "2").await {
            Ok(()) => OrderStatus::Cancelled,
            Err(ProviderError::OrderState { message, .. }) if message == "CANT_CANCEL" => {
                match self.set_rent_status(order_id, "1").await {
                    Ok(()) => OrderStatus::Finished,
                    Err(ProviderError::OrderState { message, .. })
                        if message == "ALREADY_FINISH" =>
                    {
                        OrderStatus::Finished
                    }
                    Err(e) => return Err(e),
                }
            }
            // Already over: nothing left to give back.
            Err(ProviderError::OrderState { message, .. }) if message == "ALREADY_FINISH" => {
                OrderStatus::Finished
            }
            Err(ProviderError::OrderState { message, .. }) if message == "ALREADY_CANCEL" => {
                OrderStatus::Cancelled
            }
            Err(e) => return Err(e),
        };
        let phone = self.phone_of(order_id, Category::Rental).await;
        Ok(order(order_id.to_owned(), phone, status))
    }

    /// `continueRentNumber`, for the shortest length on sale that covers `hours`.
    async fn extend(&self, order_id: &str, hours: u32) -> ProviderResult<ProviderOrder> {
        let sold = rent_time_for(hours).ok_or_else(|| {
            ProviderError::BadRequest(format!("{} cannot extend by {hours} hours", self.name))
        })?;
        let params = [("id", order_id.to_owned()), ("rent_time", sold.to_string())];
        let v = self
            .rent_call("continueRentNumber", &params, Retry::Never)
            .await?;
        self.rented(&v, sold)
    }

    async fn reuse(
        &self,
        _order_id: &str,
        _product: &str,
        _phone: &str,
    ) -> ProviderResult<ProviderOrder> {
        Err(ProviderError::Unsupported("reusing a number"))
    }

    async fn orders(
        &self,
        category: Category,
        limit: u32,
        offset: u32,
    ) -> ProviderResult<OrderPage> {
        let mut all = self.open_orders(category).await?;
        // Newest first, as the other providers list them.
        all.sort_by(|a, b| {
            let n = |o: &ProviderOrder| o.id.parse::<u64>().unwrap_or(0);
            n(b).cmp(&n(a))
        });
        let total = all.len() as u64;
        let orders = all
            .into_iter()
            .skip(offset as usize)
            .take(limit as usize)
            .collect();
        Ok(OrderPage { orders, total })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rental_is_bought_as_the_shortest_length_that_covers_it() {
        assert_eq!(rent_time_for(1), Some(4));
        assert_eq!(rent_time_for(4), Some(4));
        assert_eq!(rent_time_for(25), Some(72));
        assert_eq!(rent_time_for(720), Some(720));
        assert_eq!(rent_time_for(721), None);
    }

    #[test]
    fn the_same_sms_read_twice_is_the_same_message() {
        let a = sms("7", "Your code is 123456", Some("123456"));
        let b = sms("7", "Your code is 123456", Some("123456"));
        assert_eq!(a.id, b.id);
        assert_ne!(a.id, sms("8", "Your code is 123456", None).id);
    }
}
