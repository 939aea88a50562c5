//! The catalogue: countries, what is on sale in each and at what price, favourites, the provider account.

use super::*;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountryView {
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub code: String,
    pub name: String,
    pub dial_prefix: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CountryList {
    pub countries: Vec<CountryView>,
}

/// What a customer chose before, listed first in the pickers: their favourites (in the order
/// they were marked), then what they bought lately (the newest first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Choices {
    pub favourite_services: Vec<String>,
    pub favourite_countries: Vec<String>,
    pub recent_services: Vec<String>,
    pub recent_countries: Vec<String>,
}

/// A service that can receive a verification code in a country, at our price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceOfferView {
    pub service: String,
    pub price: Money,
    pub stock: u64,
}

/// A rental length on sale in a country, at our price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalOfferView {
    pub hours: u32,
    pub price: Money,
    pub stock: u64,
    /// What each auto-renewal by the same length costs, at today's rates.
    pub renewal: Money,
    /// The price plus every renewal that starts within 30 days, if it auto-renews.
    pub month_with_renewals: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ServiceList {
    pub country: String,
    pub currency: String,
    pub services: Vec<ServiceOfferView>,
    pub rentals: Vec<RentalOfferView>,
}

/// The upstream provider account, for operators. Amounts are in the provider's currency.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderBalanceView {
    pub provider: String,
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub balance: rust_decimal::Decimal,
    pub currency: String,
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub rating: Option<rust_decimal::Decimal>,
}
