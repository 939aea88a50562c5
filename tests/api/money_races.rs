//! Money under concurrent changes: whatever order two requests on one rental commit in, the
//! customer pays for what they got and is refunded for what they gave back, exactly.

use crate::helpers::*;
use namaskah::domain::rental::release_refund;
use namaskah::domain::Money;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// What the database says of a rental once both requests are done.
async fn settled(app: &TestApp, id: i64) -> (Decimal, i64, i64, i64) {
    let (hourly, expires_at, released_at, cost): (String, i64, Option<i64>, i64) = sqlx::query_as(
        "select hourly_price, expires_at, released_at, cost from rentals where id = $1",
    )
    .bind(id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    (
        Decimal::from_str(&hourly).unwrap(),
        expires_at,
        released_at.expect("released"),
        cost,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_extension_racing_a_release_is_refunded_for_the_hours_actually_left() {
    let app = spawn_app().await;
    let s = app.funded("2000").await;
    // Enough at the provider for every round.
    let r = app
        .control(
            Method::POST,
            "/balance",
            Some(json!({"balance": "1000000"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    let rates = app.state.settings.rental_rates();
    let (mut extended, mut refused) = (0, 0);
    for round in 0..200 {
        // 20 hours of a one-day product: 4 hours of room to extend into.
        let rental = app.rent(&s, 20).await;
        let id = rental["id"].as_i64().unwrap();
        let before = app.balance(&s).await;
        let extend = app
            .as_browser(Method::POST, &format!("/api/rentals/{id}/extend"), &s)
            .json(&json!({"hours": 2}))
            .send();
        let release = app
            .as_browser(Method::POST, &format!("/api/rentals/{id}/release"), &s)
            .send();
        let (extend, release) = tokio::join!(extend, release);
        let (extend, release) = (extend.unwrap(), release.unwrap());
        assert_eq!(
            release.status(),
            200,
            "round {round}: the release goes through"
        );
        let released: Value = release.json().await.unwrap();
        let charged = if extend.status() == 200 {
            extended += 1;
            dec(&extend.json::<Value>().await.unwrap()["charged"])
        } else {
            assert_eq!(extend.status(), 409, "round {round}");
            refused += 1;
            Decimal::ZERO
        };

        let (hourly, expires_at, released_at, cost) = settled(&app, id).await;
        let owed = release_refund(
            released_at,
            expires_at,
            hourly,
            rates,
            Money::from_units(cost),
        );
        let refund = dec(&released["refund"]);
        assert_eq!(
            refund,
            owed.decimal(),
            "round {round}: refunded for the end the rental really had (extension charged {charged})"
        );
        assert_eq!(
            app.balance(&s).await,
            before - charged + refund,
            "round {round}: net charge"
        );
    }
    app.assert_ledger_invariant(s.user_id).await;
    println!("extensions that won the race: {extended}; refused after the release: {refused}");
    // Both orders happened, so both paths were taken (about a third and two thirds here).
    assert!(extended > 0 && refused > 0, "{extended} / {refused}");
}

#[tokio::test]
async fn every_paid_operation_takes_an_idempotency_key_and_pays_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let rental = app.rent(&s, 20).await;
    let id = rental["id"].as_i64().unwrap();
    let paid = |method: Method, path: String, body: Value, key: &'static str| {
        app.as_browser(method, &path, &s)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };

    // Extending twice with one key extends once; the retry reads the first answer.
    let before = app.balance(&s).await;
    let mut answers = Vec::new();
    for _ in 0..2 {
        let path = format!("/api/rentals/{id}/extend");
        let r = paid(Method::POST, path, json!({"hours": 1}), "ext-1")
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        answers.push(r.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    let first = &answers[0];
    let charged = dec(&serde_json::from_str::<Value>(first).unwrap()["charged"]);
    assert_eq!(app.balance(&s).await, before - charged);
    // The same key for something else is refused, naming the header.
    let other = paid(
        Method::POST,
        format!("/api/rentals/{id}/extend"),
        json!({"hours": 2}),
        "ext-1",
    )
    .await
    .unwrap();
    assert_eq!(error_body(other, 422).await["field"], "Idempotency-Key");

    // Bulk operations likewise.
    let bulk = json!({"action": "extend", "ids": [id], "hours": 1});
    let before = app.balance(&s).await;
    for _ in 0..2 {
        let r = paid(
            Method::POST,
            "/api/rentals/bulk".into(),
            bulk.clone(),
            "bulk-1",
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.balance(&s).await, before - charged);

    // And the server functions the pages post to: a form sent twice rents once.
    let html = app.page_html("/rentals?country=GB", &s).await;
    assert!(
        html.contains(r#"name="idempotency_key""#),
        "the rent form carries its key"
    );
    let rented_before = app.get_json("/api/rentals/active", &s).await["rentals"]
        .as_array()
        .unwrap()
        .len();
    let form = [
        ("rental[country]", "GB"),
        ("rental[service]", "telegram"),
        ("rental[duration_hours]", "3"),
        ("count", "1"),
        ("idempotency_key", "page-1:rent"),
    ];
    let mut answers = Vec::new();
    for _ in 0..2 {
        let r = app
            .as_browser(Method::POST, "/api/fn/create_rentals", &s)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        answers.push(r.text().await.unwrap());
    }
    assert_eq!(answers[0], answers[1]);
    let rented_after = app.get_json("/api/rentals/active", &s).await["rentals"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(rented_after, rented_before + 1);
    app.assert_ledger_invariant(s.user_id).await;
}
