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

/// The answer to a sign-up: the same whether or not the address already had an account, so
/// that sign-up does not tell who is a customer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SignUpView {
    pub email: String,
    pub message: String,
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

/// What a customer chose before, listed first in the pickers: their favourites (in the order
/// they were marked), then what they bought lately (the newest first).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Choices {
    pub favourite_services: Vec<String>,
    pub favourite_countries: Vec<String>,
    pub recent_services: Vec<String>,
    pub recent_countries: Vec<String>,
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

/// `POST /api/rentals/create`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
    pub extension_per_hour: rust_decimal::Decimal,
    /// What releasing it now would refund.
    pub refund_if_released: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RentalList {
    pub rentals: Vec<RentalView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtendRental {
    pub hours: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extended {
    pub rental: RentalView,
    pub charged: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Released {
    pub rental: RentalView,
    pub refund: Money,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct MessageList {
    pub messages: Vec<MessageView>,
}

/// The data of an `sms.received` event: the new message, and the rental's summary with it
/// (its message and unread counts and last code changed).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SmsReceived {
    pub rental_id: i64,
    pub message: MessageView,
    pub rental: RentalView,
}

/// The data of a `balance.changed` event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BalanceChanged {
    pub balance: Money,
}

/// Everything the live parts of a page show, at once: what the browser asks for when its
/// event stream cannot be resumed exactly (a gap the server cannot replay).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveSnapshot {
    pub balance: Money,
    /// Active rentals, soonest to end first.
    pub rentals: Vec<RentalView>,
    /// Verifications still waiting for a code or to be finished.
    pub verifications: Vec<VerificationView>,
    /// The rental asked for (any status), and its messages, newest first.
    pub rental: Option<RentalView>,
    pub messages: Option<MessageList>,
}

/// History filters (`GET /api/rentals`, `GET /api/verifications`); dates are RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub status: Option<String>,
    pub service: Option<String>,
    pub country: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub q: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RentalPage {
    pub rentals: Vec<RentalView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RentalPatch {
    pub auto_renew: bool,
}

/// `POST /api/presets`: a rental configuration saved by name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct PresetList {
    pub presets: Vec<PresetView>,
}

/// What a bulk request does to each rental it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BulkAction {
    Extend,
    Release,
}

/// `POST /api/rentals/bulk`: extend or release several rentals, each on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkRequest {
    pub action: BulkAction,
    pub ids: Vec<i64>,
    /// For `extend`: hours to add to each rental.
    #[serde(default)]
    pub hours: Option<u32>,
}

/// `POST /api/rentals/bulk-create`: `count` identical rentals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewRentals {
    #[serde(flatten)]
    pub rental: NewRental,
    pub count: u32,
}

/// One item of a bulk request: what happened to it, on its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkOutcome {
    /// The rental this is about: the one named in the request, or the one created.
    pub id: Option<i64>,
    pub ok: bool,
    /// The rental after the operation, when it succeeded.
    pub rental: Option<RentalView>,
    /// Charged (extend, create) or refunded (release), when it succeeded.
    pub amount: Option<Money>,
    pub error: Option<super::AppError>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct BulkResults {
    pub results: Vec<BulkOutcome>,
}

/// `POST /api/verifications`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NewVerification {
    pub service: String,
    /// ISO 3166-1 alpha-2, e.g. `GB`.
    pub country: String,
    #[serde(default)]
    pub operator: Option<String>,
    /// The most the caller will pay, as a decimal string (`"0.50"`); a dearer number is refused
    /// with 409 and nothing is charged.
    #[serde(default)]
    pub max_price: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationView {
    pub id: i64,
    pub phone_number: String,
    pub service_name: String,
    pub country_code: String,
    pub operator: Option<String>,
    pub provider: String,
    pub status: crate::domain::verification::VerificationStatus,
    /// What was paid; refunded in full when `refunded` is true.
    pub cost: Money,
    pub refunded: bool,
    /// The code from the newest message that has one.
    pub code: Option<String>,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    /// The provider's deadline for the first SMS.
    #[serde(with = "crate::domain::time::rfc3339")]
    pub expires_at: DateTime<Utc>,
    #[serde(with = "crate::domain::time::rfc3339::option")]
    pub finished_at: Option<DateTime<Utc>>,
    pub seconds_remaining: i64,
    pub message_count: u64,
    /// The verification this one verified again, if it was a reuse of the same number.
    pub reused_from: Option<i64>,
}

/// One verification with every SMS it received, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationDetail {
    #[serde(flatten)]
    pub verification: VerificationView,
    pub messages: Vec<MessageView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationList {
    pub verifications: Vec<VerificationView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VerificationPage {
    pub verifications: Vec<VerificationView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// What an event on the live stream (`/api/events`) says changed; its name is the SSE event name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventKind {
    RentalUpdated,
    SmsReceived,
    VerificationUpdated,
    BalanceChanged,
    RentalExpiring,
}

impl EventKind {
    pub const ALL: [EventKind; 5] = [
        EventKind::RentalUpdated,
        EventKind::SmsReceived,
        EventKind::VerificationUpdated,
        EventKind::BalanceChanged,
        EventKind::RentalExpiring,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::RentalUpdated => "rental.updated",
            EventKind::SmsReceived => "sms.received",
            EventKind::VerificationUpdated => "verification.updated",
            EventKind::BalanceChanged => "balance.changed",
            EventKind::RentalExpiring => "rental.expiring",
        }
    }
}
