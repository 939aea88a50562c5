//! Clients that open connections and send nothing, or send their request a byte at a time,
//! cannot hold the server: they are closed after the header timeout, and past the connection
//! cap the next one is told to come back, while real clients are served.

use crate::helpers::*;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Whether the server has closed `socket` (end of stream or reset), within `within`.
async fn closed_within(socket: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 1024];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, socket.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            // Something written before closing (an error answer): keep reading.
            Ok(Ok(_)) => continue,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_slow_connections_are_closed_and_do_not_keep_anyone_waiting() {
    let app = spawn_app_with(&[("HTTP_HEADER_TIMEOUT_SECS", "2".into())]).await;
    let addr = app.address.trim_start_matches("http://").to_owned();

    let mut silent = Vec::new();
    for _ in 0..2_000 {
        silent.push(TcpStream::connect(&addr).await.unwrap());
    }
    let mut slow = Vec::new();
    for _ in 0..200 {
        let mut s = TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /api/catalog/countries HTTP/1.1\r\nHost: ")
            .await
            .unwrap();
        slow.push(s);
    }
    let opened = Instant::now();
    // The slow ones keep trickling their head, a byte every 300 ms, for longer than they may
    // take: the timeout runs from the start of the head, not from the last byte.
    let trickle = tokio::spawn(async move {
        let mut closed = vec![None; slow.len()];
        while opened.elapsed() < Duration::from_secs(8) {
            tokio::time::sleep(Duration::from_millis(300)).await;
            for (i, s) in slow.iter_mut().enumerate() {
                if closed[i].is_none() && s.write_all(b"x").await.is_err() {
                    closed[i] = Some(opened.elapsed());
                }
            }
        }
        closed
    });

    // Meanwhile an ordinary client is served at once.
    let mut times = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let r = reqwest::get(app.url("/api/catalog/countries"))
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        times.push(started.elapsed());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    times.sort();
    assert!(
        times[times.len() / 2] < Duration::from_millis(100),
        "an ordinary request waited {times:?}"
    );

    // Every silent and slow connection is closed soon after the timeout.
    for s in silent.iter_mut() {
        assert!(
            closed_within(s, Duration::from_secs(5)).await,
            "a silent connection stayed open"
        );
    }
    for (i, closed) in trickle.await.unwrap().into_iter().enumerate() {
        let closed = closed.unwrap_or_else(|| panic!("slow connection {i} stayed open"));
        // Closed about when the 2 s ran out (a write notices a close a moment later).
        assert!(
            closed < Duration::from_secs(4),
            "slow connection {i} closed after {closed:?}"
        );
    }
}

#[tokio::test]
async fn a_connection_that_starts_an_http2_preface_and_stalls_is_closed() {
    let app = spawn_app_with(&[("HTTP_HEADER_TIMEOUT_SECS", "1".into())]).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"P").await.unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(3)).await);
    let mut s = TcpStream::connect(&addr).await.unwrap();
    s.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
        .await
        .unwrap();
    assert!(closed_within(&mut s, Duration::from_secs(3)).await);
}

#[tokio::test]
async fn an_idle_keep_alive_connection_is_closed_after_the_timeout() {
    let app = spawn_app_with(&[("HTTP_HEADER_TIMEOUT_SECS", "1".into())]).await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut s = TcpStream::connect(&addr).await.unwrap();
    let head = format!("GET /api/catalog/countries HTTP/1.1\r\nHost: {addr}\r\n\r\n");
    s.write_all(head.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = s.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    // Answered, kept alive, then nothing more: closed.
    assert!(closed_within(&mut s, Duration::from_secs(4)).await);
}

#[tokio::test]
async fn past_the_connection_cap_the_next_is_told_to_come_back() {
    let app = spawn_app_with(&[
        ("MAX_CONNECTIONS", "20".into()),
        ("HTTP_HEADER_TIMEOUT_SECS", "2".into()),
    ])
    .await;
    let addr = app.address.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..20 {
        held.push(TcpStream::connect(&addr).await.unwrap());
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(2), extra.read_to_string(&mut answer))
        .await
        .expect("answered at once")
        .unwrap();
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.to_lowercase().contains("retry-after: 5"), "{answer}");
    // Once the idle ones are closed, there is room again.
    for s in held.iter_mut() {
        assert!(closed_within(s, Duration::from_secs(5)).await);
    }
    let r = reqwest::get(app.url("/api/catalog/countries"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}
