//! Crash safety, proven by crashing: the real server binary runs against a 5SIM emulator in
//! this process, one failpoint is armed to stop a request at one step, the process is killed
//! with SIGKILL there, the reconciliation pass runs (`namaskah reconcile`), and the server is
//! started again on the same database. Then: every user's balance equals the sum of their
//! ledger, the customer paid exactly for what they have, every refund was made at most once,
//! no purchase is left open, no order is live upstream without a live record here, and a retry
//! with the same Idempotency-Key answers as the first request should have.

use crate::process::{World, FUNDS, PROVIDER_KEY};
use reqwest::{Method, StatusCode};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;
use std::time::{Duration, Instant};

fn money(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().expect("a decimal string")).expect("a decimal")
}

const RENT: &str = "/api/rentals/create";
const BUY: &str = "/api/verifications";

fn rental_body() -> Value {
    json!({"service": "telegram", "country": "GB", "duration_hours": 2})
}

fn verification_body() -> Value {
    json!({"service": "telegram", "country": "GB"})
}

/// A purchase interrupted at `failpoint`: after reconciliation and a retry with the same key,
/// the customer has exactly one number and paid for exactly one.
async fn purchase_survives(failpoint: &str, path: &str, body: Value, adopted: u64) {
    let world = World::new().await;
    let server = world.start(Some(failpoint)).await;
    let key = "crash-purchase-1";
    world
        .crash_during(server, failpoint, path, body.clone(), key)
        .await;

    let repairs = world.reconcile().await;
    assert_eq!(repairs["adopted"], adopted, "{repairs}");
    assert_eq!(repairs["failed"], 0, "{repairs}");
    world.assert_invariants().await;

    let server = world.start(None).await;
    let (status, first) = world.call(&server, path, body.clone(), Some(key)).await;
    assert_eq!(status, StatusCode::CREATED, "the retry succeeds: {first}");
    let (status, again) = world.call(&server, path, body, Some(key)).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        again["id"], first["id"],
        "a second retry gets the same answer"
    );

    let table = if path == RENT {
        "rentals"
    } else {
        "verification"
    };
    let records = world
        .scalar(&format!("select count(*) from {table} where user_id = $1"))
        .await;
    assert_eq!(records, 1, "one number, however the crash fell");
    assert_eq!(world.upstream_orders(), 1, "one order upstream");
    assert_eq!(
        world.balance().await,
        Decimal::from_str(FUNDS).unwrap() - money(&first["cost"]),
        "paid once"
    );
    world.assert_invariants().await;
}

#[tokio::test]
async fn a_rental_interrupted_after_the_hold_is_given_back_and_can_be_bought_again() {
    purchase_survives("rental.create.after_hold", RENT, rental_body(), 0).await;
}

#[tokio::test]
async fn a_rental_interrupted_after_the_provider_sold_it_is_recorded() {
    purchase_survives("rental.create.after_buy", RENT, rental_body(), 1).await;
}

#[tokio::test]
async fn a_rental_interrupted_after_noting_its_order_is_recorded() {
    purchase_survives("rental.create.after_bought", RENT, rental_body(), 1).await;
}

#[tokio::test]
async fn a_rental_interrupted_after_recording_answers_the_retry_with_it() {
    purchase_survives("rental.create.after_record", RENT, rental_body(), 0).await;
}

#[tokio::test]
async fn a_request_interrupted_after_taking_its_key_runs_on_retry() {
    purchase_survives("idempotency.after_start", RENT, rental_body(), 0).await;
}

#[tokio::test]
async fn a_request_interrupted_before_saving_its_answer_replays_on_retry() {
    purchase_survives("idempotency.before_save", RENT, rental_body(), 0).await;
}

#[tokio::test]
async fn a_verification_interrupted_after_the_hold_is_given_back() {
    purchase_survives(
        "verification.create.after_hold",
        BUY,
        verification_body(),
        0,
    )
    .await;
}

#[tokio::test]
async fn a_verification_interrupted_after_the_provider_sold_it_is_recorded() {
    purchase_survives("verification.create.after_buy", BUY, verification_body(), 1).await;
}

#[tokio::test]
async fn a_verification_interrupted_after_noting_its_order_is_recorded() {
    purchase_survives(
        "verification.create.after_bought",
        BUY,
        verification_body(),
        1,
    )
    .await;
}

#[tokio::test]
async fn a_verification_interrupted_after_recording_answers_the_retry_with_it() {
    purchase_survives(
        "verification.create.after_record",
        BUY,
        verification_body(),
        0,
    )
    .await;
}

/// Rents a number on a server with no failpoint armed; its id.
async fn rented(world: &World) -> i64 {
    let server = world.start(None).await;
    let (status, rental) = world.call(&server, RENT, rental_body(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{rental}");
    rental["id"].as_i64().unwrap()
}

#[tokio::test]
async fn an_extension_interrupted_after_it_was_paid_is_not_paid_twice() {
    let world = World::new().await;
    let id = rented(&world).await;
    let server = world.start(Some("rental.extend.after_commit")).await;
    let path = format!("/api/rentals/{id}/extend");
    let body = json!({"hours": 1});
    world
        .crash_during(
            server,
            "rental.extend.after_commit",
            &path,
            body.clone(),
            "ext-1",
        )
        .await;
    let repairs = world.reconcile().await;
    assert_eq!(repairs["failed"], 0, "{repairs}");
    world.assert_invariants().await;

    let server = world.start(None).await;
    let before = world.balance().await;
    let (status, first) = world
        .call(&server, &path, body.clone(), Some("ext-1"))
        .await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(
        world.balance().await,
        before,
        "the retry charges nothing more"
    );
    let (_, again) = world.call(&server, &path, body, Some("ext-1")).await;
    assert_eq!(again, first);
    let rental: Value = world
        .request(&server, Method::GET, &format!("/api/rentals/{id}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rental["expires_at"], first["rental"]["expires_at"]);
    assert_eq!(rental["duration_hours"], 3, "extended once");
    world.assert_invariants().await;
}

#[tokio::test]
async fn a_release_interrupted_after_the_refund_gives_the_number_back_upstream() {
    let world = World::new().await;
    let id = rented(&world).await;
    let server = world.start(Some("rental.release.after_refund")).await;
    let path = format!("/api/rentals/{id}/release");
    world
        .crash_during(
            server,
            "rental.release.after_refund",
            &path,
            json!({}),
            "rel-1",
        )
        .await;
    let repairs = world.reconcile().await;
    assert_eq!(repairs["upstream_closed"], 1, "{repairs}");
    world.assert_invariants().await;
    let refunds = world
        .scalar("select count(*) from ledger_entry where user_id = $1 and kind = 'refund'")
        .await;
    assert_eq!(refunds, 1);

    let server = world.start(None).await;
    let (status, again) = world.call(&server, &path, json!({}), Some("rel-1")).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "the retry answers as the release did: {again}"
    );
    assert_eq!(again["rental"]["status"], "released");
    let refunds = world
        .scalar("select count(*) from ledger_entry where user_id = $1 and kind = 'refund'")
        .await;
    assert_eq!(refunds, 1, "refunded once");
    world.assert_invariants().await;
}

/// Sets the emulator's clock back so that what it sells next ends `left` from now.
fn sell_ending_in(world: &World, length: Duration, left: Duration) {
    let back = length.as_millis() as i64 - left.as_millis() as i64;
    world.upstream_clock.advance_ms(-back);
}

#[tokio::test]
async fn an_expiry_interrupted_before_the_upstream_release_is_finished_by_reconciliation() {
    let world = World::new().await;
    // The rental's upstream order (3 hours, the shortest that covers 2) ends two seconds from
    // now, and the rental with it.
    sell_ending_in(
        &world,
        Duration::from_secs(3 * 3600),
        Duration::from_secs(2),
    );
    let server = world.start(Some("rental.expire.after_commit")).await;
    let (status, rental) = world.call(&server, RENT, rental_body(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{rental}");
    let mut server = server;
    world
        .kill_at(&mut server, "rental.expire.after_commit")
        .await;
    drop(server);
    let repairs = world.reconcile().await;
    assert_eq!(repairs["upstream_closed"], 1, "{repairs}");
    world.assert_invariants().await;
}

#[tokio::test]
async fn a_cancel_interrupted_before_the_refund_is_refunded_once() {
    let world = World::new().await;
    let server = world
        .start(Some("verification.cancel.after_upstream"))
        .await;
    let (status, v) = world.call(&server, BUY, verification_body(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().unwrap();
    let path = format!("/api/verifications/{id}/cancel");
    world
        .crash_during(
            server,
            "verification.cancel.after_upstream",
            &path,
            json!({}),
            "c-1",
        )
        .await;
    world.reconcile().await;
    // Restarted, the poller finds the order cancelled upstream and refunds it. If the killed
    // process had claimed the order for a poll at that moment, its claim holds until the lease
    // ends (30 s, as for an instance that died mid-poll), so the wait covers the lease too.
    let server = world.start(None).await;
    let deadline = Instant::now() + Duration::from_secs(30 + 20);
    loop {
        let now: Value = world
            .request(&server, Method::GET, &format!("/api/verifications/{id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if now["status"] == "cancelled" {
            assert_eq!(now["refunded"], true);
            break;
        }
        assert!(Instant::now() < deadline, "never refunded: {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(world.balance().await, Decimal::from_str(FUNDS).unwrap());
    world.assert_invariants().await;
}

#[tokio::test]
async fn a_timeout_interrupted_before_the_upstream_cancel_is_finished_by_reconciliation() {
    let world = World::new().await;
    // The number waits twenty minutes for its SMS upstream: make that two seconds from now.
    sell_ending_in(&world, Duration::from_secs(20 * 60), Duration::from_secs(2));
    let mut server = world.start(Some("verification.expire.after_refund")).await;
    let (status, v) = world.call(&server, BUY, verification_body(), None).await;
    assert_eq!(status, StatusCode::CREATED, "{v}");
    world
        .kill_at(&mut server, "verification.expire.after_refund")
        .await;
    drop(server);
    let repairs = world.reconcile().await;
    assert_eq!(repairs["upstream_closed"], 1, "{repairs}");
    assert_eq!(world.balance().await, Decimal::from_str(FUNDS).unwrap());
    world.assert_invariants().await;
}

#[tokio::test]
async fn an_order_no_local_record_knows_is_closed_upstream() {
    // What a purchase leaves behind when its hold was given back but the provider sold the
    // number after all (its answer lost on the way): an order upstream that nothing here holds.
    let world = World::new().await;
    for path in [
        "/user/buy/activation/england/any/telegram",
        "/user/buy/hosting/england/any/1day",
    ] {
        let r = world
            .http
            .get(format!("{}{path}", world.base_url))
            .bearer_auth(PROVIDER_KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    }
    let repairs = world.reconcile().await;
    assert_eq!(repairs["orphans_closed"], 2, "{repairs}");
    assert_eq!(repairs["adopted"], 0, "{repairs}");
    world.assert_invariants().await;
    let again = world.reconcile().await;
    assert_eq!(again["orphans_closed"], 0, "closed once: {again}");
}

#[tokio::test]
async fn an_extension_interrupted_at_the_provider_is_not_charged() {
    for failpoint in ["rental.extend.after_hold", "rental.extend.after_upstream"] {
        let (world, _upstream) = World::new().await.with_sms_activate().await;
        let server = world.start(Some(failpoint)).await;
        let four_hours = json!({"service": "telegram", "country": "GB", "duration_hours": 4});
        let (status, rental) = world.call(&server, RENT, four_hours, None).await;
        assert_eq!(status, StatusCode::CREATED, "{rental}");
        assert_eq!(
            rental["provider"], "sa",
            "a native extension is what is tested"
        );
        let paid = world.balance().await;
        let ends: i64 = world
            .scalar("select expires_at from rentals where user_id = $1")
            .await;
        let path = format!("/api/rentals/{}/extend", rental["id"]);
        world
            .crash_during(server, failpoint, &path, json!({"hours": 4}), "x-1")
            .await;
        let held: i64 = world
            .scalar("select count(*) from purchase where user_id = $1 and kind = 'rental_extension' and state = 'held'")
            .await;
        assert_eq!(held, 1, "{failpoint}: the hold is open");
        let repairs = world.reconcile().await;
        assert_eq!(repairs["reversed"], 1, "{failpoint}: {repairs}");
        assert_eq!(world.balance().await, paid, "{failpoint}: not charged");
        let now_ends: i64 = world
            .scalar("select expires_at from rentals where user_id = $1")
            .await;
        assert_eq!(now_ends, ends, "{failpoint}: not extended here");
        world.assert_invariants().await;
    }
}

/// A manual credit and its audit entry are one transaction: killed between the two, neither
/// is there.
#[tokio::test]
async fn a_credit_killed_before_its_audit_entry_leaves_neither() {
    let world = World::new().await;
    let email: String = sqlx::query_scalar("select email from app_user where user_id = $1")
        .bind(world.user_id)
        .fetch_one(&world.state.db.pool)
        .await
        .unwrap();
    let ledger_rows = "select count(*) from ledger_entry where user_id = $1";
    let audit_rows = "select count(*) from audit_log where subject_user_id = $1 \
                      and action like 'balance.%'";
    let (ledger_before, audit_before) = (
        world.scalar(ledger_rows).await,
        world.scalar(audit_rows).await,
    );
    let balance_before = world.balance().await;

    let mut credit = world.command(
        &[
            "credit", "--email", &email, "--amount", "25", "--note", "goodwill",
        ],
        Some("credit-after-ledger"),
    );
    world.kill_at(&mut credit, "credit-after-ledger").await;

    assert_eq!(world.balance().await, balance_before);
    assert_eq!(world.scalar(ledger_rows).await, ledger_before);
    assert_eq!(world.scalar(audit_rows).await, audit_before);
    world.assert_invariants().await;

    // Run to the end, both are written.
    let mut credit = world.command(
        &[
            "credit", "--email", &email, "--amount", "25", "--note", "goodwill",
        ],
        None,
    );
    assert!(credit.child.wait().unwrap().success());
    assert_eq!(world.balance().await, balance_before + Decimal::from(25));
    assert_eq!(world.scalar(ledger_rows).await, ledger_before + 1);
    assert_eq!(world.scalar(audit_rows).await, audit_before + 1);
    let (actor, after): (Option<String>, String) = sqlx::query_as(
        "select actor_role, after_json from audit_log where subject_user_id = $1 \
         and action = 'balance.credit' order by audit_id desc limit 1",
    )
    .bind(world.user_id)
    .fetch_one(&world.state.db.pool)
    .await
    .unwrap();
    assert_eq!(actor.as_deref(), Some("cli"));
    let after: Value = serde_json::from_str(&after).unwrap();
    assert_eq!(after["amount"], "25.0000");
    assert_eq!(after["note"], "goodwill");
}
