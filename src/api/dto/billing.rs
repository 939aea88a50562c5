//! Top-ups: adding money by card.

use crate::domain::topup::TopupStatus;
use crate::domain::Money;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// `POST /api/billing/topups`: how much to add, to the cent (from `MIN_TOPUP` to
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
    /// What the payment provider has refunded of it so far (taken back from the balance).
    pub refunded: Money,
    /// What disputes (chargebacks) of its payment hold back from the balance: while one is
    /// open or after it is lost.
    pub disputed: Money,
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
    /// The months with a statement to show (`YYYY-MM`): this one and the two before.
    pub months: Vec<String>,
}

/// Who issues receipts and statements (`BUSINESS_NAME`, `BUSINESS_ADDRESS`, `BUSINESS_TAX_ID`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Issuer {
    pub name: String,
    /// Its address, a line each.
    pub address: Vec<String>,
    pub tax_id: Option<String>,
}

/// The receipt for a paid top-up: what was paid, the tax it includes (`TAX_RATE`), who was
/// paid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Receipt {
    /// `R-000042`: the top-up's id.
    pub number: String,
    pub issuer: Issuer,
    pub customer_email: String,
    pub topup: TopupView,
    /// The tax rate, as a fraction (`"0.2"` for 20 %).
    pub tax_rate: String,
    /// The tax the amount includes, and the rest.
    pub tax: Money,
    pub net: Money,
    /// The payment at the provider (`pi_…`).
    pub payment_reference: Option<String>,
}

/// A month's statement: the balance at its start and end, what came in and went out, and
/// every ledger row in it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Statement {
    /// `2026-12`.
    pub month: String,
    /// `December 2026`.
    pub title: String,
    pub issuer: Issuer,
    pub customer_email: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub opening_balance: Money,
    pub closing_balance: Money,
    pub money_in: Money,
    pub money_out: Money,
    /// Card top-ups in the month, net of what refunds and disputes of top-ups took back in it,
    /// and the tax they include (`TAX_RATE`).
    pub topups: Money,
    pub tax_rate: String,
    pub tax_on_topups: Money,
    /// Oldest first.
    pub transactions: Vec<super::TransactionView>,
    /// More rows than a statement lists (`MAX_STATEMENT_ROWS`): the CSV export has up to 100,000.
    pub truncated: bool,
}

/// `GET /api/billing/transactions.csv?from=&to=`: the range to export (the whole ledger by
/// default).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct LedgerExportQuery {
    /// From this time on (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Up to this time (RFC 3339, or `YYYY-MM-DD` for the whole of that day).
    pub to: Option<String>,
}
