//! The live event stream: `GET /api/events` (Server-Sent Events).

use crate::helpers::*;
use reqwest::{Method, Response};
use serde_json::{json, Value};
use std::time::Duration;

/// A parsed SSE event.
#[derive(Debug, Clone)]
struct SseEvent {
    id: Option<i64>,
    event: String,
    data: Value,
}

struct Stream {
    response: Response,
    buffer: String,
}

impl Stream {
    async fn open(app: &TestApp, s: &Session, last_event_id: Option<i64>) -> Stream {
        let mut req = app.as_browser(Method::GET, "/api/events", s);
        if let Some(id) = last_event_id {
            req = req.header("Last-Event-ID", id.to_string());
        }
        let response = req.send().await.unwrap();
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream"));
        let mut stream = Stream {
            response,
            buffer: String::new(),
        };
        // The server says hello once the subscription is in place.
        stream
            .read_until(|block| block.contains(": connected"))
            .await;
        stream
    }

    async fn read_until(&mut self, done: impl Fn(&str) -> bool) -> String {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                if done(&block) {
                    return block;
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(5), self.response.chunk())
                .await
                .expect("an event within 5 s")
                .unwrap()
                .expect("the stream stays open");
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    async fn next_event(&mut self) -> SseEvent {
        let block = self
            .read_until(|b| b.lines().any(|l| l.starts_with("event:")))
            .await;
        let field = |name: &str| {
            block.lines().find_map(|l| {
                l.strip_prefix(&format!("{name}:"))
                    .map(|v| v.trim().to_owned())
            })
        };
        SseEvent {
            id: field("id").and_then(|v| v.parse().ok()),
            event: field("event").unwrap(),
            data: serde_json::from_str(&field("data").unwrap_or_default()).unwrap_or(Value::Null),
        }
    }
}

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
async fn a_closed_stream_frees_its_subscription_and_memory_stays_flat() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let rss_kb = || {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
        statm
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 4
    };
    let base = app.state.events.subscribers();
    for _ in 0..50 {
        drop(Stream::open(&app, &s, None).await);
    }
    let warm = rss_kb();
    for round in 0..1_000 {
        let stream = Stream::open(&app, &s, None).await;
        assert!(
            app.state.events.subscribers() > base,
            "round {round}: subscribed"
        );
        drop(stream);
    }
    // A dropped connection is noticed at once; give the server a moment to see the last one.
    for _ in 0..50 {
        if app.state.events.subscribers() == base {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(app.state.events.subscribers(), base);
    let grown = rss_kb().saturating_sub(warm);
    assert!(
        grown < 8 * 1024,
        "memory grew by {grown} KiB over 1,000 connections"
    );
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
