//! The operators' side: accounts as staff see them, manual credits, roles, and the audit log
//! (also each customer's own security events).

use super::*;

/// An account as support and admin see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffUserView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: Money,
    pub currency: String,
    pub created_at: DateTime<Utc>,
    /// Their pricing tier (see the pricing policy).
    pub tier: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffUserList {
    pub users: Vec<StaffUserView>,
}

/// `GET /api/admin/users?q=`: accounts whose email contains `q` (all when empty), newest first.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct UserSearch {
    pub q: Option<String>,
    pub limit: Option<u32>,
}

/// `POST /api/admin/users/{id}/credit`: a positive amount adds money, a negative one takes it
/// back; the note is kept in the ledger and the audit log.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ManualCredit {
    pub amount: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct CreditView {
    pub user_id: i64,
    pub amount: Money,
    pub balance: Money,
    pub currency: String,
}

/// `POST /api/admin/users/{id}/role`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RoleChange {
    pub role: String,
}

/// One audit log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditEntryView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<i64>,
    pub actor_role: Option<String>,
    pub subject_user_id: Option<i64>,
    pub action: String,
    pub target: String,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub ip: String,
    pub user_agent: String,
    pub request_id: String,
}

/// A page of the audit log, newest first; `next_before` asks for the page after it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_before: Option<i64>,
}

/// `GET /api/admin/audit`: every filter given must hold. `action` is an action
/// (`auth.sign_in`) or a prefix ending in `.` (`auth.`); `from` and `to` are RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct AuditQuery {
    /// Only what this account did.
    pub actor: Option<i64>,
    /// Only what was done to this account.
    pub subject: Option<i64>,
    /// Only this action, e.g. `credit` or `role.change`.
    pub action: Option<String>,
    /// From this time on (RFC 3339 or `YYYY-MM-DD`).
    pub from: Option<String>,
    /// Up to this time (RFC 3339, or `YYYY-MM-DD` for the whole of that day).
    pub to: Option<String>,
    /// Entries older than this id (the `next_before` of the page before).
    pub before: Option<i64>,
    /// Entries per page: 1 to 500 (default 50).
    #[cfg_attr(feature = "ssr", param(minimum = 1, maximum = 500))]
    pub limit: Option<u32>,
}

/// A security event on the customer's own account page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityEventView {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub action: String,
    /// "Signed in", "Failed sign-in", …
    pub summary: String,
    pub ip: String,
    pub user_agent: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SecurityEventList {
    pub events: Vec<SecurityEventView>,
    pub next_before: Option<i64>,
}

/// `GET /api/admin/rentals` and `GET /api/admin/verifications` take the customers' history
/// filters (`status`, `service`, `country`, `provider`, `from`, `to`, `q`, `page`,
/// `per_page`) across every account, and this: one account's only.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, utoipa::IntoParams), into_params(parameter_in = Query))]
pub struct OwnerFilter {
    pub user: Option<String>,
}

/// A rental as operators see it: whose it is, and what was refunded of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffRentalView {
    pub user_id: i64,
    pub email: String,
    /// Every refund made of it (an early release's and an operator's).
    pub refunded: Money,
    /// Whether an operator refunded it already (at most once per order).
    pub operator_refunded: bool,
    pub rental: super::RentalView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffRentalPage {
    pub rentals: Vec<StaffRentalView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// A verification as operators see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffVerificationView {
    pub user_id: i64,
    pub email: String,
    pub refunded: Money,
    pub operator_refunded: bool,
    pub verification: super::VerificationView,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct StaffVerificationPage {
    pub verifications: Vec<StaffVerificationView>,
    pub page: u32,
    pub per_page: u32,
    pub total: u64,
}

/// `POST /api/admin/rentals/{id}/refund` and `/api/admin/verifications/{id}/refund`: gives
/// the customer back `amount` (all that is left unrefunded when absent), once per order,
/// with the reason kept in the ledger, the audit log and the customer's notification.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperatorRefund {
    pub amount: Option<String>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OperatorRefundView {
    /// `rental` or `verification`.
    pub order: String,
    pub id: i64,
    pub user_id: i64,
    pub amount: Money,
    /// Every refund of the order now, this one included.
    pub refunded: Money,
    /// The customer's balance after it.
    pub balance: Money,
    pub currency: String,
}

/// `GET /api/admin/system`: this instance and the deployment's background work.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SystemView {
    pub now: DateTime<Utc>,
    pub started_at: DateTime<Utc>,
    pub version: String,
    /// `sqlite` or `postgres`.
    pub database: String,
    pub sandbox: bool,
    /// The jobs as this instance ran them since it started.
    pub jobs: Vec<JobView>,
    /// The jobs one instance of the deployment runs at a time, and their leases.
    pub singletons: Vec<SingletonJobView>,
    /// Orders the pollers watch, in the whole deployment.
    pub polling: Vec<PollingView>,
    /// Live event streams open on this instance.
    pub event_streams: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct JobView {
    pub name: String,
    pub passes: u64,
    pub failures: u64,
    pub last_at: Option<DateTime<Utc>>,
    pub last_took_ms: u64,
    /// The last pass's failure, while it lasts.
    pub last_error: Option<String>,
    /// How overdue the most overdue order of the last claim was (the pollers).
    pub lag_ms: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct SingletonJobView {
    pub name: String,
    /// Whether an instance holds it now.
    pub running: bool,
    pub lease_until: DateTime<Utc>,
    pub next_at: DateTime<Utc>,
}

/// The open orders of one kind that a poller watches.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PollingView {
    /// `rentals` or `verifications`.
    pub orders: String,
    pub open: u64,
    /// Open orders whose poll is due and not yet claimed.
    pub overdue: u64,
    /// How long the most overdue has waited past its poll time.
    pub oldest_overdue_ms: i64,
}
