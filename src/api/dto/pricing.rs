//! Pricing: the operators' policy (duration bands, tiers, volume discounts) and a customer's
//! standing under it.

use crate::domain::pricing::{PricingPolicy, VolumeStep};
use crate::domain::Money;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The pricing policy in force, and when and by whom it was last changed (never, while it is
/// the default).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricingView {
    pub policy: PricingPolicy,
    pub changed_at: Option<DateTime<Utc>>,
    pub changed_by: Option<i64>,
}

/// `PUT /api/admin/users/{id}/tier`: a tier the policy names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"tier": "reseller"})))]
pub struct TierChange {
    pub tier: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct TierView {
    pub user_id: i64,
    pub tier: String,
}

/// What the caller's prices are made of: their tier's discount and the volume discount their
/// spend over the 30 whole days before today (UTC) reaches, and the next step up.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MyPricing {
    pub tier: String,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.05"))]
    pub tier_discount: Decimal,
    /// Spent on purchases in the 30 whole days before today (UTC), net of their refunds.
    pub spend_30_days: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0"))]
    pub volume_discount: Decimal,
    pub next_volume_step: Option<VolumeStep>,
}
