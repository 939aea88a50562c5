//! Upstream SMS providers: what each can do (`Capabilities`), the operations every provider
//! offers (`SmsProvider`), and the typed errors that decide failover.

pub mod five_sim;
pub mod health;
pub mod lenient;
pub mod monitored;
pub mod rate_limit;
pub mod router;
pub mod sms_activate;
pub mod textverified;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::fmt;
use std::future::Future;
use std::time::Duration;

/// How a provider lets a rented number be kept longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extension {
    /// The provider has its own extension call.
    Native,
    /// No extension call: a rental can only be kept until the end of the order already bought.
    WithinHeldOrder,
}

/// How new SMS reach us.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Poll,
    Push,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capabilities {
    pub activation: bool,
    /// Rental lengths the provider sells, in hours, shortest first.
    pub rental_hours: Vec<u32>,
    pub extension: Extension,
    /// Whether an order can be cancelled (and refunded upstream) before any SMS.
    pub early_cancel: bool,
    pub delivery: Delivery,
}

/// Where an order stands upstream, in the provider-neutral vocabulary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OrderStatus {
    /// Being prepared; no number yet.
    Pending,
    /// Number issued; SMS are collected as they arrive (5SIM `RECEIVED`, which does *not* mean
    /// an SMS has arrived: look at `sms`).
    Active,
    Cancelled,
    TimedOut,
    Finished,
    Banned,
    /// A status this client does not know, kept verbatim.
    Other(String),
}

impl OrderStatus {
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            OrderStatus::Cancelled
                | OrderStatus::TimedOut
                | OrderStatus::Finished
                | OrderStatus::Banned
        )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderSms {
    /// The provider's id for the message, when it gives one.
    pub id: Option<String>,
    pub received_at: DateTime<Utc>,
    pub sender: String,
    pub text: String,
    /// The code the provider extracted, if any (never an empty string).
    pub code: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProviderOrder {
    pub id: String,
    /// E.164, with the leading `+`.
    pub phone: String,
    pub product: Option<String>,
    pub operator: Option<String>,
    pub country: Option<String>,
    /// What the provider charged, in the provider account's currency.
    pub price: Option<Decimal>,
    pub status: OrderStatus,
    pub created_at: Option<DateTime<Utc>>,
    pub expires_at: Option<DateTime<Utc>>,
    /// Every SMS so far, oldest first.
    pub sms: Vec<ProviderSms>,
}

impl ProviderOrder {
    /// An SMS has arrived only when there is one: a status alone never says so.
    pub fn has_sms(&self) -> bool {
        !self.sms.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProviderBalance {
    pub balance: Decimal,
    /// The provider account's currency, as far as it is known.
    pub currency: String,
    /// 5SIM's rating (how many orders may be open at once), where the provider has one.
    pub rating: Option<Decimal>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case: our API's country code.
    pub iso: String,
    pub name: String,
    /// The provider's own name for it (5SIM: `england`).
    pub provider_name: String,
    pub dial_prefix: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Category {
    Activation,
    Rental,
}

/// One thing the provider sells in a country: a service for activations, or a rental length.
#[derive(Clone, Debug, PartialEq)]
pub struct Offer {
    pub product: String,
    pub category: Category,
    /// For rentals: how many hours the product lasts.
    pub hours: Option<u32>,
    pub price: Decimal,
    pub stock: u64,
    /// Every provider that sells it, in the order to buy from: those with numbers first,
    /// cheapest first (filled in by the router; empty in one provider's own list).
    pub sellers: Vec<Seller>,
}

/// One provider's price and stock for an offer.
#[derive(Clone, Debug, PartialEq)]
pub struct Seller {
    pub provider: &'static str,
    pub price: Decimal,
    pub stock: u64,
}

/// A price for one operator (`/guest/prices`).
#[derive(Clone, Debug, PartialEq)]
pub struct OperatorPrice {
    pub operator: String,
    pub price: Decimal,
    pub stock: u64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BuyActivation {
    pub country: String,
    pub operator: Option<String>,
    pub product: String,
    pub max_price: Option<Decimal>,
    /// Buy the number so that it can be reused later.
    pub reusable: bool,
}

#[derive(Clone, Debug, PartialEq)]
pub struct BuyRental {
    pub country: String,
    pub operator: Option<String>,
    pub hours: u32,
    /// The customer rents with auto-renew on: a provider that sells renewable lines sells one
    /// (the others ignore it).
    pub renewable: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderStateError {
    Expired,
    HasSms,
    HostingOrder,
    NoSms,
    TooEarly,
    ReuseRefused,
}

/// The longest a poll's read of one order may take, retries included: well within the 30 s
/// lease on the order, so that no other instance polls it while this read still runs.
pub const POLL_DEADLINE: Duration = Duration::from_secs(15);

/// Runs a poll's read of an order, giving up (as a timeout) after `POLL_DEADLINE`. Only the
/// read: what is stored of its answer is never cut short.
pub async fn within_poll_deadline<T>(
    read: impl Future<Output = ProviderResult<T>>,
) -> ProviderResult<T> {
    tokio::time::timeout(POLL_DEADLINE, read)
        .await
        .unwrap_or(Err(ProviderError::Timeout(POLL_DEADLINE)))
}

/// What went wrong at the provider. Decides what the caller does next: `fails_over()` says
/// whether another provider may be tried.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProviderError {
    #[error("no numbers available")]
    NoNumbers,
    #[error("the provider account's balance is too low")]
    InsufficientProviderBalance,
    #[error("the provider account's rating is too low")]
    NotEnoughRating,
    #[error("rate limited by the provider")]
    RateLimited,
    #[error("the provider did not answer within {0:?}")]
    Timeout(Duration),
    #[error("the provider refused the request: {0}")]
    BadRequest(String),
    #[error("the order cannot do that now ({state:?}): {message}")]
    OrderState {
        state: OrderStateError,
        message: String,
    },
    #[error("no such order at the provider")]
    NotFound,
    #[error("the provider refused our credentials")]
    Unauthorized,
    #[error("the provider does not support {0}")]
    Unsupported(&'static str),
    #[error("the provider failed (HTTP {status}): {body}")]
    Upstream { status: u16, body: String },
    #[error("the provider's answer could not be read: {0}")]
    Decode(String),
    /// Every provider that could serve is failing (their circuit breakers are open).
    #[error("every provider that could serve is failing")]
    Unavailable,
    /// The provider took the order, but what it sold could not be read back: not tried
    /// elsewhere (that would buy twice); reconciliation settles it from the provider's list.
    #[error("the provider took the order but its answer could not be read: {0}")]
    Unconfirmed(String),
}

impl ProviderError {
    /// A short name for the kind of answer, as metrics label it.
    pub fn kind(&self) -> &'static str {
        match self {
            ProviderError::NoNumbers => "no_numbers",
            ProviderError::InsufficientProviderBalance => "insufficient_balance",
            ProviderError::NotEnoughRating => "not_enough_rating",
            ProviderError::RateLimited => "rate_limited",
            ProviderError::Timeout(_) => "timeout",
            ProviderError::BadRequest(_) => "bad_request",
            ProviderError::OrderState { .. } => "order_state",
            ProviderError::NotFound => "not_found",
            ProviderError::Unauthorized => "unauthorized",
            ProviderError::Unsupported(_) => "unsupported",
            ProviderError::Upstream { .. } => "upstream_fault",
            ProviderError::Decode(_) => "decode",
            ProviderError::Unavailable => "unavailable",
            ProviderError::Unconfirmed(_) => "unconfirmed",
        }
    }

    /// "No numbers" and faults move to the next provider that can serve; bad requests and
    /// order-state refusals do not (another provider would say the same, or has no such order).
    pub fn fails_over(&self) -> bool {
        matches!(
            self,
            ProviderError::NoNumbers
                | ProviderError::InsufficientProviderBalance
                | ProviderError::NotEnoughRating
                | ProviderError::RateLimited
                | ProviderError::Timeout(_)
                | ProviderError::Unauthorized
                | ProviderError::Upstream { .. }
                | ProviderError::Decode(_)
                | ProviderError::Unavailable
        )
    }
}

/// A page of the account's orders, for reconciliation.
#[derive(Clone, Debug, PartialEq)]
pub struct OrderPage {
    pub orders: Vec<ProviderOrder>,
    pub total: u64,
}

pub type ProviderResult<T> = Result<T, ProviderError>;

/// One upstream provider. Every call has a timeout and respects the provider's rate limit.
#[async_trait]
pub trait SmsProvider: Send + Sync + fmt::Debug {
    /// A stable name, stored with each order (`5sim`).
    fn name(&self) -> &'static str;
    fn capabilities(&self) -> &Capabilities;

    async fn balance(&self) -> ProviderResult<ProviderBalance>;
    async fn countries(&self) -> ProviderResult<Vec<Country>>;
    /// What is sold in `country` (ISO code), through `operator` or any.
    async fn offers(&self, country: &str, operator: Option<&str>) -> ProviderResult<Vec<Offer>>;
    /// Per-operator prices of `product` in `country`; empty when it is not offered there.
    async fn prices(&self, country: &str, product: &str) -> ProviderResult<Vec<OperatorPrice>>;

    async fn buy_activation(&self, req: &BuyActivation) -> ProviderResult<ProviderOrder>;
    async fn buy_rental(&self, req: &BuyRental) -> ProviderResult<ProviderOrder>;
    /// The order now, with every SMS so far.
    async fn check(&self, order_id: &str) -> ProviderResult<ProviderOrder>;
    /// The SMS a rented number has received.
    async fn rental_messages(&self, order_id: &str) -> ProviderResult<Vec<ProviderSms>>;
    async fn finish(&self, order_id: &str) -> ProviderResult<ProviderOrder>;
    async fn cancel(&self, order_id: &str) -> ProviderResult<ProviderOrder>;
    async fn ban(&self, order_id: &str) -> ProviderResult<ProviderOrder>;
    /// Gives a rented number back before its end.
    async fn release(&self, order_id: &str) -> ProviderResult<ProviderOrder>;
    async fn extend(&self, order_id: &str, hours: u32) -> ProviderResult<ProviderOrder>;
    /// A new activation of `product` on the number of the finished order `order_id` (5SIM:
    /// bought earlier with `reusable`; TextVerified: reused or reactivated).
    async fn reuse(
        &self,
        order_id: &str,
        product: &str,
        phone: &str,
    ) -> ProviderResult<ProviderOrder>;
    /// What renting the number of the expired rental `order_id` again would cost, where the
    /// provider can reactivate one (TextVerified).
    async fn reactivation_price(&self, _order_id: &str) -> ProviderResult<Decimal> {
        Err(ProviderError::Unsupported("renting a number again"))
    }
    /// The number of the expired rental `order_id` rented again (for its first length), as
    /// a new order, for no more than `max_price`.
    async fn reactivate(
        &self,
        _order_id: &str,
        _max_price: Decimal,
    ) -> ProviderResult<ProviderOrder> {
        Err(ProviderError::Unsupported("renting a number again"))
    }
    async fn orders(
        &self,
        category: Category,
        limit: u32,
        offset: u32,
    ) -> ProviderResult<OrderPage>;
}

/// Whether a failed call may be sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Retry {
    /// A read: retried with backoff on rate limits, timeouts, 5xx and no answer.
    Idempotent,
    /// Changes state upstream (buy, cancel…): sent once.
    Never,
}

const READ_ATTEMPTS: u32 = 3;

/// Runs `call`, and runs it again (up to three times in all, with backoff) while it is a read
/// that failed in a way that may pass.
pub async fn retrying<T, F, Fut>(retry: Retry, mut call: F) -> ProviderResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ProviderResult<T>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let result = call().await;
        let passing = matches!(
            &result,
            Err(ProviderError::RateLimited | ProviderError::Timeout(_))
                | Err(ProviderError::Upstream {
                    status: 0 | 500..=599,
                    ..
                })
        );
        if retry == Retry::Never || !passing || attempt >= READ_ATTEMPTS {
            return result;
        }
        let jitter =
            Duration::from_millis(u64::from(chrono::Utc::now().timestamp_subsec_millis() % 50));
        let backoff = Duration::from_millis(100 * 2u64.pow(attempt)) + jitter;
        tracing::debug!(attempt, ?backoff, "retrying a read");
        tokio::time::sleep(backoff).await;
    }
}

/// Per-operator prices of `product`, for a provider that prices without operators: its
/// activation offer for `product`, as operator `any`.
pub fn prices_from_offers(offers: Vec<Offer>, product: &str) -> Vec<OperatorPrice> {
    offers
        .into_iter()
        .filter(|o| o.category == Category::Activation && o.product == product)
        .map(|o| OperatorPrice {
            operator: "any".to_owned(),
            price: o.price,
            stock: o.stock,
        })
        .collect()
}
