//! The allow/deny table (`http::access::RULES`) walked with every role: anonymous, user,
//! support and admin, against the running app. Each request the table allows gets past the
//! access check, each it denies is refused by it (401 signed out, 403 for a role that is not
//! enough), and every server function the app registers has a decision in the table.

use crate::helpers::*;
use namaskah::domain::Role;
use namaskah::server::http::access::RULES;
use namaskah::server::services::audit::Actor;
use reqwest::Method;
use serde_json::{json, Value};

const ACCESS_401: &str = "sign in, or send an API key, to do this";
const ACCESS_403: &str = "may do this; this account is a";

async fn signed_in_as(app: &TestApp, role: Role) -> Session {
    let email = unique_email();
    namaskah::server::services::accounts::create_user(
        &app.state,
        &Actor::CLI,
        &email,
        PASSWORD,
        role,
    )
    .await
    .unwrap();
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    }
}

fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// `Some(status)` when the access check refused the request, `None` when it let it through.
async fn refusal(r: reqwest::Response, page: bool) -> Option<u16> {
    let status = r.status().as_u16();
    if page {
        return matches!(status, 401 | 403).then_some(status);
    }
    if !matches!(status, 401 | 403 | 404 | 405) {
        // Let through (and perhaps a stream that never ends: not read).
        return None;
    }
    let body: Value = r.json().await.unwrap_or(Value::Null);
    let message = body["error"]["message"].as_str().unwrap_or("");
    assert!(
        !(status == 404 && message == "API endpoint not found") && status != 405,
        "a rule names a route the app does not have: {status} {body}"
    );
    (status == 401 && message == ACCESS_401 || status == 403 && message.contains(ACCESS_403))
        .then_some(status)
}

#[tokio::test]
async fn every_route_and_server_function_allows_and_denies_as_its_rule_says() {
    let app = spawn_app().await;
    let callers = [
        (None, None),
        (Some(Role::User), Some(signed_in_as(&app, Role::User).await)),
        (
            Some(Role::Support),
            Some(signed_in_as(&app, Role::Support).await),
        ),
        (
            Some(Role::Admin),
            Some(signed_in_as(&app, Role::Admin).await),
        ),
    ];
    let mut checked = 0;
    for rule in RULES {
        let path = concrete(rule.path);
        let method = Method::from_bytes(rule.method.as_bytes()).unwrap();
        let page = !path.starts_with("/api/");
        // Signing out ends the session it is sent with: those get a session of their own.
        let ends_session = matches!(rule.path, "/api/auth/logout" | "/api/fn/sign_out");
        for (role, session) in &callers {
            let throwaway = match role {
                Some(role) if ends_session => Some(signed_in_as(&app, *role).await),
                _ => None,
            };
            let session = throwaway.as_ref().or(session.as_ref());
            let mut req = app
                .client
                .request(method.clone(), app.url(&path))
                .header("origin", app.origin());
            if let Some(s) = session {
                req = req.header("cookie", format!("namaskah_session={}", s.cookie));
            }
            if method != Method::GET && method != Method::DELETE {
                req = req.json(&json!({}));
            }
            let r = req.send().await.unwrap();
            let refused = refusal(r, page).await;
            let expected = match (rule.access.allows(*role), role) {
                (true, _) => None,
                (false, None) => Some(401),
                (false, Some(_)) => Some(403),
            };
            assert_eq!(
                refused, expected,
                "{} {} as {:?}: rule {:?}",
                rule.method, rule.path, role, rule.access
            );
            checked += 1;
        }
    }
    assert_eq!(checked, RULES.len() * 4);
}

#[test]
fn every_server_function_has_a_rule_and_every_rule_a_function() {
    let registered: Vec<(String, String)> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, method)| (method.as_str().to_owned(), path.to_owned()))
        .collect();
    assert!(registered.len() > 30, "{registered:?}");
    for (method, path) in &registered {
        assert!(
            RULES.iter().any(|r| r.method == method && r.path == path),
            "server function {method} {path} has no rule in http::access::RULES"
        );
    }
    for rule in RULES.iter().filter(|r| r.path.starts_with("/api/fn/")) {
        assert!(
            registered
                .iter()
                .any(|(m, p)| m == rule.method && p == rule.path),
            "rule {} {} names no server function",
            rule.method,
            rule.path
        );
    }
}

#[tokio::test]
async fn support_reads_any_account_but_moves_no_money_and_admin_does_both() {
    let app = spawn_app().await;
    let customer = app.funded("10").await;
    let support = signed_in_as(&app, Role::Support).await;
    let admin = signed_in_as(&app, Role::Admin).await;
    let id = customer.user_id;

    let user = app
        .get_json(&format!("/api/admin/users/{id}"), &support)
        .await;
    assert_eq!(user["balance"], "10.0000");
    assert_eq!(user["role"], "user");
    let ledger = app
        .get_json(&format!("/api/admin/users/{id}/transactions"), &support)
        .await;
    assert_eq!(ledger["transactions"].as_array().unwrap().len(), 1);

    let credit = json!({"amount": "5", "note": "goodwill"});
    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/admin/users/{id}/credit"),
            &support,
        )
        .json(&credit)
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 403).await["code"], "forbidden");
    assert_eq!(app.balance(&customer).await.to_string(), "10.0000");

    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/admin/users/{id}/credit"),
            &admin,
        )
        .json(&credit)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["balance"], "15.0000");
    app.assert_ledger_invariant(id).await;

    // Bad input names its field and changes nothing.
    for (body, field) in [
        (json!({"amount": "0", "note": "x"}), "amount"),
        (json!({"amount": "abc", "note": "x"}), "amount"),
        (json!({"amount": "5", "note": "  "}), "note"),
    ] {
        let r = app
            .as_browser(
                Method::POST,
                &format!("/api/admin/users/{id}/credit"),
                &admin,
            )
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], field);
    }
    assert_eq!(app.balance(&customer).await.to_string(), "15.0000");

    // Who looked and who paid, in the log.
    let log = app
        .get_json(&format!("/api/admin/audit?subject={id}"), &admin)
        .await;
    let actions: Vec<(&str, i64)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| Some((e["action"].as_str()?, e["actor_user_id"].as_i64()?)))
        .collect();
    assert!(
        actions.contains(&("staff.user_view", support.user_id)),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("staff.ledger_view", support.user_id)),
        "{actions:?}"
    );
    assert!(
        actions.contains(&("balance.credit", admin.user_id)),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_role_change_counts_at_once_is_logged_and_an_admin_cannot_change_their_own() {
    let app = spawn_app().await;
    let admin = signed_in_as(&app, Role::Admin).await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "script").await;
    let r = app
        .with_key(Method::GET, "/api/admin/users", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/admin/users/{}/role", s.user_id),
            &admin,
        )
        .json(&json!({"role": "support"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["role"], "support");
    // The same key, at once, with the new role.
    let r = app
        .with_key(Method::GET, "/api/admin/users", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/admin/users/{}/role", admin.user_id),
            &admin,
        )
        .json(&json!({"role": "user"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 409).await["field"], "role");
    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/admin/users/{}/role", s.user_id),
            &admin,
        )
        .json(&json!({"role": "owner"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "role");

    let log = app
        .get_json("/api/admin/audit?action=role.change", &admin)
        .await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["before"]["role"], "user");
    assert_eq!(entries[0]["after"]["role"], "support");
    assert_eq!(entries[0]["subject_user_id"], s.user_id);
    assert_eq!(entries[0]["actor_role"], "admin");
    // The customer sees the change, not where the admin did it from.
    let theirs = app.get_json("/api/account/security-events", &s).await;
    let change = theirs["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "role.change")
        .unwrap()
        .clone();
    assert_eq!(change["ip"], "");
    assert_eq!(change["user_agent"], "");
}

#[tokio::test]
async fn a_head_request_is_decided_as_its_get() {
    let app = spawn_app().await;
    let r = app
        .client
        .head(app.url("/api/admin/audit.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let s = app.signed_in().await;
    let r = app
        .client
        .head(app.url("/api/admin/users"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
