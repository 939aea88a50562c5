//! Pricing: operators set duration bands, tiers and volume discounts (checked, audit-logged);
//! the catalogue shows each customer their own prices, a purchase charges exactly what was
//! shown, and a change prices new purchases only.

use crate::helpers::*;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn d(v: &Value) -> Decimal {
    v.as_str().unwrap().parse().unwrap()
}

fn policy() -> Value {
    json!({
        "bands": {"hourly": "1", "daily": "0.9", "weekly": "0.8", "monthly": "0.7"},
        "tiers": [
            {"name": "standard", "discount": "0"},
            {"name": "pro", "discount": "0.05"},
            {"name": "reseller", "discount": "0.2"},
        ],
        "volume": [{"min_spend": "1000", "discount": "0.1"}],
    })
}

async fn put(app: &TestApp, s: &Session, path: &str, body: &Value) -> reqwest::Response {
    app.as_browser(Method::PUT, path, s)
        .json(body)
        .send()
        .await
        .unwrap()
}

/// The GB catalogue as `s` sees it (anyone's, with no session).
async fn catalogue(app: &TestApp, s: Option<&Session>) -> Value {
    match s {
        Some(s) => app.get_json("/api/catalog/services?country=GB", s).await,
        None => app
            .client
            .get(app.url("/api/catalog/services?country=GB"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap(),
    }
}

/// The catalogue's rental of `hours`.
fn rental_offer(list: &Value, hours: u64) -> Value {
    list["rentals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["hours"] == hours)
        .unwrap_or_else(|| panic!("no {hours} h rental in {list}"))
        .clone()
}

/// The longest rental on sale in GB: long enough that its price is above the provider's
/// (shorter ones on a longer product are floored at its cost).
async fn longest(app: &TestApp) -> u64 {
    catalogue(app, None).await["rentals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["hours"].as_u64().unwrap())
        .max()
        .unwrap()
}

/// The price `s` is shown for a GB rental of `hours` (anyone's list price with no session).
async fn rental_price(app: &TestApp, s: Option<&Session>, hours: u64) -> Decimal {
    d(&rental_offer(&catalogue(app, s).await, hours)["price"])
}

#[tokio::test]
async fn operators_price_by_band_and_tier_and_the_quote_shown_is_the_amount_charged() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("500").await;
    let before = app.get_json("/api/admin/pricing", &admin).await;
    assert_eq!(before["changed_at"], Value::Null, "the defaults: {before}");
    let hours = longest(&app).await;
    let list_price = rental_price(&app, None, hours).await;

    let r = put(&app, &admin, "/api/admin/pricing", &policy()).await;
    assert_eq!(r.status(), 200);
    let now = app.get_json("/api/admin/pricing", &admin).await;
    assert_eq!(now["policy"]["bands"]["daily"], "0.9");
    assert_eq!(now["changed_by"], admin.user_id);
    let r = put(
        &app,
        &admin,
        &format!("/api/admin/users/{}/tier", customer.user_id),
        &json!({"tier": "reseller"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get_json("/api/billing/pricing", &customer).await["tier"],
        "reseller"
    );

    // A long rental in bands costs less than at the hourly rate; the reseller pays less than
    // anyone's list price, and exactly what they were shown.
    let banded = rental_price(&app, None, hours).await;
    assert!(banded < list_price, "{banded} < {list_price}");
    let shown = rental_price(&app, Some(&customer), hours).await;
    assert!(shown < banded, "{shown} < {banded}");
    let balance = app.balance(&customer).await;
    let rental = app.rent(&customer, hours as u32).await;
    assert_eq!(d(&rental["cost"]), shown, "charged what was shown");
    assert_eq!(app.balance(&customer).await, balance - shown);
    app.assert_ledger_invariant(customer.user_id).await;

    // Both changes are in the audit log, with what they replaced.
    let log = app
        .get_json("/api/admin/audit?action=pricing.", &admin)
        .await;
    let entries = log["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["pricing.tier", "pricing.change"]);
    assert_eq!(entries[0]["before"]["tier"], "standard");
    assert_eq!(entries[0]["after"]["tier"], "reseller");
    assert_eq!(entries[1]["before"]["bands"]["daily"], "1");
    assert_eq!(entries[1]["after"]["bands"]["daily"], "0.9");
}

#[tokio::test]
async fn a_change_prices_new_purchases_only() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("500").await;
    let hours = longest(&app).await as u32;
    let rental = app.rent(&customer, hours).await;
    let id = rental["id"].as_i64().unwrap();
    let per_hour = |v: &Value| d(&v["extension_per_hour"]);
    let kept = per_hour(&rental);

    put(&app, &admin, "/api/admin/pricing", &policy()).await;
    put(
        &app,
        &admin,
        &format!("/api/admin/users/{}/tier", customer.user_id),
        &json!({"tier": "pro"}),
    )
    .await;
    let again = app.get_json(&format!("/api/rentals/{id}"), &customer).await;
    assert_eq!(per_hour(&again), kept, "what was bought keeps its rate");
    let cheaper = app.rent(&customer, hours).await;
    assert!(d(&cheaper["cost"]) < d(&rental["cost"]));
}

#[tokio::test]
async fn bad_policies_and_tiers_are_refused_with_the_field_named_and_change_nothing() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.signed_in().await;
    let cases = [
        ("/bands/daily", json!("1.5"), "bands.daily"),
        ("/bands/hourly", json!("0"), "bands.hourly"),
        ("/tiers/1/name", json!("Pro Plus"), "tiers[1].name"),
        ("/tiers/2/discount", json!("0.95"), "tiers[2].discount"),
        ("/tiers/0/name", json!("basic"), "tiers"),
        ("/volume/0/min_spend", json!("0"), "volume[0].min_spend"),
    ];
    for (pointer, value, field) in cases {
        let mut body = policy();
        *body.pointer_mut(pointer).unwrap() = value;
        let r = put(&app, &admin, "/api/admin/pricing", &body).await;
        assert_eq!(error_body(r, 422).await["field"], field, "{pointer}");
    }
    let mut shapeless = policy();
    shapeless["bands"]["daily"] = json!("lots");
    let r = put(&app, &admin, "/api/admin/pricing", &shapeless).await;
    assert_eq!(r.status(), 422);
    assert_eq!(
        app.get_json("/api/admin/pricing", &admin).await["changed_at"],
        Value::Null,
        "nothing changed"
    );

    let tier = |id: i64, tier: &str| {
        app.as_browser(Method::PUT, &format!("/api/admin/users/{id}/tier"), &admin)
            .json(&json!({ "tier": tier }))
            .send()
    };
    let e = error_body(tier(customer.user_id, "gold").await.unwrap(), 422).await;
    assert_eq!(e["field"], "tier");
    assert!(e["message"]
        .as_str()
        .unwrap()
        .contains("standard, pro, reseller"));
    assert_eq!(tier(999_999, "pro").await.unwrap().status(), 404);
    assert_eq!(
        app.get_json("/api/billing/pricing", &customer).await["tier"],
        "standard"
    );

    // Customers may read their own standing, not set anyone's prices.
    let r = put(&app, &customer, "/api/admin/pricing", &policy()).await;
    assert_eq!(r.status(), 403);
    let r = put(
        &app,
        &customer,
        &format!("/api/admin/users/{}/tier", customer.user_id),
        &json!({"tier": "reseller"}),
    )
    .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_volume_discount_follows_the_last_thirty_days_of_spend() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let mut body = policy();
    body["volume"] = json!([{"min_spend": "1", "discount": "0.1"}]);
    put(&app, &admin, "/api/admin/pricing", &body).await;
    let email = unique_email();
    assert_eq!(app.register(&email, PASSWORD).await.status(), 202);
    let customer = app.signed_in_as(&email).await;
    app.credit(customer.user_id, "500").await;
    let hours = longest(&app).await;
    let full = rental_price(&app, Some(&customer), hours).await;
    app.rent(&customer, hours as u32).await;
    // Today's spending counts from tomorrow: the day's prices hold all day.
    let mine = app.get_json("/api/billing/pricing", &customer).await;
    assert_eq!(mine["volume_discount"], "0");
    assert_eq!(rental_price(&app, Some(&customer), hours).await, full);
    app.advance(24 * 3600).await;
    let mine = app.get_json("/api/billing/pricing", &customer).await;
    assert_eq!(mine["volume_discount"], "0.1");
    assert!(d(&mine["spend_30_days"]) >= Decimal::ONE);
    let discounted = rental_price(&app, Some(&customer), hours).await;
    assert!(discounted < full, "{discounted} < {full}");
    // A month on, the spend has aged out.
    app.advance(31 * 24 * 3600).await;
    let r = app.login(&email, PASSWORD).await;
    let customer = Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: customer.user_id,
    };
    assert_eq!(
        app.get_json("/api/billing/pricing", &customer).await["volume_discount"],
        "0"
    );
}

#[tokio::test]
async fn the_console_edits_the_policy_and_tiers_with_plain_forms() {
    use crate::forms::{back_to, form_post, notice};
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.signed_in().await;
    let page = app.page_html("/admin/pricing", &admin).await;
    assert!(page.contains("data-testid=\"pricing-form\""), "{page}");
    assert!(page.contains("reseller 0.1"), "the tiers as lines");
    assert!(page.contains("costs 100% of thirty 1-day rentals"));
    assert!(page.contains("Save the new prices"));

    let form = |tiers: &str| {
        vec![
            ("hourly", "1".to_owned()),
            ("daily", "0.9".to_owned()),
            ("weekly", "0.8".to_owned()),
            ("monthly", "0.7".to_owned()),
            ("tiers", tiers.to_owned()),
            ("volume", "250.00 0.05\r\n".to_owned()),
        ]
    };
    let r = form_post(
        &app,
        &admin,
        "set_pricing",
        "/admin/pricing",
        &form("standard 0\r\nvip 0.25"),
    )
    .await;
    assert_eq!(r.status(), 302);
    assert_eq!(
        notice(&r),
        ["The new prices apply to purchases from now on."]
    );
    let now = app.get_json("/api/admin/pricing", &admin).await;
    assert_eq!(
        now["policy"]["tiers"][1],
        json!({"name": "vip", "discount": "0.25"})
    );
    assert_eq!(now["policy"]["volume"][0]["min_spend"], "250.0000");
    let page = app.page_html("/admin/pricing", &admin).await;
    assert!(
        page.contains("costs 82.7% of thirty 1-day rentals"),
        "595.2 / 720"
    );

    // A bad line goes back with the error and changes nothing.
    let r = form_post(
        &app,
        &admin,
        "set_pricing",
        "/admin/pricing",
        &form("standard 0\r\nVIP!"),
    )
    .await;
    assert_eq!(r.status(), 302);
    assert!(back_to(&r).contains("__err="), "{}", back_to(&r));
    let after = app.get_json("/api/admin/pricing", &admin).await;
    assert_eq!(after["changed_at"], now["changed_at"]);

    // The account page moves a customer to a tier.
    let r = form_post(
        &app,
        &admin,
        "set_user_tier",
        &format!("/admin/users/{}", customer.user_id),
        &[("id", customer.user_id.to_string()), ("tier", "vip".into())],
    )
    .await;
    assert_eq!(r.status(), 302);
    assert_eq!(notice(&r), ["The account is now in the vip tier."]);
    let account = app
        .page_html(&format!("/admin/users/{}", customer.user_id), &admin)
        .await;
    assert!(
        account.contains("data-testid=\"account-tier\">vip<"),
        "{account}"
    );
    assert_eq!(
        app.get_json("/api/billing/pricing", &customer).await["tier_discount"],
        "0.25"
    );
}

#[tokio::test]
async fn the_renewal_predicted_before_buying_is_what_auto_renew_charges() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let offer = rental_offer(&catalogue(&app, Some(&s)).await, 12);
    let (price, renewal) = (d(&offer["price"]), d(&offer["renewal"]));
    // Twelve hours: 60 periods start within 30 days, 59 of them renewals.
    assert_eq!(
        d(&offer["month_with_renewals"]),
        price + renewal * Decimal::from(59)
    );
    let r = app
        .as_browser(Method::POST, "/api/rentals/create", &s)
        .json(&json!({"service": "telegram", "country": "GB", "duration_hours": 12, "auto_renew": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let rental: Value = r.json().await.unwrap();
    assert_eq!(d(&rental["cost"]), price);
    let before = app.balance(&s).await;
    app.advance(12 * 3600 - 300).await;
    let now = app
        .get_json(&format!("/api/rentals/{}", rental["id"]), &s)
        .await;
    assert_eq!(now["duration_hours"], 24, "renewed by its 12 hours");
    assert_eq!(
        app.balance(&s).await,
        before - renewal,
        "at the price predicted"
    );
    // The page says so before buying, also without JavaScript.
    let page = app.page_html("/rentals", &s).await;
    assert!(
        page.contains("data-testid=\"renewal-prediction\""),
        "{page}"
    );
}

#[tokio::test]
async fn the_dashboard_projects_the_month_and_suggests_savings_with_their_amounts() {
    let app = spawn_app().await;
    let s = app.funded("200").await;
    let rent = |hours: u32, auto_renew: bool| {
        app.as_browser(Method::POST, "/api/rentals/create", &s)
            .json(&json!({"service": "telegram", "country": "GB", "duration_hours": hours, "auto_renew": auto_renew}))
            .send()
    };
    let daily = rent(24, true).await.unwrap().json::<Value>().await.unwrap();
    let list = catalogue(&app, Some(&s)).await;
    let offer = |hours: u64| rental_offer(&list, hours);
    let month_price = d(&offer(720)["price"]);
    let renewals = d(&offer(24)["renewal"]) * Decimal::from(30);
    assert!(
        month_price < renewals,
        "the sandbox's prices make the point"
    );

    let f = app.get_json("/api/account/forecast", &s).await;
    assert_eq!(d(&f["spent_this_month"]), d(&daily["cost"]));
    assert!(d(&f["projected_this_month"]) >= d(&f["spent_this_month"]));
    let longer = &f["suggestions"][0];
    assert_eq!(longer["kind"], "longer_rental");
    assert_eq!(longer["rental_id"], daily["id"]);
    assert_eq!(d(&longer["saves"]), renewals - month_price);

    // A ten-day rental that hears nothing for three days: release it, and get back what the
    // rental itself says releasing gives.
    let quiet = rent(240, false)
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    app.advance(3 * 24 * 3600).await;
    let f = app.get_json("/api/account/forecast", &s).await;
    let now = app
        .get_json(&format!("/api/rentals/{}", quiet["id"]), &s)
        .await;
    let release = f["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["rental_id"] == quiet["id"])
        .unwrap_or_else(|| panic!("{f}"))
        .clone();
    assert_eq!(release["kind"], "release_quiet");
    assert_eq!(release["saves"], now["refund_if_released"]);
    let page = app.page_html("/", &s).await;
    assert!(page.contains("data-testid=\"suggestions\""), "{page}");
    assert!(page.contains("data-testid=\"month-spend\""));
}

#[tokio::test]
async fn the_dashboard_points_to_a_country_that_sells_a_habit_for_less() {
    let app = spawn_app().await;
    let s = app.funded("50").await;
    let buy = |country: &'static str| {
        app.as_browser(Method::POST, "/api/verifications", &s)
            .json(&json!({"service": "telegram", "country": country}))
            .send()
    };
    for country in ["GB", "GB", "RU"] {
        assert_eq!(buy(country).await.unwrap().status(), 201);
    }
    let price_in = |list: &Value| {
        d(&list["services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|o| o["service"] == "telegram")
            .unwrap()["price"])
    };
    let gb = price_in(&app.get_json("/api/catalog/services?country=GB", &s).await);
    let ru = price_in(&app.get_json("/api/catalog/services?country=RU", &s).await);
    assert!(ru < gb, "the sandbox sells Russian numbers for less");
    let f = app.get_json("/api/account/forecast", &s).await;
    let tip = f["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "cheaper_country")
        .unwrap_or_else(|| panic!("{f}"))
        .clone();
    assert_eq!(tip["rental_id"], Value::Null);
    // Two bought in GB, each (GB − RU) more than in RU.
    assert_eq!(d(&tip["saves"]), (gb - ru) * Decimal::from(2));
    assert!(tip["message"].as_str().unwrap().contains("in RU against"));
}
