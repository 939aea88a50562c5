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

/// A raw HTTP/1.1 connection, as a browser's fresh connection or a script opens one.
async fn raw(app: &TestApp, request: &str) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let addr = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(addr).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    socket
}

/// Reads from `socket` until `text` has arrived (5 s at most); returns all read so far.
async fn read_until(socket: &mut tokio::net::TcpStream, read: &mut String, text: &str) {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 4096];
    while !read.contains(text) {
        let n = tokio::time::timeout(std::time::Duration::from_secs(5), socket.read(&mut buf))
            .await
            .unwrap_or_else(|_| panic!("{text:?} within 5 s; got {read:?}"))
            .unwrap();
        assert!(n > 0, "connection closed before {text:?}; got {read:?}");
        read.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
}

#[tokio::test]
async fn a_stream_on_a_connection_of_its_own_gets_every_header_and_event_and_frees_at_close() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let key = app.api_key(&s, "raw stream").await;
    let base = app.state.events.subscribers();
    let mut socket = raw(
        &app,
        &format!(
            "GET /api/events HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {key}\r\n\
             Accept: text/event-stream\r\n\r\n",
            app.address.trim_start_matches("http://")
        ),
    )
    .await;
    let mut read = String::new();
    read_until(&mut socket, &mut read, ": connected").await;
    let head = read.split("\r\n\r\n").next().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200 ok\r\n"), "{head}");
    for line in [
        "content-type: text/event-stream",
        "x-content-type-options: nosniff",
        "x-frame-options: deny",
        "connection: close",
        "date: ",
    ] {
        assert!(head.contains(line), "{line:?} in {head}");
    }
    assert_eq!(app.state.events.subscribers(), base + 1);

    app.rent(&s, 24).await;
    read_until(&mut socket, &mut read, "event: rental.updated").await;
    assert!(read.contains("event: balance.changed"), "{read}");

    drop(socket);
    for _ in 0..100 {
        if app.state.events.subscribers() == base {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the closed stream still holds its subscription");
}

#[tokio::test]
async fn a_refused_stream_on_a_connection_of_its_own_gets_the_json_error_and_the_close() {
    use tokio::io::AsyncReadExt;
    let app = spawn_app().await;
    let mut socket = raw(
        &app,
        "GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nmk_wrong\r\n\r\n",
    )
    .await;
    let mut read = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.read_to_end(&mut read),
    )
    .await
    .expect("the server closes the connection after the error")
    .unwrap();
    let read = String::from_utf8(read).unwrap();
    let (head, body) = read.split_once("\r\n\r\n").unwrap();
    assert!(head.starts_with("HTTP/1.1 401 Unauthorized\r\n"), "{head}");
    let body: Value = serde_json::from_str(body).unwrap();
    assert_eq!(body["error"]["code"], "unauthorized", "{body}");
}

#[tokio::test]
async fn a_stream_asked_for_on_a_kept_alive_connection_works_too() {
    let app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "kept alive").await;
    let host = app.address.trim_start_matches("http://").to_owned();
    let mut socket = raw(
        &app,
        &format!(
            "GET /api/rentals/active HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n\
             GET /api/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
        ),
    )
    .await;
    let mut read = String::new();
    read_until(&mut socket, &mut read, ": connected").await;
    assert!(read.starts_with("HTTP/1.1 200 OK\r\n"), "{read}");
    assert!(
        read.matches("HTTP/1.1 200 OK\r\n").count() == 2,
        "both answered: {read}"
    );
}

#[tokio::test]
async fn stopping_the_server_ends_every_stream_and_the_server_stops() {
    use tokio::io::AsyncReadExt;
    let mut app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "shutdown").await;
    let host = app.address.trim_start_matches("http://").to_owned();
    // One stream on a connection of its own, one on a kept-alive connection (served by hyper).
    let mut own = raw(
        &app,
        &format!("GET /api/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"),
    )
    .await;
    let mut kept_alive = raw(
        &app,
        &format!(
            "GET /api/rentals/active HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n\
             GET /api/events HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n"
        ),
    )
    .await;
    let (mut read_own, mut read_kept) = (String::new(), String::new());
    read_until(&mut own, &mut read_own, ": connected").await;
    read_until(&mut kept_alive, &mut read_kept, ": connected").await;

    assert!(
        app.stop(std::time::Duration::from_secs(10)).await,
        "the server stops with streams open"
    );
    for socket in [&mut own, &mut kept_alive] {
        let mut rest = Vec::new();
        tokio::time::timeout(
            std::time::Duration::from_secs(5),
            socket.read_to_end(&mut rest),
        )
        .await
        .expect("the stream ends")
        .unwrap();
    }
}
