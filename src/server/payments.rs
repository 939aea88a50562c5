//! Payment providers: where customers pay for top-ups. The services know a provider only
//! through [`PaymentProvider`]: it opens a hosted checkout for an amount, and turns the
//! provider's signed notifications into [`PaymentEvent`]s. Stripe is the one there is.

pub mod stripe;

use crate::domain::topup::DisputeStatus;
use crate::domain::Money;
use async_trait::async_trait;
use axum::http::HeaderMap;
use std::fmt;

/// What a checkout is for.
#[derive(Clone, Debug)]
pub struct CheckoutRequest<'a> {
    pub topup_id: i64,
    /// Whole cents.
    pub amount: Money,
    pub currency: &'a str,
    /// The customer's address, prefilled on the provider's page.
    pub email: &'a str,
    /// Where the provider sends the customer after paying, and after giving up.
    pub success_url: &'a str,
    pub cancel_url: &'a str,
    /// Unique to this top-up, also across databases sharing the provider's account: a retry
    /// with it gets the first checkout.
    pub idempotency_key: &'a str,
}

/// A checkout the provider opened.
#[derive(Clone, Debug)]
pub struct Checkout {
    pub id: String,
    /// Where the customer pays.
    pub url: String,
    /// Until when (ms since the epoch).
    pub expires_at: i64,
}

/// What a provider's notification says happened, for the top-up it names.
#[derive(Clone, Debug, PartialEq)]
pub enum PaymentEvent {
    /// The checkout was paid: `amount` in `currency` by payment `payment_id`.
    Paid {
        topup_id: i64,
        checkout_id: String,
        payment_id: String,
        amount: Money,
        currency: String,
    },
    /// A card was declined; the checkout stays open.
    Declined { topup_id: i64, reason: String },
    /// The checkout expired unpaid.
    Expired { topup_id: i64 },
    /// Payment `payment_id` was refunded: `refunded` in all so far (the running total, as
    /// providers report it).
    Refunded {
        payment_id: String,
        /// The top-up the payment's metadata names, if it does.
        topup_id: Option<i64>,
        refunded: Money,
        currency: String,
    },
    /// A dispute (chargeback) of payment `payment_id`, for `amount`, was opened or decided.
    Disputed {
        payment_id: String,
        dispute_id: String,
        amount: Money,
        currency: String,
        status: DisputeStatus,
    },
    /// Something not acted on (its type, for the log).
    Other { kind: String },
}

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    /// The provider could not be reached, or failed on its side: try again later.
    #[error("the payment provider could not be reached: {0}")]
    Unavailable(String),
    /// The provider refused the request (our configuration, most likely).
    #[error("the payment provider refused the request: {0}")]
    Refused(String),
    /// A notification that is not provably the provider's: not acted on.
    #[error("{0}")]
    BadSignature(&'static str),
    /// A signed notification whose body could not be read.
    #[error("the notification could not be read: {0}")]
    Unreadable(String),
}

#[async_trait]
pub trait PaymentProvider: Send + Sync + fmt::Debug {
    /// The name top-ups and ledger references carry (`stripe`).
    fn name(&self) -> &'static str;

    /// The origin of its hosted checkout pages (`https://checkout.stripe.com`): the one place
    /// besides this site a form here may send the browser (the pages' CSP `form-action`).
    fn checkout_origin(&self) -> &str;

    /// Opens a hosted checkout for the request. Asking again for the same top-up gives the
    /// same checkout.
    async fn create_checkout(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<Checkout, PaymentError>;

    /// Checks that a notification is the provider's (its signature over `body`, made within
    /// the tolerance of `now_secs`) and says what it reports.
    fn event(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_secs: i64,
    ) -> Result<PaymentEvent, PaymentError>;
}
