//! The notification centre: what customers are told, the bell's count kept live by events,
//! marking read, and nobody reading anybody else's.

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn a_security_change_is_told_live_listed_and_marked_read() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let mut stream = Stream::open(&app, &s, None).await;
    app.api_key(&s, "deploy").await;
    let e = loop {
        let e = stream.next_event().await;
        if e.event == "notification.created" {
            break e;
        }
    };
    assert_eq!(e.data["unread"], 1, "the bell counts it with no request");

    let list = app.get_json("/api/notifications", &s).await;
    assert_eq!(list["unread"], 1);
    let n = &list["notifications"][0];
    assert_eq!(n["kind"], "security");
    assert_eq!(n["read"], false);
    assert!(n["message"].as_str().unwrap().contains("deploy"), "{n}");

    // Another customer sees none of it, and cannot mark it read.
    let other = app.signed_in().await;
    let theirs = app.get_json("/api/notifications", &other).await;
    assert_eq!(theirs["notifications"].as_array().unwrap().len(), 0);
    let r = app
        .as_browser(Method::POST, "/api/notifications/read", &other)
        .json(&json!({"ids": [n["id"]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["unread"], 0);
    assert_eq!(app.get_json("/api/notifications", &s).await["unread"], 1);

    let r = app
        .as_browser(Method::POST, "/api/notifications/read", &s)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(error_body(r, 422).await["field"], "ids");
    let r = app
        .as_browser(Method::POST, "/api/notifications/read", &s)
        .json(&json!({"ids": [n["id"]]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["unread"], 0);
    let e = loop {
        let e = stream.next_event().await;
        if e.event == "notification.created" {
            break e;
        }
    };
    assert_eq!(e.data["unread"], 0, "other tabs' bells follow");
    let list = app.get_json("/api/notifications", &s).await;
    assert_eq!(list["notifications"][0]["read"], true);
}

#[tokio::test]
async fn a_purchase_that_leaves_the_balance_low_is_told_once() {
    let app = spawn_app().await;
    let probe = app.funded("100").await;
    let cost = dec(&app.rent(&probe, 1).await["cost"]);
    let s = app.signed_in().await;
    app.credit(
        s.user_id,
        &(cost * rust_decimal::Decimal::from(2) + rust_decimal::Decimal::new(5, 1)).to_string(),
    )
    .await;
    app.rent(&s, 1).await;
    let before = app.get_json("/api/notifications", &s).await;
    let low = |list: &Value| {
        list["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "low_balance")
            .count()
    };
    if app.balance(&s).await >= rust_decimal::Decimal::ONE {
        assert_eq!(low(&before), 0, "not low yet: nothing said");
    }
    app.rent(&s, 1).await;
    let after = app.get_json("/api/notifications", &s).await;
    assert_eq!(low(&after), 1, "{after}");
    assert!(app.balance(&s).await < rust_decimal::Decimal::ONE);
}

#[tokio::test]
async fn the_bell_is_on_every_page_with_its_count() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    app.api_key(&s, "one").await;
    app.api_key(&s, "two").await;
    let html = app.page_html("/rentals", &s).await;
    assert!(html.contains(r#"data-testid="bell""#));
    assert!(html.contains(">2<"), "the count is drawn on the server");
    let page = app.page_html("/notifications", &s).await;
    assert!(page.contains("2 unread."), "{page}");
    assert!(page.contains("Mark all read"));
}

#[tokio::test]
async fn a_customer_sets_their_own_low_balance_threshold_and_is_told_below_it() {
    let app = spawn_app().await;
    let probe = app.funded("100").await;
    let cost = dec(&app.rent(&probe, 1).await["cost"]);
    let s = app.signed_in().await;
    let prefs = app.get_json("/api/notifications/preferences", &s).await;
    assert_eq!(prefs["low_balance_threshold"], "1.0000", "{prefs}");

    // Bad thresholds are refused, naming the field, and change nothing.
    for bad in [json!("-1"), json!("10000.01"), json!("lots")] {
        let r = app
            .as_browser(Method::PUT, "/api/notifications/preferences", &s)
            .json(&json!({"email": false, "low_balance_threshold": bad}))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(r.status().as_u16(), 400 | 422),
            "{bad}: {}",
            r.status()
        );
        if r.status() == 422 {
            assert_eq!(
                error_body(r, 422).await["field"],
                "low_balance_threshold",
                "{bad}"
            );
        }
    }
    let prefs = app.get_json("/api/notifications/preferences", &s).await;
    assert_eq!(prefs["low_balance_threshold"], "1.0000");

    // Told below 1.5 rentals' worth: with three rentals' worth (and a cent), the second rental
    // crosses it and the first does not.
    let threshold = (cost * rust_decimal::Decimal::new(15, 1)).round_dp(4);
    let r = app
        .as_browser(Method::PUT, "/api/notifications/preferences", &s)
        .json(&json!({"email": false, "low_balance_threshold": threshold.to_string()}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let set: Value = r.json().await.unwrap();
    assert_eq!(dec(&set["low_balance_threshold"]), threshold);
    // A change that leaves the threshold out keeps it.
    let r = app
        .as_browser(Method::PUT, "/api/notifications/preferences", &s)
        .json(&json!({"email": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let kept: Value = r.json().await.unwrap();
    assert_eq!(dec(&kept["low_balance_threshold"]), threshold);

    app.credit(
        s.user_id,
        &(cost * rust_decimal::Decimal::from(3) + rust_decimal::Decimal::new(1, 2)).to_string(),
    )
    .await;
    let low = |list: &Value| {
        list["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "low_balance")
            .count()
    };
    app.rent(&s, 1).await;
    assert!(app.balance(&s).await >= threshold);
    assert_eq!(low(&app.get_json("/api/notifications", &s).await), 0);
    app.rent(&s, 1).await;
    assert!(app.balance(&s).await < threshold);
    assert_eq!(low(&app.get_json("/api/notifications", &s).await), 1);

    // 0: never told.
    let other = app.signed_in().await;
    let r = app
        .as_browser(Method::PUT, "/api/notifications/preferences", &other)
        .json(&json!({"email": false, "low_balance_threshold": "0"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    app.credit(other.user_id, &cost.to_string()).await;
    app.rent(&other, 1).await;
    assert_eq!(low(&app.get_json("/api/notifications", &other).await), 0);
}
