//! Request and response shapes shared by the REST API, the server functions and the UI, one
//! module per feature (all re-exported here); the query shapes several features share below.

use crate::domain::{Money, Role};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

mod accounts;
mod analytics;
mod catalog;
mod docs;
mod live;
mod providers;
mod rentals;
mod staff;
mod verifications;
mod webhooks;

pub use accounts::*;
pub use analytics::*;
pub use catalog::*;
pub use docs::*;
pub use live::*;
pub use providers::*;
pub use rentals::*;
pub use staff::*;
pub use verifications::*;
pub use webhooks::*;

/// `?page=&per_page=` on list endpoints. Pages count from 1.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// History filters (`GET /api/rentals`, `GET /api/verifications`); dates are RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct HistoryQuery {
    pub status: Option<String>,
    pub service: Option<String>,
    pub country: Option<String>,
    pub provider: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}
