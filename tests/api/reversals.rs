//! Refunds and disputes of paid top-ups, through the Stripe emulator's own API and events
//! (real HTTP both ways): the money is taken back from the balance whatever it is, once per
//! report, in any order; a balance left below zero blocks purchases until a top-up settles
//! it; a dispute won gives the money back.

use crate::helpers::*;
use crate::topups::{
    app, checkout_of, deliver, emulator_events, now_secs, paid, paid_event, started, topup, SECRET,
};
use reqwest::{Method, Response};
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn stripe_key(app: &TestApp) -> String {
    app.state
        .sandbox
        .as_ref()
        .and_then(|e| e.stripe.as_ref())
        .unwrap()
        .secret_key()
        .to_owned()
}

/// The payment a paid top-up was made with (`pi_…`).
async fn payment_of(app: &TestApp, topup_id: i64) -> String {
    namaskah::server::storage::topups::find(&app.state.db.pool, topup_id)
        .await
        .unwrap()
        .and_then(|t| t.payment_id)
        .unwrap()
}

/// Refunds through the emulator's `POST /v1/refunds`, as an operator in Stripe's dashboard.
async fn refund(app: &TestApp, payment: &str, cents: Option<i64>) -> Response {
    let mut form = vec![("payment_intent", payment.to_owned())];
    if let Some(cents) = cents {
        form.push(("amount", cents.to_string()));
    }
    app.client
        .post(app.url("/sandbox/stripe/v1/refunds"))
        .bearer_auth(stripe_key(app))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// The cardholder's bank disputes the payment (the emulator's control API).
async fn open_dispute(app: &TestApp, payment: &str) -> Value {
    let r = app
        .client
        .post(app.url("/sandbox/stripe/control/disputes"))
        .form(&[("payment_intent", payment)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// The ledger rows of `kind` for the user: amount and reference.
async fn rows_of(app: &TestApp, user_id: i64, kind: &str) -> Vec<(i64, Option<String>)> {
    sqlx::query_as(
        "select amount_units, reference from ledger_entry where user_id = $1 and kind = $2 \
         order by ledger_entry_id",
    )
    .bind(user_id)
    .bind(kind)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

async fn notices(app: &TestApp, s: &Session) -> Vec<String> {
    app.get_json("/api/notifications", s).await["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["message"].as_str().unwrap().to_owned())
        .collect()
}

fn charge_event(payment: &str, paid_cents: i64, refunded_cents: i64) -> Value {
    charge_event_for(payment, paid_cents, refunded_cents, None)
}

/// A `charge.refunded`, with the top-up its payment's metadata names.
fn charge_event_for(
    payment: &str,
    paid_cents: i64,
    refunded_cents: i64,
    topup: Option<i64>,
) -> Value {
    let metadata = topup.map_or(json!({}), |id| json!({"topup_id": id.to_string()}));
    json!({
        "id": format!("evt_refund_{refunded_cents}"),
        "object": "event",
        "type": "charge.refunded",
        "data": {"object": {
            "id": "ch_test", "object": "charge", "payment_intent": payment,
            "amount": paid_cents, "amount_refunded": refunded_cents, "currency": "usd",
            "refunded": refunded_cents == paid_cents, "metadata": metadata,
        }}
    })
}

fn dispute_event(kind: &str, payment: &str, dispute: &str, cents: i64, status: &str) -> Value {
    json!({
        "id": format!("evt_{dispute}_{status}"),
        "object": "event",
        "type": kind,
        "data": {"object": {
            "id": dispute, "object": "dispute", "charge": "ch_test", "payment_intent": payment,
            "amount": cents, "currency": "usd", "status": status, "reason": "fraudulent",
        }}
    })
}

#[tokio::test]
async fn a_refund_of_spent_money_leaves_a_negative_balance_that_blocks_purchases_until_settled() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "20").await;
    let rental = app.rent(&s, 24).await;
    let spent = d(rental["cost"].as_str().unwrap());
    assert_eq!(app.balance(&s).await, d("20") - spent);

    // The whole payment is refunded (in Stripe's dashboard): taken back though it was spent.
    let r = refund(&app, &payment_of(&app, id).await, None).await;
    assert_eq!(r.status(), 200);
    let refunded: Value = r.json().await.unwrap();
    assert_eq!(
        (refunded["amount"].as_i64(), refunded["status"].as_str()),
        (Some(2000), Some("succeeded"))
    );
    assert_eq!(app.balance(&s).await, -spent);
    let t = topup(&app, &s, id).await;
    assert_eq!(
        (t["status"].as_str(), t["refunded"].as_str()),
        (Some("refunded"), Some("20.0000"))
    );
    app.assert_ledger_invariant(s.user_id).await;
    assert!(notices(&app, &s).await[0].contains("purchases are paused"));

    // Nothing can be bought; the refusal says why, and nothing is charged.
    let r = app
        .as_browser(Method::POST, "/api/rentals/create", &s)
        .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 24}))
        .send()
        .await
        .unwrap();
    let error = error_body(r, 402).await;
    assert!(
        error["message"].as_str().unwrap().contains("below zero"),
        "{error}"
    );
    assert_eq!(app.balance(&s).await, -spent);
    // The wallet says so.
    let wallet = app.page_html("/billing", &s).await;
    assert!(
        wallet.contains("data-testid=\"negative-balance\""),
        "{wallet}"
    );
    assert!(wallet.contains("Purchases are paused"));

    // A top-up lands on the negative balance and settles it; buying works again.
    paid(&app, &s, "20").await;
    assert_eq!(app.balance(&s).await, d("20") - spent);
    app.rent(&s, 24).await;
    app.assert_ledger_invariant(s.user_id).await;
    let wallet = app.page_html("/billing", &s).await;
    assert!(!wallet.contains("data-testid=\"negative-balance\""));
}

#[tokio::test]
async fn partial_refunds_are_taken_back_once_each_whatever_the_order_and_repeats() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "30").await;
    let payment = payment_of(&app, id).await;

    assert_eq!(refund(&app, &payment, Some(500)).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("25"));
    let t = topup(&app, &s, id).await;
    assert_eq!(
        (t["status"].as_str(), t["refunded"].as_str()),
        (Some("paid"), Some("5.0000"))
    );
    assert_eq!(refund(&app, &payment, Some(1000)).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("15"));

    // Stripe resends both events (from its dashboard): nothing more is taken.
    let events = emulator_events(&app).await;
    let refunds: Vec<&Value> = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"] == "charge.refunded")
        .collect();
    assert_eq!(refunds.len(), 2);
    for e in &refunds {
        let r = app
            .client
            .post(app.url(&format!(
                "/sandbox/stripe/control/events/{}/resend",
                e["id"].as_str().unwrap()
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    assert_eq!(app.balance(&s).await, d("15"));

    // Reports that arrive out of order: the larger total first, then an older, smaller one.
    let at = now_secs(&app);
    let r = deliver(&app, &charge_event(&payment, 3000, 3000), SECRET, at).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.balance(&s).await, d("0"));
    let r = deliver(&app, &charge_event(&payment, 3000, 1500), SECRET, at).await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.balance(&s).await, d("0"));
    // Five deliveries of one report at once: taken once.
    let fresh = paid(&app, &s, "10").await;
    let fresh_payment = payment_of(&app, fresh).await;
    let event = charge_event(&fresh_payment, 1000, 1000);
    let answers =
        futures_util::future::join_all((0..5).map(|_| deliver(&app, &event, SECRET, at))).await;
    assert!(answers.iter().any(|r| r.status() == 200));
    for r in answers {
        // A delivery that met another mid-way is answered so that Stripe sends it again.
        assert!(matches!(r.status().as_u16(), 200 | 409), "{}", r.status());
    }
    assert_eq!(app.balance(&s).await, d("0"));
    assert_eq!(
        rows_of(&app, s.user_id, "topup_refund").await,
        vec![
            (
                -50_000,
                Some(format!("topup-refund:stripe:{payment}:50000"))
            ),
            (
                -100_000,
                Some(format!("topup-refund:stripe:{payment}:150000"))
            ),
            (
                -150_000,
                Some(format!("topup-refund:stripe:{payment}:300000"))
            ),
            (
                -100_000,
                Some(format!("topup-refund:stripe:{fresh_payment}:100000"))
            ),
        ]
    );
    app.assert_ledger_invariant(s.user_id).await;

    // A forged report changes nothing; one beyond the payment is refused (Stripe retries, the
    // error log has it) and changes nothing; one for a payment that is not ours is ignored.
    let r = deliver(
        &app,
        &charge_event(&payment, 3000, 3000),
        "whsec_forged",
        at,
    )
    .await;
    assert_eq!(r.status(), 401);
    let second = paid(&app, &s, "10").await;
    let second_payment = payment_of(&app, second).await;
    let r = deliver(&app, &charge_event(&second_payment, 1000, 1001), SECRET, at).await;
    assert_eq!(r.status(), 500);
    let r = deliver(
        &app,
        &charge_event("pi_someone_elses", 1000, 1000),
        SECRET,
        at,
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.balance(&s).await, d("10"));
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn the_emulator_refuses_refunds_it_cannot_make() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "10").await;
    let payment = payment_of(&app, id).await;
    let stripe_error = |r: Response, status: u16| async move {
        assert_eq!(r.status(), status);
        r.json::<Value>().await.unwrap()["error"].clone()
    };
    let e = stripe_error(refund(&app, &payment, Some(1001)).await, 400).await;
    assert_eq!(e["param"], "amount");
    let e = stripe_error(refund(&app, &payment, Some(0)).await, 400).await;
    assert_eq!(e["param"], "amount");
    let e = stripe_error(refund(&app, "pi_nope", None).await, 404).await;
    assert_eq!(e["param"], "payment_intent");
    let r = app
        .client
        .post(app.url("/sandbox/stripe/v1/refunds"))
        .bearer_auth("sk_test_wrong")
        .form(&[("payment_intent", payment.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(app.balance(&s).await, d("10"), "nothing was refunded");
    assert_eq!(refund(&app, &payment, None).await.status(), 200);
    let e = stripe_error(refund(&app, &payment, None).await, 400).await;
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("already been refunded"));
    assert_eq!(app.balance(&s).await, d("0"));
}

#[tokio::test]
async fn a_dispute_takes_the_payment_back_until_it_is_won() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "20").await;
    let payment = payment_of(&app, id).await;

    let dispute = open_dispute(&app, &payment).await;
    let dispute_id = dispute["id"].as_str().unwrap().to_owned();
    assert_eq!(app.balance(&s).await, d("0"));
    let t = topup(&app, &s, id).await;
    assert_eq!(
        (t["status"].as_str(), t["disputed"].as_str()),
        (Some("disputed"), Some("20.0000"))
    );
    assert!(notices(&app, &s).await[0].contains("disputed"));
    // The receipt stays, and says so.
    let receipt = app
        .page_html(&format!("/billing/topups/{id}/receipt"), &s)
        .await;
    assert!(receipt.contains("Disputed with the card"), "{receipt}");

    // Won: the money comes back, once.
    let r = app
        .client
        .post(app.url(&format!(
            "/sandbox/stripe/control/disputes/{dispute_id}/win"
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(app.balance(&s).await, d("20"));
    let t = topup(&app, &s, id).await;
    assert_eq!(
        (t["status"].as_str(), t["disputed"].as_str()),
        (Some("paid"), Some("0.0000"))
    );
    // The opening, sent again late, changes nothing now; nor does a second decision.
    let at = now_secs(&app);
    let late = dispute_event(
        "charge.dispute.created",
        &payment,
        &dispute_id,
        2000,
        "needs_response",
    );
    assert_eq!(deliver(&app, &late, SECRET, at).await.status(), 200);
    let lost = dispute_event("charge.dispute.closed", &payment, &dispute_id, 2000, "lost");
    assert_eq!(deliver(&app, &lost, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("20"));
    assert_eq!(
        rows_of(&app, s.user_id, "dispute").await,
        vec![(-200_000, Some(format!("dispute:stripe:{dispute_id}")))]
    );
    assert_eq!(
        rows_of(&app, s.user_id, "dispute_won").await,
        vec![(200_000, Some(format!("dispute-won:stripe:{dispute_id}")))]
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_lost_dispute_keeps_the_money_taken_whichever_report_comes_first() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "20").await;
    let payment = payment_of(&app, id).await;
    let key = stripe_key(&app);

    // Opened, then conceded through Stripe's API: lost, taken once.
    let dispute = open_dispute(&app, &payment).await;
    let dispute_id = dispute["id"].as_str().unwrap();
    let close = |id: String| {
        app.client
            .post(app.url(&format!("/sandbox/stripe/v1/disputes/{id}/close")))
            .bearer_auth(&key)
            .send()
    };
    let r = close(dispute_id.to_owned()).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "lost");
    assert_eq!(close(dispute_id.to_owned()).await.unwrap().status(), 400);
    assert_eq!(app.balance(&s).await, d("0"));
    assert_eq!(topup(&app, &s, id).await["status"], "disputed");

    // Another payment's dispute whose decision arrives before its opening: lost is taken at
    // once, and the late opening takes nothing more; won before its opening moves nothing.
    let other = paid(&app, &s, "10").await;
    let other_payment = payment_of(&app, other).await;
    let at = now_secs(&app);
    let closed = dispute_event(
        "charge.dispute.closed",
        &other_payment,
        "dp_early",
        1000,
        "lost",
    );
    assert_eq!(deliver(&app, &closed, SECRET, at).await.status(), 200);
    let opened = dispute_event(
        "charge.dispute.created",
        &other_payment,
        "dp_early",
        1000,
        "needs_response",
    );
    assert_eq!(deliver(&app, &opened, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("0"));
    let third = paid(&app, &s, "10").await;
    let third_payment = payment_of(&app, third).await;
    let won = dispute_event(
        "charge.dispute.closed",
        &third_payment,
        "dp_won",
        1000,
        "won",
    );
    assert_eq!(deliver(&app, &won, SECRET, at).await.status(), 200);
    let opened = dispute_event(
        "charge.dispute.created",
        &third_payment,
        "dp_won",
        1000,
        "needs_response",
    );
    assert_eq!(deliver(&app, &opened, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("10"));
    assert_eq!(rows_of(&app, s.user_id, "dispute").await.len(), 2);
    assert!(rows_of(&app, s.user_id, "dispute_won").await.is_empty());
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn reports_that_overtake_the_payment_or_withdraw_nothing_are_handled_as_stripe_means_them() {
    let app = app().await;
    let s = app.signed_in().await;
    let at = now_secs(&app);

    // A refund that arrives before its payment's credit (Stripe's retries after an outage
    // come in any order): refused so that Stripe sends it again, then taken once credited.
    let t = started(&app, &s, "10").await;
    let id = t["id"].as_i64().unwrap();
    let checkout = checkout_of(&app, id).await;
    let early = charge_event_for("pi_overtaken", 1000, 1000, Some(id));
    assert_eq!(deliver(&app, &early, SECRET, at).await.status(), 409);
    assert_eq!(app.balance(&s).await, d("0"));
    let credit = paid_event(&checkout, id, 1000, "pi_overtaken");
    assert_eq!(deliver(&app, &credit, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("10"));
    assert_eq!(deliver(&app, &early, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("0"));

    // An inquiry withdraws nothing, opened or closed.
    let id = paid(&app, &s, "10").await;
    let payment = payment_of(&app, id).await;
    for (kind, status) in [
        ("charge.dispute.created", "warning_needs_response"),
        ("charge.dispute.closed", "warning_closed"),
    ] {
        let e = dispute_event(kind, &payment, "dp_inquiry", 1000, status);
        assert_eq!(deliver(&app, &e, SECRET, at).await.status(), 200);
    }
    assert_eq!(app.balance(&s).await, d("10"));
    assert_eq!(topup(&app, &s, id).await["status"], "paid");

    // A chargeback for more than was paid takes the payment; one prevented (refunded
    // instead) gives it back.
    let e = dispute_event(
        "charge.dispute.created",
        &payment,
        "dp_big",
        5000,
        "needs_response",
    );
    assert_eq!(deliver(&app, &e, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("0"));
    let e = dispute_event(
        "charge.dispute.funds_withdrawn",
        &payment,
        "dp_big",
        5000,
        "needs_response",
    );
    assert_eq!(deliver(&app, &e, SECRET, at).await.status(), 200);
    assert_eq!(
        app.balance(&s).await,
        d("0"),
        "the withdrawal is the same money"
    );
    let e = dispute_event(
        "charge.dispute.closed",
        &payment,
        "dp_big",
        5000,
        "prevented",
    );
    assert_eq!(deliver(&app, &e, SECRET, at).await.status(), 200);
    assert_eq!(app.balance(&s).await, d("10"));
    app.assert_ledger_invariant(s.user_id).await;
}
