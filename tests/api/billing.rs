use crate::helpers::*;
use namaskah::domain::Money;
use namaskah::server::services::audit::Actor;
use namaskah::server::services::billing::{self, Posting};
use namaskah::server::storage::ledger;
use namaskah::server::ServerError;
use reqwest::Method;
use serde_json::Value;

#[tokio::test]
async fn a_new_wallet_is_empty_and_money_is_a_decimal_string() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let r: Value = app
        .as_browser(Method::GET, "/api/billing/balance", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["balance"], "0.0000");
    assert_eq!(r["currency"], "USD");
    app.credit(s.user_id, "12.5").await;
    let r: Value = app
        .as_browser(Method::GET, "/api/billing/balance", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["balance"], "12.5000");
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn transactions_are_newest_first_and_paginated() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    for amount in ["1", "2", "3"] {
        app.credit(s.user_id, amount).await;
    }
    let page1: Value = app
        .as_browser(Method::GET, "/api/billing/transactions?per_page=2", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page1["total"], 3);
    assert_eq!(page1["page"], 1);
    let rows = page1["transactions"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["amount"], "3.0000");
    assert_eq!(rows[0]["balance_after"], "6.0000");
    assert_eq!(rows[1]["amount"], "2.0000");
    assert_eq!(rows[0]["kind"], "credit");
    assert_eq!(rows[0]["note"], "test credit");
    let page2: Value = app
        .as_browser(
            Method::GET,
            "/api/billing/transactions?per_page=2&page=2",
            &s,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page2["transactions"].as_array().unwrap().len(), 1);
    assert_eq!(page2["transactions"][0]["amount"], "1.0000");
}

#[tokio::test]
async fn bad_paging_is_422_naming_the_parameter() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    for (query, field) in [
        ("per_page=0", "per_page"),
        ("per_page=101", "per_page"),
        ("page=0", "page"),
        ("page=abc", "page"),
    ] {
        let r = app
            .as_browser(
                Method::GET,
                &format!("/api/billing/transactions?{query}"),
                &s,
            )
            .send()
            .await
            .unwrap();
        assert_eq!(error_body(r, 422).await["field"], field, "{query}");
    }
}

#[tokio::test]
async fn nobody_sees_another_users_money() {
    let app = spawn_app().await;
    let alice = app.signed_in().await;
    let bob = app.signed_in().await;
    app.credit(alice.user_id, "50").await;
    let r: Value = app
        .as_browser(Method::GET, "/api/billing/balance", &bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["balance"], "0.0000");
    let r: Value = app
        .as_browser(Method::GET, "/api/billing/transactions", &bob)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["total"], 0);
}

#[tokio::test]
async fn a_debit_beyond_the_balance_is_refused_and_writes_nothing() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    app.credit(s.user_id, "5").await;
    let email: String = sqlx::query_scalar("select email from app_user where user_id = $1")
        .bind(s.user_id)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    let e = billing::credit(&app.state, &Actor::CLI, &email, "-5.0001", "too much")
        .await
        .unwrap_err();
    assert!(
        matches!(e, ServerError::InsufficientBalance { .. }),
        "{e:?}"
    );
    assert_eq!(
        ledger::count(&app.state.db.pool, s.user_id).await.unwrap(),
        1
    );
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn concurrent_debits_never_take_the_balance_below_zero() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    app.credit(s.user_id, "5").await;
    let tasks: Vec<_> = (0..12)
        .map(|_| {
            let state = app.state.clone();
            let user_id = s.user_id;
            tokio::spawn(async move {
                let mut tx = state.db.begin_write().await.unwrap();
                let posted = billing::post(
                    &mut tx,
                    state.clock.now_ms(),
                    Posting {
                        user_id,
                        amount: Money::from_units(-10_000),
                        kind: "charge",
                        reference: None,
                        note: "race",
                    },
                )
                .await;
                match posted {
                    Ok(_) => {
                        tx.commit().await.unwrap();
                        true
                    }
                    Err(ServerError::InsufficientBalance { .. }) => false,
                    Err(e) => panic!("unexpected error: {e:?}"),
                }
            })
        })
        .collect();
    let mut succeeded = 0;
    for t in tasks {
        if t.await.unwrap() {
            succeeded += 1;
        }
    }
    assert_eq!(succeeded, 5);
    app.assert_ledger_invariant(s.user_id).await;
}

#[tokio::test]
async fn a_reference_can_be_paid_only_once() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let refund = |app: &TestApp| {
        let state = app.state.clone();
        let user_id = s.user_id;
        async move {
            let mut tx = state.db.begin_write().await.unwrap();
            let r = billing::post(
                &mut tx,
                state.clock.now_ms(),
                Posting {
                    user_id,
                    amount: Money::from_units(20_000),
                    kind: "refund",
                    reference: Some("refund:rental:1"),
                    note: "",
                },
            )
            .await;
            if r.is_ok() {
                tx.commit().await.unwrap();
            }
            r
        }
    };
    assert!(refund(&app).await.is_ok());
    let second = refund(&app).await.unwrap_err();
    assert!(matches!(second, ServerError::Conflict { .. }), "{second:?}");
    let r: Value = app
        .as_browser(Method::GET, "/api/billing/balance", &s)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["balance"], "2.0000");
    app.assert_ledger_invariant(s.user_id).await;
}
