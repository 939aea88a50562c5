//! Rentals through HTTP against the 5SIM emulator, on SQLite and PostgreSQL.

use crate::helpers::*;
use namaskah::server::jobs;
use namaskah::server::storage::notifications;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::Duration;

const HOUR: i64 = 3600;

async fn balance(app: &TestApp, s: &Session) -> Decimal {
    app.balance(s).await
}

async fn create(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/rentals/create", s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

/// The provider's price for its 1-day product in GB.
async fn day_price(app: &TestApp) -> Decimal {
    let offers = app
        .state
        .router
        .get("5sim")
        .unwrap()
        .offers("GB", None)
        .await
        .unwrap();
    offers.iter().find(|o| o.hours == Some(24)).unwrap().price
}

async fn upstream_status(app: &TestApp, rental: &Value) -> String {
    let order_id: String =
        sqlx::query_scalar("select provider_order_id from rentals where id = $1")
            .bind(rental["id"].as_i64().unwrap())
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

async fn sms(app: &TestApp, rental: &Value, text: &str) {
    let r = app
        .control(
            Method::POST,
            "/sms",
            Some(json!({"phone": rental["phone_number"], "sender": "Telegram", "text": text})),
        )
        .await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_rental_is_created_charged_and_listed() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 24).await;
    for field in [
        "id",
        "phone_number",
        "service_name",
        "country_code",
        "status",
        "cost",
        "duration_hours",
        "expires_at",
        "created_at",
        "provider",
        "auto_renew",
    ] {
        assert!(r.get(field).is_some(), "missing {field}: {r}");
    }
    assert_eq!(r["status"], "active");
    assert_eq!(r["service_name"], "telegram");
    assert_eq!(r["country_code"], "GB");
    assert_eq!(r["provider"], "5sim");
    assert_eq!(r["duration_hours"], 24);
    assert!(r["phone_number"].as_str().unwrap().starts_with("+44"));
    let cost = dec(&r["cost"]);
    assert_eq!(
        cost,
        day_price(&app).await * Decimal::new(15, 1),
        "the provider's price times PRICE_MARKUP"
    );
    assert_eq!(balance(&app, &s).await, Decimal::from(100) - cost);
    app.assert_ledger_invariant(s.user_id).await;

    let active: Value = app.get_json("/api/rentals/active", &s).await;
    let list = active["rentals"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    let secs = list[0]["seconds_remaining"].as_i64().unwrap();
    assert!((24 * HOUR - 60..=24 * HOUR).contains(&secs), "{secs}");
    assert_eq!(list[0]["message_count"], 0);
    assert_eq!(upstream_status(&app, &r).await, "Active");
}

#[tokio::test]
async fn the_default_duration_applies_and_only_sellable_durations_are_accepted() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = create(&app, &s, json!({"service": "whatsapp", "country": "us"})).await;
    assert_eq!(r.status(), 201);
    assert_eq!(r.json::<Value>().await.unwrap()["duration_hours"], 24);
    let before = balance(&app, &s).await;
    let e = error_body(
        create(
            &app,
            &s,
            json!({"service": "whatsapp", "country": "US", "duration_hours": 1000}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(e["field"], "duration_hours");
    assert!(
        e["message"].as_str().unwrap().contains("3, 24, 240, 720"),
        "{e}"
    );
    for (body, field) in [
        (json!({"country": "US"}), "service"),
        (json!({"service": "", "country": "US"}), "service"),
        (json!({"service": "telegram", "country": "USA"}), "country"),
        (json!({"service": "telegram", "country": "ZZ"}), "country"),
        (
            json!({"service": "telegram", "country": "US", "duration_hours": 0}),
            "duration_hours",
        ),
        (
            json!({"service": "telegram", "country": "US", "duration_hours": -3}),
            "duration_hours",
        ),
        (
            json!({"service": "telegram", "country": "US", "operator": "nope"}),
            "operator",
        ),
    ] {
        let e = error_body(create(&app, &s, body.clone()).await, 422).await;
        assert_eq!(e["field"], field, "{body}");
    }
    assert_eq!(balance(&app, &s).await, before, "nothing charged");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_short_balance_is_402_and_the_provider_is_never_asked() {
    let app = spawn_app().await;
    let s = app.funded("0.01").await;
    let e = error_body(
        create(&app, &s, json!({"service": "telegram", "country": "GB"})).await,
        402,
    )
    .await;
    assert_eq!(e["code"], "payment_required");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("insufficient balance"));
    assert_eq!(app.provider_requests_to("/user/buy").await, 0);
    assert_eq!(balance(&app, &s).await, Decimal::new(1, 2));
}

#[tokio::test]
async fn a_provider_fault_during_create_charges_nothing_and_leaves_nothing_open() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    app.control(
        Method::POST,
        "/faults",
        Some(json!({"kind": "status", "status": 500, "path_prefix": "/user/buy"})),
    )
    .await;
    let e = error_body(
        create(&app, &s, json!({"service": "telegram", "country": "GB"})).await,
        503,
    )
    .await;
    assert_eq!(e["code"], "service_unavailable");
    assert_eq!(balance(&app, &s).await, Decimal::from(100));
    app.assert_ledger_invariant(s.user_id).await;
    let open = app
        .state
        .router
        .get("5sim")
        .unwrap()
        .orders(namaskah::server::providers::Category::Rental, 10, 0)
        .await
        .unwrap();
    assert_eq!(open.total, 0, "no upstream order left open");
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert!(active["rentals"].as_array().unwrap().is_empty());

    app.control(
        Method::POST,
        "/stock",
        Some(json!({"country": "england", "product": "1day", "qty": 0})),
    )
    .await;
    let e = error_body(
        create(&app, &s, json!({"service": "telegram", "country": "GB"})).await,
        409,
    )
    .await;
    assert_eq!(e["code"], "no_numbers");
    assert_eq!(balance(&app, &s).await, Decimal::from(100));
}

/// Asks for a number the provider takes its time to sell, and gives up before it answers.
async fn rent_and_hang_up(app: &TestApp, s: &Session) {
    app.control(
        Method::POST,
        "/faults",
        Some(json!({"kind": "latency", "latency_ms": 600, "path_prefix": "/user/buy"})),
    )
    .await;
    let hung_up = app
        .as_browser(Method::POST, "/api/rentals/create", s)
        .json(&json!({"service": "telegram", "country": "GB"}))
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(hung_up.is_err_and(|e| e.is_timeout()));
}

#[tokio::test]
async fn a_purchase_whose_client_hangs_up_is_still_carried_out_whole() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    rent_and_hang_up(&app, &s).await;
    // The purchase went on without it: the number bought is the customer's, paid for once.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let rentals = loop {
        let active = app.get_json("/api/rentals/active", &s).await;
        let rentals = active["rentals"].as_array().unwrap().clone();
        if !rentals.is_empty() || std::time::Instant::now() > deadline {
            break rentals;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(
        rentals.len(),
        1,
        "the number bought upstream is the customer's"
    );
    assert_eq!(
        balance(&app, &s).await,
        Decimal::from(100) - dec(&rentals[0]["cost"])
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_stopping_server_finishes_the_purchases_whose_clients_hung_up() {
    let mut app = spawn_app().await;
    let s = app.funded("100").await;
    rent_and_hang_up(&app, &s).await;
    // Stopped (a deploy, say) while the purchase is still on its way.
    assert!(app.stop(Duration::from_secs(10)).await, "the server stops");
    let rentals: i64 = sqlx::query_scalar("select count(*) from rentals where user_id = $1")
        .bind(s.user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        rentals, 1,
        "the number bought upstream was recorded before the server stopped"
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn an_idempotency_key_makes_a_retry_return_the_first_answer() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let body = json!({"service": "telegram", "country": "GB"});
    let send = |key: &'static str, body: Value| {
        app.as_browser(Method::POST, "/api/rentals/create", &s)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
    };
    let first = send("order-1", body.clone()).await.unwrap();
    assert_eq!(first.status(), 201);
    let first: Value = first.json().await.unwrap();
    let again = send("order-1", body.clone()).await.unwrap();
    assert_eq!(again.status(), 201);
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let other = send("order-1", json!({"service": "whatsapp", "country": "GB"}))
        .await
        .unwrap();
    assert_eq!(error_body(other, 422).await["field"], "Idempotency-Key");
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"].as_array().unwrap().len(), 1);
    assert_eq!(
        balance(&app, &s).await,
        Decimal::from(100) - dec(&first["cost"])
    );
}

#[tokio::test]
async fn fifty_concurrent_creates_with_one_key_make_one_rental_and_one_charge() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let requests = (0..50).map(|_| {
        app.as_browser(Method::POST, "/api/rentals/create", &s)
            .header("Idempotency-Key", "same-key")
            .json(&json!({"service": "telegram", "country": "GB"}))
            .send()
    });
    let answers = futures_util::future::join_all(requests).await;
    let mut ids = std::collections::HashSet::new();
    for r in answers {
        let r = r.unwrap();
        match r.status().as_u16() {
            201 => {
                ids.insert(r.json::<Value>().await.unwrap()["id"].as_i64().unwrap());
            }
            409 => {}
            other => panic!("unexpected {other}: {}", r.text().await.unwrap()),
        }
    }
    assert_eq!(ids.len(), 1, "every success is the same rental");
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"].as_array().unwrap().len(), 1);
    let charges: i64 = sqlx::query_scalar(
        "select count(*) from ledger_entry where user_id = $1 and kind = 'rental'",
    )
    .bind(s.user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(charges, 1);
    assert_eq!(app.provider_requests_to("/user/buy").await, 1);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn messages_arrive_once_newest_first_with_codes_and_old_ones_are_ignored() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 24).await;
    let mut events = app.state.events.subscribe(s.user_id);
    // A message from the number's previous owner, an hour before this rental.
    let old = app
        .control(
            Method::POST,
            "/sms",
            Some(
                json!({"phone": r["phone_number"], "text": "Old code 999999", "age_seconds": 3600}),
            ),
        )
        .await;
    assert_eq!(old.status(), 200);
    sms(&app, &r, "Your Telegram code is 48213").await;
    jobs::run_due(&app.state).await;
    app.advance(5).await;
    sms(&app, &r, "Welcome back to Telegram").await;
    app.advance(5).await;
    app.advance(5).await;

    let path = format!("/api/rentals/{}/messages", r["id"]);
    let m: Value = app.get_json(&path, &s).await;
    let list = m["messages"].as_array().unwrap();
    assert_eq!(list.len(), 2, "{m}");
    assert_eq!(list[0]["text"], "Welcome back to Telegram", "newest first");
    assert_eq!(list[0]["code"], Value::Null);
    assert_eq!(list[1]["code"], "48213");
    assert_eq!(list[1]["sender"], "Telegram");
    for field in ["id", "sender", "text", "code", "received_at"] {
        assert!(list[1].get(field).is_some());
    }
    let mut received = 0;
    while let Ok(e) = events.try_recv() {
        if e.kind == "sms.received" && e.user_id == s.user_id {
            received += 1;
        }
    }
    assert_eq!(received, 2, "one event per new message");
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"][0]["message_count"], 2);
    assert_eq!(
        active["rentals"][0]["unread_count"], 2,
        "the REST read marks nothing"
    );

    // The owner's rental page, once shown, says its messages are seen.
    let opened = app
        .as_browser(Method::POST, "/api/fn/mark_rental_read", &s)
        .form(&[("id", r["id"].to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(opened.status(), 200);
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"][0]["unread_count"], 0);
    assert_eq!(active["rentals"][0]["message_count"], 2);
}

#[tokio::test]
async fn extension_is_charged_within_the_held_order_and_refused_beyond_it() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    // 20 hours are bought as 5SIM's 1-day product: 4 hours of room to extend.
    let r = app.rent(&s, 20).await;
    let cost = dec(&r["cost"]);
    let hourly = day_price(&app).await * Decimal::new(15, 1) / Decimal::from(24);
    let path = format!("/api/rentals/{}/extend", r["id"]);
    let x = app
        .as_browser(Method::POST, &path, &s)
        .json(&json!({"hours": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), 200);
    let x: Value = x.json().await.unwrap();
    let charged = dec(&x["charged"]);
    assert_eq!(
        charged,
        (hourly * Decimal::new(5, 1) * Decimal::from(2))
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero)
    );
    assert_eq!(x["rental"]["duration_hours"], 22);
    assert_eq!(
        (&r["revision"], &x["rental"]["revision"]),
        (&json!(0), &json!(1))
    );
    assert_eq!(dec(&x["rental"]["cost"]), cost + charged);
    assert_eq!(
        namaskah::domain::rental::extension_quote(2, dec(&r["extension_per_hour"])).decimal(),
        charged,
        "the price shown before extending is the price charged"
    );
    let before = balance(&app, &s).await;
    assert_eq!(before, Decimal::from(100) - cost - charged);

    let e = error_body(
        app.as_browser(Method::POST, &path, &s)
            .json(&json!({"hours": 3}))
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    let msg = e["message"].as_str().unwrap();
    assert!(
        msg.contains("can be kept until") && msg.contains("2 more whole hours"),
        "{msg}"
    );
    assert_eq!(
        e["field"], "hours",
        "the refusal is about the hours asked for"
    );
    for hours in [json!(0), json!(721), json!(-1), json!("two")] {
        let e = error_body(
            app.as_browser(Method::POST, &path, &s)
                .json(&json!({"hours": hours}))
                .send()
                .await
                .unwrap(),
            422,
        )
        .await;
        assert_eq!(e["field"], "hours", "{hours}");
    }
    assert_eq!(
        balance(&app, &s).await,
        before,
        "nothing charged on any refusal"
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn release_refunds_unused_hours_exactly_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 24).await;
    let cost = dec(&r["cost"]);
    app.advance(2 * HOUR + 600).await;
    let shown = app.get_json(&format!("/api/rentals/{}", r["id"]), &s).await;
    let path = format!("/api/rentals/{}/release", r["id"]);
    let x = app
        .as_browser(Method::POST, &path, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(x.status(), 200);
    let x: Value = x.json().await.unwrap();
    assert_eq!(x["rental"]["status"], "released");
    let refund = dec(&x["refund"]);
    let expected = (cost / Decimal::from(24) * Decimal::new(5, 1) * Decimal::from(21))
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero);
    assert_eq!(
        refund, expected,
        "21 unused whole hours at half the hourly price"
    );
    assert_eq!(
        dec(&shown["refund_if_released"]),
        refund,
        "the refund shown before confirming is the refund paid"
    );
    assert_eq!(balance(&app, &s).await, Decimal::from(100) - cost + refund);
    assert_eq!(
        upstream_status(&app, &r).await,
        "Finished",
        "the number is given back upstream"
    );

    let e = error_body(
        app.as_browser(Method::POST, &path, &s)
            .send()
            .await
            .unwrap(),
        409,
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("released"));
    assert_eq!(
        balance(&app, &s).await,
        Decimal::from(100) - cost + refund,
        "no money moves twice"
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn fifty_concurrent_releases_refund_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 240).await;
    let path = format!("/api/rentals/{}/release", r["id"]);
    let answers = futures_util::future::join_all(
        (0..50).map(|_| app.as_browser(Method::POST, &path, &s).send()),
    )
    .await;
    let ok = answers
        .iter()
        .filter(|a| a.as_ref().unwrap().status() == 200)
        .count();
    let refused = answers
        .iter()
        .filter(|a| a.as_ref().unwrap().status() == 409)
        .count();
    assert_eq!((ok, refused), (1, 49));
    let refunds: i64 = sqlx::query_scalar(
        "select count(*) from ledger_entry where user_id = $1 and kind = 'refund'",
    )
    .bind(s.user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(refunds, 1);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn expiry_releases_upstream_and_stops_polling() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 3).await;
    app.advance(2 * HOUR).await;
    assert_eq!(
        app.get_json(&format!("/api/rentals/{}", r["id"]), &s).await["status"],
        "active"
    );
    let ran = app.advance(HOUR + 1).await;
    assert_eq!(ran["jobs"]["expired"], 1);
    let now: Value = app.get_json(&format!("/api/rentals/{}", r["id"]), &s).await;
    assert_eq!(now["status"], "expired");
    assert_eq!(now["seconds_remaining"], 0);
    assert_eq!(upstream_status(&app, &r).await, "Finished");
    let inbox_calls = app.provider_requests_to("/user/sms/inbox").await;
    app.advance(60).await;
    app.advance(60).await;
    assert_eq!(
        app.provider_requests_to("/user/sms/inbox").await,
        inbox_calls,
        "no polling after expiry"
    );
    let active: Value = app.get_json("/api/rentals/active", &s).await;
    assert!(active["rentals"].as_array().unwrap().is_empty());
    let e = error_body(
        app.as_browser(
            Method::POST,
            &format!("/api/rentals/{}/release", r["id"]),
            &s,
        )
        .send()
        .await
        .unwrap(),
        409,
    )
    .await;
    assert!(e["message"].as_str().unwrap().contains("expired"));
}

#[tokio::test]
async fn a_warning_comes_an_hour_before_the_end_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 3).await;
    let mut events = app.state.events.subscribe(s.user_id);
    app.advance(2 * HOUR + 60).await;
    app.advance(60).await;
    let kinds =
        notifications::kinds_for_rental(&app.state.db.pool, s.user_id, r["id"].as_i64().unwrap())
            .await
            .unwrap();
    assert_eq!(kinds, ["expiring"]);
    let mut expiring = 0;
    while let Ok(e) = events.try_recv() {
        if e.kind == "rental.expiring" {
            expiring += 1;
        }
    }
    assert_eq!(expiring, 1);
}

#[tokio::test]
async fn auto_renew_extends_while_it_can_then_turns_itself_off_and_says_why() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = create(
        &app,
        &s,
        json!({"service": "telegram", "country": "GB", "duration_hours": 10, "auto_renew": true}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let r: Value = r.json().await.unwrap();
    assert_eq!(r["auto_renew"], true);
    let id = r["id"].as_i64().unwrap();
    app.advance(10 * HOUR - 300).await;
    let now: Value = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(
        now["duration_hours"], 20,
        "renewed by the original 10 hours"
    );
    assert_eq!(now["status"], "active");
    // 4 hours of the upstream day are left: the next renewal cannot fit.
    app.advance(10 * HOUR).await;
    let now: Value = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(now["auto_renew"], false);
    let kinds = notifications::kinds_for_rental(&app.state.db.pool, s.user_id, id)
        .await
        .unwrap();
    assert!(
        kinds.contains(&"auto_renewed".to_owned()) && kinds.contains(&"auto_renew_off".to_owned()),
        "{kinds:?}"
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn auto_renew_turns_off_when_the_balance_is_short() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let price = day_price(&app).await * Decimal::new(15, 1) * Decimal::from(10) / Decimal::from(24);
    let price = price
        .max(day_price(&app).await)
        .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::AwayFromZero);
    app.credit(s.user_id, &price.to_string()).await;
    let r = create(
        &app,
        &s,
        json!({"service": "telegram", "country": "GB", "duration_hours": 10, "auto_renew": true}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    assert_eq!(balance(&app, &s).await, Decimal::ZERO);
    app.advance(10 * HOUR - 300).await;
    let now: Value = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(now["auto_renew"], false);
    assert_eq!(now["duration_hours"], 10);
    let kinds = notifications::kinds_for_rental(&app.state.db.pool, s.user_id, id)
        .await
        .unwrap();
    assert!(kinds.contains(&"auto_renew_off".to_owned()));
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn nobody_sees_or_touches_another_users_rental() {
    let app = spawn_app().await;
    let alice = app.funded("100").await;
    let mallory = app.funded("100").await;
    let r = app.rent(&alice, 24).await;
    let id = r["id"].as_i64().unwrap();
    for (method, path, body) in [
        (Method::GET, format!("/api/rentals/{id}"), None),
        (Method::GET, format!("/api/rentals/{id}/messages"), None),
        (
            Method::POST,
            format!("/api/rentals/{id}/extend"),
            Some(json!({"hours": 1})),
        ),
        (Method::POST, format!("/api/rentals/{id}/release"), None),
        (
            Method::PATCH,
            format!("/api/rentals/{id}"),
            Some(json!({"auto_renew": true})),
        ),
        (Method::GET, "/api/rentals/abc".to_owned(), None),
        (Method::GET, "/api/rentals/999999/messages".to_owned(), None),
    ] {
        let mut req = app.as_browser(method.clone(), &path, &mallory);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let e = error_body(req.send().await.unwrap(), 404).await;
        assert_eq!(e["message"], "rental not found", "{method} {path}");
    }
    let mine: Value = app.get_json(&format!("/api/rentals/{id}"), &alice).await;
    assert_eq!(mine["status"], "active");
    assert_eq!(mine["auto_renew"], false);
    assert_eq!(balance(&app, &mallory).await, Decimal::from(100));
}

#[tokio::test]
async fn auto_renew_can_be_switched() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 24).await;
    let path = format!("/api/rentals/{}", r["id"]);
    let on: Value = app
        .as_browser(Method::PATCH, &path, &s)
        .json(&json!({"auto_renew": true}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on["auto_renew"], true);
    let e = error_body(
        app.as_browser(Method::PATCH, &path, &s)
            .json(&json!({"auto_renew": "yes"}))
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "auto_renew");
}

#[tokio::test]
async fn history_filters_searches_and_pages() {
    let app = spawn_app().await;
    let s = app.funded("500").await;
    let a = app.rent(&s, 24).await;
    let b = create(
        &app,
        &s,
        json!({"service": "whatsapp", "country": "US", "duration_hours": 3}),
    )
    .await
    .json::<Value>()
    .await
    .unwrap();
    let c = app.rent(&s, 3).await;
    app.as_browser(
        Method::POST,
        &format!("/api/rentals/{}/release", c["id"]),
        &s,
    )
    .send()
    .await
    .unwrap();
    sms(&app, &a, "Your Telegram code is 77441").await;
    jobs::run_due(&app.state).await;

    let get = |query: String| {
        let app = &app;
        let s = &s;
        async move {
            let r = app
                .as_browser(Method::GET, &format!("/api/rentals{query}"), s)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200, "{query}");
            r.json::<Value>().await.unwrap()
        }
    };
    let ids = |v: &Value| {
        v["rentals"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["id"].as_i64().unwrap())
            .collect::<Vec<_>>()
    };
    let all = get(String::new()).await;
    assert_eq!(all["total"], 3);
    assert_eq!(
        ids(&all),
        [
            c["id"].as_i64().unwrap(),
            b["id"].as_i64().unwrap(),
            a["id"].as_i64().unwrap()
        ],
        "newest first"
    );
    assert_eq!(
        ids(&get("?status=released".into()).await),
        [c["id"].as_i64().unwrap()]
    );
    assert_eq!(
        ids(&get("?service=whatsapp".into()).await),
        [b["id"].as_i64().unwrap()]
    );
    assert_eq!(
        ids(&get("?country=us".into()).await),
        [b["id"].as_i64().unwrap()]
    );
    assert_eq!(
        ids(&get("?q=77441".into()).await),
        [a["id"].as_i64().unwrap()],
        "search over message text"
    );
    let digits: String = b["phone_number"]
        .as_str()
        .unwrap()
        .chars()
        .skip(3)
        .take(6)
        .collect();
    assert_eq!(
        ids(&get(format!("?q={digits}")).await),
        [b["id"].as_i64().unwrap()],
        "search over the number"
    );
    assert_eq!(
        get("?q=TELEGRAM%20CODE".into()).await["total"],
        1,
        "case-insensitive"
    );
    assert_eq!(
        get("?q=%25".into()).await["total"],
        0,
        "wildcards are literal"
    );
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    assert_eq!(get(format!("?from={today}&to={today}")).await["total"], 3);
    assert_eq!(get("?to=2000-01-01".into()).await["total"], 0);
    let page2 = get("?per_page=2&page=2".into()).await;
    assert_eq!(ids(&page2), [a["id"].as_i64().unwrap()]);
    assert_eq!(page2["total"], 3);
    for (query, field) in [
        ("?status=lost", "status"),
        ("?from=yesterday", "from"),
        ("?per_page=0", "per_page"),
        ("?country=GBR", "country"),
    ] {
        let r = app
            .as_browser(Method::GET, &format!("/api/rentals{query}"), &s)
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], field, "{query}");
    }
}

#[tokio::test]
async fn two_instances_never_poll_the_same_rental_at_once() {
    let app = spawn_app().await;
    let s = app.funded("500").await;
    for _ in 0..8 {
        app.rent(&s, 24).await;
    }
    // Two workers (as two instances would) race for the same due rows.
    let (a, b) = tokio::join!(
        namaskah::server::jobs::rentals::poll_once(&app.state),
        namaskah::server::jobs::rentals::poll_once(&app.state)
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        8,
        "each rental claimed by exactly one worker"
    );
    assert_eq!(app.provider_requests_to("/user/sms/inbox").await, 8);
}

#[tokio::test]
async fn a_poll_pass_asks_about_as_many_rentals_as_the_request_limit_allows_per_tick() {
    // The test app keeps 5SIM's default limit, 50 requests/s: 5 per 100 ms tick.
    let app = spawn_app().await;
    let s = app.funded("500").await;
    for _ in 0..12 {
        app.rent(&s, 24).await;
    }
    let mut polled = Vec::new();
    for _ in 0..4 {
        polled.push(
            namaskah::server::jobs::rentals::poll_once(&app.state)
                .await
                .unwrap(),
        );
        let leased: i64 =
            sqlx::query_scalar("select count(*) from rentals where lease_until is not null")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(
            leased, 0,
            "every polled rental is given back after its pass"
        );
    }
    assert_eq!(
        polled,
        [5, 5, 2, 0],
        "then nothing is due until its next poll time"
    );
    assert_eq!(app.provider_requests_to("/user/sms/inbox").await, 12);
}

#[tokio::test]
async fn the_card_shows_the_newest_code_whatever_order_messages_arrive_in() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let r = app.rent(&s, 24).await;
    app.advance(120).await;
    // Both reach the provider before the next poll; the second was sent earlier.
    for (text, age) in [("Your code is 11111", 0), ("Your code is 22222", 60)] {
        let sent = app
            .control(
                Method::POST,
                "/sms",
                Some(json!({"phone": r["phone_number"], "text": text, "age_seconds": age})),
            )
            .await;
        assert_eq!(sent.status(), 200);
    }
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    let active = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(active["rentals"][0]["message_count"], 2);
    assert_eq!(
        active["rentals"][0]["last_code"], "11111",
        "the newest, not the last stored"
    );
    let one = app.get_json(&format!("/api/rentals/{}", r["id"]), &s).await;
    assert_eq!(one["last_code"], "11111");
}

#[tokio::test]
async fn an_api_client_reading_active_rentals_many_times_a_second_sees_each_change_at_once() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let key = app.api_key(&s, "poller").await;
    let active = || async {
        let r = app
            .with_key(Method::GET, "/api/rentals/active", &key)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["content-type"], "application/json");
        r.json::<Value>().await.unwrap()["rentals"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(active().await.is_empty());
    assert!(active().await.is_empty(), "read twice in the same second");
    let r = app.rent(&s, 3).await;
    let list = active().await;
    assert_eq!(list.len(), 1, "the new rental, on the very next read");
    assert_eq!(list[0]["id"], r["id"]);
    assert_eq!(list[0]["cost"], r["cost"]);
    let released = app
        .with_key(
            Method::POST,
            &format!("/api/rentals/{}/release", r["id"]),
            &key,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(released.status(), 200);
    assert!(active().await.is_empty(), "gone on the very next read");
}

#[tokio::test]
async fn sandbox_mode_started_again_on_its_database_still_sells() {
    let first = spawn_app().await;
    let s = first.funded("100").await;
    first.rent(&s, 24).await;
    // Sandbox mode run again on the same database: its emulators start afresh, and must not
    // hand out the order ids the kept rentals carry.
    let again = spawn_app_with(&[("DATABASE_URL", first.database_url.clone())]).await;
    let s = again.funded("100").await;
    let r = again.rent(&s, 24).await;
    assert_eq!(r["status"], "active");
}
