//! Verifications through HTTP against the 5SIM emulator, on SQLite and PostgreSQL: code to
//! finish, cancel and timeout refunds exactly once, stale messages, max_price, reuse.

use crate::helpers::*;
use namaskah::server::jobs;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

async fn buy(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/verifications", s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// A telegram number in GB; panics unless it is bought.
async fn bought(app: &TestApp, s: &Session) -> Value {
    let r = buy(app, s, json!({"service": "telegram", "country": "GB"})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn act(app: &TestApp, s: &Session, v: &Value, what: &str) -> reqwest::Response {
    app.as_browser(
        Method::POST,
        &format!("/api/verifications/{}/{what}", v["id"]),
        s,
    )
    .send()
    .await
    .unwrap()
}

async fn detail(app: &TestApp, s: &Session, v: &Value) -> Value {
    app.get_json(&format!("/api/verifications/{}", v["id"]), s)
        .await
}

async fn sms(app: &TestApp, v: &Value, text: &str, age_seconds: i64) {
    let r = app
        .control(
            Method::POST,
            "/sms",
            Some(json!({"phone": v["phone_number"], "sender": "Telegram", "text": text, "age_seconds": age_seconds})),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn refunds(app: &TestApp, v: &Value) -> i64 {
    sqlx::query_scalar("select count(*) from ledger_entry where reference = $1")
        .bind(format!("refund:verification:{}", v["id"]))
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

async fn upstream_status(app: &TestApp, v: &Value) -> String {
    let order_id: String =
        sqlx::query_scalar("select provider_order_id from verification where verification_id = $1")
            .bind(v["id"].as_i64().unwrap())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    format!(
        "{:?}",
        app.state
            .router
            .get("5sim")
            .unwrap()
            .check(&order_id)
            .await
            .unwrap()
            .status
    )
}

#[tokio::test]
async fn a_code_arrives_then_the_verification_is_finished() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let mut events = app.state.events.subscribe(s.user_id);
    let v = bought(&app, &s).await;
    for field in [
        "id",
        "phone_number",
        "service_name",
        "country_code",
        "status",
        "cost",
        "expires_at",
    ] {
        assert!(v.get(field).is_some(), "missing {field}: {v}");
    }
    assert_eq!(v["status"], "waiting");
    assert_eq!(v["revision"], 0);
    assert_eq!(v["service_name"], "telegram");
    assert_eq!(v["country_code"], "GB");
    let cost = dec(&v["cost"]);
    assert_eq!(app.balance(&s).await, Decimal::from(10) - cost);

    // 5SIM says RECEIVED as soon as the number is issued: still waiting with no SMS.
    jobs::run_due(&app.state).await;
    assert_eq!(detail(&app, &s, &v).await["status"], "waiting");
    let e = error_body(act(&app, &s, &v, "finish").await, 409).await;
    assert!(e["message"].as_str().unwrap().contains("no code"));

    sms(&app, &v, "Your Telegram code is 51234", 0).await;
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    let d = detail(&app, &s, &v).await;
    assert_eq!(d["status"], "received");
    assert_eq!(d["code"], "51234");
    assert_eq!(d["messages"].as_array().unwrap().len(), 1);
    assert_eq!(d["messages"][0]["text"], "Your Telegram code is 51234");

    // A second SMS with a new code: the newest code counts.
    sms(&app, &v, "Your Telegram code is 60606", 0).await;
    app.state.clock.advance_ms(6_000);
    jobs::run_due(&app.state).await;
    let d = detail(&app, &s, &v).await;
    assert_eq!(d["code"], "60606");
    assert_eq!(d["messages"].as_array().unwrap().len(), 2);
    assert_eq!(d["revision"], 2, "one change for each SMS");

    let r = act(&app, &s, &v, "finish").await;
    assert_eq!(r.status(), 200);
    let f: Value = r.json().await.unwrap();
    assert_eq!(f["status"], "finished");
    assert_eq!(f["revision"], 3);
    assert_eq!(f["refunded"], false);
    assert_eq!(upstream_status(&app, &v).await, "Finished");
    error_body(act(&app, &s, &v, "finish").await, 409).await;
    error_body(act(&app, &s, &v, "cancel").await, 409).await;
    assert_eq!(
        app.balance(&s).await,
        Decimal::from(10) - cost,
        "paid, once"
    );
    assert_eq!(refunds(&app, &v).await, 0);
    app.assert_ledger_invariant(s.user_id).await;

    let mut updates = 0;
    while let Ok(e) = events.try_recv() {
        if e.kind == "verification.updated" && e.user_id == s.user_id {
            updates += 1;
        }
    }
    assert!(updates >= 3, "bought, received, finished: {updates}");
}

#[tokio::test]
async fn cancel_before_any_sms_refunds_in_full_once() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let v = bought(&app, &s).await;
    let r = act(&app, &s, &v, "cancel").await;
    assert_eq!(r.status(), 200);
    let c: Value = r.json().await.unwrap();
    assert_eq!(c["status"], "cancelled");
    assert_eq!(c["refunded"], true);
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_eq!(upstream_status(&app, &v).await, "Cancelled");

    let e = error_body(act(&app, &s, &v, "cancel").await, 409).await;
    assert!(e["message"].as_str().unwrap().contains("cancelled"));
    assert_eq!(refunds(&app, &v).await, 1);
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn cancel_after_an_sms_is_refused_and_the_code_is_shown() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let v = bought(&app, &s).await;
    let cost = dec(&v["cost"]);
    // The SMS is at the provider but not yet polled here.
    sms(&app, &v, "Your code is 777111", 0).await;
    let e = error_body(act(&app, &s, &v, "cancel").await, 409).await;
    assert!(
        e["message"].as_str().unwrap().contains("SMS has arrived"),
        "{e}"
    );
    let d = detail(&app, &s, &v).await;
    assert_eq!(d["status"], "received", "the refusal took the SMS in");
    assert_eq!(d["code"], "777111");
    assert_eq!(refunds(&app, &v).await, 0);
    assert_eq!(app.balance(&s).await, Decimal::from(10) - cost);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_poll_pass_checks_as_many_verifications_as_the_request_limit_allows_per_tick() {
    // 5SIM's default limit, 50 requests/s: 5 per 100 ms tick.
    let app = spawn_app().await;
    let s = app.funded("20").await;
    for _ in 0..7 {
        bought(&app, &s).await;
    }
    let before = app.provider_requests_to("/user/check").await;
    let first = jobs::verifications::poll_once(&app.state).await.unwrap();
    let second = jobs::verifications::poll_once(&app.state).await.unwrap();
    assert_eq!((first, second), (5, 2));
    assert_eq!(app.provider_requests_to("/user/check").await - before, 7);
    let leased: i64 =
        sqlx::query_scalar("select count(*) from verification where lease_until is not null")
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(leased, 0, "every polled verification is given back");
}

#[tokio::test]
async fn timeout_refunds_once_while_the_poller_the_expiry_job_and_a_cancel_race() {
    let app = spawn_app().await;
    let s = app.funded("20").await;
    let mut all = Vec::new();
    for _ in 0..4 {
        all.push(bought(&app, &s).await);
    }
    // Past the provider's deadline (15 minutes) with no SMS.
    app.state.clock.advance_ms(16 * 60_000);
    let cancels = all.iter().map(|v| act(&app, &s, v, "cancel"));
    let (_, _, _, _, answers) = tokio::join!(
        jobs::verifications::poll_once(&app.state),
        jobs::verifications::expire_once(&app.state),
        jobs::verifications::expire_once(&app.state),
        jobs::run_due(&app.state),
        futures_util::future::join_all(cancels),
    );
    for a in answers {
        assert!(
            a.status() == 200 || a.status() == 409,
            "a cancel either wins or is told it timed out: {}",
            a.status()
        );
    }
    jobs::run_due(&app.state).await;
    for v in &all {
        let d = detail(&app, &s, v).await;
        let status = d["status"].as_str().unwrap();
        assert!(status == "timed_out" || status == "cancelled", "{status}");
        assert_eq!(d["refunded"], true);
        assert_eq!(refunds(&app, v).await, 1, "exactly one refund");
    }
    assert_eq!(app.balance(&s).await, Decimal::from(20), "everything back");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn expiry_alone_times_out_and_refunds_and_reconciles_upstream() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let v = bought(&app, &s).await;
    let r = app
        .client
        .post(app.url("/sandbox/control/clock"))
        .json(&json!({"advance_seconds": 16 * 60}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let d = detail(&app, &s, &v).await;
    assert_eq!(d["status"], "timed_out");
    assert_eq!(d["refunded"], true);
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_ne!(upstream_status(&app, &v).await, "Active");
    // Nothing polls a closed verification.
    let before = app.provider_requests_to("/user/check").await;
    app.state.clock.advance_ms(60_000);
    jobs::run_due(&app.state).await;
    assert_eq!(app.provider_requests_to("/user/check").await, before);
}

#[tokio::test]
async fn a_stale_sms_from_before_the_order_is_ignored() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let v = bought(&app, &s).await;
    sms(&app, &v, "Old code 999999", 3600).await;
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    let d = detail(&app, &s, &v).await;
    assert_eq!(d["status"], "waiting");
    assert_eq!(d["code"], Value::Null);
    assert!(d["messages"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn max_price_below_the_price_is_409_and_nothing_is_charged_or_bought() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let e = error_body(
        buy(
            &app,
            &s,
            json!({"service": "telegram", "country": "GB", "max_price": "0.0001"}),
        )
        .await,
        409,
    )
    .await;
    assert_eq!(e["field"], "max_price");
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_eq!(app.provider_requests_to("/user/buy").await, 0);
    // A max_price at or above the price is fine.
    let r = buy(
        &app,
        &s,
        json!({"service": "telegram", "country": "GB", "max_price": "100"}),
    )
    .await;
    assert_eq!(r.status(), 201);
}

#[tokio::test]
async fn bad_input_names_the_field_and_a_provider_fault_charges_nothing() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    for (body, field) in [
        (json!({"service": "", "country": "GB"}), "service"),
        (
            json!({"service": "telegram", "country": "Narnia"}),
            "country",
        ),
        (
            json!({"service": "no-such-service", "country": "GB"}),
            "service",
        ),
        (
            json!({"service": "telegram", "country": "GB", "max_price": "lots"}),
            "max_price",
        ),
        (
            json!({"service": "telegram", "country": "GB", "max_price": "-1"}),
            "max_price",
        ),
    ] {
        let e = error_body(buy(&app, &s, body).await, 422).await;
        assert_eq!(e["field"], field);
    }
    app.control(
        Method::POST,
        "/faults",
        Some(json!({"kind": "status", "status": 500, "path_prefix": "/user/buy"})),
    )
    .await;
    error_body(
        buy(&app, &s, json!({"service": "telegram", "country": "GB"})).await,
        503,
    )
    .await;
    assert_eq!(
        app.balance(&s).await,
        Decimal::from(10),
        "the hold came back"
    );
    assert!(
        app.get_json("/api/verifications", &s).await["verifications"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn verify_again_reuses_the_number_where_the_provider_allows() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let v = bought(&app, &s).await;
    // Nothing to reuse before a code.
    let e = error_body(act(&app, &s, &v, "reuse").await, 409).await;
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("cannot be used again"));

    sms(&app, &v, "Your code is 424242", 0).await;
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    let before = app.balance(&s).await;
    let r = act(&app, &s, &v, "reuse").await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["phone_number"], v["phone_number"]);
    assert_eq!(again["status"], "waiting");
    assert_eq!(again["reused_from"], v["id"]);
    assert_ne!(again["id"], v["id"]);
    assert_eq!(app.balance(&s).await, before - dec(&again["cost"]));
    assert_eq!(detail(&app, &s, &v).await["status"], "finished");

    // The provider refuses to reuse it again while the newer order on it is still open.
    let balance = app.balance(&s).await;
    let e = error_body(act(&app, &s, &v, "reuse").await, 409).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nothing was charged"),
        "{e}"
    );
    assert_eq!(app.balance(&s).await, balance);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn history_filters_and_searches_codes_and_text() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let a = bought(&app, &s).await;
    let b = bought(&app, &s).await;
    sms(&app, &a, "Your code is 313131, banana", 0).await;
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    assert_eq!(act(&app, &s, &b, "cancel").await.status(), 200);

    let page = app.get_json("/api/verifications", &s).await;
    assert_eq!(page["total"], 2);
    assert_eq!(page["verifications"][0]["id"], b["id"], "newest first");
    for (query, expect) in [
        ("q=banana", &a),
        ("q=313131", &a),
        ("status=cancelled", &b),
        ("status=received&service=telegram&country=GB", &a),
    ] {
        let page = app
            .get_json(&format!("/api/verifications?{query}"), &s)
            .await;
        assert_eq!(page["total"], 1, "{query}");
        assert_eq!(page["verifications"][0]["id"], expect["id"], "{query}");
    }
    let open = app.get_json("/api/verifications/open", &s).await;
    assert_eq!(open["verifications"].as_array().unwrap().len(), 1);
    let e = error_body(
        app.as_browser(Method::GET, "/api/verifications?status=lost", &s)
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "status");
}

#[tokio::test]
async fn nobody_sees_or_touches_another_users_verification() {
    let app = spawn_app().await;
    let owner = app.funded("10").await;
    let other = app.funded("10").await;
    let v = bought(&app, &owner).await;
    let r = app
        .as_browser(
            Method::GET,
            &format!("/api/verifications/{}", v["id"]),
            &other,
        )
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;
    for what in ["cancel", "finish", "reuse"] {
        error_body(act(&app, &other, &v, what).await, 404).await;
    }
    assert_eq!(detail(&app, &owner, &v).await["status"], "waiting");
    assert_eq!(app.balance(&other).await, Decimal::from(10));
}

#[tokio::test]
async fn an_idempotency_key_buys_once() {
    let app = spawn_app().await;
    let s = app.funded("10").await;
    let send = || {
        app.as_browser(Method::POST, "/api/verifications", &s)
            .header("Idempotency-Key", "v-1")
            .json(&json!({"service": "telegram", "country": "GB"}))
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), 201);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first, second);
    assert_eq!(app.provider_requests_to("/user/buy").await, 1);
}
