//! The provider router in sandbox mode with both emulators (5SIM and SMS-Activate), through
//! the app's API: each offer at the cheaper provider's price, bought from that provider,
//! failing over to the other with one charge; rentals and their native extension on
//! SMS-Activate.

use crate::helpers::*;
use namaskah::server::providers::{Category, Offer};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

const SA: &str = "sms-activate";

async fn both() -> TestApp {
    spawn_app_with(&[("SANDBOX_PROVIDERS", "5sim,sms-activate".into())]).await
}

/// Each provider's own activation prices in `country` (cheapest in stock), by service.
async fn prices_of(app: &TestApp, provider: &str, country: &str) -> HashMap<String, Offer> {
    app.state
        .router
        .get(provider)
        .unwrap()
        .offers(country, None)
        .await
        .unwrap()
        .into_iter()
        .filter(|o| o.category == Category::Activation && o.stock > 0)
        .map(|o| (o.product.clone(), o))
        .collect()
}

/// A service sold in GB by both, the cheaper provider first.
async fn service_both_sell(app: &TestApp, cheaper: &str) -> (String, Decimal, Decimal) {
    let other = if cheaper == SA { "5sim" } else { SA };
    let (mine, theirs) = (
        prices_of(app, cheaper, "GB").await,
        prices_of(app, other, "GB").await,
    );
    let mut candidates: Vec<(String, Decimal, Decimal)> = mine
        .iter()
        .filter_map(|(service, o)| {
            let t = theirs.get(service)?;
            // Cheaper here, and the other within what the customer pays (1.5 × the cheaper).
            (o.price < t.price && t.price <= o.price * Decimal::new(15, 1))
                .then(|| (service.clone(), o.price, t.price))
        })
        .collect();
    candidates.sort();
    candidates
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("no service in GB that {cheaper} sells cheaper"))
}

/// Rents a telegram number in `country` for `hours`, expecting `provider` to sell it; returns
/// the rental and its id.
async fn rent_from(
    app: &TestApp,
    s: &Session,
    country: &str,
    hours: u32,
    provider: &str,
) -> (Value, i64) {
    let r = app
        .as_browser(Method::POST, "/api/rentals/create", s)
        .json(&json!({"service": "telegram", "country": country, "duration_hours": hours}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let rental: Value = r.json().await.unwrap();
    assert_eq!(rental["provider"], provider, "{rental}");
    let id = rental["id"].as_i64().unwrap();
    (rental, id)
}

async fn services(app: &TestApp, country: &str) -> Value {
    app.client
        .get(app.url(&format!("/api/catalog/services?country={country}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn buy(app: &TestApp, s: &Session, service: &str) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/verifications", s)
        .json(&json!({"service": service, "country": "GB"}))
        .send()
        .await
        .unwrap()
}

async fn control(app: &TestApp, provider: &str, path: &str, body: Value) -> reqwest::Response {
    let base = if provider == SA {
        "/sandbox/sms-activate/control"
    } else {
        "/sandbox/5sim/control"
    };
    app.client
        .post(app.url(&format!("{base}{path}")))
        .json(&body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_verification_is_bought_from_the_cheaper_provider_and_fails_over_with_one_charge() {
    let app = both().await;
    for cheaper in [SA, "5sim"] {
        let other = if cheaper == SA { "5sim" } else { SA };
        let (service, low, _high) = service_both_sell(&app, cheaper).await;
        // The catalogue quotes the cheaper price, marked up.
        let list = services(&app, "GB").await;
        let quoted = list["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["service"] == service.as_str())
            .map(|s| Decimal::from_str(s["price"].as_str().unwrap()).unwrap())
            .unwrap();
        assert_eq!(quoted, (low * Decimal::new(15, 1)).round_dp(4), "{service}");

        let s = app.funded("50").await;
        let r = buy(&app, &s, &service).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["provider"], cheaper, "{service}: {v}");
        assert_eq!(dec(&v["cost"]), quoted);
        // What the provider charged is kept, for the margin per provider.
        let provider_cost: Option<i64> =
            sqlx::query_scalar("select provider_cost from verification where verification_id = $1")
                .bind(v["id"].as_i64().unwrap())
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        assert_eq!(
            provider_cost.map(|units| Decimal::new(units, 4)),
            Some(low),
            "{service}"
        );

        // The cheaper one runs out: the same quote is bought from the other, charged once.
        let empty = if cheaper == SA {
            json!({"country": "GB", "product": service, "qty": 0})
        } else {
            json!({"country": "england", "product": service, "qty": 0})
        };
        assert_eq!(control(&app, cheaper, "/stock", empty).await.status(), 204);
        let before = app.balance(&s).await;
        let r = buy(&app, &s, &service).await;
        assert_eq!(r.status(), 201);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["provider"], other, "{service}: {v}");
        assert_eq!(app.balance(&s).await, before - quoted);
        app.assert_ledger_invariant(s.user_id).await;
    }
}

#[tokio::test]
async fn a_quoted_price_is_what_is_charged_when_the_providers_price_moves() {
    let app = both().await;
    let (service, low, high) = service_both_sell(&app, SA).await;
    // The customer is quoted SMS-Activate's price, marked up.
    let quoted = services(&app, "GB").await["services"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["service"] == service.as_str())
        .map(|s| dec(&s["price"]))
        .unwrap();
    assert_eq!(quoted, (low * Decimal::new(15, 1)).round_dp(4));
    let s = app.funded("50").await;
    let price = |provider: &str, price: Decimal| {
        let country = if provider == SA { "GB" } else { "england" };
        json!({"country": country, "product": service, "price": price})
    };

    // SMS-Activate's price rises past the quote: it is not paid more than it quoted, and the
    // customer gets the quote from 5SIM, charged once.
    let r = control(&app, SA, "/price", price(SA, low * Decimal::TWO)).await;
    assert_eq!(r.status(), 204);
    let before = app.balance(&s).await;
    let r = buy(&app, &s, &service).await;
    assert_eq!(r.status(), 201);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["provider"], "5sim", "{v}");
    assert_eq!(dec(&v["cost"]), quoted);
    assert_eq!(app.balance(&s).await, before - quoted);

    // 5SIM's price falls: the customer still pays the quote they were given.
    let r = control(&app, "5sim", "/price", price("5sim", low / Decimal::TWO)).await;
    assert_eq!(r.status(), 204);
    let r = buy(&app, &s, &service).await;
    assert_eq!(r.status(), 201);
    assert_eq!(dec(&r.json::<Value>().await.unwrap()["cost"]), quoted);

    // Both rise past it: refused, nothing charged, and each provider was held to its quote.
    let r = control(&app, "5sim", "/price", price("5sim", high * Decimal::TWO)).await;
    assert_eq!(r.status(), 204);
    let before = app.balance(&s).await;
    let r = buy(&app, &s, &service).await;
    assert_eq!(r.status(), 409);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "no_numbers", "{body}");
    assert_eq!(app.balance(&s).await, before);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_rental_only_sms_activate_sells_is_rented_there_extended_natively_and_released() {
    let app = both().await;
    let s = app.funded("100").await;
    // 5SIM rents 3 hours, 1 day…; 4 hours is SMS-Activate's shortest.
    let list = services(&app, "GB").await;
    let lengths: Vec<u64> = list["rentals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hours"].as_u64().unwrap())
        .collect();
    assert!(lengths.contains(&3) && lengths.contains(&4), "{lengths:?}");
    let (rental, id) = rent_from(&app, &s, "GB", 4, SA).await;

    // An SMS to it is polled and shown.
    let r = control(
        &app,
        SA,
        "/sms",
        json!({"phone": rental["phone_number"], "sender": "Bank", "text": "Your code is 918273"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    namaskah::server::jobs::rentals::poll_once(&app.state)
        .await
        .unwrap();
    let messages = app
        .get_json(&format!("/api/rentals/{id}/messages"), &s)
        .await;
    assert_eq!(messages["messages"][0]["code"], "918273", "{messages}");

    // Extended through the provider's own call: charged once, upstream extended.
    let upstream_before = app
        .state
        .router
        .get(SA)
        .unwrap()
        .balance()
        .await
        .unwrap()
        .balance;
    let extend = |hours: u32| {
        app.as_browser(Method::POST, &format!("/api/rentals/{id}/extend"), &s)
            .json(&json!({ "hours": hours }))
            .send()
    };
    // Two hours more would cost the provider its shortest rent, four hours, for more than
    // the customer would pay: refused, nothing charged, the provider not asked.
    let before = app.balance(&s).await;
    let e = error_body(extend(2).await.unwrap(), 409).await;
    assert_eq!(e["field"], "hours", "{e}");
    assert_eq!(app.balance(&s).await, before);
    let upstream_now = |app: &TestApp| {
        let router = app.state.router.clone();
        async move { router.get(SA).unwrap().balance().await.unwrap().balance }
    };
    assert_eq!(upstream_now(&app).await, upstream_before);

    let r = extend(4).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let extended: Value = r.json().await.unwrap();
    assert!(app.balance(&s).await < before);
    assert!(
        upstream_now(&app).await < upstream_before,
        "the provider extended it"
    );
    assert_ne!(extended["rental"]["expires_at"], rental["expires_at"]);

    // The provider refuses the next extension (its account is empty): nothing is charged,
    // the hold is given back in the same request, the rental keeps its end.
    let r = control(&app, SA, "/balance", json!({"balance": "0"})).await;
    assert_eq!(r.status(), 200);
    let before = app.balance(&s).await;
    let r = extend(4).await.unwrap();
    assert!(
        r.status().is_server_error() || r.status().is_client_error(),
        "{}",
        r.status()
    );
    assert_eq!(app.balance(&s).await, before);
    let now = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(now["expires_at"], extended["rental"]["expires_at"]);

    // Released: refunded here, cancelled upstream (within its first 20 minutes).
    let r = app
        .as_browser(Method::POST, &format!("/api/rentals/{id}/release"), &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let rents: Value = serde_json::from_str(
        &app.state
            .router
            .get(SA)
            .unwrap()
            .orders(Category::Rental, 10, 0)
            .await
            .map(|p| json!({"open": p.total}).to_string())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(rents["open"], 0, "nothing left open upstream");
    app.assert_ledger_invariant(s.user_id).await;
}

/// How many requests the SMS-Activate emulator saw for `action`.
async fn sa_requests(app: &TestApp, action: &str) -> usize {
    let log: Value = app
        .client
        .get(app.url("/sandbox/sms-activate/control/requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    log["requests"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| {
            r["query"]
                .as_str()
                .unwrap()
                .contains(&format!("action={action}"))
        })
        .count()
}

async fn providers_view(app: &TestApp, admin: &Session) -> HashMap<String, Value> {
    let list = app.get_json("/api/admin/providers", admin).await;
    list["providers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_owned(), p.clone()))
        .collect()
}

#[tokio::test]
async fn a_failing_provider_is_skipped_once_its_breaker_opens_and_probed_after_the_cooldown() {
    let app = spawn_app_with(&[
        ("SANDBOX_PROVIDERS", "5sim,sms-activate".into()),
        ("PROVIDER_BREAKER_COOLDOWN_SECS", "1".into()),
    ])
    .await;
    let admin = app.signed_in_admin().await;
    let (service, _, _) = service_both_sell(&app, SA).await;
    let s = app.funded("100").await;
    // Every purchase from SMS-Activate fails; each one fails over to 5SIM.
    let r = control(
        &app,
        SA,
        "/faults",
        json!({"kind": "status", "status": 500, "action": "getNumberV2", "count": 100}),
    )
    .await;
    assert_eq!(r.status(), 201);
    for _ in 0..namaskah::server::providers::health::FAULTS_TO_OPEN {
        let r = buy(&app, &s, &service).await;
        assert_eq!(r.status(), 201);
        assert_eq!(r.json::<Value>().await.unwrap()["provider"], "5sim");
    }
    let asked = sa_requests(&app, "getNumberV2").await;
    assert_eq!(asked, 5);
    let view = providers_view(&app, &admin).await;
    assert_eq!(view[SA]["health"]["breaker"], "open", "{:?}", view[SA]);
    assert_eq!(view[SA]["health"]["consecutive_faults"], 5);
    assert_eq!(view["5sim"]["health"]["breaker"], "closed");
    assert_eq!(view["5sim"]["verifications_open"], 5);
    // Open: the next purchase does not ask it at all.
    let r = buy(&app, &s, &service).await;
    assert_eq!(r.json::<Value>().await.unwrap()["provider"], "5sim");
    assert_eq!(sa_requests(&app, "getNumberV2").await, asked);
    // After the cooldown one purchase probes it; it answers again, so it closes.
    let r = app
        .client
        .delete(app.url("/sandbox/sms-activate/control/faults"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let r = buy(&app, &s, &service).await;
    assert_eq!(r.json::<Value>().await.unwrap()["provider"], SA);
    let view = providers_view(&app, &admin).await;
    assert_eq!(view[SA]["health"]["breaker"], "closed");
    assert_eq!(view[SA]["verifications_open"], 1);
    assert!(view[SA]["balance"].as_str().is_some(), "{:?}", view[SA]);
    assert_eq!(view[SA]["native_extension"], true);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn only_operators_see_the_providers() {
    let app = both().await;
    let s = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, "/api/admin/providers", &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let admin = app.signed_in_admin().await;
    let view = providers_view(&app, &admin).await;
    let mut names: Vec<&String> = view.keys().collect();
    names.sort();
    assert_eq!(names, ["5sim", "sms-activate"]);
    assert_eq!(view["5sim"]["native_extension"], false);
    assert_eq!(view["5sim"]["balance_low"], false);
}

#[tokio::test]
async fn operators_are_told_once_when_a_providers_balance_runs_low() {
    let app = both().await;
    let admin = app.signed_in_admin().await;
    let customer = app.signed_in().await;
    let r = control(&app, SA, "/balance", json!({"balance": "4.5"})).await;
    assert_eq!(r.status(), 200);
    let check = || namaskah::server::services::provider_alerts::check(&app.state);
    assert_eq!(check().await.unwrap(), 1, "only the low one");
    let kind = namaskah::server::services::provider_alerts::kind(SA);
    let told = |user_id: i64| {
        let kind = kind.clone();
        let pool = app.state.db.pool.clone();
        async move {
            namaskah::server::storage::notifications::messages_of_kind(&pool, user_id, &kind)
                .await
                .unwrap()
        }
    };
    let messages = told(admin.user_id).await;
    assert_eq!(messages.len(), 1);
    assert!(messages[0].contains("4.5 USD"), "{}", messages[0]);
    assert!(
        told(customer.user_id).await.is_empty(),
        "customers are not told"
    );
    // Still low a minute later: not told again the same day.
    assert_eq!(check().await.unwrap(), 0);
    assert_eq!(told(admin.user_id).await.len(), 1);
    let view = providers_view(&app, &admin).await;
    assert_eq!(view[SA]["balance_low"], true);
}

#[tokio::test]
async fn a_rented_numbers_sms_pushed_by_the_provider_is_stored_once_and_forgeries_change_nothing() {
    let app = both().await;
    let s = app.funded("100").await;
    let (rental, id) = rent_from(&app, &s, "GB", 4, SA).await;
    let path = format!("/api/rentals/{id}/messages");
    let messages = async || {
        app.get_json(&path, &s).await["messages"]
            .as_array()
            .unwrap()
            .len()
    };
    // Pushed by the emulator to the URL given at purchase: no poll is run here.
    let r = control(
        &app,
        SA,
        "/sms",
        json!({"phone": rental["phone_number"], "sender": "Bank", "text": "Pushed code 556677"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while messages().await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the push never arrived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The poll finds the same SMS: still one.
    namaskah::server::jobs::rentals::poll_once(&app.state)
        .await
        .unwrap();
    assert_eq!(messages().await, 1);

    // The same push again (a provider's retry) is no new message.
    let settings = &app.state.settings;
    let url = namaskah::server::services::provider_webhooks::sms_activate_url(
        settings.provider_webhook_base_url.as_deref().unwrap(),
        settings.provider_webhook_secret.as_ref().unwrap(),
        SA,
    );
    let rent_id: String = sqlx::query_scalar("select provider_order_id from rentals where id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let upstream = app
        .state
        .router
        .get(SA)
        .unwrap()
        .rental_messages(&rent_id)
        .await
        .unwrap();
    let date = upstream[0]
        .received_at
        .format("%Y-%m-%d %H:%M:%S")
        .to_string();
    let push = |rent: &str, text: &str| json!({"rentId": rent, "sms": {"phoneFrom": "Bank", "text": text, "date": date}});
    let post = |url: String, body: Value| {
        let client = app.client.clone();
        async move { client.post(url).json(&body).send().await.unwrap() }
    };
    let r = post(url.clone(), push(&rent_id, "Pushed code 556677")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["stored"], false);
    // A push with another token, or for a rent that is not ours, changes nothing.
    let forged = format!("{}{}", &url[..url.len() - 4], "0000");
    let r = post(forged, push(&rent_id, "Forged code 111111")).await;
    assert_eq!(r.status(), 401);
    let other = url.replace("/sms-activate/sms-activate/", "/sms-activate/5sim/");
    let r = post(other, push(&rent_id, "Forged code 222222")).await;
    assert_eq!(r.status(), 401, "a token is good for its provider only");
    let r = post(url.clone(), push("999999", "Unknown rent")).await;
    assert_eq!(r.status(), 404);
    assert_eq!(messages().await, 1);
    // A new SMS pushed by hand with the right token is stored.
    let r = post(url, push(&rent_id, "Second code 889900")).await;
    assert_eq!(r.json::<Value>().await.unwrap()["stored"], true);
    assert_eq!(messages().await, 2);
}

/// The app with the TextVerified emulator alone (US numbers).
async fn textverified_only() -> TestApp {
    spawn_app_with(&[("SANDBOX_PROVIDERS", "textverified".into())]).await
}

/// The app's TextVerified emulator, to look at the provider's side.
fn textverified_emulator(app: &TestApp) -> namaskah::sandbox::textverified::TextVerifiedEmulator {
    app.state
        .sandbox
        .as_ref()
        .and_then(|e| e.textverified.clone())
        .expect("the TextVerified emulator runs")
}

#[tokio::test]
async fn a_textverified_code_pushed_signed_is_stored_once_and_forged_pushes_change_nothing() {
    let app = textverified_only().await;
    let s = app.funded("50").await;
    let r = app
        .as_browser(Method::POST, "/api/verifications", &s)
        .json(&json!({"service": "telegram", "country": "US"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["provider"], "textverified");
    let path = format!("/api/verifications/{}", v["id"]);
    // The emulator pushes the SMS, signed, to the app: no poll is run here.
    let r = app
        .client
        .post(app.url("/sandbox/textverified/control/sms"))
        .json(&json!({"phone": v["phone_number"], "sender": "Telegram", "text": "Telegram code 60606"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let now = app.get_json(&path, &s).await;
        if now["code"] == "60606" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the push never arrived: {now}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The poll reads the same SMS: still one message.
    namaskah::server::jobs::verifications::poll_once(&app.state)
        .await
        .unwrap();
    let count: i64 =
        sqlx::query_scalar("select count(*) from verification_message where verification_id = $1")
            .bind(v["id"].as_i64().unwrap())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(count, 1);

    // A push replayed as sent is no new message; with another signature, or unsigned, it is
    // refused and nothing changes.
    let order: String =
        sqlx::query_scalar("select provider_order_id from verification where verification_id = $1")
            .bind(v["id"].as_i64().unwrap())
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    let upstream = app
        .state
        .router
        .get("textverified")
        .unwrap()
        .check(&order)
        .await
        .unwrap();
    let at = upstream.sms[0]
        .received_at
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let body = |text: &str| {
        json!({"id": "evt_1", "event": "v2.sms.received", "occurredAt": at, "attempt": 1,
            "idempotencyKey": "k", "data": {"from": "Telegram", "to": "", "createdAt": at,
            "smsContent": text, "parsedCode": null, "encrypted": false, "reservationId": order}})
        .to_string()
    };
    let secret = app
        .state
        .settings
        .textverified_webhook_secret
        .as_ref()
        .unwrap();
    let post = |body: String, signature: Option<String>| {
        let mut req = app
            .client
            .post(app.url("/api/webhooks/textverified"))
            .header("content-type", "application/json")
            .body(body);
        if let Some(sig) = signature {
            req = req.header("X-Webhook-Signature", sig);
        }
        req.send()
    };
    let sign = |b: &str| namaskah::sandbox::textverified::signature(secret.expose(), b.as_bytes());
    let same = body("Telegram code 60606");
    let r = post(same.clone(), Some(sign(&same))).await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["stored"], false);
    let forged = body("Telegram code 99999");
    let r = post(forged.clone(), Some(sign(&same))).await.unwrap();
    assert_eq!(r.status(), 401, "a body with another body's signature");
    let r = post(forged.clone(), None).await.unwrap();
    assert_eq!(r.status(), 401, "unsigned");
    let r = post(
        forged.clone(),
        Some(namaskah::sandbox::textverified::signature(
            "whsec_other",
            forged.as_bytes(),
        )),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 401, "signed with another secret");
    assert_eq!(app.get_json(&path, &s).await["code"], "60606");
    // An unknown reservation, correctly signed: 404, nothing stored.
    let unknown = body("x").replace(&order, "ver_nobody");
    let r = post(unknown.clone(), Some(sign(&unknown))).await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_textverified_rental_is_extended_natively_and_released_with_its_refund() {
    let app = textverified_only().await;
    let s = app.funded("100").await;
    let (_, id) = rent_from(&app, &s, "US", 24, "textverified").await;
    let upstream = |app: &TestApp| {
        let router = app.state.router.clone();
        async move {
            router
                .get("textverified")
                .unwrap()
                .balance()
                .await
                .unwrap()
                .balance
        }
    };
    let (before, upstream_before) = (app.balance(&s).await, upstream(&app).await);
    let r = app
        .as_browser(Method::POST, &format!("/api/rentals/{id}/extend"), &s)
        .json(&json!({"hours": 24}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let extended: Value = r.json().await.unwrap();
    assert_eq!(app.balance(&s).await, before - dec(&extended["charged"]));
    assert!(upstream(&app).await < upstream_before, "extended upstream");
    let r = app
        .as_browser(Method::POST, &format!("/api/rentals/{id}/release"), &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let released: Value = r.json().await.unwrap();
    assert!(dec(&released["refund"]) > Decimal::ZERO);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn two_extensions_of_one_rental_at_once_pay_the_provider_once() {
    let app = both().await;
    let s = app.funded("100").await;
    let (_, id) = rent_from(&app, &s, "GB", 4, SA).await;
    // The provider takes its time over the extension, so the second request comes while the
    // first is with it.
    let r = control(
        &app,
        SA,
        "/faults",
        json!({"kind": "latency", "latency_ms": 700, "action": "continueRentNumber", "count": 2}),
    )
    .await;
    assert_eq!(r.status(), 201);
    let before = app.balance(&s).await;
    let extend = |key: &'static str| {
        app.as_browser(Method::POST, &format!("/api/rentals/{id}/extend"), &s)
            .header("Idempotency-Key", key)
            .json(&json!({"hours": 4}))
            .send()
    };
    let (first, second) = tokio::join!(extend("a"), async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        extend("b").await
    });
    let mut statuses = [
        first.unwrap().status().as_u16(),
        second.unwrap().status().as_u16(),
    ];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    assert_eq!(
        sa_requests(&app, "continueRentNumber").await,
        1,
        "asked once"
    );
    let rental = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    let charged = before - app.balance(&s).await;
    assert!(charged > Decimal::ZERO);
    assert_eq!(rental["duration_hours"], 8, "extended once: {rental}");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_textverified_rental_with_auto_renew_is_a_renewable_line_our_auto_renewal_renews() {
    let app = textverified_only().await;
    let tv = textverified_emulator(&app);
    let s = app.funded("100").await;
    let r = app
        .as_browser(Method::POST, "/api/rentals/create", &s)
        .json(&json!({"service": "telegram", "country": "US", "duration_hours": 24, "auto_renew": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let rental: Value = r.json().await.unwrap();
    assert_eq!(rental["provider"], "textverified");
    let id = rental["id"].as_i64().unwrap();
    let line: String = sqlx::query_scalar("select provider_order_id from rentals where id = $1")
        .bind(id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let cycle = {
        let upstream = tv.lock();
        let l = &upstream.rentals[&line];
        assert_eq!(l.wire_state(), "renewableActive");
        // Out of the provider's own renewal: only ours renews it, once the customer paid.
        assert!(!l.included);
        l.billing_cycle.clone().unwrap()
    };

    // Five minutes before the end: renewed by its billing cycle, the customer charged once.
    let (before, upstream_before) = (app.balance(&s).await, tv.lock().balance);
    app.advance(24 * 3600 - 300).await;
    let now = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(now["duration_hours"], 48, "{now}");
    assert_eq!(now["status"], "active");
    let charged = before - app.balance(&s).await;
    assert!(charged > Decimal::ZERO);
    let renewal = namaskah::sandbox::textverified::rental_price("oneDay", true).unwrap();
    {
        let upstream = tv.lock();
        assert_eq!(upstream.billing_cycles[&cycle].renewals, 1);
        assert_eq!(upstream.balance, upstream_before - renewal);
        assert_eq!(upstream.rentals[&line].wire_state(), "renewableActive");
    }

    // Auto-renew off: at its end it runs out, here and upstream, with no renewal meanwhile.
    let r = app
        .as_browser(Method::PATCH, &format!("/api/rentals/{id}"), &s)
        .json(&json!({"auto_renew": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    app.advance(24 * 3600 + 300 + 60).await;
    let now = app.get_json(&format!("/api/rentals/{id}"), &s).await;
    assert_eq!(now["status"], "expired", "{now}");
    {
        let upstream = tv.lock();
        assert_eq!(upstream.billing_cycles[&cycle].renewals, 1);
        assert_eq!(upstream.rentals[&line].wire_state(), "renewableExpired");
        assert_eq!(upstream.balance, upstream_before - renewal);
    }
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn verify_again_on_textverified_reuses_the_number_then_reactivates_it() {
    let app = textverified_only().await;
    let s = app.funded("50").await;
    let buy = app
        .as_browser(Method::POST, "/api/verifications", &s)
        .json(&json!({"service": "telegram", "country": "US"}))
        .send()
        .await
        .unwrap();
    assert_eq!(buy.status(), 201);
    let mut v: Value = buy.json().await.unwrap();
    for (i, wait) in [(0, 0), (1, 31)] {
        let code = format!("70707{i}");
        let r = app
            .client
            .post(app.url("/sandbox/textverified/control/sms"))
            .json(&json!({"phone": v["phone_number"], "sender": "Telegram", "text": format!("Telegram code {code}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let path = format!("/api/verifications/{}", v["id"]);
        // Polled here, or by the app's own poller if it holds the order's lease just now.
        let mut seen = Value::Null;
        for _ in 0..50 {
            namaskah::server::jobs::verifications::poll_once(&app.state)
                .await
                .unwrap();
            seen = app.get_json(&path, &s).await["code"].clone();
            if seen == code.as_str() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert_eq!(seen, code.as_str());
        // The first time within TextVerified's reuse window; the second past it.
        app.advance(wait).await;
        let before = app.balance(&s).await;
        let r = app
            .as_browser(Method::POST, &format!("{path}/reuse"), &s)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
        let again: Value = r.json().await.unwrap();
        assert_eq!(again["phone_number"], v["phone_number"]);
        assert_eq!(again["provider"], "textverified");
        assert_eq!(again["reused_from"], v["id"]);
        assert_eq!(again["status"], "waiting");
        assert_eq!(app.balance(&s).await, before - dec(&again["cost"]));
        v = again;
    }
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_native_extension_is_never_sold_below_what_the_provider_asks_for_it() {
    let app = textverified_only().await;
    let tv = textverified_emulator(&app);
    let s = app.funded("100").await;
    let (rental, id) = rent_from(&app, &s, "US", 24, "textverified").await;
    // TextVerified extends by whole days: one hour more would cost it a day.
    let (before, upstream_before) = (app.balance(&s).await, tv.lock().balance);
    let extend = |hours: u32| {
        app.as_browser(Method::POST, &format!("/api/rentals/{id}/extend"), &s)
            .json(&json!({ "hours": hours }))
            .send()
    };
    let e = error_body(extend(1).await.unwrap(), 409).await;
    assert_eq!(e["field"], "hours", "{e}");
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nothing was charged"),
        "{e}"
    );
    assert_eq!(app.balance(&s).await, before);
    assert_eq!(
        tv.lock().balance,
        upstream_before,
        "the provider was not asked"
    );

    // A day more costs the customer what the rental's own day did, above the provider's price,
    // and exactly what the rental said it would.
    let per_hour = dec(&rental["extension_per_hour"]);
    let r = extend(24).await.unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let charged = dec(&r.json::<Value>().await.unwrap()["charged"]);
    assert_eq!(
        charged,
        namaskah::domain::rental::extension_quote(24, per_hour).decimal()
    );
    let paid_upstream = upstream_before - tv.lock().balance;
    assert!(charged >= paid_upstream, "{charged} < {paid_upstream}");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn an_expired_textverified_number_is_rented_again_once() {
    let app = textverified_only().await;
    let s = app.funded("100").await;
    let (rental, id) = rent_from(&app, &s, "US", 24, "textverified").await;
    let again = |id: i64| {
        app.as_browser(Method::POST, &format!("/api/rentals/{id}/reactivate"), &s)
            .send()
    };
    // Still running: nothing to rent again.
    let before = app.balance(&s).await;
    let e = error_body(again(id).await.unwrap(), 409).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nothing was charged"),
        "{e}"
    );
    assert_eq!(app.balance(&s).await, before);

    app.advance(24 * 3600 + 60).await;
    assert_eq!(
        app.get_json(&format!("/api/rentals/{id}"), &s).await["status"],
        "expired"
    );
    let r = again(id).await.unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    let renewed: Value = r.json().await.unwrap();
    assert_ne!(renewed["id"], rental["id"]);
    assert_eq!(renewed["phone_number"], rental["phone_number"]);
    assert_eq!(renewed["provider"], "textverified");
    assert_eq!(renewed["status"], "active");
    assert_eq!(renewed["duration_hours"], 24);
    // At TextVerified's price for the day, marked up as any purchase.
    let day = namaskah::sandbox::textverified::rental_price("oneDay", false).unwrap();
    assert_eq!(dec(&renewed["cost"]), day * Decimal::new(15, 1));
    assert_eq!(app.balance(&s).await, before - dec(&renewed["cost"]));

    // Once: the number is in the new rental now.
    let before = app.balance(&s).await;
    let e = error_body(again(id).await.unwrap(), 409).await;
    assert!(e["message"].as_str().unwrap().contains("no longer"), "{e}");
    assert_eq!(app.balance(&s).await, before);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_provider_that_cannot_reactivate_refuses_with_nothing_charged() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let rental = app.rent(&s, 3).await;
    let id = rental["id"].as_i64().unwrap();
    app.advance(3 * 3600 + 60).await;
    let before = app.balance(&s).await;
    let r = app
        .as_browser(Method::POST, &format!("/api/rentals/{id}/reactivate"), &s)
        .send()
        .await
        .unwrap();
    let e = error_body(r, 409).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("cannot rent a number again"),
        "{e}"
    );
    assert_eq!(app.balance(&s).await, before);
}
