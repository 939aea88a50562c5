use crate::helpers::*;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn register_returns_202_and_the_account_can_sign_in() {
    let app = spawn_app().await;
    let r = app.register("  Ann@Example.com ", PASSWORD).await;
    assert_eq!(r.status(), 202);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["email"], "ann@example.com");
    assert!(body["message"].as_str().unwrap().contains("sign in"));
    assert!(body.get("password").is_none() && body.get("password_hash").is_none());
    let me: Value = app
        .login("ann@example.com", PASSWORD)
        .await
        .json()
        .await
        .unwrap();
    assert!(me["id"].as_i64().unwrap() > 0);
}

#[tokio::test]
async fn a_duplicate_email_creates_nothing_whatever_its_case() {
    let app = spawn_app().await;
    assert_eq!(
        app.register("bob@example.com", PASSWORD).await.status(),
        202
    );
    assert_eq!(
        app.register("BOB@example.com", PASSWORD).await.status(),
        202
    );
    assert_eq!(app.user_count().await, 1);
}

#[tokio::test]
async fn bad_email_or_short_password_is_422_naming_the_field_and_creates_nothing() {
    let app = spawn_app().await;
    let e = error_body(app.register("not-an-email", PASSWORD).await, 422).await;
    assert_eq!(e["field"], "email");
    let e = error_body(app.register("carol@example.com", "123456789").await, 422).await;
    assert_eq!(e["field"], "password");
    assert!(e["message"].as_str().unwrap().contains("10"));
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn login_sets_an_httponly_samesite_session_cookie() {
    let app = spawn_app().await;
    app.register("dan@example.com", PASSWORD).await;
    let r = app.login("DAN@example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    let cookie = set_cookie(&r, "namaskah_session").unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(cookie.contains("Secure"), "{cookie}");
    assert!(cookie.contains("Path=/"), "{cookie}");
    let token = session_cookie(&r).unwrap();
    assert!(token.len() >= 64, "the token is long and random");
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["email"], "dan@example.com");

    // The database keeps only a digest of the token.
    let stored: i64 = sqlx::query_scalar("select count(*) from session where session_id = $1")
        .bind(&token)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn me_shows_id_email_role_and_balance() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/api/auth/me", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me: Value = r.json().await.unwrap();
    assert_eq!(me["id"], s.user_id);
    assert_eq!(me["role"], "user");
    assert_eq!(me["balance"], "0.0000");
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_401() {
    let app = spawn_app().await;
    app.register("erin@example.com", PASSWORD).await;
    let wrong = error_body(app.login("erin@example.com", "wrong password!").await, 401).await;
    let unknown = error_body(app.login("nobody@example.com", PASSWORD).await, 401).await;
    assert_eq!(wrong, unknown);
    assert!(error_body(app.login("erin@example.com", "").await, 422).await["field"] == "password");
}

#[tokio::test]
async fn unknown_email_takes_as_long_as_a_wrong_password() {
    let app = spawn_app().await;
    // The median of three sign-ins each: one slowed by another test on the same cores says
    // nothing about the server. A timing leak shows in every trial; noise from a loaded machine
    // seldom does in three, so a trial within range settles it. Each trial has its own account
    // (more failures would meet the sign-in backoff, which answers at once); the whole test
    // stays under the address's 20 free failures.
    let time = |email: String| {
        let app = &app;
        async move {
            let mut each = Vec::new();
            for _ in 0..3 {
                let t = std::time::Instant::now();
                app.login(&email, "wrong password!").await;
                each.push(t.elapsed().as_secs_f64());
            }
            each.sort_by(f64::total_cmp);
            each[each.len() / 2]
        }
    };
    // Warm-up: the first unknown address makes the dummy hash it is checked against.
    app.login("nobody@example.com", "wrong password!").await;
    let mut seen = Vec::new();
    for trial in 0..3 {
        let known_email = format!("fay{trial}@example.com");
        app.register(&known_email, PASSWORD).await;
        let known = time(known_email).await;
        let unknown = time(format!("nobody{trial}@example.com")).await;
        let ratio = unknown / known;
        if (0.5..2.0).contains(&ratio) {
            return;
        }
        seen.push(format!("known {known:.3}s vs unknown {unknown:.3}s"));
    }
    panic!("an unknown address answers at another speed: {seen:?}");
}

#[tokio::test]
async fn logout_revokes_the_session_on_the_server() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::POST, "/api/auth/logout", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let cleared = set_cookie(&r, "namaskah_session").unwrap();
    assert!(cleared.contains("Max-Age=0"));
    // The old cookie no longer works, even if a client kept it.
    let r = app
        .as_browser(Method::GET, "/api/auth/me", &s)
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
}

#[tokio::test]
async fn me_without_credentials_is_401() {
    let app = spawn_app().await;
    let r = app
        .client
        .get(app.url("/api/auth/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 401).await["code"], "unauthorized");
    let r = app
        .client
        .get(app.url("/api/auth/me"))
        .header("cookie", "namaskah_session=forged")
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
}
