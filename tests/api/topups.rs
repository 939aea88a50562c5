//! Top-ups by card through the Stripe emulator (`/sandbox/stripe`, real HTTP both ways): the
//! balance is credited only from a signed event, once per payment, whatever the number and
//! order of events; forged, altered and old signatures change nothing; a declined card
//! charges nothing; bad amounts are refused with the field named.

use crate::helpers::*;
use namaskah::server::payments::stripe::sign;
use reqwest::{Method, Response};
use rust_decimal::Decimal;
use serde_json::{json, Value};

pub(crate) const SECRET: &str = "whsec_topup_tests";

pub(crate) async fn app() -> TestApp {
    spawn_app_with(&[("STRIPE_WEBHOOK_SECRET", SECRET.into())]).await
}

pub(crate) async fn start(app: &TestApp, s: &Session, amount: &str) -> Response {
    app.as_browser(Method::POST, "/api/billing/topups", s)
        .json(&json!({ "amount": amount }))
        .send()
        .await
        .unwrap()
}

pub(crate) async fn started(app: &TestApp, s: &Session, amount: &str) -> Value {
    let r = start(app, s, amount).await;
    assert_eq!(r.status(), 201);
    r.json().await.unwrap()
}

/// A page's text, as a browser with no session gets it (the emulator's pages).
pub(crate) async fn text_of(app: &TestApp, url: &str) -> String {
    app.client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

/// Every event the Stripe emulator has sent, oldest first.
pub(crate) async fn emulator_events(app: &TestApp) -> Value {
    app.client
        .get(app.url("/sandbox/stripe/control/events"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Chooses a card on the emulator's pay page, as the customer's browser does.
pub(crate) async fn pay(app: &TestApp, checkout_url: &str, card: &str) -> Response {
    app.client
        .post(checkout_url)
        .form(&[("card", card)])
        .send()
        .await
        .unwrap()
}

/// The checkout the app opened for a top-up (as Stripe's events name it).
pub(crate) async fn checkout_of(app: &TestApp, topup_id: i64) -> String {
    namaskah::server::storage::topups::find(&app.state.db.pool, topup_id)
        .await
        .unwrap()
        .and_then(|t| t.checkout_id)
        .unwrap_or_default()
}

pub(crate) fn paid_event(checkout: &str, topup_id: i64, cents: i64, payment: &str) -> Value {
    json!({
        "id": format!("evt_{payment}"),
        "object": "event",
        "type": "checkout.session.completed",
        "data": {"object": {
            "id": checkout,
            "object": "checkout.session",
            "payment_status": "paid",
            "status": "complete",
            "payment_intent": payment,
            "amount_total": cents,
            "currency": "usd",
            "client_reference_id": topup_id.to_string(),
            "metadata": {"topup_id": topup_id.to_string()},
        }}
    })
}

pub(crate) fn now_secs(app: &TestApp) -> i64 {
    app.state.clock.now_ms() / 1000
}

/// Posts `event` to the webhook as Stripe would, signed with `secret` at `at`.
pub(crate) async fn deliver(app: &TestApp, event: &Value, secret: &str, at: i64) -> Response {
    let body = event.to_string();
    app.client
        .post(app.url("/api/billing/stripe/webhook"))
        .header("content-type", "application/json")
        .header("stripe-signature", sign(secret, at, body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap()
}

pub(crate) async fn topup(app: &TestApp, s: &Session, id: i64) -> Value {
    app.get_json(&format!("/api/billing/topups/{id}"), s).await
}

async fn topup_rows(app: &TestApp, user_id: i64) -> Vec<(i64, Option<String>)> {
    sqlx::query_as(
        "select amount_units, reference from ledger_entry where user_id = $1 and kind = 'topup'",
    )
    .bind(user_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_card_payment_credits_the_balance_once_however_often_stripe_tells_it() {
    let app = app().await;
    let s = app.signed_in().await;
    let t = started(&app, &s, "20.00").await;
    let id = t["id"].as_i64().unwrap();
    assert_eq!(t["status"], "pending");
    assert_eq!(t["amount"], "20.0000");
    let url = t["checkout_url"].as_str().unwrap().to_owned();
    assert!(
        url.starts_with(&format!("{}/sandbox/stripe/pay/cs_test_", app.origin()))
            || url.contains("/sandbox/stripe/pay/cs_test_"),
        "{url}"
    );
    // The pay page shows what is paid for.
    let page = text_of(&app, &url).await;
    assert!(page.contains("20.00 USD"), "{page}");

    let r = pay(&app, &url, "succeed").await;
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap();
    assert!(back.ends_with(&format!("/billing?topup={id}")), "{back}");
    assert_eq!(app.balance(&s).await, Decimal::from(20));
    let paid = topup(&app, &s, id).await;
    assert_eq!(paid["status"], "paid");
    assert!(
        paid["checkout_url"].is_null(),
        "a paid top-up has nowhere to pay"
    );
    assert!(paid["paid_at"].is_string());

    // Stripe sends it again (from its dashboard), and again at once from several places.
    let events: Value = emulator_events(&app).await;
    let completed = events["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["type"] == "checkout.session.completed")
        .unwrap()
        .clone();
    let r = app
        .client
        .post(app.url(&format!(
            "/sandbox/stripe/control/events/{}/resend",
            completed["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["delivered"], true);
    let at = now_secs(&app);
    let again =
        futures_util::future::join_all((0..5).map(|_| deliver(&app, &completed, SECRET, at))).await;
    for r in again {
        assert_eq!(r.status(), 200);
        assert_eq!(
            r.json::<Value>().await.unwrap()["outcome"],
            "already_credited"
        );
    }
    assert_eq!(app.balance(&s).await, Decimal::from(20));
    let rows = topup_rows(&app, s.user_id).await;
    assert_eq!(rows.len(), 1, "one ledger row: {rows:?}");
    let payment = completed["data"]["object"]["payment_intent"]
        .as_str()
        .unwrap();
    assert_eq!(rows[0], (200_000, Some(format!("topup:stripe:{payment}"))));
    app.assert_ledger_invariant(s.user_id).await;

    // The customer is told, and the operators' audit log has it.
    let notes = app.get_json("/api/notifications", &s).await;
    assert!(
        notes
            .to_string()
            .contains("Your top-up of 20.00 USD arrived"),
        "{notes}"
    );
    let audit: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'balance.topup' and subject_user_id = $1",
    )
    .bind(s.user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(audit, 1);
}

#[tokio::test]
async fn forged_altered_and_old_signatures_change_nothing() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = started(&app, &s, "50").await["id"].as_i64().unwrap();
    let event = paid_event(&checkout_of(&app, id).await, id, 5000, "pi_forged");
    let now = now_secs(&app);

    let refused = [
        deliver(&app, &event, "whsec_someone_else", now).await,
        deliver(&app, &event, SECRET, now - 301).await,
        deliver(&app, &event, SECRET, now + 301).await,
    ];
    for r in refused {
        let e = error_body(r, 401).await;
        assert_eq!(e["code"], "unauthorized");
    }
    // Signed, then changed on the way (another top-up's amount).
    let body = event.to_string();
    let r = app
        .client
        .post(app.url("/api/billing/stripe/webhook"))
        .header("stripe-signature", sign(SECRET, now, body.as_bytes()))
        .body(body.replace("5000", "500000"))
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
    // No signature at all.
    let r = app
        .client
        .post(app.url("/api/billing/stripe/webhook"))
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    let e = error_body(r, 401).await;
    assert!(
        e["message"].as_str().unwrap().contains("Stripe-Signature"),
        "{e}"
    );

    assert_eq!(app.balance(&s).await, Decimal::ZERO);
    assert_eq!(topup(&app, &s, id).await["status"], "pending");
    assert!(topup_rows(&app, s.user_id).await.is_empty());
}

#[tokio::test]
async fn events_act_once_and_in_any_order() {
    let app = app().await;
    let s = app.signed_in().await;
    let id = started(&app, &s, "10").await["id"].as_i64().unwrap();
    let now = now_secs(&app);
    let declined = json!({
        "id": "evt_declined", "type": "payment_intent.payment_failed",
        "data": {"object": {"id": "pi_1", "object": "payment_intent", "metadata": {"topup_id": id.to_string()},
            "last_payment_error": {"message": "Your card has insufficient funds."}}}
    });
    let expired = json!({
        "id": "evt_expired", "type": "checkout.session.expired",
        "data": {"object": {"id": "cs_x", "client_reference_id": id.to_string(), "payment_status": "unpaid"}}
    });
    let outcome = |r: Response| async move {
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["outcome"].clone()
    };

    assert_eq!(
        outcome(deliver(&app, &declined, SECRET, now).await).await,
        "recorded"
    );
    let t = topup(&app, &s, id).await;
    assert_eq!(t["status"], "declined");
    assert_eq!(t["failure"], "Your card has insufficient funds.");
    assert!(
        t["checkout_url"].is_string(),
        "a declined top-up can still be paid"
    );

    // The payment, then the events that came before it arriving late: nothing undone.
    assert_eq!(
        outcome(
            deliver(
                &app,
                &paid_event("cs_test_elsewhere", id, 1000, "pi_0"),
                SECRET,
                now
            )
            .await
        )
        .await,
        "ignored",
        "a payment through another checkout on the account"
    );
    let checkout = checkout_of(&app, id).await;
    assert_eq!(
        outcome(deliver(&app, &paid_event(&checkout, id, 1000, "pi_1"), SECRET, now).await).await,
        "credited"
    );
    assert_eq!(
        outcome(deliver(&app, &declined, SECRET, now).await).await,
        "ignored"
    );
    assert_eq!(
        outcome(deliver(&app, &expired, SECRET, now).await).await,
        "ignored"
    );
    let t = topup(&app, &s, id).await;
    assert_eq!(t["status"], "paid");
    assert!(t["failure"].is_null());
    assert_eq!(app.balance(&s).await, Decimal::from(10));

    // A payment that is not what was asked for, or for a top-up that is not ours: not credited.
    // Stripe keeps sending it, and the log has it for an operator.
    let other = started(&app, &s, "30").await["id"].as_i64().unwrap();
    let short = paid_event(&checkout_of(&app, other).await, other, 2999, "pi_short");
    error_body(deliver(&app, &short, SECRET, now).await, 500).await;
    assert_eq!(
        outcome(
            deliver(
                &app,
                &paid_event("cs_x", 9_999_999, 1000, "pi_stray"),
                SECRET,
                now
            )
            .await
        )
        .await,
        "ignored"
    );
    // Events the app does not act on are taken and ignored.
    let other_kind = json!({"id": "evt_x", "type": "customer.created", "data": {"object": {}}});
    assert_eq!(
        outcome(deliver(&app, &other_kind, SECRET, now).await).await,
        "ignored"
    );
    // A signed body that is no event.
    let r = app
        .client
        .post(app.url("/api/billing/stripe/webhook"))
        .header("stripe-signature", sign(SECRET, now, b"not json"))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "body");

    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_eq!(topup(&app, &s, other).await["status"], "pending");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_declined_card_charges_nothing_and_3_d_secure_can_fail_or_pass() {
    let app = app().await;
    let s = app.signed_in().await;
    let t = started(&app, &s, "25.50").await;
    let (id, url) = (
        t["id"].as_i64().unwrap(),
        t["checkout_url"].as_str().unwrap().to_owned(),
    );

    let r = pay(&app, &url, "decline").await;
    assert_eq!(r.status(), 402);
    assert!(r.text().await.unwrap().contains("Your card was declined"));
    let t = topup(&app, &s, id).await;
    assert_eq!(t["status"], "declined");
    assert_eq!(app.balance(&s).await, Decimal::ZERO);

    // 3-D Secure: the bank's step, failed, then passed.
    let r = pay(&app, &url, "3ds").await;
    assert_eq!(r.status(), 303);
    let challenge = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(challenge.ends_with("/authenticate"), "{challenge}");
    let page = text_of(&app, &challenge).await;
    assert!(page.contains("Complete authentication"));
    let r = app
        .client
        .post(&challenge)
        .form(&[("outcome", "fail")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 402);
    assert_eq!(app.balance(&s).await, Decimal::ZERO);
    assert!(topup(&app, &s, id).await["failure"]
        .as_str()
        .unwrap()
        .contains("unable to authenticate"));

    let r = app
        .client
        .post(&challenge)
        .form(&[("outcome", "complete")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(app.balance(&s).await, "25.5".parse::<Decimal>().unwrap());
    assert_eq!(topup(&app, &s, id).await["status"], "paid");
    // Paid: the page says so, and paying again does nothing.
    let r = pay(&app, &url, "succeed").await;
    assert!(r.text().await.unwrap().contains("This checkout is paid"));
    assert_eq!(app.balance(&s).await, "25.5".parse::<Decimal>().unwrap());
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn bad_amounts_are_refused_with_the_field_named_and_start_nothing() {
    let app = app().await;
    let s = app.signed_in().await;
    for amount in ["4.99", "1000.01", "20.001", "-5", "0"] {
        let e = error_body(start(&app, &s, amount).await, 422).await;
        assert_eq!(e["field"], "amount", "{amount}: {e}");
    }
    let r = app
        .as_browser(Method::POST, "/api/billing/topups", &s)
        .json(&json!({ "amount": "lots" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = app.get_json("/api/billing/topups", &s).await;
    assert_eq!(page["total"], 0);
    let events: Value = emulator_events(&app).await;
    assert_eq!(events["data"], json!([]));
}

#[tokio::test]
async fn top_ups_are_their_owners_own_and_listed_newest_first() {
    let app = app().await;
    let s = app.signed_in().await;
    let first = started(&app, &s, "5").await["id"].as_i64().unwrap();
    let second = started(&app, &s, "6").await["id"].as_i64().unwrap();
    let page = app.get_json("/api/billing/topups", &s).await;
    assert_eq!(page["total"], 2);
    let ids: Vec<i64> = page["topups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [second, first]);

    let other = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, &format!("/api/billing/topups/{first}"), &other)
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;
    assert_eq!(
        app.get_json("/api/billing/topups", &other).await["total"],
        0
    );
    // Signed out: no top-ups at all.
    let r = app
        .client
        .get(app.url("/api/billing/topups"))
        .send()
        .await
        .unwrap();
    error_body(r, 401).await;
}

#[tokio::test]
async fn an_hour_allows_ten_unpaid_top_ups() {
    let app = app().await;
    let s = app.signed_in().await;
    for _ in 0..10 {
        started(&app, &s, "5").await;
    }
    let e = error_body(start(&app, &s, "5").await, 429).await;
    assert!(e["message"].as_str().unwrap().contains("unpaid"), "{e}");
    app.advance(3601).await;
    started(&app, &s, "5").await;
}

#[tokio::test]
async fn without_javascript_the_form_sends_the_browser_to_the_payment_page() {
    let app = app().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::POST, "/api/fn/start_topup", &s)
        .header("accept", "text/html")
        .header("referer", app.url("/billing"))
        .form(&[("amount", "15")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let on_site = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(on_site.starts_with("/billing/topups/"), "{on_site}");
    // …which sends it on to the payment page (the one redirect off the site).
    let r = app
        .as_browser(Method::GET, &on_site, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let to = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(to.contains("/sandbox/stripe/pay/cs_test_"), "{to}");
    // Someone else's top-up, or none: back to the wallet, not to its payment page.
    let other = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, &on_site, &other)
        .send()
        .await
        .unwrap();
    assert!(r.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/billing?topup="));
    // Paid there, the browser comes back to the wallet, which says so.
    let back = pay(&app, &to, "succeed").await.headers()["location"]
        .to_str()
        .unwrap()
        .to_owned();
    let path = back.trim_start_matches(&app.origin()).to_owned();
    let html = app.page_html(&path, &s).await;
    assert!(
        html.contains("Payment received: 15.00 USD was added"),
        "{html}"
    );
}

#[tokio::test]
async fn the_emulator_speaks_stripe() {
    let app = app().await;
    let key = app
        .state
        .sandbox
        .as_ref()
        .and_then(|e| e.stripe.as_ref())
        .unwrap()
        .secret_key()
        .to_owned();
    let sessions = app.url("/sandbox/stripe/v1/checkout/sessions");
    let mut form = vec![
        ("mode", "payment"),
        ("line_items[0][quantity]", "2"),
        ("line_items[0][price_data][currency]", "usd"),
        ("line_items[0][price_data][unit_amount]", "750"),
        ("line_items[0][price_data][product_data][name]", "Thing"),
        (
            "success_url",
            "https://example.com/ok?session={CHECKOUT_SESSION_ID}",
        ),
        ("metadata[order]", "42"),
    ];
    // Without its key, or with another: 401, in Stripe's error shape.
    let r = app.client.post(&sessions).form(&form).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "invalid_request_error");
    let r = app
        .client
        .post(&sessions)
        .bearer_auth("sk_test_wrong")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);

    // Basic auth with the key as the user name, as Stripe's libraries may send it; the same
    // Idempotency-Key gives the same session.
    let create = || {
        app.client
            .post(&sessions)
            .basic_auth(&key, Some(""))
            .header("idempotency-key", "k1")
            .form(&form)
    };
    let session: Value = create().send().await.unwrap().json().await.unwrap();
    assert_eq!(session["object"], "checkout.session");
    assert_eq!(session["amount_total"], 1500);
    assert_eq!(session["status"], "open");
    assert_eq!(session["payment_status"], "unpaid");
    assert_eq!(session["metadata"]["order"], "42");
    let again: Value = create().send().await.unwrap().json().await.unwrap();
    assert_eq!(again["id"], session["id"]);
    let id = session["id"].as_str().unwrap();

    let got: Value = app
        .client
        .get(format!("{sessions}/{id}"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got, session);
    let r = app
        .client
        .get(format!("{sessions}/cs_test_none"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Expired through the API: its event goes out, and it cannot be expired twice or paid.
    let expire = format!("{sessions}/{id}/expire");
    let r = app
        .client
        .post(&expire)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["status"], "expired");
    let r = app
        .client
        .post(&expire)
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let page = app
        .client
        .get(session["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("expired"), "{page}");
    let events: Value = emulator_events(&app).await;
    assert_eq!(events["data"][0]["type"], "checkout.session.expired");

    // A missing or bad parameter is named.
    form.retain(|(k, _)| *k != "success_url");
    let r = app
        .client
        .post(&sessions)
        .bearer_auth(&key)
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["param"],
        "success_url"
    );
}

#[tokio::test]
async fn an_abandoned_checkout_expires_and_can_no_longer_be_paid() {
    let app = app().await;
    let s = app.signed_in().await;
    let t = started(&app, &s, "7").await;
    let (id, url) = (
        t["id"].as_i64().unwrap(),
        t["checkout_url"].as_str().unwrap().to_owned(),
    );
    app.advance(24 * 3600 + 1).await;
    // Its time is up: the top-up says so before any event, and the page sends one.
    assert_eq!(topup(&app, &s, id).await["status"], "expired");
    let page = text_of(&app, &url).await;
    assert!(page.contains("expired"), "{page}");
    let r = pay(&app, &url, "succeed").await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.balance(&s).await, Decimal::ZERO);
    let t = topup(&app, &s, id).await;
    assert_eq!(t["status"], "expired");
    assert!(t["checkout_url"].is_null());
}

/// Pays a top-up at the emulator's page; answers its id.
pub(crate) async fn paid(app: &TestApp, s: &Session, amount: &str) -> i64 {
    let t = started(app, s, amount).await;
    let r = pay(app, t["checkout_url"].as_str().unwrap(), "succeed").await;
    assert_eq!(r.status(), 303);
    t["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_paid_top_up_has_a_receipt_with_the_tax_it_includes() {
    let app = spawn_app_with(&[
        ("STRIPE_WEBHOOK_SECRET", SECRET.into()),
        ("TAX_RATE", "0.2".into()),
        ("BUSINESS_NAME", "Example Telecom Ltd".into()),
        ("BUSINESS_ADDRESS", "1 High Street; London; EC1A 1AA".into()),
        ("BUSINESS_TAX_ID", "GB123456789".into()),
    ])
    .await;
    let s = app.signed_in().await;
    let id = paid(&app, &s, "20").await;
    let r = app
        .get_json(&format!("/api/billing/topups/{id}/receipt"), &s)
        .await;
    assert_eq!(r["number"], format!("R-{id:06}"));
    assert_eq!(r["topup"]["amount"], "20.0000");
    // 20.00 including 20 %: 16.67 net, 3.33 tax (by hand: 20 / 1.2 = 16.666…).
    assert_eq!(r["tax_rate"], "0.2");
    assert_eq!(r["tax"], "3.3300");
    assert_eq!(r["net"], "16.6700");
    assert_eq!(r["issuer"]["name"], "Example Telecom Ltd");
    assert_eq!(
        r["issuer"]["address"],
        json!(["1 High Street", "London", "EC1A 1AA"])
    );
    assert_eq!(r["issuer"]["tax_id"], "GB123456789");
    assert!(r["payment_reference"].as_str().unwrap().starts_with("pi_"));
    // The printable page shows the same.
    let html = app
        .page_html(&format!("/billing/topups/{id}/receipt"), &s)
        .await;
    assert!(
        html.contains("Receipt R-") && html.contains("3.33 USD") && html.contains("GB123456789"),
        "{html}"
    );

    // No receipt for a top-up not paid, nor for someone else's.
    let unpaid = started(&app, &s, "5").await["id"].as_i64().unwrap();
    let r = app
        .as_browser(
            Method::GET,
            &format!("/api/billing/topups/{unpaid}/receipt"),
            &s,
        )
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;
    let other = app.signed_in().await;
    let r = app
        .as_browser(
            Method::GET,
            &format!("/api/billing/topups/{id}/receipt"),
            &other,
        )
        .send()
        .await
        .unwrap();
    error_body(r, 404).await;

    // The receipt keeps the terms it was paid under: a top-up paid when the rate was 10 % and
    // the business had another name still says so, whatever the settings are today.
    let kept: Option<String> =
        sqlx::query_scalar("select receipt_terms from topup where topup_id = $1")
            .bind(id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let kept: Value = serde_json::from_str(&kept.unwrap()).unwrap();
    assert_eq!(kept["tax_rate"], "0.2");
    assert_eq!(kept["issuer"]["name"], "Example Telecom Ltd");
    let older = json!({"tax_rate": "0.1", "issuer": {"name": "Old Name Ltd", "address": [], "tax_id": null}});
    sqlx::query("update topup set receipt_terms = $1 where topup_id = $2")
        .bind(older.to_string())
        .bind(id)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let r = app
        .get_json(&format!("/api/billing/topups/{id}/receipt"), &s)
        .await;
    // 20.00 including 10 %: 18.18 net, 1.82 tax (20 / 1.1 = 18.1818…).
    assert_eq!(
        (r["tax_rate"].as_str(), r["tax"].as_str()),
        (Some("0.1"), Some("1.8200"))
    );
    assert_eq!(r["issuer"]["name"], "Old Name Ltd");
}

#[tokio::test]
async fn a_months_statement_adds_up_and_the_ledger_exports_as_csv() {
    let app = spawn_app_with(&[
        ("STRIPE_WEBHOOK_SECRET", SECRET.into()),
        ("TAX_RATE", "0.2".into()),
    ])
    .await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let s = app.signed_in_as(&email).await;
    app.credit(s.user_id, "10").await;
    paid(&app, &s, "20").await;
    app.credit(s.user_id, "-5").await;
    let now = chrono::DateTime::from_timestamp_millis(app.state.clock.now_ms()).unwrap();
    let month = now.format("%Y-%m").to_string();

    // By hand: nothing before; 10 + 20 in, 5 out; 25 at the end; 3.33 tax in the 20 top-up.
    let st = app
        .get_json(&format!("/api/billing/statements/{month}"), &s)
        .await;
    assert_eq!(st["month"], month);
    assert_eq!(st["opening_balance"], "0.0000");
    assert_eq!(st["money_in"], "30.0000");
    assert_eq!(st["money_out"], "5.0000");
    assert_eq!(st["closing_balance"], "25.0000");
    assert_eq!(st["topups"], "20.0000");
    assert_eq!(st["tax_on_topups"], "3.3300");
    assert_eq!(st["truncated"], false);
    let kinds: Vec<&str> = st["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["credit", "topup", "adjustment"], "oldest first");
    let html = app
        .page_html(&format!("/billing/statements/{month}"), &s)
        .await;
    assert!(
        html.contains("Statement for ") && html.contains("25.00 USD"),
        "{html}"
    );

    // A later month opens where this one closed (signed in again: sessions last 30 days).
    app.advance(40 * 86_400).await;
    let s = app.signed_in_as(&email).await;
    let later = chrono::DateTime::from_timestamp_millis(app.state.clock.now_ms())
        .unwrap()
        .format("%Y-%m")
        .to_string();
    let st = app
        .get_json(&format!("/api/billing/statements/{later}"), &s)
        .await;
    assert_eq!(st["opening_balance"], "25.0000");
    assert_eq!(st["closing_balance"], "25.0000");
    assert_eq!(st["transactions"], json!([]));

    // Months that are not, or have not begun.
    for bad in ["2026-13", "december", "2999-01"] {
        let r = app
            .as_browser(Method::GET, &format!("/api/billing/statements/{bad}"), &s)
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], "month", "{bad}");
    }

    // The ledger as CSV: every row, oldest first, and only the range asked for.
    let r = app
        .as_browser(Method::GET, "/api/billing/transactions.csv", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("attachment"));
    let csv = r.text().await.unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "id,created_at,kind,amount,balance_after,reference,note"
    );
    assert_eq!(lines.len(), 4, "{csv}");
    assert!(lines[1].contains(",credit,10.0000,10.0000,"), "{csv}");
    assert!(
        lines[2].contains(",topup,20.0000,30.0000,topup:stripe:pi_"),
        "{csv}"
    );
    assert!(lines[3].contains(",adjustment,-5.0000,25.0000,"), "{csv}");
    let today = now.format("%Y-%m-%d").to_string();
    let r = app
        .as_browser(
            Method::GET,
            &format!("/api/billing/transactions.csv?from={later}-01"),
            &s,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.text().await.unwrap().lines().count(),
        1,
        "only the header"
    );
    let r = app
        .as_browser(
            Method::GET,
            &format!("/api/billing/transactions.csv?from={today}&to={today}"),
            &s,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap().lines().count(), 4);
    let r = app
        .as_browser(
            Method::GET,
            "/api/billing/transactions.csv?from=yesterday",
            &s,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "from");
}
