//! `/stubs/handler_api.php`: the SMS-Activate protocol answered by us, for resellers' bots.
//! The activation and rent flows over raw HTTP, with the money checked against the ledger; the
//! refusals in the protocol's words; and our own SMS-Activate client (a bot written for the
//! protocol) working against us with only its base URL changed.

use crate::helpers::{dec, spawn_app, Session, TestApp};
use namaskah::server::config::SecretString;
use namaskah::server::jobs;
use namaskah::server::providers::sms_activate::{SmsActivateClient, SmsActivateSettings};
use namaskah::server::providers::{BuyActivation, BuyRental, Category, SmsProvider};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::time::Duration;

const PATH: &str = "/stubs/handler_api.php";

/// A funded customer and their API key.
async fn reseller(app: &TestApp, funds: &str) -> (Session, String) {
    let s = app.funded(funds).await;
    let key = app.api_key(&s, "bot").await;
    (s, key)
}

/// A GET of the protocol: the status and the body as text.
async fn ask(app: &TestApp, key: &str, params: &[(&str, &str)]) -> String {
    let mut query = vec![("api_key", key)];
    query.extend_from_slice(params);
    let r = app
        .client
        .get(app.url(PATH))
        .query(&query)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the protocol answers 200, errors included");
    r.text().await.unwrap()
}

async fn ask_json(app: &TestApp, key: &str, params: &[(&str, &str)]) -> Value {
    let body = ask(app, key, params).await;
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("JSON expected, got {body}"))
}

/// An SMS to `phone` (digits, as the protocol writes it) at the embedded 5SIM emulator, and
/// the pollers run.
async fn sms(app: &TestApp, phone: &str, text: &str) {
    let r = app
        .control(
            Method::POST,
            "/sms",
            Some(json!({"phone": format!("+{phone}"), "sender": "Telegram", "text": text})),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.state.clock.advance_ms(6_000);
    jobs::run_due(&app.state).await;
}

async fn refunds(app: &TestApp, reference: &str) -> i64 {
    sqlx::query_scalar("select count(*) from ledger_entry where reference = $1")
        .bind(reference)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn an_activation_is_bought_coded_retried_and_completed_with_the_money_in_the_ledger() {
    let app = spawn_app().await;
    let (s, key) = reseller(&app, "10").await;
    assert_eq!(
        ask(&app, &key, &[("action", "getBalance")]).await,
        "ACCESS_BALANCE:10.00"
    );

    let prices = ask_json(
        &app,
        &key,
        &[
            ("action", "getPrices"),
            ("service", "tg"),
            ("country", "16"),
        ],
    )
    .await;
    let quoted = dec(&json!(prices["16"]["tg"]["cost"].to_string()));
    assert!(
        prices["16"]["tg"]["count"].as_u64().unwrap() > 0,
        "{prices}"
    );

    let bought = ask(
        &app,
        &key,
        &[
            ("action", "getNumber"),
            ("service", "tg"),
            ("country", "16"),
        ],
    )
    .await;
    let parts: Vec<&str> = bought.split(':').collect();
    assert_eq!(parts.len(), 3, "{bought}");
    assert_eq!(parts[0], "ACCESS_NUMBER");
    let (id, phone) = (parts[1], parts[2]);
    assert!(phone.chars().all(|c| c.is_ascii_digit()), "{phone}");
    // The same verification as in the REST API, charged the quoted price.
    let v = app.get_json(&format!("/api/verifications/{id}"), &s).await;
    assert_eq!(v["service_name"], "telegram");
    assert_eq!(dec(&v["cost"]), quoted);
    assert_eq!(app.balance(&s).await, Decimal::from(10) - quoted);

    let status = [("action", "getStatus"), ("id", id)];
    assert_eq!(ask(&app, &key, &status).await, "STATUS_WAIT_CODE");
    sms(&app, phone, "Your Telegram code is 51234").await;
    assert_eq!(ask(&app, &key, &status).await, "STATUS_OK:51234");
    assert_eq!(
        ask(&app, &key, &[("action", "getFullSms"), ("id", id)]).await,
        "FULL_SMS:Your Telegram code is 51234"
    );
    assert_eq!(
        ask(
            &app,
            &key,
            &[("action", "setStatus"), ("id", id), ("status", "1")]
        )
        .await,
        "ACCESS_READY"
    );

    // Another code: the old one is shown as old until a new one comes.
    assert_eq!(
        ask(
            &app,
            &key,
            &[("action", "setStatus"), ("id", id), ("status", "3")]
        )
        .await,
        "ACCESS_RETRY_GET"
    );
    assert_eq!(ask(&app, &key, &status).await, "STATUS_WAIT_RETRY:51234");
    sms(&app, phone, "Your Telegram code is 60606").await;
    assert_eq!(ask(&app, &key, &status).await, "STATUS_OK:60606");

    // No cancel once a code came: nothing refunded.
    assert_eq!(
        ask(
            &app,
            &key,
            &[("action", "setStatus"), ("id", id), ("status", "8")]
        )
        .await,
        "BAD_STATUS"
    );
    // Another code asked for, then completed anyway: the last code stands, not "wait".
    let retry = [("action", "setStatus"), ("id", id), ("status", "3")];
    assert_eq!(ask(&app, &key, &retry).await, "ACCESS_RETRY_GET");
    let complete = [("action", "setStatus"), ("id", id), ("status", "6")];
    assert_eq!(ask(&app, &key, &complete).await, "ACCESS_ACTIVATION");
    assert_eq!(
        ask(&app, &key, &complete).await,
        "ACCESS_ACTIVATION",
        "asked again"
    );
    assert_eq!(ask(&app, &key, &status).await, "STATUS_OK:60606");
    assert_eq!(
        app.get_json(&format!("/api/verifications/{id}"), &s).await["status"],
        "finished"
    );
    assert_eq!(refunds(&app, &format!("refund:verification:{id}")).await, 0);
    assert_eq!(app.balance(&s).await, Decimal::from(10) - quoted);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_cancelled_activation_is_refunded_once() {
    let app = spawn_app().await;
    let (s, key) = reseller(&app, "10").await;
    let v = ask_json(
        &app,
        &key,
        &[
            ("action", "getNumberV2"),
            ("service", "wa"),
            ("country", "16"),
        ],
    )
    .await;
    let id = v["activationId"].as_str().unwrap().to_owned();
    for field in [
        "phoneNumber",
        "activationCost",
        "countryCode",
        "activationTime",
        "activationEndTime",
    ] {
        assert!(v.get(field).is_some(), "{field} missing: {v}");
    }
    assert_eq!(v["countryCode"], "16");
    assert!(app.balance(&s).await < Decimal::from(10));

    let active = ask_json(&app, &key, &[("action", "getActiveActivations")]).await;
    assert_eq!(active["activeActivations"][0]["activationId"], id.as_str());
    assert_eq!(active["activeActivations"][0]["serviceCode"], "wa");

    let cancel = [
        ("action", "setStatus"),
        ("id", id.as_str()),
        ("status", "8"),
    ];
    assert_eq!(ask(&app, &key, &cancel).await, "ACCESS_CANCEL");
    assert_eq!(
        ask(&app, &key, &cancel).await,
        "ACCESS_CANCEL",
        "asked again"
    );
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_eq!(refunds(&app, &format!("refund:verification:{id}")).await, 1);
    assert_eq!(
        ask(&app, &key, &[("action", "getStatus"), ("id", id.as_str())]).await,
        "STATUS_CANCEL"
    );

    // One that timed out with no SMS is refunded by itself; a cancel then answers as done.
    let v = ask_json(
        &app,
        &key,
        &[
            ("action", "getNumberV2"),
            ("service", "tg"),
            ("country", "16"),
        ],
    )
    .await;
    let late = v["activationId"].as_str().unwrap().to_owned();
    app.advance(25 * 60).await;
    let status = [("action", "getStatus"), ("id", late.as_str())];
    assert_eq!(ask(&app, &key, &status).await, "STATUS_CANCEL");
    let cancel = [
        ("action", "setStatus"),
        ("id", late.as_str()),
        ("status", "8"),
    ];
    assert_eq!(ask(&app, &key, &cancel).await, "ACCESS_CANCEL");
    assert_eq!(app.balance(&s).await, Decimal::from(10));
    assert_eq!(
        refunds(&app, &format!("refund:verification:{late}")).await,
        1
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_number_is_rented_read_extended_and_released_with_our_refund() {
    let app = spawn_app().await;
    let (s, key) = reseller(&app, "50").await;
    let offer = ask_json(
        &app,
        &key,
        &[
            ("action", "getRentServicesAndCountries"),
            ("rent_time", "4"),
            ("country", "16"),
        ],
    )
    .await;
    let quoted = Decimal::from_str(&offer["services"]["full"]["cost"].to_string()).unwrap();
    assert!(offer["services"]["tg"].is_object(), "{offer}");

    let rented = ask_json(
        &app,
        &key,
        &[
            ("action", "getRentNumber"),
            ("service", "full"),
            ("rent_time", "4"),
            ("country", "16"),
        ],
    )
    .await;
    assert_eq!(rented["status"], "success", "{rented}");
    let rent_id = rented["phone"]["id"].as_i64().unwrap();
    let rental_id = rent_id - 1_000_000_000_000;
    assert!(
        rental_id > 0,
        "rent ids are apart from activation ids: {rent_id}"
    );
    let phone = rented["phone"]["number"].as_str().unwrap().to_owned();
    let r = app.get_json(&format!("/api/rentals/{rental_id}"), &s).await;
    assert_eq!(dec(&r["cost"]), quoted, "the quote is what is charged");
    assert_eq!(app.balance(&s).await, Decimal::from(50) - quoted);

    let id = rent_id.to_string();
    let status = [("action", "getRentStatus"), ("id", id.as_str())];
    let waiting = ask_json(&app, &key, &status).await;
    assert_eq!(
        waiting,
        json!({"status": "error", "message": "STATUS_WAIT_CODE"})
    );
    sms(&app, &phone, "Rented: code 4242").await;
    let got = ask_json(&app, &key, &status).await;
    assert_eq!(got["status"], "success", "{got}");
    assert_eq!(got["quantity"], "1");
    assert_eq!(got["values"]["0"]["text"], "Rented: code 4242");
    assert_eq!(got["values"]["0"]["phoneFrom"], "Telegram");

    let list = ask_json(&app, &key, &[("action", "getRentList")]).await;
    assert_eq!(list["values"]["0"]["id"], id.as_str());

    let price = ask_json(
        &app,
        &key,
        &[
            ("action", "getContinueRentPriceNumber"),
            ("id", id.as_str()),
            ("rent_time", "1"),
        ],
    )
    .await;
    let price = Decimal::from_str(&price["price"].to_string()).unwrap();
    let before = app.balance(&s).await;
    let extended = ask_json(
        &app,
        &key,
        &[
            ("action", "continueRentNumber"),
            ("id", id.as_str()),
            ("rent_time", "1"),
        ],
    )
    .await;
    assert_eq!(extended["status"], "success", "{extended}");
    assert!(
        extended["phone"]["endDate"].as_str().unwrap()
            > rented["phone"]["endDate"].as_str().unwrap()
    );
    assert_eq!(
        app.balance(&s).await,
        before - price,
        "the price quoted is what is charged"
    );

    // Released early: the refund our rules give, once.
    let before = app.balance(&s).await;
    let refund =
        dec(&app.get_json(&format!("/api/rentals/{rental_id}"), &s).await["refund_if_released"]);
    let release = [
        ("action", "setRentStatus"),
        ("id", id.as_str()),
        ("status", "2"),
    ];
    assert_eq!(
        ask_json(&app, &key, &release).await,
        json!({"status": "success"})
    );
    assert_eq!(app.balance(&s).await, before + refund);
    assert_eq!(
        ask_json(&app, &key, &release).await,
        json!({"status": "error", "message": "ALREADY_FINISH"})
    );
    assert_eq!(
        ask_json(&app, &key, &status).await["message"],
        "STATUS_FINISH"
    );
    assert_eq!(
        ask_json(
            &app,
            &key,
            &[
                ("action", "continueRentNumber"),
                ("id", id.as_str()),
                ("rent_time", "4")
            ]
        )
        .await["message"],
        "RENT_DIE"
    );
    assert_eq!(
        app.get_json(&format!("/api/rentals/{rental_id}"), &s).await["status"],
        "released"
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn refusals_are_in_the_protocols_words_and_change_nothing() {
    let app = spawn_app().await;
    let (s, key) = reseller(&app, "10").await;
    let r = app
        .client
        .get(app.url(PATH))
        .query(&[("action", "getBalance")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.text().await.unwrap(), "BAD_KEY");
    assert_eq!(
        ask(&app, "nmk_wrong", &[("action", "getBalance")]).await,
        "BAD_KEY"
    );
    assert_eq!(
        ask(&app, &key, &[("action", "frobnicate")]).await,
        "BAD_ACTION"
    );
    assert_eq!(
        ask(&app, &key, &[("action", "getNumber")]).await,
        "BAD_SERVICE"
    );
    assert_eq!(
        ask(
            &app,
            &key,
            &[
                ("action", "getNumber"),
                ("service", "tg"),
                ("country", "gb")
            ]
        )
        .await,
        "BAD_COUNTRY"
    );
    // A country id with no numbers here.
    assert_eq!(
        ask(
            &app,
            &key,
            &[
                ("action", "getNumber"),
                ("service", "tg"),
                ("country", "999")
            ]
        )
        .await,
        "NO_NUMBERS"
    );
    let dear = ask(
        &app,
        &key,
        &[
            ("action", "getNumber"),
            ("service", "tg"),
            ("country", "16"),
            ("maxPrice", "0.0001"),
        ],
    )
    .await;
    assert!(dear.starts_with("WRONG_MAX_PRICE:"), "{dear}");
    assert_eq!(app.balance(&s).await, Decimal::from(10), "nothing charged");

    // Someone else's activation does not exist for this key.
    let (_, other_key) = reseller(&app, "10").await;
    let bought = ask(
        &app,
        &other_key,
        &[
            ("action", "getNumber"),
            ("service", "tg"),
            ("country", "16"),
        ],
    )
    .await;
    let theirs = bought.split(':').nth(1).unwrap();
    assert_eq!(
        ask(&app, &key, &[("action", "getStatus"), ("id", theirs)]).await,
        "NO_ACTIVATION"
    );
    assert_eq!(
        ask(
            &app,
            &key,
            &[("action", "setStatus"), ("id", theirs), ("status", "8")]
        )
        .await,
        "NO_ACTIVATION"
    );
    assert_eq!(
        ask_json(&app, &key, &[("action", "getRentStatus"), ("id", theirs)]).await,
        json!({"status": "error", "message": "NO_ID_RENT"})
    );

    // An empty wallet: refused, nothing bought.
    let (poor, poor_key) = reseller(&app, "0.01").await;
    assert_eq!(
        ask(
            &app,
            &poor_key,
            &[
                ("action", "getNumber"),
                ("service", "tg"),
                ("country", "16")
            ]
        )
        .await,
        "NO_BALANCE"
    );
    assert_eq!(
        ask_json(
            &app,
            &poor_key,
            &[
                ("action", "getRentNumber"),
                ("rent_time", "4"),
                ("country", "16")
            ]
        )
        .await,
        json!({"status": "error", "message": "NO_BALANCE"})
    );
    assert_eq!(app.balance(&poor).await, Decimal::new(1, 2));

    // A HEAD does nothing; no answer may be cached.
    let before = app.provider_requests_to("/user/buy").await;
    let buy = [
        ("api_key", key.as_str()),
        ("action", "getNumber"),
        ("service", "tg"),
        ("country", "16"),
    ];
    let r = app
        .client
        .head(app.url(PATH))
        .query(&buy)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.provider_requests_to("/user/buy").await,
        before,
        "nothing bought"
    );
    let r = app
        .client
        .get(app.url(PATH))
        .query(&[("api_key", key.as_str()), ("action", "getBalance")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["cache-control"], "private, no-store");

    // POST with a form works as GET does, from whatever page (no cookie rides on it).
    let r = app
        .client
        .post(app.url(PATH))
        .header("Origin", "https://reseller-panel.example")
        .form(&[("api_key", key.as_str()), ("action", "getBalance")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ACCESS_BALANCE:10.00");
    app.assert_ledger_invariant(s.user_id).await;
    app.assert_ledger_invariant(poor.user_id).await;
}

/// A bot written for the protocol needs only our base URL: our own SMS-Activate client (the
/// one we use upstream) buys, reads, extends and releases through us.
#[tokio::test]
async fn a_client_of_the_protocol_works_against_us_with_only_the_base_url_changed() {
    let app = spawn_app().await;
    let (s, key) = reseller(&app, "50").await;
    let bot = SmsActivateClient::new(SmsActivateSettings {
        name: "namaskah".into(),
        url: app.url(PATH),
        api_key: SecretString::new(key),
        timeout: Duration::from_secs(10),
        rate_per_sec: 1_000,
        currency: "USD".into(),
        push_url: None,
    })
    .unwrap();
    assert_eq!(bot.balance().await.unwrap().balance, Decimal::from(50));
    let countries = bot.countries().await.unwrap();
    assert!(countries.iter().any(|c| c.iso == "GB"), "{countries:?}");
    let offers = bot.offers("GB", None).await.unwrap();
    assert!(offers
        .iter()
        .any(|o| o.category == Category::Activation && o.product == "telegram"));
    assert!(offers
        .iter()
        .any(|o| o.category == Category::Rental && o.hours == Some(4)));

    let order = bot
        .buy_activation(&BuyActivation {
            country: "GB".into(),
            operator: None,
            product: "telegram".into(),
            max_price: None,
            reusable: false,
        })
        .await
        .unwrap();
    assert!(bot.check(&order.id).await.unwrap().sms.is_empty());
    sms(
        &app,
        order.phone.trim_start_matches('+'),
        "Your code is 777111",
    )
    .await;
    let checked = bot.check(&order.id).await.unwrap();
    assert_eq!(checked.sms.len(), 1, "{checked:?}");
    assert_eq!(checked.sms[0].code.as_deref(), Some("777111"));
    bot.finish(&order.id).await.unwrap();

    let rental = bot
        .buy_rental(&BuyRental {
            country: "GB".into(),
            operator: None,
            hours: 4,
            renewable: false,
        })
        .await
        .unwrap();
    // Its id is no activation's: `check` finds the rent.
    sms(
        &app,
        rental.phone.trim_start_matches('+'),
        "Rented code 5150",
    )
    .await;
    let messages = bot.rental_messages(&rental.id).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(bot.check(&rental.id).await.unwrap().sms.len(), 1);
    let extended = bot.extend(&rental.id, 4).await.unwrap();
    assert!(extended.expires_at > rental.expires_at);
    bot.release(&rental.id).await.unwrap();
    let list = app.get_json("/api/rentals/active", &s).await;
    assert_eq!(list.as_array().map_or(0, Vec::len), 0, "{list}");
    app.assert_ledger_invariant(s.user_id).await;
}
