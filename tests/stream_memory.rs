//! A test binary of its own, so the process's memory is this test's alone: 1,000 event streams
//! opened and closed leave no subscription behind and do not grow the server's memory.

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use helpers::*;
use std::time::Duration;

fn rss_kib() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<u64>()
        .unwrap()
        * 4
}

#[tokio::test]
async fn a_closed_stream_frees_its_subscription_and_memory_stays_flat() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let base = app.state.events.subscribers();
    for _ in 0..100 {
        drop(Stream::open(&app, &s, None).await);
    }
    let warm = rss_kib();
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
    assert_eq!(
        app.state.events.subscribers(),
        base,
        "every closed stream freed its subscription"
    );
    let grown = rss_kib().saturating_sub(warm);
    assert!(
        grown < 8 * 1024,
        "memory grew by {grown} KiB over 1,000 connections"
    );
}
