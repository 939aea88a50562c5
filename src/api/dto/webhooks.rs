//! Customers' webhooks: endpoints, their secrets, and their deliveries.

use super::*;

/// `POST /api/webhooks`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "ssr", schema(example = json!({"url": "https://example.com/namaskah-hook", "events": ["sms.received", "rental.updated"], "description": "our backend"})))]
pub struct NewWebhook {
    pub url: String,
    pub events: Vec<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/webhooks/{id}`: what is given changes. Turning an endpoint back on (`enabled:
/// true`) forgets its failures.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookChange {
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub events: Option<Vec<String>>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookView {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub enabled: bool,
    /// Why it was turned off, when it was turned off for failing.
    pub disabled_reason: Option<String>,
    /// Deliveries that failed in a row.
    pub consecutive_failures: i64,
    /// The secret that signs its deliveries: only in the answers that create or rotate it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookList {
    pub webhooks: Vec<WebhookView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryView {
    pub id: i64,
    pub webhook_id: i64,
    pub event: String,
    /// `pending` (to be tried at `next_attempt_at`), `delivered`, or `failed` (given up).
    pub status: String,
    pub attempts: i64,
    pub last_status_code: Option<i64>,
    pub last_error: Option<String>,
    pub last_latency_ms: Option<i64>,
    #[serde(with = "crate::domain::time::rfc3339::option")]
    pub next_attempt_at: Option<DateTime<Utc>>,
    #[serde(with = "crate::domain::time::rfc3339")]
    pub created_at: DateTime<Utc>,
    #[serde(with = "crate::domain::time::rfc3339::option")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// The body sent, as sent.
    pub payload: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct WebhookDeliveryList {
    pub deliveries: Vec<WebhookDeliveryView>,
    /// Pass as `before` for the next (older) page; `None` at the end.
    pub next_before: Option<i64>,
}
