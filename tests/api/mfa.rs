//! Two-factor sign-in: enrolment with a first code, sign-in with a code or a recovery code,
//! codes good once, challenges that expire, turning it off, and operators required to use it.

use crate::helpers::*;
use namaskah::domain::Role;
use namaskah::server::services::audit::Actor;
use namaskah::server::services::mfa::code_at;
use reqwest::{Method, Response};
use serde_json::{json, Value};

/// The code the authenticator app shows now, by the app's clock.
fn code_now(app: &TestApp, secret: &str) -> String {
    let now = u64::try_from(app.state.clock.now_ms() / 1000).unwrap();
    code_at(secret, now).unwrap()
}

struct Enrolled {
    email: String,
    session: Session,
    secret: String,
    recovery_codes: Vec<String>,
}

async fn enrolled(app: &TestApp) -> Enrolled {
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let r = app.login(&email, PASSWORD).await;
    let session = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    };
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/setup", &session)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let setup: Value = r.json().await.unwrap();
    let secret = setup["secret"].as_str().unwrap().to_owned();
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/enable", &session)
        .json(&json!({"code": code_now(app, &secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let codes: Value = r.json().await.unwrap();
    let recovery_codes = codes["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_owned())
        .collect();
    // The enrolment's code has been used: the next sign-in needs the next one.
    app.advance(30).await;
    Enrolled {
        email,
        session,
        secret,
        recovery_codes,
    }
}

/// The password step: 202 with a challenge and no session.
async fn challenge(app: &TestApp, email: &str) -> String {
    let r = app.login(email, PASSWORD).await;
    assert_eq!(r.status(), 202);
    assert!(session_cookie(&r).is_none(), "no session before the code");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["second_factor_required"], true);
    body["challenge"].as_str().unwrap().to_owned()
}

async fn second_factor(app: &TestApp, challenge: &str, code: &str) -> Response {
    app.post_json(
        "/api/auth/login/mfa",
        &json!({"challenge": challenge, "code": code}),
    )
    .await
}

#[tokio::test]
async fn enrolment_takes_a_first_code_and_then_sign_in_asks_for_one() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/setup", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let setup: Value = r.json().await.unwrap();
    let url = setup["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/Namaskah:"), "{url}");
    assert!(url.contains("issuer=Namaskah"), "{url}");
    assert!(setup["qr_svg"].as_str().unwrap().contains("<svg"));
    let secret = setup["secret"].as_str().unwrap();

    // Not on until a code proves the app has it.
    let status = app.get_json("/api/account/mfa", &s).await;
    assert_eq!(status["enabled"], false);
    assert_eq!(status["pending"]["secret"], secret);
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/enable", &s)
        .json(&json!({"code": "000000"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "code");
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/enable", &s)
        .json(&json!({"code": code_now(&app, secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let codes: Value = r.json().await.unwrap();
    assert_eq!(codes["recovery_codes"].as_array().unwrap().len(), 10);
    let status = app.get_json("/api/account/mfa", &s).await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);
    assert!(status["pending"].is_null());
    // Set up again while on: refused.
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/setup", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 409);

    let events = app.get_json("/api/account/security-events", &s).await;
    assert_eq!(events["events"][0]["action"], "mfa.enable");
}

#[tokio::test]
async fn a_code_signs_in_once_and_a_replayed_code_is_refused() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let code = code_now(&app, &e.secret);

    let c = challenge(&app, &e.email).await;
    let r = second_factor(&app, &c, "123 456").await;
    assert_eq!(error_body(r, 422).await["field"], "code");
    let r = second_factor(&app, &c, &code).await;
    assert_eq!(r.status(), 200);
    assert!(session_cookie(&r).is_some());
    assert_eq!(r.json::<Value>().await.unwrap()["id"], e.session.user_id);
    // The challenge is spent.
    let r = second_factor(&app, &c, &code).await;
    assert_eq!(r.status(), 401);

    // The same code again, within its 30 seconds, on a new sign-in: refused.
    let c = challenge(&app, &e.email).await;
    let r = second_factor(&app, &c, &code).await;
    let body = error_body(r, 422).await;
    assert_eq!(body["field"], "code");
    assert!(
        body["message"].as_str().unwrap().contains("already used"),
        "{body}"
    );
    app.advance(30).await;
    let r = second_factor(&app, &c, &code_now(&app, &e.secret)).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let spare = e.recovery_codes[3].to_uppercase();
    let c = challenge(&app, &e.email).await;
    let r = second_factor(&app, &c, &spare).await;
    assert_eq!(r.status(), 200);
    let c = challenge(&app, &e.email).await;
    let r = second_factor(&app, &c, &spare).await;
    assert_eq!(error_body(r, 422).await["field"], "code");
    let status = app.get_json("/api/account/mfa", &e.session).await;
    assert_eq!(status["recovery_codes_left"], 9);
    let log: Vec<String> = sqlx::query_scalar(
        "select after_json from audit_log where subject_user_id = $1 and action = 'auth.sign_in' \
         and after_json is not null",
    )
    .bind(e.session.user_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(log, [r#"{"second_factor":"recovery_code"}"#]);
}

#[tokio::test]
async fn a_challenge_ends_after_five_wrong_codes_or_five_minutes() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let c = challenge(&app, &e.email).await;
    for _ in 0..5 {
        let r = second_factor(&app, &c, "000000").await;
        assert!(matches!(r.status().as_u16(), 422 | 429), "{}", r.status());
    }
    let r = second_factor(&app, &c, &code_now(&app, &e.secret)).await;
    assert_eq!(r.status(), 401);

    app.advance(60).await;
    let c = challenge(&app, &e.email).await;
    app.advance(301).await;
    let r = second_factor(&app, &c, &code_now(&app, &e.secret)).await;
    assert_eq!(r.status(), 401);
    let body = error_body(r, 401).await;
    assert!(
        body["message"].as_str().unwrap().contains("sign in again"),
        "{body}"
    );
}

#[tokio::test]
async fn turning_it_off_needs_the_password_and_a_code() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let off = |body: Value| {
        app.as_browser(Method::POST, "/api/account/mfa/disable", &e.session)
            .json(&body)
            .send()
    };
    let r = off(json!({"password": "not it", "code": code_now(&app, &e.secret)}))
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "password");
    let r = off(json!({"password": PASSWORD, "code": "999999"}))
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "code");
    assert_eq!(
        app.get_json("/api/account/mfa", &e.session).await["enabled"],
        true
    );
    let r = off(json!({"password": PASSWORD, "code": code_now(&app, &e.secret)}))
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(app.login(&e.email, PASSWORD).await.status(), 200);
    let actions = app.security_actions(&e.session).await;
    assert_eq!(actions[..2], ["auth.sign_in", "mfa.disable"]);
}

#[tokio::test]
async fn new_recovery_codes_replace_the_old_ones() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/recovery-codes", &e.session)
        .json(&json!({"password": PASSWORD, "code": code_now(&app, &e.secret)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let fresh: Value = r.json().await.unwrap();
    let c = challenge(&app, &e.email).await;
    let r = second_factor(&app, &c, &e.recovery_codes[0]).await;
    assert_eq!(
        error_body(r, 422).await["field"],
        "code",
        "an old code is dead"
    );
    let r = second_factor(&app, &c, fresh["recovery_codes"][0].as_str().unwrap()).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn an_admin_without_it_can_only_turn_it_on_when_it_is_required() {
    let app = spawn_app_with(&[("REQUIRE_ADMIN_MFA", "1".into())]).await;
    let email = unique_email();
    let admin = namaskah::server::services::accounts::create_user(
        &app.state,
        &Actor::CLI,
        &email,
        PASSWORD,
        Role::Admin,
    )
    .await
    .unwrap();
    let key =
        namaskah::server::services::api_keys::create(&app.state, &Actor::CLI, admin.id, "ops")
            .await
            .unwrap()
            .key;
    let r = app.login(&email, PASSWORD).await;
    let s = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: admin.id,
    };
    let r = app
        .as_browser(Method::GET, "/api/admin/users", &s)
        .send()
        .await
        .unwrap();
    let body = error_body(r, 403).await;
    assert!(
        body["message"].as_str().unwrap().contains("two-factor"),
        "{body}"
    );
    let r = app
        .as_browser(Method::GET, "/admin/providers", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(r.headers()["location"], "/account/mfa");
    assert_eq!(app.get_json("/api/account/mfa", &s).await["required"], true);
    // API keys are not affected.
    let r = app
        .with_key(Method::GET, "/api/admin/users", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let setup: Value = app
        .as_browser(Method::POST, "/api/account/mfa/setup", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = app
        .as_browser(Method::POST, "/api/account/mfa/enable", &s)
        .json(&json!({"code": code_now(&app, setup["secret"].as_str().unwrap())}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = app
        .as_browser(Method::GET, "/api/admin/users", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Customers are never asked.
    let customer = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/api/rentals/active", &customer)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn wrong_codes_add_up_across_sign_ins_so_a_right_password_buys_no_more_guesses() {
    let app = spawn_app().await;
    let e = enrolled(&app).await;
    let c = challenge(&app, &e.email).await;
    for _ in 0..4 {
        let r = second_factor(&app, &c, "000000").await;
        assert_eq!(r.status(), 422);
    }
    // A new challenge (the password again) does not wipe the count: the fifth wrong code
    // holds the next attempt back, right code or not.
    let c = challenge(&app, &e.email).await;
    assert_eq!(second_factor(&app, &c, "000000").await.status(), 422);
    let r = second_factor(&app, &c, &code_now(&app, &e.secret)).await;
    assert_eq!(r.status(), 429);
}
