//! Sessions: a customer sees where they are signed in, ends one or every other, and a password
//! change ends every other.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn sign_in_from(app: &TestApp, email: &str, user_agent: &str) -> Session {
    let r = app
        .client
        .post(app.url("/api/auth/login"))
        .header("user-agent", user_agent)
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    }
}

async fn works(app: &TestApp, s: &Session) -> bool {
    app.as_browser(Method::GET, "/api/auth/me", s)
        .send()
        .await
        .unwrap()
        .status()
        == 200
}

#[tokio::test]
async fn a_customer_sees_their_sessions_and_ends_one_or_every_other() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let laptop = sign_in_from(
        &app,
        &email,
        "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",
    )
    .await;
    let phone = sign_in_from(
        &app,
        &email,
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Version/17.0 Mobile Safari/604.1",
    )
    .await;
    let tablet = sign_in_from(&app, &email, "curl/8.5.0").await;

    let list = app.get_json("/api/account/sessions", &laptop).await;
    let sessions = list["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);
    let devices: Vec<&str> = sessions
        .iter()
        .map(|s| s["device"].as_str().unwrap())
        .collect();
    assert!(devices.contains(&"Firefox on Linux"), "{devices:?}");
    assert!(devices.contains(&"Safari on iPhone"), "{devices:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["ip"] == "127.0.0.1"));
    let phone_id = sessions
        .iter()
        .find(|s| s["device"] == "Safari on iPhone")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Another customer cannot end it.
    let stranger = app.signed_in().await;
    let r = app
        .as_browser(
            Method::DELETE,
            &format!("/api/account/sessions/{phone_id}"),
            &stranger,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert!(works(&app, &phone).await);

    let r = app
        .as_browser(
            Method::DELETE,
            &format!("/api/account/sessions/{phone_id}"),
            &laptop,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(!works(&app, &phone).await);
    assert!(works(&app, &tablet).await);

    let r = app
        .as_browser(Method::POST, "/api/account/sessions/end-others", &laptop)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["ended"], 1);
    assert!(!works(&app, &tablet).await);
    assert!(works(&app, &laptop).await);
    let list = app.get_json("/api/account/sessions", &laptop).await;
    assert_eq!(list["sessions"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn a_password_change_ends_every_other_session() {
    let app = spawn_app().await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let here = sign_in_from(&app, &email, "here").await;
    let there = sign_in_from(&app, &email, "there").await;
    let change = |body: Value| {
        app.as_browser(Method::POST, "/api/account/password", &here)
            .json(&body)
            .send()
    };
    let r = change(json!({"current_password": "wrong", "new_password": "a much better secret 42"}))
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "current_password");
    let r = change(json!({"current_password": PASSWORD, "new_password": "password"}))
        .await
        .unwrap();
    let body = error_body(r, 422).await;
    assert_eq!(body["field"], "new_password");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("new_password "),
        "{body}"
    );
    assert!(works(&app, &there).await, "a refused change ends nothing");

    let r =
        change(json!({"current_password": PASSWORD, "new_password": "a much better secret 42"}))
            .await
            .unwrap();
    assert_eq!(r.status(), 204);
    assert!(works(&app, &here).await);
    assert!(!works(&app, &there).await);
    assert_eq!(app.login(&email, PASSWORD).await.status(), 401);
    assert_eq!(
        app.login(&email, "a much better secret 42").await.status(),
        200
    );
    let events = app.get_json("/api/account/security-events", &here).await;
    assert!(events["events"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "password.change"));
}

#[tokio::test]
async fn guessing_the_password_from_a_session_is_held_back_like_sign_in() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let change = |current: &'static str| {
        app.as_browser(Method::POST, "/api/account/password", &s)
            .json(&json!({"current_password": current, "new_password": "a much better secret 42"}))
            .send()
    };
    for _ in 0..5 {
        let r = change("guess").await.unwrap();
        assert_eq!(error_body(r, 422).await["field"], "current_password");
    }
    let r = change(PASSWORD).await.unwrap();
    assert_eq!(r.status(), 429, "held back, even with the right one");
}
