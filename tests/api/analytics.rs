//! The operators' analytics over a small history made through the API (two customers, two
//! rentals, two verifications), each figure checked against what the API charged and
//! refunded; on SQLite and PostgreSQL.

use crate::helpers::*;
use namaskah::domain::Role;
use namaskah::server::jobs;
use namaskah::server::services::audit::Actor;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

const HOUR: i64 = 3600;

async fn signed_in_as(app: &TestApp, role: Role) -> Session {
    let email = unique_email();
    namaskah::server::services::accounts::create_user(
        &app.state,
        &Actor::CLI,
        &email,
        PASSWORD,
        role,
    )
    .await
    .unwrap();
    let r = app.login(&email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    Session {
        cookie: session_cookie(&r).unwrap(),
        user_id: r.json::<Value>().await.unwrap()["id"].as_i64().unwrap(),
    }
}

async fn post(app: &TestApp, s: &Session, path: &str, body: Value) -> Value {
    let r = app
        .as_browser(Method::POST, path, s)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

async fn sms(app: &TestApp, phone: &Value, text: &str) {
    let r = app
        .control(
            Method::POST,
            "/sms",
            Some(json!({"phone": phone, "sender": "Telegram", "text": text})),
        )
        .await;
    assert_eq!(r.status(), 200);
}

async fn provider_cost(app: &TestApp, table: &str, id_column: &str, id: &Value) -> Decimal {
    let units: Option<i64> = sqlx::query_scalar(&format!(
        "select provider_cost from {table} where {id_column} = $1"
    ))
    .bind(id.as_i64().unwrap())
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    Decimal::new(units.expect("the provider's cost is known"), 4)
}

/// What happened, and what the API said it cost.
struct History {
    app: TestApp,
    admin: Session,
    revenue: Decimal,
    refunds: Decimal,
    cost: Decimal,
    release_refund: Decimal,
    cancel_refund: Decimal,
}

/// Customer A rents for 20 h, gets an SMS, extends by 2 h, buys a verification and cancels it;
/// customer B rents for 24 h and releases it 2 h later, buys a verification that gets its code
/// and finishes it.
async fn history() -> History {
    let app = spawn_app().await;
    // The story takes a little over two hours: start it early in a day, so "today" holds all
    // of it whenever the test runs.
    let into_day = app.state.clock.now_ms().rem_euclid(24 * HOUR * 1000);
    if into_day > 20 * HOUR * 1000 {
        app.state
            .clock
            .advance_ms(24 * HOUR * 1000 - into_day + HOUR * 1000);
    }
    let admin = app.signed_in_admin().await;
    let a = app.funded("100").await;
    let b = app.funded("100").await;

    let ra = app.rent(&a, 20).await;
    let rb = app.rent(&b, 24).await;
    sms(&app, &ra["phone_number"], "Code 11111").await;
    app.state.clock.advance_ms(30_000);
    jobs::run_due(&app.state).await;
    let x = post(
        &app,
        &a,
        &format!("/api/rentals/{}/extend", ra["id"]),
        json!({"hours": 2}),
    )
    .await;
    let extension = dec(&x["charged"]);

    let va = post(
        &app,
        &a,
        "/api/verifications",
        json!({"service": "telegram", "country": "GB"}),
    )
    .await;
    let cancelled = post(
        &app,
        &a,
        &format!("/api/verifications/{}/cancel", va["id"]),
        json!({}),
    )
    .await;
    assert_eq!(cancelled["status"], "cancelled");
    let vb = post(
        &app,
        &b,
        "/api/verifications",
        json!({"service": "whatsapp", "country": "GB"}),
    )
    .await;
    sms(&app, &vb["phone_number"], "Your code is 22222").await;
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    let finished = post(
        &app,
        &b,
        &format!("/api/verifications/{}/finish", vb["id"]),
        json!({}),
    )
    .await;
    assert_eq!(finished["status"], "finished");

    app.advance(2 * HOUR + 600).await;
    let released = post(
        &app,
        &b,
        &format!("/api/rentals/{}/release", rb["id"]),
        json!({}),
    )
    .await;
    let release_refund = dec(&released["refund"]);
    assert!(release_refund > Decimal::ZERO);

    let revenue =
        dec(&ra["cost"]) + dec(&rb["cost"]) + extension + dec(&va["cost"]) + dec(&vb["cost"]);
    let cancel_refund = dec(&va["cost"]);
    // The provider charged for both rentals and the finished verification; the cancelled one
    // cost nothing in the end.
    let cost = provider_cost(&app, "rentals", "id", &ra["id"]).await
        + provider_cost(&app, "rentals", "id", &rb["id"]).await
        + provider_cost(&app, "verification", "verification_id", &vb["id"]).await;
    History {
        app,
        admin,
        revenue,
        refunds: release_refund + cancel_refund,
        cost,
        release_refund,
        cancel_refund,
    }
}

async fn report(h: &History, path: &str) -> Value {
    h.app.get_json(path, &h.admin).await
}

#[tokio::test]
async fn usage_counts_what_was_started_extended_ended_and_is_active() {
    let h = history().await;
    let u = report(&h, "/api/admin/analytics/usage?granularity=day").await;
    let t = &u["totals"];
    assert_eq!(
        t["rentals"],
        json!({"started": 2, "extended": 1, "auto_renewed": 0, "released": 1, "expired": 0, "active": 1})
    );
    assert_eq!(
        t["verifications"],
        json!({"started": 2, "finished": 1, "cancelled": 1, "timed_out": 0, "active": 0})
    );
    assert_eq!(t["extension_rate"], 0.5);
    assert_eq!(t["auto_renew_rate"], 0.0);
    // B's rental was held for 2 h 10 min (and some seconds of the SMS wait).
    let held = t["average_rental_hours"].as_f64().unwrap();
    assert!((2.16..2.18).contains(&held), "{held}");
    assert_eq!(u["points"].as_array().unwrap().len(), 30);
    let today = u["points"].as_array().unwrap().last().unwrap();
    assert_eq!(today["rentals"]["started"], 2);
    assert_eq!(today["rentals"]["active"], 1);
    assert_eq!(
        u["by_service"],
        json!([
            {"key": "telegram", "rentals_started": 2, "rentals_extended": 1, "verifications_started": 1, "verifications_finished": 0},
            {"key": "whatsapp", "rentals_started": 0, "rentals_extended": 0, "verifications_started": 1, "verifications_finished": 1},
        ])
    );
    assert_eq!(u["by_provider"][0]["key"], "5sim");

    // One service alone.
    let w = report(&h, "/api/admin/analytics/usage?service=whatsapp").await;
    assert_eq!(
        w["range"]["filter"],
        json!({"dimension": "service", "value": "whatsapp"})
    );
    assert_eq!(w["totals"]["rentals"]["started"], 0);
    assert_eq!(w["totals"]["verifications"]["finished"], 1);

    // A range that starts after the purchases: what was open then is counted from what is
    // open now.
    let now = h.app.state.clock.now_ms();
    let iso = namaskah::domain::analytics::iso;
    let u = report(
        &h,
        &format!(
            "/api/admin/analytics/usage?granularity=hour&from={}&to={}",
            iso(now - 3_600_000),
            iso(now + 3_600_000)
        ),
    )
    .await;
    assert_eq!(u["totals"]["rentals"]["started"], 0);
    assert_eq!(u["totals"]["rentals"]["released"], 1);
    let active: Vec<i64> = u["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["rentals"]["active"].as_i64().unwrap())
        .collect();
    assert_eq!(active.last(), Some(&1), "{active:?}");
    assert!(active.iter().all(|a| *a == 1 || *a == 2), "{active:?}");

    // A's rental expires a day later: counted in the hour it ended.
    h.app.advance(24 * HOUR).await;
    let u = report(&h, "/api/admin/analytics/usage?granularity=hour&from=2000-01-01T00:00:00Z&to=2000-01-02T00:00:00Z").await;
    assert_eq!(u["totals"]["rentals"]["started"], 0, "nothing then");
    let now = h.app.state.clock.now_ms();
    let from = namaskah::domain::analytics::iso(now - 30 * HOUR * 1000);
    let to = namaskah::domain::analytics::iso(now);
    let u = report(
        &h,
        &format!("/api/admin/analytics/usage?granularity=hour&from={from}&to={to}"),
    )
    .await;
    assert_eq!(u["totals"]["rentals"]["expired"], 1);
    assert_eq!(u["totals"]["rentals"]["active"], 0);
    let expired_at: Vec<&Value> = u["points"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["rentals"]["expired"] == 1)
        .collect();
    assert_eq!(expired_at.len(), 1, "in one hour");
}

#[tokio::test]
async fn money_adds_up_to_what_was_charged_refunded_and_paid_upstream() {
    let h = history().await;
    let m = report(&h, "/api/admin/analytics/money").await;
    let t = &m["totals"];
    assert_eq!(dec(&t["revenue"]), h.revenue);
    assert_eq!(dec(&t["refunds"]), h.refunds);
    assert_eq!(dec(&t["net_revenue"]), h.revenue - h.refunds);
    assert_eq!(dec(&t["provider_cost"]), h.cost);
    assert_eq!(dec(&t["margin"]), h.revenue - h.refunds - h.cost);
    assert_eq!(m["currency"], "USD");
    let reasons: Vec<(String, i64, Decimal)> = m["refunds_by_reason"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reason"].as_str().unwrap().to_owned(),
                r["count"].as_i64().unwrap(),
                dec(&r["amount"]),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        [
            ("cancelled".to_owned(), 1, h.cancel_refund),
            ("early_release".to_owned(), 1, h.release_refund),
        ]
    );
    assert_eq!(m["paying_customers"], 2);
    assert_eq!(
        dec(&m["arpu"]),
        ((h.revenue - h.refunds) / Decimal::from(2))
            .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero)
    );
    // The series adds up to the totals.
    let revenue: Decimal = m["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| dec(&p["revenue"]))
        .sum();
    assert_eq!(revenue, h.revenue);
    let by_provider = &m["by_provider"][0];
    assert_eq!(by_provider["key"], "5sim");
    assert_eq!(dec(&by_provider["margin"]), h.revenue - h.refunds - h.cost);
    // The ledger agrees: every charge less every refund.
    let spent: i64 = sqlx::query_scalar(
        "select cast(-sum(amount_units) as bigint) from ledger_entry where kind <> 'credit'",
    )
    .fetch_one(&h.app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(Decimal::new(spent, 4), h.revenue - h.refunds);
}

#[tokio::test]
async fn providers_show_delivery_sms_rate_speed_and_cost_per_success() {
    let h = history().await;
    let p = report(&h, "/api/admin/analytics/providers").await;
    let five = &p["providers"][0];
    assert_eq!(five["provider"], "5sim");
    assert_eq!(five["attempts"], 4);
    assert_eq!(five["delivered"], 4);
    assert_eq!(five["delivery_rate"], 1.0);
    assert_eq!(five["faults"], 0);
    assert_eq!(five["failovers"], 0);
    assert_eq!(five["purchases"], 4);
    assert_eq!(five["with_sms"], 2, "A's rental and B's verification");
    assert_eq!(five["sms_rate"], 0.5);
    assert_eq!(five["verifications_finished"], 1);
    assert_eq!(five["verifications_ended"], 2);
    assert_eq!(five["verification_success_rate"], 0.5);
    // Both first SMS came within 45 s of the purchase.
    let p95 = five["first_sms_p95_secs"].as_f64().unwrap();
    assert!(p95 > 0.0 && p95 <= 45.0, "{p95}");
    let per_success = dec(&five["cost_per_successful_verification"]);
    let vb_cost: i64 =
        sqlx::query_scalar("select provider_cost from verification where status = 'finished'")
            .fetch_one(&h.app.state.db.pool)
            .await
            .unwrap();
    assert_eq!(per_success, Decimal::new(vb_cost, 4));
    assert_eq!(
        p["points"].as_array().unwrap().len(),
        30,
        "one provider, 30 days"
    );
}

#[tokio::test]
async fn customers_show_new_cohorts_segments_and_top_spenders() {
    let h = history().await;
    let c = report(&h, "/api/admin/analytics/customers").await;
    let new: i64 = c["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["new"].as_i64().unwrap())
        .sum();
    assert_eq!(new, 2);
    let cohorts = c["cohorts"].as_array().unwrap();
    let last = cohorts.last().unwrap();
    assert_eq!(last["size"], 2);
    assert_eq!(last["active"][0], 2);
    assert_eq!(last["retention"][0], 1.0);
    let segmented: i64 = c["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customers"].as_i64().unwrap())
        .sum();
    assert_eq!(segmented, 2);
    let top = c["top"].as_array().unwrap();
    assert_eq!(top.len(), 2);
    let spent: Decimal = top.iter().map(|t| dec(&t["spend"])).sum();
    assert_eq!(spent, h.revenue - h.refunds);
    assert!(dec(&top[0]["spend"]) >= dec(&top[1]["spend"]));
}

#[tokio::test]
async fn forecasts_and_the_customers_own_runway() {
    let h = history().await;
    let f = report(&h, "/api/admin/analytics/forecasts").await;
    assert_eq!(f["horizon_days"], 14);
    // Today is not a whole day yet: no history to forecast from.
    assert!(f["demand"].as_array().unwrap().iter().all(|d| d["expected"]
        .as_array()
        .unwrap()
        .len()
        == 14));
    let five = &f["providers"][0];
    assert_eq!(five["provider"], "5sim");
    assert!(five["balance"].is_string(), "{five}");

    // A customer with an auto-renewing 24-hour rental: 30 renewals a month at its price.
    let s = h.app.funded("50").await;
    let r = post(
        &h.app,
        &s,
        "/api/rentals/create",
        json!({"service": "telegram", "country": "GB", "duration_hours": 24, "auto_renew": true}),
    )
    .await;
    // What the analytics job does every few seconds.
    namaskah::server::services::analytics::catch_up(&h.app.state)
        .await
        .unwrap();
    let mine = h.app.get_json("/api/account/forecast", &s).await;
    assert_eq!(mine["auto_renewing"], 1);
    let per_renewal = dec(&r["extension_per_hour"]) * Decimal::from(24);
    assert_eq!(
        dec(&mine["auto_renew_monthly"]),
        namaskah::domain::rental::extension_quote(24, dec(&r["extension_per_hour"])).decimal()
            * Decimal::from(30),
        "{per_renewal}"
    );
    assert_eq!(dec(&mine["balance"]), Decimal::from(50) - dec(&r["cost"]));
    assert!(mine["runway_days"].as_f64().unwrap() > 0.0);
}

#[tokio::test]
async fn every_table_exports_as_csv() {
    let h = history().await;
    let r = h
        .app
        .as_browser(
            Method::GET,
            "/api/admin/analytics/usage.csv?table=points",
            &h.admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "text/csv; charset=utf-8");
    assert!(r.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("usage-points.csv"));
    let text = r.text().await.unwrap();
    let mut lines = text.lines();
    let header = lines.next().unwrap();
    assert!(header.starts_with("bucket,rentals.active,"), "{header}");
    assert!(header.contains(",rentals.started,"), "{header}");
    assert_eq!(lines.count(), 30);
    for (report, table) in [
        ("usage", "by_service"),
        ("money", "refunds_by_reason"),
        ("providers", "providers"),
        ("customers", "cohorts"),
        ("forecasts", "providers"),
        ("savings", "savings"),
    ] {
        let r = h
            .app
            .as_browser(
                Method::GET,
                &format!("/api/admin/analytics/{report}.csv?table={table}"),
                &h.admin,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{report} {table}");
    }
    let e = error_body(
        h.app
            .as_browser(
                Method::GET,
                "/api/admin/analytics/money.csv?table=nope",
                &h.admin,
            )
            .send()
            .await
            .unwrap(),
        422,
    )
    .await;
    assert_eq!(e["field"], "table");
}

#[tokio::test]
async fn bad_ranges_name_the_parameter_and_roles_are_enforced() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    for (query, field) in [
        ("granularity=minute", "granularity"),
        ("from=yesterday", "from"),
        ("from=2026-12-02&to=2026-12-01", "to"),
        (
            "from=2020-01-01&to=2026-01-01&granularity=hour",
            "granularity",
        ),
        ("service=telegram&country=GB", "country"),
    ] {
        let r = app
            .as_browser(
                Method::GET,
                &format!("/api/admin/analytics/usage?{query}"),
                &admin,
            )
            .send()
            .await
            .unwrap();
        let e = error_body(r, 422).await;
        assert_eq!(e["field"], field, "{query}: {e}");
    }
    let r = app
        .as_browser(
            Method::GET,
            "/api/admin/analytics/customers?granularity=hour",
            &admin,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "granularity");

    let user = app.signed_in().await;
    let support = signed_in_as(&app, Role::Support).await;
    // The console's pages render their reports in-process, past the HTTP layer's check: a
    // customer's page shows the refusal and no figure.
    let page = app.page_html("/admin/analytics/money", &user).await;
    assert!(page.contains("only admins may do this"), "{page}");
    assert!(!page.contains("data-testid=\"revenue\""));
    let page = app.page_html("/admin/analytics/usage", &user).await;
    assert!(!page.contains("data-testid=\"rentals-started\""));
    let page = app.page_html("/admin/analytics/usage", &support).await;
    assert!(page.contains("data-testid=\"rentals-started\""));
    // A path the page router would resolve to a report (`/./admin/…`) is refused before any
    // rule or page sees it: the rules match the path as sent.
    for path in [
        "/./admin/analytics/money",
        "/x/../admin/analytics/customers",
        "/%2e/admin/analytics/money",
        "/admin/analytics/../analytics/money",
    ] {
        let answer = raw_get(&app, path, &user.cookie).await;
        assert!(answer.starts_with("HTTP/1.1 400"), "{path}: {answer}");
        assert!(!answer.contains("data-testid=\"revenue\""), "{path}");
    }
    for report in [
        "usage",
        "money",
        "providers",
        "customers",
        "forecasts",
        "savings",
    ] {
        let path = format!("/api/admin/analytics/{report}");
        let r = app
            .as_browser(Method::GET, &path, &user)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "a customer asks for {report}");
        let r = app
            .as_browser(Method::GET, &path, &support)
            .send()
            .await
            .unwrap();
        let staff_may = matches!(report, "usage" | "providers");
        assert_eq!(
            r.status(),
            if staff_may { 200 } else { 403 },
            "support asks for {report}"
        );
        let r = app
            .as_browser(Method::GET, &path, &admin)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "an admin asks for {report}");
    }
}

#[tokio::test]
async fn a_seeded_demo_history_adds_up_in_every_report() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let plan = namaskah::server::demo::Plan {
        rentals: 600,
        messages: 2_400,
        verifications: 300,
        customers: 40,
        days: 60,
        seed: 7,
    };
    let made = namaskah::server::demo::seed(&app.state, plan)
        .await
        .unwrap();
    assert_eq!(made.customers, 40);
    assert!((590..=610).contains(&made.rentals), "{made:?}");
    let again = namaskah::server::demo::seed(&app.state, plan).await;
    assert!(again
        .unwrap_err()
        .to_string()
        .contains("already has the demo"));

    let from = namaskah::domain::analytics::iso(app.state.clock.now_ms() - 61 * 86_400_000);
    let q = format!("from={from}&granularity=week");
    let count = |sql: &'static str| {
        let pool = app.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let u = app
        .get_json(&format!("/api/admin/analytics/usage?{q}"), &admin)
        .await;
    assert_eq!(
        u["totals"]["rentals"]["started"],
        count("select count(*) from rentals").await
    );
    assert_eq!(
        u["totals"]["rentals"]["active"],
        count("select count(*) from rentals where status = 'active'").await
    );
    assert_eq!(
        u["totals"]["verifications"]["finished"],
        count("select count(*) from verification where status = 'finished'").await
    );
    let m = app
        .get_json(&format!("/api/admin/analytics/money?{q}"), &admin)
        .await;
    let spent = count(
        "select cast(-sum(amount_units) as bigint) from ledger_entry where kind = 'demo_spend'",
    )
    .await;
    assert_eq!(dec(&m["totals"]["net_revenue"]), Decimal::new(spent, 4));
    let c = app
        .get_json(&format!("/api/admin/analytics/customers?{q}"), &admin)
        .await;
    let new: i64 = c["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["new"].as_i64().unwrap())
        .sum();
    assert_eq!(new, count("select count(*) from customer").await);
    let segmented: i64 = c["segments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["customers"].as_i64().unwrap())
        .sum();
    assert_eq!(segmented, new);
    let p = app
        .get_json(&format!("/api/admin/analytics/providers?{q}"), &admin)
        .await;
    assert_eq!(p["providers"].as_array().unwrap().len(), 3);
    let f = app.get_json("/api/admin/analytics/forecasts", &admin).await;
    let demand = f["demand"].as_array().unwrap();
    assert!(!demand.is_empty());
    assert_eq!(demand[0]["method"], "holt_winters");
    assert_eq!(demand[0]["held_out_days"], 14);
    let s = app
        .get_json(&format!("/api/admin/analytics/savings?{q}"), &admin)
        .await;
    let savings = s["savings"].as_array().unwrap();
    // The demo's SMS-Activate sells for less than 5SIM with more SMS received.
    assert!(!savings.is_empty());
    assert!(savings.iter().all(|x| dec(&x["saving"]) > Decimal::ZERO
        && dec(&x["cheaper_average_cost"]) < dec(&x["average_cost"])
        && x["cheaper_success_rate"].as_f64() >= x["success_rate"].as_f64()));
    let total: Decimal = savings.iter().map(|x| dec(&x["saving"])).sum();
    assert_eq!(dec(&s["total"]), total);
    // One provider's savings: still compared with the others, which the filter does not hide.
    let dearer = savings[0]["provider"].as_str().unwrap();
    let one = app
        .get_json(
            &format!("/api/admin/analytics/savings?{q}&provider={dearer}"),
            &admin,
        )
        .await;
    let theirs = one["savings"].as_array().unwrap();
    assert!(!theirs.is_empty(), "{one}");
    assert!(theirs.iter().all(|x| x["provider"] == dearer));
    assert_eq!(
        theirs.len(),
        savings.iter().filter(|x| x["provider"] == dearer).count()
    );
    // By month, the same totals.
    let by_month = app
        .get_json(
            &format!("/api/admin/analytics/usage?from={from}&granularity=month"),
            &admin,
        )
        .await;
    assert_eq!(
        by_month["totals"]["rentals"]["started"],
        u["totals"]["rentals"]["started"]
    );
    let m2 = app
        .get_json(
            &format!("/api/admin/analytics/money?from={from}&granularity=month"),
            &admin,
        )
        .await;
    assert_eq!(m2["totals"]["net_revenue"], m["totals"]["net_revenue"]);
    let c2 = app
        .get_json(
            &format!("/api/admin/analytics/customers?from={from}&granularity=month"),
            &admin,
        )
        .await;
    let new2: i64 = c2["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["new"].as_i64().unwrap())
        .sum();
    assert_eq!(new2, new);
    // Every demo balance is the sum of its ledger.
    let off = count(
        "select count(*) from app_user u where u.balance_units <> \
         (select coalesce(sum(l.amount_units), 0) from ledger_entry l where l.user_id = u.user_id)",
    )
    .await;
    assert_eq!(off, 0);
}

/// A GET sent as written (an HTTP client would resolve `.` and `..` first): the whole answer.
async fn raw_get(app: &TestApp, path: &str, cookie: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&host).await.unwrap();
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nCookie: {cookie}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    socket.read_to_end(&mut answer).await.unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}
