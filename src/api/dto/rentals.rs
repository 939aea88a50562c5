//! Rentals: buying, extending and releasing them, their messages, history, presets and bulk requests.

use super::*;

/// `POST /api/rentals/create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"service": "telegram", "country": "GB", "duration_hours": 24, "auto_renew": false})))]
pub struct NewRental {
    pub service: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub country: String,
    #[serde(default)]
    pub duration_hours: Option<u32>,
    #[serde(default)]
    pub auto_renew: Option<bool>,
    #[serde(default)]
    pub operator: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalView {
    pub id: i64,
    pub phone_number: String,
    pub service_name: String,
    pub country_code: String,
    pub status: crate::domain::rental::RentalStatus,
    /// Everything paid for this rental so far.
    pub cost: Money,
    pub duration_hours: u32,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    pub provider: String,
    pub operator: Option<String>,
    pub auto_renew: bool,
    /// Until when the number can be kept at most (the end of the upstream order).
    #[serde(with = "crate::domain::time::rfc3339")]
    pub keepable_until: DateTime<Utc>,
    #[serde(with = "crate::domain::time::rfc3339::option")]
    pub released_at: Option<DateTime<Utc>>,
    pub seconds_remaining: i64,
    pub message_count: u64,
    /// Messages its owner has not looked at yet.
    pub unread_count: u64,
    /// The code in the newest message that has one.
    pub last_code: Option<String>,
    /// What one more hour costs (before rounding; see `domain::rental::extension_quote`).
    #[serde(with = "rust_decimal::serde::str")]
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub extension_per_hour: rust_decimal::Decimal,
    /// What releasing it now would refund.
    pub refund_if_released: Money,
    /// Raised by every change of the rental its owner can see: of two views of it, the one
    /// with the higher revision (or more messages) is the newer.
    /// (0 in answers and events stored before revisions were kept.)
    #[serde(default)]
    pub revision: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalList {
    pub rentals: Vec<RentalView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ExtendRental {
    pub hours: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Extended {
    pub rental: RentalView,
    pub charged: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Released {
    pub rental: RentalView,
    pub refund: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageView {
    pub id: i64,
    pub sender: String,
    /// Attacker-controlled text: render it as text, never as HTML.
    pub text: String,
    pub code: Option<String>,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub received_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct MessageList {
    pub messages: Vec<MessageView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalPage {
    pub rentals: Vec<RentalView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RentalPatch {
    pub auto_renew: bool,
}

/// `POST /api/presets`: a rental configuration saved by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewPreset {
    pub name: String,
    pub service: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub country: String,
    #[serde(default)]
    pub duration_hours: Option<u32>,
    #[serde(default)]
    pub auto_renew: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresetView {
    pub id: i64,
    pub name: String,
    pub service: String,
    pub country: String,
    pub duration_hours: u32,
    pub auto_renew: bool,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PresetList {
    pub presets: Vec<PresetView>,
}

/// What a bulk request does to each rental it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    Extend,
    Release,
}

/// `POST /api/rentals/bulk`: extend or release several rentals, each on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkRequest {
    pub action: BulkAction,
    pub ids: Vec<i64>,
    /// For `extend`: hours to add to each rental.
    #[serde(default)]
    pub hours: Option<u32>,
}

/// `POST /api/rentals/bulk-create`: `count` identical rentals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewRentals {
    #[serde(flatten)]
    pub rental: NewRental,
    pub count: u32,
}

/// One item of a bulk request: what happened to it, on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkOutcome {
    /// The rental this is about: the one named in the request, or the one created.
    pub id: Option<i64>,
    pub ok: bool,
    /// The rental after the operation, when it succeeded.
    pub rental: Option<RentalView>,
    /// Charged (extend, create) or refunded (release), when it succeeded.
    pub amount: Option<Money>,
    pub error: Option<crate::api::AppError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BulkResults {
    pub results: Vec<BulkOutcome>,
}
