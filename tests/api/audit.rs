//! The audit log: what is written (with who, from where and which request), that it cannot be
//! changed, the operators' filters and CSV export, and a customer's own security events.

use crate::helpers::*;
use namaskah::domain::Role;
use namaskah::server::services::audit::Actor;
use reqwest::Method;
use serde_json::{json, Value};

async fn admin(app: &TestApp) -> Session {
    app.signed_in_admin().await
}

#[tokio::test]
async fn key_changes_and_sign_ins_are_logged_with_their_origin_and_shown_to_the_owner() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    assert_eq!(app.login(&email, "wrong horse").await.status(), 401);
    let r = app.login(&email, PASSWORD).await;
    let s = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    };
    let r = app
        .as_browser(Method::POST, "/api/keys", &s)
        .header("user-agent", "deploy-bot/1.0")
        .json(&json!({"name": "ci"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let request_id = r
        .headers()
        .get("x-request-id")
        .expect("every answer names its request")
        .to_str()
        .unwrap()
        .to_owned();
    let key: Value = r.json().await.unwrap();
    let r = app
        .as_browser(Method::DELETE, &format!("/api/keys/{}", key["id"]), &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    let mine = app.get_json("/api/account/security-events", &s).await;
    let events = mine["events"].as_array().unwrap();
    let summaries: Vec<&str> = events
        .iter()
        .map(|e| e["summary"].as_str().unwrap())
        .collect();
    assert_eq!(
        summaries,
        [
            "API key revoked",
            "API key \u{201c}ci\u{201d} created",
            "Signed in",
            "Failed sign-in (wrong password)",
            "Account created",
        ]
    );
    assert!(events.iter().all(|e| e["ip"] == "127.0.0.1"), "{events:?}");
    assert_eq!(events[1]["user_agent"], "deploy-bot/1.0");

    let log = app
        .get_json(
            &format!("/api/admin/audit?subject={}&action=api_key.", s.user_id),
            &admin(&app).await,
        )
        .await;
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 2);
    let created = &entries[1];
    assert_eq!(created["action"], "api_key.create");
    assert_eq!(created["actor_user_id"], s.user_id);
    assert_eq!(created["actor_role"], "user");
    assert_eq!(created["request_id"], request_id);
    assert_eq!(created["after"]["name"], "ci");
    assert!(
        created["after"].get("key").is_none(),
        "the key itself is never logged"
    );

    // Another customer sees none of it.
    let other = app.signed_in().await;
    let theirs = app.security_actions(&other).await;
    assert_eq!(theirs, ["auth.sign_in", "account.create"]);
}

#[tokio::test]
async fn the_log_cannot_be_changed_or_emptied() {
    let app = spawn_app().await;
    app.signed_in().await;
    let pool = &app.state.db.pool;
    let rows: i64 = sqlx::query_scalar("select count(*) from audit_log")
        .fetch_one(pool)
        .await
        .unwrap();
    assert!(rows >= 2);
    for sql in [
        "update audit_log set action = 'nothing'",
        "delete from audit_log",
    ] {
        let e = sqlx::query(sql).execute(pool).await.unwrap_err();
        assert!(e.to_string().contains("append-only"), "{sql}: {e}");
    }
    let after: i64 = sqlx::query_scalar("select count(*) from audit_log where action <> 'nothing'")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(after, rows);
}

#[tokio::test]
async fn operators_filter_page_and_export_the_log() {
    let app = spawn_app().await;
    let admin = admin(&app).await;
    for _ in 0..3 {
        app.signed_in().await;
    }
    let first = app
        .get_json("/api/admin/audit?action=auth.&limit=2", &admin)
        .await;
    let page: Vec<&Value> = first["entries"].as_array().unwrap().iter().collect();
    assert_eq!(page.len(), 2);
    assert!(page
        .iter()
        .all(|e| e["action"].as_str().unwrap().starts_with("auth.")));
    let next = first["next_before"].as_i64().expect("there is more");
    let second = app
        .get_json(
            &format!("/api/admin/audit?action=auth.&limit=2&before={next}"),
            &admin,
        )
        .await;
    assert!(second["entries"][0]["id"].as_i64().unwrap() < next);

    let r = app
        .as_browser(
            Method::GET,
            "/api/admin/audit.csv?action=account.create",
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("audit-log.csv"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert!(lines[0].starts_with("id,at,actor_user_id,actor_role,subject_user_id,action"));
    assert_eq!(lines.len(), 1 + 4, "{csv}");
    assert!(lines[1..].iter().all(|l| l.contains(",account.create,")));

    // Bad filters name themselves.
    let r = app
        .as_browser(Method::GET, "/api/admin/audit?from=yesterday", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "from");
    let r = app
        .as_browser(Method::GET, "/api/admin/audit?limit=0", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "limit");

    // Support reads accounts, not the log.
    let email = unique_email();
    namaskah::server::services::accounts::create_user(
        &app.state,
        &Actor::CLI,
        &email,
        PASSWORD,
        Role::Support,
    )
    .await
    .unwrap();
    let r = app.login(&email, PASSWORD).await;
    let support = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: 0,
    };
    let r = app
        .as_browser(Method::GET, "/api/admin/audit.csv", &support)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
}
