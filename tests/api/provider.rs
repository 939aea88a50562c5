//! The provider as the app's users see it: the catalogue, the operators' balance endpoint,
//! and sandbox mode.

use crate::helpers::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

#[tokio::test]
async fn the_catalogue_lists_countries_and_prices_with_the_markup() {
    let app = spawn_app().await;
    let r: Value = app
        .client
        .get(app.url("/api/catalog/countries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let countries = r["countries"].as_array().unwrap();
    assert!(countries.len() >= 10);
    let gb = countries.iter().find(|c| c["code"] == "GB").unwrap();
    // By the name people know it by (5SIM calls it "England"), the list in name order.
    assert_eq!(gb["name"], "United Kingdom");
    let names: Vec<&str> = countries
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(names.windows(2).all(|w| w[0] <= w[1]), "{names:?}");
    assert_eq!(gb["dial_prefix"], "+44");

    let r: Value = app
        .client
        .get(app.url("/api/catalog/services?country=gb"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["country"], "GB");
    assert_eq!(r["currency"], "USD");
    let telegram = r["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == "telegram")
        .unwrap();
    let ours = Decimal::from_str(telegram["price"].as_str().unwrap()).unwrap();
    let upstream = app
        .state
        .router
        .get("5sim")
        .unwrap()
        .offers("GB", None)
        .await
        .unwrap();
    let theirs = upstream
        .iter()
        .find(|o| o.product == "telegram")
        .unwrap()
        .price;
    assert_eq!(
        ours,
        theirs * Decimal::new(15, 1),
        "PRICE_MARKUP defaults to 1.5"
    );
    assert!(telegram["stock"].as_u64().unwrap() > 0);
    let hours: Vec<u64> = r["rentals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["hours"].as_u64().unwrap())
        .collect();
    assert_eq!(
        hours,
        [1, 2, 3, 6, 12, 24, 48, 72, 168, 240, 360, 720],
        "every standard length up to the longest upstream product"
    );
    let price_of = |h: u64| {
        let offer = r["rentals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["hours"] == h)
            .unwrap()
            .clone();
        Decimal::from_str(offer["price"].as_str().unwrap()).unwrap()
    };
    let day = upstream.iter().find(|o| o.hours == Some(24)).unwrap().price;
    assert_eq!(price_of(24), day * Decimal::new(15, 1), "a whole product");
    assert_eq!(
        price_of(12),
        (day * Decimal::new(15, 1) / Decimal::from(2)).max(day),
        "half of it, pro rata, never below the provider's price"
    );
}

#[tokio::test]
async fn a_catalogue_page_view_costs_no_provider_call_when_cached() {
    let app = spawn_app().await;
    app.client
        .get(app.url("/api/catalog/services?country=US"))
        .send()
        .await
        .unwrap();
    let before = app.provider_requests_to("/").await;
    for _ in 0..5 {
        let r = app
            .client
            .get(app.url("/api/catalog/services?country=US"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        app.client
            .get(app.url("/api/catalog/countries"))
            .send()
            .await
            .unwrap();
    }
    assert_eq!(app.provider_requests_to("/").await, before);
}

#[tokio::test]
async fn a_bad_country_is_422_naming_it() {
    let app = spawn_app().await;
    for query in ["", "?country=", "?country=GBR", "?country=ZZ"] {
        let r = app
            .client
            .get(app.url(&format!("/api/catalog/services{query}")))
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], "country", "{query}");
    }
}

#[tokio::test]
async fn only_operators_see_the_provider_balance() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let r = app
        .as_browser(Method::GET, "/api/5sim/balance", &admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["provider"], "5sim");
    assert_eq!(b["balance"], "100");
    assert_eq!(b["rating"], "96");
    assert!(b["currency"].is_string());

    let customer = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/api/5sim/balance", &customer)
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 403).await["code"], "forbidden");
    let r = app
        .client
        .get(app.url("/api/5sim/balance"))
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
}

#[tokio::test]
async fn a_provider_that_is_down_is_a_clear_503() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let r = app
        .control(Method::POST, "/faults", Some(json!({"kind": "status", "status": 500, "count": 3, "path_prefix": "/user/profile"})))
        .await;
    assert_eq!(r.status(), 201);
    let r = app
        .as_browser(Method::GET, "/api/5sim/balance", &admin)
        .send()
        .await
        .unwrap();
    let e = error_body(r, 503).await;
    assert_eq!(e["code"], "service_unavailable");
    assert!(e["message"].as_str().unwrap().contains("unavailable"));
}

#[tokio::test]
async fn the_sandbox_clock_moves_the_app_and_the_emulator_together() {
    let app = spawn_app().await;
    let before = app.state.clock.now();
    let r = app
        .client
        .post(app.url("/sandbox/control/clock"))
        .json(&json!({"advance_seconds": 3600}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let moved = app.state.clock.now() - before;
    assert!(moved.num_seconds() >= 3600);
    let r = app
        .client
        .post(app.url("/sandbox/control/clock"))
        .json(&json!({"advance_seconds": -5}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "advance_seconds");
}

#[tokio::test]
async fn with_a_real_key_there_is_no_sandbox() {
    let app = spawn_app_with(&[
        ("FIVESIM_API_KEY", "real-key".into()),
        ("FIVESIM_BASE_URL", "http://127.0.0.1:9/v1".into()),
        ("FIVESIM_TIMEOUT_SECS", "1".into()),
    ])
    .await;
    assert!(app.state.sandbox.is_none());
    let r = app
        .client
        .post(app.url("/sandbox/control/clock"))
        .json(&json!({"advance_seconds": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .client
        .post(app.url("/sandbox/5sim/control/sms"))
        .json(&json!({"order_id": 1, "text": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let html = app.anonymous_text("/").await;
    assert!(!html.contains("Sandbox mode."));
    // The provider is unreachable here: the catalogue says so clearly.
    let r = app
        .client
        .get(app.url("/api/catalog/countries"))
        .send()
        .await
        .unwrap();
    error_body(r, 503).await;
}
