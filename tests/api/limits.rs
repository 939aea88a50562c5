//! Rate limits (`RATE_LIMIT_*`) and the sign-in backoff: 429 with a `Retry-After` that is
//! honoured, per address, per account, per API key and per purchase, and nothing done for a
//! refused request.

use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::json;

fn retry_after(r: &Response) -> i64 {
    r.headers()
        .get("retry-after")
        .expect("a 429 says when to come back")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn login_from(app: &TestApp, client_ip: &str, email: &str, password: &str) -> Response {
    app.client
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", client_ip)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_ins_beyond_the_limit_are_429_until_the_retry_after_has_passed() {
    let app = spawn_app_with(&[("RATE_LIMIT_SIGN_IN", "3".into())]).await;
    for _ in 0..3 {
        let r = app.login(&unique_email(), "wrong password").await;
        assert_eq!(r.status(), 401);
    }
    let r = app.login(&unique_email(), "wrong password").await;
    assert_eq!(r.status(), 429);
    let wait = retry_after(&r);
    assert!((1..=20).contains(&wait), "{wait}");
    let body = error_body(r, 429).await;
    assert_eq!(body["code"], "rate_limited");
    assert!(
        body["message"].as_str().unwrap().contains("sign-in"),
        "{body}"
    );
    // Other requests from the address are not sign-ins.
    assert_eq!(
        app.client
            .get(app.url("/api/catalog/countries"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    app.advance(wait).await;
    let r = app.login(&unique_email(), "wrong password").await;
    assert_eq!(r.status(), 401, "after Retry-After the attempt is heard");
}

#[tokio::test]
async fn purchases_beyond_the_limit_are_429_and_charge_nothing() {
    let app = spawn_app_with(&[("RATE_LIMIT_PAID", "2".into())]).await;
    let s = app.funded("100").await;
    app.rent(&s, 1).await;
    app.rent(&s, 1).await;
    let before = app.balance(&s).await;
    let r = app
        .as_browser(Method::POST, "/api/rentals/create", &s)
        .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let wait = retry_after(&r);
    assert_eq!(
        app.balance(&s).await,
        before,
        "a refused purchase charges nothing"
    );
    let active = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"].as_array().unwrap().len(), 2);
    // Reading is not purchasing, and another customer has a limit of their own.
    assert_eq!(
        app.as_browser(Method::GET, "/api/rentals/active", &s)
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let other = app.funded("100").await;
    app.rent(&other, 1).await;
    app.advance(wait).await;
    app.rent(&s, 1).await;
}

#[tokio::test]
async fn an_api_key_has_its_own_limit() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_API_KEY", "3".into())]).await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "script").await;
    for left in (0..3).rev() {
        let r = app
            .with_key(Method::GET, "/api/billing/balance", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        // Each answer says what is left of the tightest limit.
        let header = |name: &str| r.headers()[name].to_str().unwrap().parse::<u64>().unwrap();
        assert_eq!(header("ratelimit-limit"), 3);
        assert_eq!(header("ratelimit-remaining"), left);
        assert_eq!(header("ratelimit-reset"), (3 - left) * 20);
    }
    let r = app
        .with_key(Method::GET, "/api/billing/balance", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    assert!(retry_after(&r) >= 1);
    // The account's browser session is not the key.
    let r = app
        .as_browser(Method::GET, "/api/billing/balance", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_has_its_own_limit() {
    let app = spawn_app_with(&[
        ("RATE_LIMIT_PER_IP", "3".into()),
        ("TRUSTED_PROXIES", "127.0.0.1".into()),
    ])
    .await;
    let get = |client: &'static str| {
        app.client
            .get(app.url("/api/catalog/countries"))
            .header("x-forwarded-for", client)
            .send()
    };
    for _ in 0..3 {
        assert_eq!(get("198.51.100.1").await.unwrap().status(), 200);
    }
    assert_eq!(get("198.51.100.1").await.unwrap().status(), 429);
    assert_eq!(get("198.51.100.2").await.unwrap().status(), 200);
    // A forged hop left of the proxy's own changes nothing.
    assert_eq!(
        get("203.0.113.7, 198.51.100.1").await.unwrap().status(),
        429
    );
}

#[tokio::test]
async fn without_trusted_proxies_a_forwarded_address_is_ignored() {
    let app = spawn_app_with(&[("RATE_LIMIT_PER_IP", "2".into())]).await;
    for (i, client) in ["198.51.100.1", "198.51.100.2", "198.51.100.3"]
        .iter()
        .enumerate()
    {
        let r = app
            .client
            .get(app.url("/api/catalog/countries"))
            .header("x-forwarded-for", *client)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), if i < 2 { 200 } else { 429 }, "request {i}");
    }
}

#[tokio::test]
async fn wrong_passwords_back_off_and_the_right_one_works_once_the_wait_is_over() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    for _ in 0..5 {
        assert_eq!(app.login(&email, "not the password").await.status(), 401);
    }
    // Held back now, even with the right password, which is not even checked.
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 429);
    let wait = retry_after(&r);
    assert_eq!(wait, 1);
    app.advance(wait).await;
    // One more failure doubles the wait.
    assert_eq!(app.login(&email, "not the password").await.status(), 401);
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 429);
    assert_eq!(retry_after(&r), 2);
    app.advance(2).await;
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 200, "the owner gets in once the wait is over");
    // A success starts the count again.
    for _ in 0..4 {
        assert_eq!(app.login(&email, "not the password").await.status(), 401);
    }
    assert_eq!(app.login(&email, PASSWORD).await.status(), 200);
}

#[tokio::test]
async fn an_attacker_held_back_does_not_lock_the_owner_out_from_elsewhere() {
    let app = spawn_app_with(&[("TRUSTED_PROXIES", "127.0.0.1".into())]).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    for _ in 0..5 {
        let r = login_from(&app, "203.0.113.66", &email, "guess").await;
        assert_eq!(r.status(), 401);
    }
    let r = login_from(&app, "203.0.113.66", &email, PASSWORD).await;
    assert_eq!(r.status(), 429, "the guessing address is held back");
    let r = login_from(&app, "198.51.100.20", &email, PASSWORD).await;
    assert_eq!(r.status(), 200, "the owner, elsewhere, is not");
    let rows: Vec<(String, String)> =
        sqlx::query_as("select action, ip from audit_log where target = $1 order by audit_id")
            .bind(format!("email:{email}"))
            .fetch_all(&app.state.db.pool)
            .await
            .unwrap();
    assert!(rows.iter().all(|(_, ip)| ip == "203.0.113.66"), "{rows:?}");
    assert!(rows.iter().any(|(a, _)| a == "auth.sign_in_failed"));
    assert!(rows.iter().any(|(a, _)| a == "auth.sign_in_throttled"));
}
