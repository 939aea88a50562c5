//! Request and response shapes shared by the REST API, the server functions and the UI.

use crate::domain::{Money, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Credentials {
    pub email: String,
    pub password: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UserView {
    pub id: i64,
    pub email: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MeView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: Money,
    pub currency: String,
}

/// What every page needs to draw its frame: who is signed in, and whether this is the sandbox.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionView {
    pub user: Option<MeView>,
    pub sandbox: bool,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct NewApiKey {
    pub name: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyView {
    pub id: i64,
    pub name: String,
    /// The first characters of the key, enough to recognise it; never the key itself.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
}

/// The answer to creating a key: the only time the key itself is ever shown.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreatedApiKey {
    pub id: i64,
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceView {
    pub balance: Money,
    pub currency: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionView {
    pub id: i64,
    /// Positive for money in, negative for money out.
    pub amount: Money,
    pub balance_after: Money,
    pub kind: String,
    pub reference: Option<String>,
    pub note: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TransactionPage {
    pub transactions: Vec<TransactionView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// `?page=&per_page=` on list endpoints. Pages count from 1.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountryView {
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub code: String,
    pub name: String,
    pub dial_prefix: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountryList {
    pub countries: Vec<CountryView>,
}

/// A service that can receive a verification code in a country, at our price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceOfferView {
    pub service: String,
    pub price: Money,
    pub stock: u64,
}

/// A rental length on sale in a country, at our price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RentalOfferView {
    pub hours: u32,
    pub price: Money,
    pub stock: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceList {
    pub country: String,
    pub currency: String,
    pub services: Vec<ServiceOfferView>,
    pub rentals: Vec<RentalOfferView>,
}

/// The upstream provider account, for operators. Amounts are in the provider's currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProviderBalanceView {
    pub provider: String,
    #[serde(with = "rust_decimal::serde::str")]
    pub balance: rust_decimal::Decimal,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    pub rating: Option<rust_decimal::Decimal>,
}
