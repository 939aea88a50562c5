use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn key_count(app: &TestApp, s: &Session) -> usize {
    let list: Value = app
        .as_browser(Method::GET, "/api/keys", s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    list["keys"].as_array().unwrap().len()
}

#[tokio::test]
async fn a_cross_site_post_with_the_cookie_is_403_and_changes_nothing() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .client
        .post(app.url("/api/keys"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("origin", "https://evil.example")
        .json(&json!({"name": "planted"}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 403).await["code"], "forbidden");
    assert_eq!(key_count(&app, &s).await, 0);

    // The same through a server function (what the UI's forms post to).
    let r = app
        .client
        .post(app.url("/api/fn/create_api_key"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("origin", "https://evil.example")
        .form(&[("name", "planted")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(key_count(&app, &s).await, 0);
}

#[tokio::test]
async fn a_cookie_post_that_does_not_say_where_it_comes_from_is_403() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .client
        .post(app.url("/api/keys"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .json(&json!({"name": "planted"}))
        .send()
        .await
        .unwrap();
    error_body(r, 403).await;
    let r = app
        .client
        .post(app.url("/api/keys"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("referer", "https://evil.example/page")
        .json(&json!({"name": "planted"}))
        .send()
        .await
        .unwrap();
    error_body(r, 403).await;
    assert_eq!(key_count(&app, &s).await, 0);
}

#[tokio::test]
async fn cross_site_logout_and_login_are_refused() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .client
        .post(app.url("/api/auth/logout"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    error_body(r, 403).await;
    let r = app
        .as_browser(Method::GET, "/api/auth/me", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the session survived");
    // Login CSRF: a forged sign-in into the attacker's account.
    let r = app
        .client
        .post(app.url("/api/auth/login"))
        .header("origin", "https://evil.example")
        .json(&json!({"email": "x@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    error_body(r, 403).await;
}

#[tokio::test]
async fn the_uis_own_requests_pass() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    // A hydrated page's fetch: same Origin.
    let r = app
        .client
        .post(app.url("/api/fn/create_api_key"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("origin", app.origin())
        .form(&[("name", "from the ui")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    assert!(body["key"].as_str().unwrap().starts_with("nmk_"));
    // A plain form post from an older browser: same-site Referer only.
    let r = app
        .client
        .post(app.url("/api/fn/create_api_key"))
        .header("cookie", format!("namaskah_session={}", s.cookie))
        .header("referer", app.url("/keys"))
        .header("accept", "text/html")
        .form(&[("name", "no js")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    let location = r.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with("/keys"),
        "back to the page: {location}"
    );
    // The key goes back to the keys page once, in a short-lived cookie scoped to it.
    let flash = set_cookie(&r, "namaskah_new_key").unwrap();
    assert!(
        flash.contains("Path=/keys") && flash.contains("HttpOnly"),
        "{flash}"
    );
    assert_eq!(key_count(&app, &s).await, 2);
}

#[tokio::test]
async fn every_response_carries_security_headers() {
    let app = spawn_app().await;
    for path in ["/", "/api/auth/me", "/login"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let h = r.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        assert!(h.contains_key("referrer-policy"), "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
    }
}

#[tokio::test]
async fn pages_allow_only_their_own_nonce_scripts() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/login")).send().await.unwrap();
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|s| s.split('\'').next())
        .expect("a nonce")
        .to_owned();
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&format!("nonce=\"{nonce}\"")),
        "the hydration script carries the nonce"
    );
    // A fresh nonce per page.
    let again = app.client.get(app.url("/login")).send().await.unwrap();
    assert!(!again.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .contains(&nonce));
}

#[tokio::test]
async fn server_functions_fail_with_the_right_status_and_error() {
    let app = spawn_app().await;
    app.register("gil@example.com", PASSWORD).await;
    let r = app
        .client
        .post(app.url("/api/fn/sign_in"))
        .header("origin", app.origin())
        .form(&[
            ("email", "gil@example.com"),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let e: Value = r.json().await.unwrap();
    assert_eq!(e["code"], "unauthorized");
    assert_eq!(e["message"], "wrong email or password");
    let r = app
        .client
        .post(app.url("/api/fn/list_api_keys"))
        .header("origin", app.origin())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A plain form post (JavaScript off) goes back to the page with the error in the address.
    let r = app
        .client
        .post(app.url("/api/fn/sign_in"))
        .header("origin", app.origin())
        .header("referer", app.url("/login"))
        .header("accept", "text/html")
        .form(&[
            ("email", "gil@example.com"),
            ("password", "wrong password!"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 302);
    assert!(r.headers()["location"].to_str().unwrap().contains("__err="));
}
