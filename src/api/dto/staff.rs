//! The operators' side: accounts as staff see them, manual credits, roles, and the audit log
//! (also each customer's own security events).

use super::*;

/// An account as support and admin see it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffUserView {
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub balance: Money,
    pub currency: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StaffUserList {
    pub users: Vec<StaffUserView>,
}

/// `GET /api/admin/users?q=`: accounts whose email contains `q` (all when empty), newest first.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct UserSearch {
    pub q: Option<String>,
    pub limit: Option<u32>,
}

/// `POST /api/admin/users/{id}/credit`: a positive amount adds money, a negative one takes it
/// back; the note is kept in the ledger and the audit log.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ManualCredit {
    pub amount: String,
    pub note: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CreditView {
    pub user_id: i64,
    pub amount: Money,
    pub balance: Money,
    pub currency: String,
}

/// `POST /api/admin/users/{id}/role`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RoleChange {
    pub role: String,
}

/// One audit log entry.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct AuditPage {
    pub entries: Vec<AuditEntryView>,
    pub next_before: Option<i64>,
}

/// `GET /api/admin/audit`: every filter given must hold. `action` is an action
/// (`auth.sign_in`) or a prefix ending in `.` (`auth.`); `from` and `to` are RFC 3339 or
/// `YYYY-MM-DD`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct AuditQuery {
    pub actor: Option<i64>,
    pub subject: Option<i64>,
    pub action: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub before: Option<i64>,
    pub limit: Option<u32>,
}

/// A security event on the customer's own account page.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
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
pub struct SecurityEventList {
    pub events: Vec<SecurityEventView>,
    pub next_before: Option<i64>,
}
