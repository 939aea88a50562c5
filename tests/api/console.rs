//! The operators' console through its REST routes, on SQLite and PostgreSQL: every account's
//! rentals and verifications with the history filters, refunds by operators (once per order,
//! never more than is left, with a reason, logged, told to the customer), and the system's
//! state (jobs, the pollers' backlog, open event streams).

use crate::helpers::*;
use namaskah::server::jobs;
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

async fn staff_get(app: &TestApp, path: &str, s: &Session) -> reqwest::Response {
    app.as_browser(Method::GET, path, s).send().await.unwrap()
}

async fn refund(app: &TestApp, s: &Session, path: &str, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, path, s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn buy_verification(app: &TestApp, s: &Session) -> Value {
    let r = app
        .as_browser(Method::POST, "/api/verifications", s)
        .json(&json!({"service": "telegram", "country": "GB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn support(app: &TestApp) -> Session {
    let email = unique_email();
    namaskah::server::services::accounts::create_user(
        &app.state,
        &namaskah::server::services::audit::Actor::CLI,
        &email,
        PASSWORD,
        namaskah::domain::Role::Support,
    )
    .await
    .unwrap();
    app.signed_in_as(&email).await
}

#[tokio::test]
async fn staff_see_every_accounts_rentals_and_verifications_with_the_filters() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let alice = app.funded("50").await;
    let bob = app.funded("50").await;
    let a = app.rent(&alice, 24).await;
    let b = app.rent(&bob, 24).await;
    let v = buy_verification(&app, &bob).await;

    let all = app.get_json("/api/admin/rentals", &admin).await;
    let ids: Vec<i64> = all["rentals"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["rental"]["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        ids,
        vec![b["id"].as_i64().unwrap(), a["id"].as_i64().unwrap()]
    );
    assert_eq!(all["total"], 2);
    let first = &all["rentals"][0];
    assert_eq!(first["user_id"], bob.user_id);
    assert!(first["email"].as_str().unwrap().contains('@'));
    assert_eq!(dec(&first["refunded"]), Decimal::ZERO);

    // One account's, a status, a provider, and a search that matches nothing.
    let alices = app
        .get_json(
            &format!("/api/admin/rentals?user={}", alice.user_id),
            &admin,
        )
        .await;
    assert_eq!(alices["total"], 1);
    assert_eq!(alices["rentals"][0]["rental"]["id"], a["id"]);
    let released = app
        .get_json("/api/admin/rentals?status=released", &admin)
        .await;
    assert_eq!(released["total"], 0);
    let by_provider = app
        .get_json("/api/admin/rentals?provider=5sim", &admin)
        .await;
    assert_eq!(by_provider["total"], 2);
    let elsewhere = app
        .get_json("/api/admin/rentals?provider=textverified", &admin)
        .await;
    assert_eq!(elsewhere["total"], 0);

    // Support reads them too; the verifications likewise.
    let support = support(&app).await;
    let verifications = app
        .get_json("/api/admin/verifications?status=waiting", &support)
        .await;
    assert_eq!(verifications["total"], 1);
    assert_eq!(
        verifications["verifications"][0]["verification"]["id"],
        v["id"]
    );
    assert_eq!(verifications["verifications"][0]["user_id"], bob.user_id);

    // A bad filter names its field and reads nothing.
    let r = staff_get(&app, "/api/admin/rentals?status=lost", &admin).await;
    assert_eq!(error_body(r, 422).await["field"], "status");
    let r = staff_get(&app, "/api/admin/verifications?per_page=0", &admin).await;
    assert_eq!(error_body(r, 422).await["field"], "per_page");
    let r = staff_get(&app, "/api/admin/rentals?user=abc", &admin).await;
    assert_eq!(error_body(r, 422).await["field"], "user");

    // Every search is in the audit log, with who asked.
    let searches: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'staff.order_search' and actor_user_id = $1",
    )
    .bind(support.user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(searches, 1);

    // A customer's own history takes the provider filter too, and stays their own.
    let own = app.get_json("/api/rentals?provider=5sim", &alice).await;
    assert_eq!(own["total"], 1);
}

#[tokio::test]
async fn an_operator_refund_happens_once_never_exceeds_what_is_left_and_is_logged() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("50").await;
    let rental = app.rent(&customer, 1).await;
    let id = rental["id"].as_i64().unwrap();
    let cost = dec(&rental["cost"]);
    let path = format!("/api/admin/rentals/{id}/refund");

    // While it runs, the customer's own release refunds it: not an operator.
    let r = refund(&app, &admin, &path, json!({"reason": "x"})).await;
    let e = error_body(r, 409).await;
    assert!(
        e["message"].as_str().unwrap().contains("still active"),
        "{e}"
    );

    // It ends with nothing refunded.
    app.advance(3_700).await;
    jobs::run_due(&app.state).await;
    let listed = app
        .get_json(
            &format!(
                "/api/admin/rentals?user={}&status=expired",
                customer.user_id
            ),
            &admin,
        )
        .await;
    assert_eq!(listed["total"], 1, "{listed}");
    let before = app.balance(&customer).await;

    // Bad input names the field and moves nothing.
    let r = refund(
        &app,
        &admin,
        &path,
        json!({"amount": "1.00", "reason": " "}),
    )
    .await;
    assert_eq!(error_body(r, 422).await["field"], "reason");
    let too_much = (cost + Decimal::ONE).to_string();
    let r = refund(
        &app,
        &admin,
        &path,
        json!({"amount": too_much, "reason": "x"}),
    )
    .await;
    let e = error_body(r, 422).await;
    assert_eq!(e["field"], "amount");
    assert!(e["message"].as_str().unwrap().contains("at most"), "{e}");
    let r = refund(&app, &admin, &path, json!({"amount": "-1", "reason": "x"})).await;
    assert_eq!(error_body(r, 422).await["field"], "amount");
    let r = refund(
        &app,
        &admin,
        "/api/admin/rentals/999999/refund",
        json!({"reason": "x"}),
    )
    .await;
    error_body(r, 404).await;
    assert_eq!(app.balance(&customer).await, before);

    // Support may not move money.
    let support = support(&app).await;
    let r = refund(&app, &support, &path, json!({"reason": "x"})).await;
    assert_eq!(r.status(), 403);

    // Half back, for a reason.
    let half = (cost / Decimal::TWO).round_dp(2);
    let r = refund(
        &app,
        &admin,
        &path,
        json!({"amount": half.to_string(), "reason": "number never worked"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(dec(&done["amount"]), half);
    assert_eq!(dec(&done["refunded"]), half);
    assert_eq!(dec(&done["balance"]), before + half);
    assert_eq!(app.balance(&customer).await, before + half);

    // A second one is impossible, whatever the amount.
    let r = refund(
        &app,
        &admin,
        &path,
        json!({"amount": "0.01", "reason": "again"}),
    )
    .await;
    let e = error_body(r, 409).await;
    assert!(e["message"].as_str().unwrap().contains("already"), "{e}");
    assert_eq!(app.balance(&customer).await, before + half);

    // The list shows what was refunded; the ledger, the audit log and the customer know why.
    let listed = app
        .get_json(
            &format!("/api/admin/rentals?user={}", customer.user_id),
            &admin,
        )
        .await;
    assert_eq!(dec(&listed["rentals"][0]["refunded"]), half);
    let note: String =
        sqlx::query_scalar("select note from ledger_entry where reference = $1 and user_id = $2")
            .bind(format!("refund:operator:rental:{id}"))
            .bind(customer.user_id)
            .fetch_one(&app.state.db.pool)
            .await
            .unwrap();
    assert!(note.contains("number never worked"), "{note}");
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'order.refund' and actor_user_id = $1 \
         and subject_user_id = $2",
    )
    .bind(admin.user_id)
    .bind(customer.user_id)
    .fetch_one(&app.state.db.pool)
    .await
    .unwrap();
    assert_eq!(audited, 1);
    let told = app.get_json("/api/notifications", &customer).await;
    assert!(
        told.to_string().contains("number never worked"),
        "the customer is told: {told}"
    );
    app.assert_ledger_invariant(customer.user_id).await;

    // The money report counts it as a refund for the reason "operator".
    let money = app
        .get_json("/api/admin/analytics/money?granularity=day", &admin)
        .await;
    let reasons = money["refunds_by_reason"].to_string();
    assert!(reasons.contains("operator"), "{reasons}");
}

#[tokio::test]
async fn an_operator_refund_takes_only_what_the_customers_own_refund_left() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("50").await;

    // A cancelled verification was refunded in full: nothing is left.
    let v = buy_verification(&app, &customer).await;
    let r = refund(
        &app,
        &admin,
        &format!("/api/admin/verifications/{}/refund", v["id"]),
        json!({"reason": "too soon"}),
    )
    .await;
    let e = error_body(r, 409).await;
    assert!(
        e["message"].as_str().unwrap().contains("still waiting"),
        "{e}"
    );
    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/verifications/{}/cancel", v["id"]),
            &customer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = app.balance(&customer).await;
    let r = refund(
        &app,
        &admin,
        &format!("/api/admin/verifications/{}/refund", v["id"]),
        json!({"reason": "asked twice"}),
    )
    .await;
    let e = error_body(r, 409).await;
    assert!(
        e["message"].as_str().unwrap().contains("nothing is left"),
        "{e}"
    );
    assert_eq!(app.balance(&customer).await, before);

    // A rental released early got part back: the rest, and no more, can still be refunded.
    let rental = app.rent(&customer, 24).await;
    let id = rental["id"].as_i64().unwrap();
    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/rentals/{id}/release"),
            &customer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let released: Value = r.json().await.unwrap();
    let left = dec(&rental["cost"]) - dec(&released["refund"]);
    let before = app.balance(&customer).await;
    let r = refund(
        &app,
        &admin,
        &format!("/api/admin/rentals/{id}/refund"),
        json!({"reason": "the rest, as a gesture"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    let done: Value = r.json().await.unwrap();
    assert_eq!(dec(&done["amount"]), left);
    assert_eq!(dec(&done["refunded"]), dec(&rental["cost"]));
    assert_eq!(app.balance(&customer).await, before + left);
    app.assert_ledger_invariant(customer.user_id).await;
}

#[tokio::test]
async fn the_system_page_shows_the_jobs_the_pollers_backlog_and_the_open_streams() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("50").await;
    app.rent(&customer, 24).await;
    jobs::run_due(&app.state).await;
    let _stream = Stream::open(&app, &customer, None).await;

    let system = app.get_json("/api/admin/system", &admin).await;
    let jobs = system["jobs"].as_array().unwrap();
    let poller = jobs
        .iter()
        .find(|j| j["name"] == "sms_poller")
        .unwrap_or_else(|| panic!("the SMS poller is listed: {system}"));
    assert!(poller["passes"].as_u64().unwrap() >= 1);
    assert_eq!(poller["failures"], 0);
    assert!(poller["last_at"].is_string());
    let rentals = system["polling"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["orders"] == "rentals")
        .unwrap();
    assert_eq!(rentals["open"], 1);
    assert_eq!(system["event_streams"], 1);
    assert!(["sqlite", "postgres"].contains(&system["database"].as_str().unwrap()));
    assert_eq!(system["sandbox"], true);

    // Support reads it; a customer does not.
    let support = support(&app).await;
    app.get_json("/api/admin/system", &support).await;
    let r = staff_get(&app, "/api/admin/system", &customer).await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn concurrent_operator_refunds_of_one_order_pay_out_once() {
    let app = spawn_app().await;
    let admin = app.signed_in_admin().await;
    let customer = app.funded("50").await;
    let rental = app.rent(&customer, 24).await;
    let id = rental["id"].as_i64().unwrap();
    let r = app
        .as_browser(
            Method::POST,
            &format!("/api/rentals/{id}/release"),
            &customer,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let before = app.balance(&customer).await;
    let path = format!("/api/admin/rentals/{id}/refund");
    let tries = (0..8).map(|n| {
        let (app, admin, path) = (&app, &admin, &path);
        async move {
            refund(
                app,
                admin,
                path,
                json!({"amount": "0.01", "reason": format!("try {n}")}),
            )
            .await
            .status()
            .as_u16()
        }
    });
    let mut statuses = futures_util::future::join_all(tries).await;
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409, 409, 409, 409, 409, 409, 409]);
    assert_eq!(app.balance(&customer).await, before + Decimal::new(1, 2));
    app.assert_ledger_invariant(customer.user_id).await;
}
