//! Bulk rentals: several rentals extended or released in one request, and N identical rentals
//! created in one go; each item succeeds or fails on its own.

use crate::helpers::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

async fn bulk(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/rentals/bulk", s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn refund_rows(app: &TestApp, user_id: i64) -> i64 {
    sqlx::query_scalar(
        "select count(*) from ledger_entry where user_id = $1 and reference like 'refund:rental:%'",
    )
    .bind(user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn bulk_extend_charges_each_rental_and_reports_each_failure_on_its_own() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let other = app.funded("100").await;
    let a = app.rent(&s, 2).await;
    let b = app.rent(&s, 2).await;
    let theirs = app.rent(&other, 2).await;
    let before = app.balance(&s).await;

    let r = bulk(
        &app,
        &s,
        json!({"action": "extend", "ids": [a["id"], theirs["id"], b["id"], 999_999], "hours": 1}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let body: Value = r.json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 4, "one result per rental, in order: {body}");
    assert_eq!(results[0]["id"], a["id"]);
    assert_eq!(results[0]["ok"], true);
    assert_eq!(results[0]["rental"]["duration_hours"], 3);
    assert_eq!(results[1]["ok"], false);
    assert_eq!(
        results[1]["error"]["code"], "not_found",
        "another user's rental is as good as absent"
    );
    assert_eq!(results[2]["ok"], true);
    assert_eq!(results[3]["error"]["code"], "not_found");
    let charged = dec(&results[0]["amount"]) + dec(&results[2]["amount"]);
    assert!(charged > Decimal::ZERO);
    assert_eq!(app.balance(&s).await, before - charged);
    app.assert_ledger_invariant(s.user_id).await;
    let theirs_now = app
        .get_json(&format!("/api/rentals/{}", theirs["id"]), &other)
        .await;
    assert_eq!(
        theirs_now["duration_hours"], 2,
        "the other user's rental is untouched"
    );
}

#[tokio::test]
async fn bulk_release_refunds_each_rental_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let ids: Vec<Value> = [
        app.rent(&s, 24).await,
        app.rent(&s, 24).await,
        app.rent(&s, 24).await,
    ]
    .iter()
    .map(|r| r["id"].clone())
    .collect();

    let body: Value = bulk(&app, &s, json!({"action": "release", "ids": ids}))
        .await
        .json()
        .await
        .unwrap();
    let results = body["results"].as_array().unwrap();
    assert!(results.iter().all(|r| r["ok"] == true), "{body}");
    assert!(results
        .iter()
        .all(|r| r["rental"]["status"] == "released" && dec(&r["amount"]) > Decimal::ZERO));
    assert_eq!(refund_rows(&app, s.user_id).await, 3);
    let after_first = app.balance(&s).await;

    // The same request again: every item refused, no money moves.
    let again: Value = bulk(&app, &s, json!({"action": "release", "ids": ids}))
        .await
        .json()
        .await
        .unwrap();
    for r in again["results"].as_array().unwrap() {
        assert_eq!(r["ok"], false);
        assert_eq!(r["error"]["code"], "conflict");
    }
    assert_eq!(refund_rows(&app, s.user_id).await, 3, "no second refund");
    assert_eq!(app.balance(&s).await, after_first);
    assert!(app.get_json("/api/rentals/active", &s).await["rentals"]
        .as_array()
        .unwrap()
        .is_empty());
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_bad_bulk_request_names_the_field_and_changes_nothing() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 3).await;
    let before = app.balance(&s).await;

    let e = error_body(
        bulk(&app, &s, json!({"action": "extend", "ids": []})).await,
        422,
    )
    .await;
    assert_eq!(e["field"], "ids");
    let e = error_body(
        bulk(&app, &s, json!({"action": "extend", "ids": [r["id"]]})).await,
        422,
    )
    .await;
    assert_eq!(e["field"], "hours");
    let e = error_body(
        bulk(&app, &s, json!({"action": "explode", "ids": [r["id"]]})).await,
        422,
    )
    .await;
    assert_eq!(e["field"], "action");
    let too_many: Vec<i64> = (1..=51).collect();
    let e = error_body(
        bulk(&app, &s, json!({"action": "release", "ids": too_many})).await,
        422,
    )
    .await;
    assert_eq!(e["field"], "ids");

    assert_eq!(app.balance(&s).await, before);
    let now = app.get_json(&format!("/api/rentals/{}", r["id"]), &s).await;
    assert_eq!(now["status"], "active");
    assert_eq!(now["duration_hours"], 3);
}

#[tokio::test]
async fn bulk_create_rents_n_numbers_and_stops_charging_when_the_money_runs_out() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let create = |count: u32| {
        app.as_browser(Method::POST, "/api/rentals/bulk-create", &s)
            .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 24, "count": count}))
            .send()
    };
    let body: Value = create(3).await.unwrap().json().await.unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    assert!(results.iter().all(|r| r["ok"] == true), "{body}");
    let phones: std::collections::HashSet<&str> = results
        .iter()
        .map(|r| r["rental"]["phone_number"].as_str().unwrap())
        .collect();
    assert_eq!(phones.len(), 3, "three different numbers");
    let price = dec(&results[0]["amount"]);
    assert_eq!(
        app.balance(&s).await,
        Decimal::from(100) - price * Decimal::from(3)
    );

    // A wallet with money for exactly one.
    let poor = app.funded(&price.to_string()).await;
    let body: Value = app
        .as_browser(Method::POST, "/api/rentals/bulk-create", &poor)
        .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 24, "count": 3}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let results = body["results"].as_array().unwrap();
    assert_eq!(results[0]["ok"], true);
    for r in &results[1..] {
        assert_eq!(r["ok"], false);
        assert_eq!(r["error"]["code"], "payment_required");
        assert!(r["error"]["message"].as_str().unwrap().contains("add "));
    }
    assert_eq!(app.balance(&poor).await, Decimal::ZERO);
    assert_eq!(
        app.get_json("/api/rentals/active", &poor).await["rentals"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    app.assert_ledger_invariant(poor.user_id).await;

    let e = error_body(create(0).await.unwrap(), 422).await;
    assert_eq!(e["field"], "count");
    let e = error_body(create(21).await.unwrap(), 422).await;
    assert_eq!(e["field"], "count");
}

#[tokio::test]
async fn bulk_create_with_an_idempotency_key_runs_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let send = || {
        app.as_browser(Method::POST, "/api/rentals/bulk-create", &s)
            .header("Idempotency-Key", "batch-1")
            .json(&json!({"service": "telegram", "country": "GB", "count": 2}))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first, second, "the retry gets the first answer");
    assert_eq!(
        app.get_json("/api/rentals/active", &s).await["rentals"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}
