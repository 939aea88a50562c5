//! The audit log: who did what, to which account, from where. Each entry is written on the
//! transaction of the action it records, so the two stand or fall together; the table refuses
//! updates and deletes.

use crate::api::dto::{
    AuditEntryView, AuditPage, AuditQuery, SecurityEventList, SecurityEventView,
};
use crate::domain::Role;
use crate::server::clock::from_ms;
use crate::server::csv;
use crate::server::http::client::RequestMeta;
use crate::server::services::accounts::Principal;
use crate::server::services::history::date_ms;
use crate::server::state::AppState;
use crate::server::storage::audit::{self, AuditFilter, AuditRow, NewAuditRow};
use crate::server::ServerError;
use sqlx::{Any, Executor};

/// The actions recorded, as stored in `audit_log.action`.
pub mod action {
    pub const SIGN_IN: &str = "auth.sign_in";
    pub const SIGN_IN_FAILED: &str = "auth.sign_in_failed";
    pub const SIGN_IN_THROTTLED: &str = "auth.sign_in_throttled";
    pub const ACCOUNT_CREATED: &str = "account.create";
    pub const API_KEY_CREATED: &str = "api_key.create";
    pub const WEBHOOK_CREATED: &str = "webhook.create";
    pub const WEBHOOK_CHANGED: &str = "webhook.change";
    pub const WEBHOOK_DELETED: &str = "webhook.delete";
    pub const WEBHOOK_SECRET_ROTATED: &str = "webhook.rotate_secret";
    pub const API_KEY_REVOKED: &str = "api_key.revoke";
    pub const BALANCE_CREDITED: &str = "balance.credit";
    pub const BALANCE_ADJUSTED: &str = "balance.adjust";
    pub const BALANCE_TOPPED_UP: &str = "balance.topup";
    pub const BALANCE_REVERSED: &str = "balance.reverse";
    pub const PRICING_CHANGED: &str = "pricing.change";
    pub const TIER_CHANGED: &str = "pricing.tier";
    pub const ROLE_CHANGED: &str = "role.change";
    pub const PASSWORD_CHANGED: &str = "password.change";
    pub const PASSWORD_RESET_ASKED: &str = "password.reset_requested";
    pub const PASSWORD_RESET: &str = "password.reset";
    pub const EMAIL_VERIFIED: &str = "email.verify";
    pub const SESSION_ENDED: &str = "session.end";
    pub const SESSIONS_ENDED: &str = "session.end_others";
    pub const MFA_ENABLED: &str = "mfa.enable";
    pub const MFA_DISABLED: &str = "mfa.disable";
    pub const MFA_RECOVERY_CODES: &str = "mfa.recovery_codes";
    pub const SIGN_IN_SECOND_FACTOR_FAILED: &str = "auth.second_factor_failed";
    pub const STAFF_USER_SEARCH: &str = "staff.user_search";
    pub const STAFF_USER_VIEW: &str = "staff.user_view";
    pub const STAFF_LEDGER_VIEW: &str = "staff.ledger_view";
    pub const STAFF_ORDER_SEARCH: &str = "staff.order_search";
    pub const ORDER_REFUNDED: &str = "order.refund";
}

/// Who acts: a signed-in caller, an anonymous one (a failed sign-in), or an operator at the
/// command line.
#[derive(Clone, Debug)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub role: Option<&'static str>,
    pub meta: Option<RequestMeta>,
}

impl Actor {
    pub fn caller(p: &Principal, meta: &RequestMeta) -> Actor {
        Actor {
            user_id: Some(p.user_id),
            role: Some(p.role.as_str()),
            meta: Some(meta.clone()),
        }
    }

    pub fn user(user_id: i64, role: Role, meta: &RequestMeta) -> Actor {
        Actor {
            user_id: Some(user_id),
            role: Some(role.as_str()),
            meta: Some(meta.clone()),
        }
    }

    pub fn anonymous(meta: &RequestMeta) -> Actor {
        Actor {
            user_id: None,
            role: None,
            meta: Some(meta.clone()),
        }
    }

    /// The operators' command line (`namaskah credit`, `namaskah user …`).
    pub const CLI: Actor = Actor {
        user_id: None,
        role: Some("cli"),
        meta: None,
    };

    pub fn is_cli(&self) -> bool {
        self.role == Self::CLI.role && self.meta.is_none()
    }
}

/// What happened.
pub struct Entry<'a> {
    pub action: &'static str,
    /// What it was done to: `user:7`, `api_key:3`.
    pub target: String,
    /// Whose account it concerns.
    pub subject: Option<i64>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub now: i64,
    pub actor: &'a Actor,
}

impl<'a> Entry<'a> {
    /// An entry with no before or after.
    pub fn plain(
        actor: &'a Actor,
        action: &'static str,
        target: String,
        subject: Option<i64>,
        now: i64,
    ) -> Entry<'a> {
        Entry {
            action,
            target,
            subject,
            before: None,
            after: None,
            now,
            actor,
        }
    }
}

/// Writes one entry on `db`: the action's own transaction.
pub async fn record<'e>(
    db: impl Executor<'e, Database = Any>,
    e: Entry<'_>,
) -> Result<(), ServerError> {
    let meta = e.actor.meta.as_ref();
    let ip = meta.map(|m| m.ip.to_string()).unwrap_or_default();
    audit::insert(
        db,
        NewAuditRow {
            actor_user_id: e.actor.user_id,
            actor_role: e.actor.role,
            subject_user_id: e.subject,
            action: e.action,
            target: &e.target,
            before_json: e.before.map(|v| v.to_string()),
            after_json: e.after.map(|v| v.to_string()),
            ip: &ip,
            user_agent: meta.map_or("", |m| m.user_agent.as_str()),
            request_id: meta.map_or("", |m| m.request_id.as_str()),
            now: e.now,
        },
    )
    .await?;
    Ok(())
}

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 500;
/// The most rows one CSV export holds; narrow the filters for more.
pub const MAX_EXPORT: usize = 100_000;

fn filter(q: &AuditQuery) -> Result<AuditFilter, ServerError> {
    let action = q
        .action
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_owned);
    if let Some(a) = &action {
        if a.len() > 64
            || !a
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_')
        {
            return Err(ServerError::validation(
                "action",
                "must be an action like auth.sign_in, or a prefix like auth.",
            ));
        }
    }
    let date = |field, raw: &Option<String>, end| {
        raw.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| date_ms(field, s, end))
            .transpose()
    };
    Ok(AuditFilter {
        subject_user_id: q.subject,
        actor_user_id: q.actor,
        action,
        from_ms: date("from", &q.from, false)?,
        to_ms: date("to", &q.to, true)?,
        before_id: q.before,
    })
}

fn page_size(limit: Option<u32>) -> Result<u32, ServerError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ServerError::validation(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    Ok(limit)
}

fn json_of(text: Option<String>) -> Option<serde_json::Value> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

fn entry_view(row: AuditRow) -> AuditEntryView {
    AuditEntryView {
        id: row.audit_id,
        at: from_ms(row.created_at),
        actor_user_id: row.actor_user_id,
        actor_role: row.actor_role,
        subject_user_id: row.subject_user_id,
        action: row.action,
        target: row.target,
        before: json_of(row.before_json),
        after: json_of(row.after_json),
        ip: row.ip,
        user_agent: row.user_agent,
        request_id: row.request_id,
    }
}

/// The operators' view of the log, newest first.
pub async fn search(state: &AppState, q: &AuditQuery) -> Result<AuditPage, ServerError> {
    let limit = page_size(q.limit)?;
    let rows = audit::list(&state.db.pool, &filter(q)?, i64::from(limit) + 1).await?;
    let page = page_of(rows, limit, entry_view, |e| e.id);
    Ok(AuditPage {
        entries: page.entries,
        next_before: page.next_before,
    })
}

/// Every entry the filters match (at most [`MAX_EXPORT`]), as CSV, newest first.
pub async fn export_csv(state: &AppState, q: &AuditQuery) -> Result<String, ServerError> {
    // The export is not paged, but a `limit` out of range is refused as the list refuses it.
    page_size(q.limit)?;
    let mut f = filter(q)?;
    let mut out = csv::Writer::new(&[
        "id",
        "at",
        "actor_user_id",
        "actor_role",
        "subject_user_id",
        "action",
        "target",
        "before",
        "after",
        "ip",
        "user_agent",
        "request_id",
    ]);
    let mut written = 0;
    while written < MAX_EXPORT {
        let rows = audit::list(&state.db.pool, &f, 1000).await?;
        let Some(last) = rows.last() else { break };
        f.before_id = Some(last.audit_id);
        for row in rows {
            let at = from_ms(row.created_at).to_rfc3339();
            out.row(&[
                &row.audit_id.to_string(),
                &at,
                &row.actor_user_id.map(|v| v.to_string()).unwrap_or_default(),
                row.actor_role.as_deref().unwrap_or(""),
                &row.subject_user_id
                    .map(|v| v.to_string())
                    .unwrap_or_default(),
                &row.action,
                &row.target,
                row.before_json.as_deref().unwrap_or(""),
                row.after_json.as_deref().unwrap_or(""),
                &row.ip,
                &row.user_agent,
                &row.request_id,
            ]);
            written += 1;
        }
    }
    Ok(out.finish())
}

/// A customer's own security events, for their account page.
pub async fn security_events(
    state: &AppState,
    user_id: i64,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<SecurityEventList, ServerError> {
    let limit = page_size(limit)?;
    let rows =
        audit::security_events(&state.db.pool, user_id, before, i64::from(limit) + 1).await?;
    let page = page_of(
        rows,
        limit,
        |row| {
            // Where staff acted from is not the customer's to see.
            let by_someone_else = row.actor_user_id.is_some_and(|a| a != user_id);
            SecurityEventView {
                id: row.audit_id,
                at: from_ms(row.created_at),
                summary: summary(&row.action, json_of(row.after_json).as_ref()),
                action: row.action,
                ip: if by_someone_else {
                    String::new()
                } else {
                    row.ip
                },
                user_agent: if by_someone_else {
                    String::new()
                } else {
                    row.user_agent
                },
            }
        },
        |e| e.id,
    );
    Ok(SecurityEventList {
        events: page.entries,
        next_before: page.next_before,
    })
}

struct Page<T> {
    entries: Vec<T>,
    next_before: Option<i64>,
}

/// `rows` was read with one more than `limit`: that one says whether there is a next page.
fn page_of<T>(
    rows: Vec<AuditRow>,
    limit: u32,
    to_view: impl Fn(AuditRow) -> T,
    id: impl Fn(&T) -> i64,
) -> Page<T> {
    let more = rows.len() > limit as usize;
    let entries: Vec<T> = rows.into_iter().take(limit as usize).map(to_view).collect();
    let next_before = if more { entries.last().map(&id) } else { None };
    Page {
        entries,
        next_before,
    }
}

/// A line a customer understands.
fn summary(action: &str, after: Option<&serde_json::Value>) -> String {
    let name = || {
        after
            .and_then(|a| a["name"].as_str())
            .map(|n| format!(" \u{201c}{n}\u{201d}"))
            .unwrap_or_default()
    };
    match action {
        action::SIGN_IN => "Signed in".to_owned(),
        action::SIGN_IN_FAILED => "Failed sign-in (wrong password)".to_owned(),
        action::SIGN_IN_THROTTLED => "Sign-in held back after repeated failures".to_owned(),
        action::ACCOUNT_CREATED => "Account created".to_owned(),
        action::API_KEY_CREATED => format!("API key{} created", name()),
        action::API_KEY_REVOKED => "API key revoked".to_owned(),
        action::MFA_ENABLED => "Two-factor sign-in turned on".to_owned(),
        action::PASSWORD_CHANGED => "Password changed; other sessions ended".to_owned(),
        action::PASSWORD_RESET_ASKED => "A password reset link was sent".to_owned(),
        action::PASSWORD_RESET => "Password reset by email; every session ended".to_owned(),
        action::EMAIL_VERIFIED => "Address confirmed".to_owned(),
        action::SESSION_ENDED => "A session was ended".to_owned(),
        action::SESSIONS_ENDED => "Every other session was ended".to_owned(),
        action::MFA_DISABLED => "Two-factor sign-in turned off".to_owned(),
        action::MFA_RECOVERY_CODES => "New recovery codes made".to_owned(),
        action::SIGN_IN_SECOND_FACTOR_FAILED => "Failed sign-in (wrong code)".to_owned(),
        action::ROLE_CHANGED => format!(
            "Role changed to {}",
            after.and_then(|a| a["role"].as_str()).unwrap_or("?")
        ),
        other => other.to_owned(),
    }
}
