//! Verifications: buying a number for a code, its state, its history.

use super::*;

/// `POST /api/verifications`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"service": "telegram", "country": "GB", "max_price": "0.50"})))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
    /// Raised by every change of the verification: of two views of it, the one with the
    /// higher revision (or more messages) is the newer.
    /// (0 in answers and events stored before revisions were kept.)
    #[serde(default)]
    pub revision: u64,
}

/// One verification with every SMS it received, newest first.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationDetail {
    #[serde(flatten)]
    pub verification: VerificationView,
    pub messages: Vec<MessageView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationList {
    pub verifications: Vec<VerificationView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VerificationPage {
    pub verifications: Vec<VerificationView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}
