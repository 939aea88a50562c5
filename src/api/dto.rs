//! Request and response shapes shared by the REST API, the server functions and the UI, one
//! module per feature (all re-exported here); the query shapes several features share below.

use crate::domain::{Money, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod accounts;
mod analytics;
mod billing;
mod catalog;
mod docs;
mod live;
mod pricing;
mod providers;
mod rentals;
mod staff;
mod verifications;
mod webhooks;

pub use accounts::*;
pub use analytics::*;
pub use billing::*;
pub use catalog::*;
pub use docs::*;
pub use live::*;
pub use pricing::*;
pub use providers::*;
pub use rentals::*;
pub use staff::*;
pub use verifications::*;
pub use webhooks::*;

/// `?page=&per_page=` on list endpoints. Pages count from 1.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct PageQuery {
    /// The page, counting from 1 (at most 1000000).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 1_000_000))]
    pub page: Option<u32>,
    /// Rows per page: 1 to 100 (default 20).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100))]
    pub per_page: Option<u32>,
}

/// History filters (`GET /api/rentals`, `GET /api/verifications`); dates are RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct HistoryQuery {
    /// Only orders in this state: `active`, `expired`, `released` or `failed` for rentals;
    /// `waiting`, `received`, `finished`, `cancelled` or `timed_out` for verifications.
    pub status: Option<String>,
    /// Only this service, e.g. `telegram`.
    pub service: Option<String>,
    /// Only this country (ISO 3166-1 alpha-2, e.g. `GB`).
    pub country: Option<String>,
    /// Only this provider.
    pub provider: Option<String>,
    /// From this time on (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Up to this time (RFC 3339, or `YYYY-MM-DD` for the whole of that day).
    pub to: Option<String>,
    /// Text found in the number, or in its messages (or, for verifications, its code).
    pub q: Option<String>,
    /// The page, counting from 1 (at most 1000000).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 1_000_000))]
    pub page: Option<u32>,
    /// Rows per page: 1 to 100 (default 20).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 100))]
    pub per_page: Option<u32>,
}
