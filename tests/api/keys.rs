use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn a_key_is_shown_once_and_listed_without_its_secret() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::POST, "/api/keys", &s)
        .json(&json!({"name": " ci server "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.unwrap();
    let key = created["key"].as_str().unwrap();
    assert!(key.starts_with("nmk_") && key.len() >= 40);
    assert_eq!(created["name"], "ci server");

    let r = app
        .as_browser(Method::GET, "/api/keys", &s)
        .send()
        .await
        .unwrap();
    let text = r.text().await.unwrap();
    assert!(!text.contains(key), "the list never shows the key");
    let list: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(list["keys"].as_array().unwrap().len(), 1);
    assert_eq!(list["keys"][0]["id"], created["id"]);
    assert!(key.starts_with(list["keys"][0]["prefix"].as_str().unwrap()));

    // Stored as a digest only.
    let stored: i64 =
        sqlx::query_scalar("select count(*) from api_key where key_hash = $1 or prefix = $1")
            .bind(key)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(stored, 0);
}

#[tokio::test]
async fn a_bearer_key_authenticates_any_api_request() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "script").await;
    let me: Value = app
        .with_key(Method::GET, "/api/auth/me", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["id"], s.user_id);
    let r = app
        .with_key(Method::GET, "/api/billing/balance", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    // Key requests need no CSRF defence, whatever Origin a tool sends.
    let r = app
        .with_key(Method::POST, "/api/keys", &key)
        .header("origin", "https://elsewhere.example")
        .json(&json!({"name": "second"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    // The key records when it was last used.
    let list: Value = app
        .with_key(Method::GET, "/api/keys", &key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["keys"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["last_used_at"].is_string()));
}

#[tokio::test]
async fn wrong_and_revoked_keys_are_401() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "temporary").await;
    let id = app
        .with_key(Method::GET, "/api/keys", &key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["keys"][0]["id"]
        .as_i64()
        .unwrap();

    let r = app
        .with_key(
            Method::GET,
            "/api/auth/me",
            "nmk_0000000000000000000000000000000000000000",
        )
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
    let r = app
        .client
        .get(app.url("/api/auth/me"))
        .header("authorization", "Basic abc")
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;

    let r = app
        .as_browser(Method::DELETE, &format!("/api/keys/{id}"), &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = app
        .with_key(Method::GET, "/api/auth/me", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 401).await["code"], "unauthorized");
    // Revoking again: it is gone.
    let r = app
        .as_browser(Method::DELETE, &format!("/api/keys/{id}"), &s)
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;
    let list: Value = app
        .as_browser(Method::GET, "/api/keys", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["keys"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn nobody_can_see_or_revoke_another_users_keys() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    let mallory = app.signed_in().await;
    let alice_key = app.api_key(&alice, "alice's").await;
    let alice_key_id = app
        .with_key(Method::GET, "/api/keys", &alice_key)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["keys"][0]["id"]
        .as_i64()
        .unwrap();

    let list: Value = app
        .as_browser(Method::GET, "/api/keys", &mallory)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["keys"].as_array().unwrap().is_empty());
    let r = app
        .as_browser(
            Method::DELETE,
            &format!("/api/keys/{alice_key_id}"),
            &mallory,
        )
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;
    // Alice's key still works.
    let r = app
        .with_key(Method::GET, "/api/auth/me", &alice_key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_key_needs_a_sensible_name() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    for name in ["", "   ", &"x".repeat(65)] {
        let r = app
            .as_browser(Method::POST, "/api/keys", &s)
            .json(&json!({"name": name}))
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], "name");
    }
    let list: Value = app
        .as_browser(Method::GET, "/api/keys", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(list["keys"].as_array().unwrap().is_empty());
}
