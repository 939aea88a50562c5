//! The live event stream: `GET /api/events` (Server-Sent Events).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

#[tokio::test]
async fn a_new_sms_reaches_the_owners_stream_and_no_one_elses() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let other = app.funded("100").await;
    let mut mine = Stream::open(&app, &s, None).await;
    let mut theirs = Stream::open(&app, &other, None).await;
    let rental = app.rent(&s, 24).await;
    // Creating a rental: the balance changes, then the rental appears.
    let e = mine.next_event().await;
    assert_eq!(e.event, "balance.changed");
    assert!(e.id.is_some());
    let e = mine.next_event().await;
    assert_eq!(e.event, "rental.updated");
    assert_eq!(e.data["id"], rental["id"]);

    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "sender": "Telegram", "text": "Code 55123"})),
    )
    .await;
    namaskah::server::jobs::run_due(&app.state).await;
    let e = mine.next_event().await;
    assert_eq!(e.event, "sms.received");
    assert_eq!(e.data["rental_id"], rental["id"]);
    assert_eq!(e.data["message"]["code"], "55123");

    // The other user saw nothing of it: their next event is their own.
    app.rent(&other, 24).await;
    let e = theirs.next_event().await;
    assert_eq!(e.event, "balance.changed");
    assert_ne!(e.data["balance"], Value::Null);
    let e = theirs.next_event().await;
    assert_ne!(e.data["id"], rental["id"]);
}

#[tokio::test]
async fn a_reconnecting_stream_resumes_without_losing_an_sms() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let rental = app.rent(&s, 24).await;
    let mut stream = Stream::open(&app, &s, None).await;
    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "text": "first 11111"})),
    )
    .await;
    namaskah::server::jobs::run_due(&app.state).await;
    let first = stream.next_event().await;
    assert_eq!(first.event, "sms.received");
    drop(stream);

    // While disconnected, another SMS arrives.
    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "text": "second 22222"})),
    )
    .await;
    let r = app
        .client
        .post(app.url("/sandbox/control/clock"))
        .json(&json!({"advance_seconds": 5}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);

    let mut resumed = Stream::open(&app, &s, first.id).await;
    let missed = resumed.next_event().await;
    assert_eq!(missed.event, "sms.received");
    assert_eq!(missed.data["message"]["code"], "22222");
    assert!(missed.id > first.id);
}

#[tokio::test]
async fn the_stream_needs_a_signed_in_user() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/api/events")).send().await.unwrap();
    error_body(r, 401).await;
    // An API key works too.
    let s = app.signed_in().await;
    let key = app.api_key(&s, "stream").await;
    let r = app
        .with_key(Method::GET, "/api/events", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
