//! The providers as operators see them (`GET /api/admin/providers`).

use super::*;

/// One provider: what it sells, its account, its health and the orders it holds for us.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderStatusView {
    pub name: String,
    pub activations: bool,
    /// Rental lengths it sells, in hours.
    pub rental_hours: Vec<u32>,
    /// Whether it extends a rented number through its own call (otherwise only within the
    /// order already bought).
    pub native_extension: bool,
    /// Its account balance; `None` when it could not be read (`balance_error` says why).
    #[serde(with = "rust_decimal::serde::str_option")]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<String>))]
    pub balance: Option<rust_decimal::Decimal>,
    pub currency: Option<String>,
    pub balance_error: Option<String>,
    /// Below `PROVIDER_BALANCE_ALERT`.
    pub balance_low: bool,
    pub health: ProviderHealthView,
    /// Rentals active and verifications open with it.
    pub rentals_active: i64,
    pub verifications_open: i64,
}

/// From the provider's recent calls (the last 200).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderHealthView {
    pub calls: usize,
    /// The share of calls that were not faults (timeouts, 5xx, rate limits…).
    pub success_rate: Option<f64>,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_fault: Option<String>,
    pub consecutive_faults: u32,
    /// `closed` (bought from), `open` (skipped), `half_open` (one purchase probes it).
    pub breaker: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ProviderList {
    pub providers: Vec<ProviderStatusView>,
}
