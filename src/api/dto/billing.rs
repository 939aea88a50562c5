//! Top-ups: adding money by card.

use crate::domain::topup::TopupStatus;
use crate::domain::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/billing/topups`: how much to add, in whole cents (from `MIN_TOPUP` to
/// `MAX_TOPUP`, 5.00 to 1000.00 unless the operator changed them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"amount": "20.00"})))]
pub struct NewTopup {
    pub amount: Money,
}

/// A top-up: money added by card. Pay it at `checkout_url` (the payment provider's page)
/// while `status` is `pending` or `declined`; the balance is credited once the provider
/// confirms the payment, and `status` is then `paid`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopupView {
    pub id: i64,
    pub amount: Money,
    pub currency: String,
    pub status: TopupStatus,
    /// Where to pay it, while it can still be paid.
    pub checkout_url: Option<String>,
    /// Why the last card was declined.
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    /// Until when it can be paid.
    pub expires_at: Option<DateTime<Utc>>,
    pub paid_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopupPage {
    pub topups: Vec<TopupView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// What the wallet page shows besides the ledger: whether card top-ups are on here, their
/// limits, and the latest top-ups.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TopupOptions {
    pub enabled: bool,
    pub min: Money,
    pub max: Money,
    pub currency: String,
    /// In sandbox mode, payments go to the embedded emulator: no card is charged.
    pub sandbox: bool,
}

/// The wallet page: top-up options, the latest top-ups, and the one the customer has just
/// come back from paying (`?topup=`), if any.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Wallet {
    pub options: TopupOptions,
    pub topups: Vec<TopupView>,
    pub returned: Option<TopupView>,
}
