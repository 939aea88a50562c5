//! Who may call what: one table naming, for every `/api` route and server function, the least
//! role it needs. The auth layer checks it for every request before any handler runs, so no
//! handler decides access on its own. An `/api` path the table does not name is answered 404 as
//! if it did not exist: a route added without a decision is unreachable until it gets one, and
//! `tests/api/roles.rs` walks the table with every role (and fails for a server function
//! missing from it).
//!
//! What a signed-in caller may then see is scoped by the services: every query of a
//! customer's data is by owner, whatever the role.

use crate::domain::Role;
use crate::server::services::accounts::Principal;
use crate::server::ServerError;
use axum::http::Method;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (sign-in itself, the catalogue, provider pushes that carry
    /// their own secret).
    Public,
    /// Any signed-in account.
    SignedIn,
    /// Support and admin: reading any account.
    Staff,
    /// Admin only: moving money by hand, roles, providers.
    Admin,
}

impl Access {
    pub fn allows(self, role: Option<Role>) -> bool {
        match (self, role) {
            (Access::Public, _) => true,
            (_, None) => false,
            (Access::SignedIn, Some(_)) => true,
            (Access::Staff, Some(r)) => r.is_staff(),
            (Access::Admin, Some(r)) => r == Role::Admin,
        }
    }
}

pub struct Rule {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// `{name}` matches one segment.
    pub path: &'static str,
    pub access: Access,
}

const fn rule(method: &'static str, path: &'static str, access: Access) -> Rule {
    Rule {
        method,
        path,
        access,
    }
}

use Access::{Admin, Public, SignedIn, Staff};

/// Every `/api` route and server function.
pub const RULES: &[Rule] = &[
    // This API's OpenAPI document.
    rule("GET", "/api/openapi.json", Public),
    // Accounts.
    rule("POST", "/api/auth/register", Public),
    rule("POST", "/api/auth/login", Public),
    rule("POST", "/api/auth/login/mfa", Public),
    rule("POST", "/api/auth/password-reset", Public),
    rule("POST", "/api/auth/password-reset/confirm", Public),
    rule("POST", "/api/auth/verify-email", Public),
    rule("POST", "/api/auth/logout", Public),
    rule("GET", "/api/auth/me", SignedIn),
    rule("GET", "/api/account/security-events", SignedIn),
    rule("GET", "/api/account/forecast", SignedIn),
    rule("GET", "/api/account/mfa", SignedIn),
    rule("POST", "/api/account/mfa/setup", SignedIn),
    rule("POST", "/api/account/mfa/enable", SignedIn),
    rule("POST", "/api/account/mfa/disable", SignedIn),
    rule("POST", "/api/account/mfa/recovery-codes", SignedIn),
    rule("GET", "/api/account/sessions", SignedIn),
    rule("POST", "/api/account/sessions/end-others", SignedIn),
    rule("DELETE", "/api/account/sessions/{id}", SignedIn),
    rule("POST", "/api/account/password", SignedIn),
    rule("POST", "/api/account/email/verification", SignedIn),
    rule("GET", "/api/notifications", SignedIn),
    rule("POST", "/api/notifications/read", SignedIn),
    rule("GET", "/api/notifications/preferences", SignedIn),
    rule("PUT", "/api/notifications/preferences", SignedIn),
    rule("GET", "/api/keys", SignedIn),
    rule("POST", "/api/keys", SignedIn),
    rule("DELETE", "/api/keys/{id}", SignedIn),
    // Money.
    rule("GET", "/api/billing/balance", SignedIn),
    rule("GET", "/api/billing/transactions", SignedIn),
    rule("POST", "/api/billing/topups", SignedIn),
    rule("GET", "/api/billing/topups", SignedIn),
    rule("GET", "/api/billing/topups/{id}", SignedIn),
    rule("GET", "/api/billing/topups/{id}/receipt", SignedIn),
    rule("GET", "/api/billing/statements/{month}", SignedIn),
    rule("GET", "/api/billing/transactions.csv", SignedIn),
    rule("GET", "/api/billing/pricing", SignedIn),
    // Stripe's events: each carries its signature.
    rule("POST", "/api/billing/stripe/webhook", Public),
    // What is for sale.
    rule("GET", "/api/catalog/countries", Public),
    rule("GET", "/api/catalog/services", Public),
    // Rentals.
    rule("GET", "/api/rentals", SignedIn),
    rule("GET", "/api/rentals/active", SignedIn),
    rule("POST", "/api/rentals/create", SignedIn),
    rule("POST", "/api/rentals/bulk", SignedIn),
    rule("POST", "/api/rentals/bulk-create", SignedIn),
    rule("GET", "/api/rentals/{id}", SignedIn),
    rule("PATCH", "/api/rentals/{id}", SignedIn),
    rule("POST", "/api/rentals/{id}/extend", SignedIn),
    rule("POST", "/api/rentals/{id}/release", SignedIn),
    rule("POST", "/api/rentals/{id}/reactivate", SignedIn),
    rule("GET", "/api/rentals/{id}/messages", SignedIn),
    rule("POST", "/api/rentals/{id}/read", SignedIn),
    rule("GET", "/api/presets", SignedIn),
    rule("POST", "/api/presets", SignedIn),
    rule("DELETE", "/api/presets/{id}", SignedIn),
    rule("POST", "/api/presets/{id}/start", SignedIn),
    // Verifications.
    rule("GET", "/api/verifications", SignedIn),
    rule("POST", "/api/verifications", SignedIn),
    rule("GET", "/api/verifications/open", SignedIn),
    rule("GET", "/api/verifications/{id}", SignedIn),
    rule("POST", "/api/verifications/{id}/cancel", SignedIn),
    rule("POST", "/api/verifications/{id}/finish", SignedIn),
    rule("POST", "/api/verifications/{id}/reuse", SignedIn),
    // Live updates.
    rule("GET", "/api/events", SignedIn),
    // Providers' pushes: each carries its own secret.
    rule(
        "POST",
        "/api/webhooks/sms-activate/{provider}/{token}",
        Public,
    ),
    rule("POST", "/api/webhooks/textverified", Public),
    rule("GET", "/api/webhooks", SignedIn),
    rule("POST", "/api/webhooks", SignedIn),
    rule("GET", "/api/webhooks/{id}", SignedIn),
    rule("PATCH", "/api/webhooks/{id}", SignedIn),
    rule("DELETE", "/api/webhooks/{id}", SignedIn),
    rule("POST", "/api/webhooks/{id}/rotate-secret", SignedIn),
    rule("POST", "/api/webhooks/{id}/test", SignedIn),
    rule("GET", "/api/webhooks/{id}/deliveries", SignedIn),
    rule(
        "POST",
        "/api/webhooks/{id}/deliveries/{delivery}/redeliver",
        SignedIn,
    ),
    // Operators.
    rule("GET", "/api/admin/users", Staff),
    rule("GET", "/api/admin/users/{id}", Staff),
    rule("GET", "/api/admin/users/{id}/transactions", Staff),
    rule("POST", "/api/admin/users/{id}/credit", Admin),
    rule("POST", "/api/admin/users/{id}/role", Admin),
    rule("PUT", "/api/admin/users/{id}/tier", Admin),
    rule("GET", "/api/admin/pricing", Staff),
    rule("PUT", "/api/admin/pricing", Admin),
    rule("GET", "/api/admin/audit", Admin),
    rule("GET", "/api/admin/audit.csv", Admin),
    rule("GET", "/api/admin/providers", Admin),
    rule("GET", "/api/admin/rentals", Staff),
    rule("GET", "/api/admin/verifications", Staff),
    rule("POST", "/api/admin/rentals/{id}/refund", Admin),
    rule("POST", "/api/admin/verifications/{id}/refund", Admin),
    rule("GET", "/api/admin/system", Staff),
    rule("GET", "/api/admin/analytics/usage", Staff),
    rule("GET", "/api/admin/analytics/usage.csv", Staff),
    rule("GET", "/api/admin/analytics/providers", Staff),
    rule("GET", "/api/admin/analytics/providers.csv", Staff),
    rule("GET", "/api/admin/analytics/money", Admin),
    rule("GET", "/api/admin/analytics/money.csv", Admin),
    rule("GET", "/api/admin/analytics/customers", Admin),
    rule("GET", "/api/admin/analytics/customers.csv", Admin),
    rule("GET", "/api/admin/analytics/forecasts", Admin),
    rule("GET", "/api/admin/analytics/forecasts.csv", Admin),
    rule("GET", "/api/admin/analytics/savings", Admin),
    rule("GET", "/api/admin/analytics/savings.csv", Admin),
    rule("GET", "/api/5sim/balance", Admin),
    // Server functions (the pages' calls; plain form posts without JavaScript).
    rule("POST", "/api/fn/sign_up", Public),
    rule("POST", "/api/fn/sign_in", Public),
    rule("POST", "/api/fn/sign_in_code", Public),
    rule("POST", "/api/fn/request_password_reset", Public),
    rule("POST", "/api/fn/reset_password", Public),
    rule("POST", "/api/fn/verify_email", Public),
    rule("POST", "/api/fn/send_email_verification", SignedIn),
    rule("POST", "/api/fn/sign_out", Public),
    rule("POST", "/api/fn/take_notice", Public),
    rule("POST", "/api/fn/session", Public),
    rule("POST", "/api/fn/list_countries", Public),
    rule("GET", "/api/fn/get_api_reference", Public),
    rule("POST", "/api/fn/list_services", Public),
    rule("GET", "/api/fn/my_choices", SignedIn),
    rule("POST", "/api/fn/set_favourite", SignedIn),
    rule("POST", "/api/fn/list_transactions", SignedIn),
    rule("POST", "/api/fn/start_topup", SignedIn),
    rule("POST", "/api/fn/get_wallet", SignedIn),
    rule("POST", "/api/fn/get_receipt", SignedIn),
    rule("POST", "/api/fn/get_statement", SignedIn),
    rule("POST", "/api/fn/list_security_events", SignedIn),
    rule("GET", "/api/fn/mfa_status", SignedIn),
    rule("POST", "/api/fn/begin_mfa_setup", SignedIn),
    rule("POST", "/api/fn/confirm_mfa", SignedIn),
    rule("POST", "/api/fn/disable_mfa", SignedIn),
    rule("POST", "/api/fn/new_recovery_codes", SignedIn),
    rule("POST", "/api/fn/take_recovery_codes", SignedIn),
    rule("GET", "/api/fn/list_sessions", SignedIn),
    rule("POST", "/api/fn/end_session", SignedIn),
    rule("POST", "/api/fn/end_other_sessions", SignedIn),
    rule("POST", "/api/fn/change_password", SignedIn),
    rule("POST", "/api/fn/list_notifications", SignedIn),
    rule("POST", "/api/fn/mark_notifications_read", SignedIn),
    rule("POST", "/api/fn/set_notification_email", SignedIn),
    rule("POST", "/api/fn/set_low_balance_threshold", SignedIn),
    rule("POST", "/api/fn/list_api_keys", SignedIn),
    rule("POST", "/api/fn/create_api_key", SignedIn),
    rule("POST", "/api/fn/revoke_api_key", SignedIn),
    rule("POST", "/api/fn/take_new_api_key", SignedIn),
    rule("POST", "/api/fn/list_webhooks", SignedIn),
    rule("POST", "/api/fn/create_webhook", SignedIn),
    rule("POST", "/api/fn/set_webhook_enabled", SignedIn),
    rule("POST", "/api/fn/delete_webhook", SignedIn),
    rule("POST", "/api/fn/rotate_webhook_secret", SignedIn),
    rule("POST", "/api/fn/take_new_webhook_secret", SignedIn),
    rule("POST", "/api/fn/send_webhook_test", SignedIn),
    rule("POST", "/api/fn/list_webhook_deliveries", SignedIn),
    rule("POST", "/api/fn/redeliver_webhook", SignedIn),
    rule("POST", "/api/fn/list_presets", SignedIn),
    rule("POST", "/api/fn/save_preset", SignedIn),
    rule("POST", "/api/fn/delete_preset", SignedIn),
    rule("POST", "/api/fn/start_preset", SignedIn),
    rule("POST", "/api/fn/create_rental", SignedIn),
    rule("POST", "/api/fn/list_active_rentals", SignedIn),
    rule("POST", "/api/fn/list_rentals", SignedIn),
    rule("POST", "/api/fn/get_rental", SignedIn),
    rule("POST", "/api/fn/list_rental_messages", SignedIn),
    rule("POST", "/api/fn/mark_rental_read", SignedIn),
    rule("POST", "/api/fn/extend_rental", SignedIn),
    rule("POST", "/api/fn/release_rental", SignedIn),
    rule("POST", "/api/fn/set_rental_auto_renew", SignedIn),
    rule("POST", "/api/fn/create_rentals", SignedIn),
    rule("POST", "/api/fn/bulk_rentals", SignedIn),
    rule("POST", "/api/fn/create_verification", SignedIn),
    rule("POST", "/api/fn/list_open_verifications", SignedIn),
    rule("POST", "/api/fn/list_verifications", SignedIn),
    rule("POST", "/api/fn/get_verification", SignedIn),
    rule("POST", "/api/fn/cancel_verification", SignedIn),
    rule("POST", "/api/fn/finish_verification", SignedIn),
    rule("POST", "/api/fn/reuse_verification", SignedIn),
    rule("GET", "/api/fn/live_snapshot", SignedIn),
    rule("GET", "/api/fn/admin_providers", Admin),
    rule("POST", "/api/fn/analytics_usage", Staff),
    rule("POST", "/api/fn/analytics_providers", Staff),
    rule("POST", "/api/fn/analytics_money", Admin),
    rule("POST", "/api/fn/analytics_customers", Admin),
    rule("POST", "/api/fn/analytics_forecasts", Admin),
    rule("POST", "/api/fn/analytics_savings", Admin),
    rule("POST", "/api/fn/account_forecast", SignedIn),
    rule("POST", "/api/fn/staff_users", Staff),
    rule("POST", "/api/fn/staff_user", Staff),
    rule("POST", "/api/fn/staff_transactions", Staff),
    rule("POST", "/api/fn/staff_credit", Admin),
    rule("POST", "/api/fn/staff_rentals", Staff),
    rule("POST", "/api/fn/staff_verifications", Staff),
    rule("POST", "/api/fn/staff_refund", Admin),
    rule("POST", "/api/fn/staff_system", Staff),
    rule("GET", "/api/fn/get_pricing", Staff),
    rule("POST", "/api/fn/set_pricing", Admin),
    rule("POST", "/api/fn/set_user_tier", Admin),
    // The operators' pages.
    rule("GET", "/admin/providers", Admin),
    rule("GET", "/admin/users", Staff),
    rule("GET", "/admin/users/{id}", Staff),
    rule("GET", "/admin/rentals", Staff),
    rule("GET", "/admin/verifications", Staff),
    rule("GET", "/admin/system", Staff),
    rule("GET", "/admin/pricing", Staff),
    rule("GET", "/admin/analytics/usage", Staff),
    rule("GET", "/admin/analytics/providers", Staff),
    rule("GET", "/admin/analytics/money", Admin),
    rule("GET", "/admin/analytics/customers", Admin),
    rule("GET", "/admin/analytics/forecasts", Admin),
    rule("GET", "/admin/analytics/savings", Admin),
];

/// What an admin who must still turn on two-factor sign-in (`REQUIRE_ADMIN_MFA`) may call:
/// who they are, signing out, the page's frame and live updates, and the set-up itself.
const BEFORE_SECOND_FACTOR: &[&str] = &[
    "/api/auth/me",
    "/api/auth/logout",
    "/api/events",
    "/api/account/mfa",
    "/api/account/mfa/setup",
    "/api/account/mfa/enable",
    "/api/fn/session",
    "/api/fn/take_notice",
    "/api/fn/sign_out",
    "/api/fn/live_snapshot",
    "/api/fn/mfa_status",
    "/api/fn/begin_mfa_setup",
    "/api/fn/confirm_mfa",
    "/api/fn/take_recovery_codes",
];

/// The page where two-factor sign-in is set up.
pub const MFA_PAGE: &str = "/account/mfa";

/// The rule for a request, if there is one.
pub fn rule_for(method: &Method, path: &str) -> Option<&'static Rule> {
    // The router answers HEAD with the GET handler: it gets GET's decision.
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    RULES
        .iter()
        .find(|r| r.method == method && matches(r.path, path))
}

fn matches(pattern: &str, path: &str) -> bool {
    let mut want = pattern.split('/');
    let mut got = path.split('/');
    loop {
        match (want.next(), got.next()) {
            (None, None) => return true,
            (Some(w), Some(g)) if w.starts_with('{') && w.ends_with('}') && !g.is_empty() => {}
            (Some(w), Some(g)) if w == g => {}
            _ => return false,
        }
    }
}

/// A page the caller may not see: the page still renders (in the layout, saying why), its
/// server functions answer with this, and the answer gets its status.
#[derive(Clone, Debug)]
pub struct Denied(pub crate::api::AppError);

/// Whether `caller` may make this request: `Ok` outside `/api` and `/admin` (other pages,
/// assets and the sandbox have their own guards), 401 for a signed-out caller where an account is needed, 403 for a
/// role that is not enough, 404 for an `/api` path with no decision (or a method the path
/// does not have, which the router would refuse anyway).
pub fn check(caller: Option<&Principal>, method: &Method, path: &str) -> Result<(), ServerError> {
    if !is_api(path) && !is_page(path) {
        return Ok(());
    }
    let Some(rule) = rule_for(method, path) else {
        // Known path, other method: the router answers 405 with its `Allow`.
        if RULES.iter().any(|r| matches(r.path, path)) {
            return Ok(());
        }
        return Err(ServerError::NotFound("API endpoint"));
    };
    let role = caller.map(|c| c.role);
    if rule.access.allows(role) {
        let gated = rule.access != Access::Public && !BEFORE_SECOND_FACTOR.contains(&path);
        if gated && caller.is_some_and(|c| c.must_set_up_mfa) {
            return Err(ServerError::Forbidden(format!(
                "turn on two-factor sign-in first ({MFA_PAGE}): operators' accounts need it"
            )));
        }
        return Ok(());
    }
    Err(match role {
        None => ServerError::Unauthorized("sign in, or send an API key, to do this"),
        Some(role) => ServerError::Forbidden(format!(
            "only {} may do this; this account is a {}",
            match rule.access {
                Access::Admin => "admins",
                _ => "support and admins",
            },
            role.as_str()
        )),
    })
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// A page a browser navigates to (not the API, not a built asset or the sandbox).
pub fn is_document(method: &Method, path: &str) -> bool {
    method == Method::GET
        && !is_api(path)
        && !path.starts_with("/pkg/")
        && !path.starts_with("/sandbox/")
        && !path.rsplit('/').next().unwrap_or("").contains('.')
}

/// The operators' pages: decided by the table like the API.
pub fn is_page(path: &str) -> bool {
    path == "/admin" || path.starts_with("/admin/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Principal {
        Principal {
            user_id: 1,
            role,
            session_id: None,
            api_key_id: None,
            must_set_up_mfa: false,
        }
    }

    #[test]
    fn patterns_match_one_segment_per_placeholder() {
        assert!(matches("/api/rentals/{id}/extend", "/api/rentals/7/extend"));
        assert!(!matches("/api/rentals/{id}/extend", "/api/rentals//extend"));
        assert!(!matches("/api/rentals/{id}", "/api/rentals/7/extend"));
        assert!(!matches("/api/rentals/{id}", "/api/rentals"));
    }

    #[test]
    fn each_role_gets_what_it_is_for() {
        let post = Method::POST;
        let get = Method::GET;
        let credit = "/api/admin/users/3/credit";
        assert!(check(Some(&caller(Role::Admin)), &post, credit).is_ok());
        assert!(matches!(
            check(Some(&caller(Role::Support)), &post, credit),
            Err(ServerError::Forbidden(_))
        ));
        assert!(check(Some(&caller(Role::Support)), &get, "/api/admin/users/3").is_ok());
        assert!(matches!(
            check(Some(&caller(Role::User)), &get, "/api/admin/users/3"),
            Err(ServerError::Forbidden(_))
        ));
        assert!(matches!(
            check(None, &get, "/api/rentals/active"),
            Err(ServerError::Unauthorized(_))
        ));
        assert!(check(None, &post, "/api/auth/login").is_ok());
        // Outside /api and /admin, the pages' own guards decide.
        assert!(check(None, &get, "/rentals").is_ok());
        assert!(check(None, &get, "/admin/providers").is_err());
    }

    #[test]
    fn head_is_decided_as_get() {
        assert!(matches!(
            check(None, &Method::HEAD, "/api/admin/audit.csv"),
            Err(ServerError::Unauthorized(_))
        ));
        assert!(matches!(
            check(Some(&caller(Role::User)), &Method::HEAD, "/api/admin/users"),
            Err(ServerError::Forbidden(_))
        ));
        assert!(check(None, &Method::HEAD, "/api/catalog/countries").is_ok());
    }

    #[test]
    fn an_api_path_without_a_decision_does_not_exist() {
        assert!(matches!(
            check(
                Some(&caller(Role::Admin)),
                &Method::GET,
                "/api/secret/thing"
            ),
            Err(ServerError::NotFound(_))
        ));
    }

    #[test]
    fn no_path_and_method_has_two_rules() {
        for (i, a) in RULES.iter().enumerate() {
            for b in &RULES[i + 1..] {
                assert!(
                    !(a.method == b.method && a.path == b.path),
                    "{} {} twice",
                    a.method,
                    b.method
                );
            }
        }
    }
}
