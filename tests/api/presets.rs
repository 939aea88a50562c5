//! Rental presets: save a configuration by name, start rentals from it.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn save(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/presets", s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_preset_is_saved_listed_started_and_deleted() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = save(
        &app,
        &s,
        json!({"name": "Telegram UK, 3 h", "service": "Telegram", "country": "gb", "duration_hours": 3, "auto_renew": true}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let preset: Value = r.json().await.unwrap();
    assert_eq!(preset["name"], "Telegram UK, 3 h");
    assert_eq!(preset["service"], "telegram");
    assert_eq!(preset["country"], "GB");
    assert_eq!(preset["duration_hours"], 3);
    assert_eq!(preset["auto_renew"], true);

    let list = app.get_json("/api/presets", &s).await;
    assert_eq!(list["presets"].as_array().unwrap().len(), 1);

    let before = app.balance(&s).await;
    let start = format!("/api/presets/{}/start", preset["id"]);
    let r = app
        .as_browser(Method::POST, &start, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let rental: Value = r.json().await.unwrap();
    assert_eq!(rental["service_name"], "telegram");
    assert_eq!(rental["country_code"], "GB");
    assert_eq!(rental["duration_hours"], 3);
    assert_eq!(rental["auto_renew"], true);
    assert_eq!(app.balance(&s).await, before - dec(&rental["cost"]));
    app.assert_ledger_invariant(s.user_id).await;

    let path = format!("/api/presets/{}", preset["id"]);
    let r = app
        .as_browser(Method::DELETE, &path, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert!(app.get_json("/api/presets", &s).await["presets"]
        .as_array()
        .unwrap()
        .is_empty());
    error_body(
        app.as_browser(Method::POST, &start, &s)
            .send()
            .await
            .unwrap(),
        404,
    )
    .await;
}

#[tokio::test]
async fn bad_presets_name_the_field_and_save_nothing() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let ok = json!({"name": "daily", "service": "telegram", "country": "GB"});
    assert_eq!(save(&app, &s, ok.clone()).await.status(), 201);

    let e = error_body(save(&app, &s, ok).await, 409).await;
    assert_eq!(e["field"], "name", "names are unique per user");
    for (body, field) in [
        (
            json!({"name": "  ", "service": "telegram", "country": "GB"}),
            "name",
        ),
        (
            json!({"name": "x", "service": "<b>", "country": "GB"}),
            "service",
        ),
        (
            json!({"name": "x", "service": "telegram", "country": "Narnia"}),
            "country",
        ),
        (
            json!({"name": "x", "service": "telegram", "country": "GB", "duration_hours": 0}),
            "duration_hours",
        ),
        (
            json!({"name": "x".repeat(61), "service": "telegram", "country": "GB"}),
            "name",
        ),
    ] {
        let e = error_body(save(&app, &s, body).await, 422).await;
        assert_eq!(e["field"], field);
    }
    assert_eq!(
        app.get_json("/api/presets", &s).await["presets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn presets_are_private_to_their_owner() {
    let app = spawn_app().await;
    let owner = app.funded("100").await;
    let stranger = app.funded("100").await;
    let preset: Value = save(
        &app,
        &owner,
        json!({"name": "mine", "service": "telegram", "country": "GB"}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert!(app.get_json("/api/presets", &stranger).await["presets"]
        .as_array()
        .unwrap()
        .is_empty());
    for (method, path) in [
        (Method::POST, format!("/api/presets/{}/start", preset["id"])),
        (Method::DELETE, format!("/api/presets/{}", preset["id"])),
    ] {
        let r = app
            .as_browser(method, &path, &stranger)
            .send()
            .await
            .unwrap();
        error_body(r, 404).await;
    }
    assert_eq!(
        app.get_json("/api/presets", &owner).await["presets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        app.balance(&stranger).await,
        rust_decimal::Decimal::from(100)
    );
}
