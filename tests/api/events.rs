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
    // With the card's new counts and last code, so an open page needs nothing more.
    assert_eq!(e.data["rental"]["id"], rental["id"]);
    assert_eq!(e.data["rental"]["message_count"], 1);
    assert_eq!(e.data["rental"]["unread_count"], 1);
    assert_eq!(e.data["rental"]["last_code"], "55123");

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
    // (The rental's own events out of the way: on PostgreSQL they reach the hub a moment
    // after the commit, and a stream opened meanwhile gets them.)
    settle_events(&app).await;
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

/// Events pruned since the client's last one cannot be replayed: the stream says so first
/// (`resync`), and the client takes a snapshot instead of showing a state with a hole in it.
#[tokio::test]
async fn a_resume_from_before_pruned_events_asks_for_a_snapshot() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    app.rent(&s, 24).await;
    let mut first = Stream::open(&app, &s, None).await;
    app.rent(&s, 24).await;
    let seen = first.next_event().await.id.unwrap();
    drop(first);
    app.rent(&s, 24).await;
    namaskah::server::storage::events::prune(&app.state.db.pool, i64::MAX)
        .await
        .unwrap();
    let rental = app.rent(&s, 24).await;
    settle_events(&app).await;

    let mut resumed = Stream::open(&app, &s, Some(seen)).await;
    assert_eq!(resumed.next_event().await.event, "resync");
    // Then live events as usual.
    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "text": "Code 31337"})),
    )
    .await;
    namaskah::server::jobs::run_due(&app.state).await;
    let e = resumed.next_event().await;
    assert_eq!(e.event, "sms.received");

    // A resume the server can replay exactly starts with what was missed, not `resync`.
    let mut exact = Stream::open(&app, &s, e.id.map(|id| id - 1)).await;
    assert_eq!(exact.next_event().await.event, "sms.received");
}

/// The snapshot a client takes when it cannot resume: the balance, the active rentals, the
/// open verifications, and the rental it shows with its messages; another user's rental is
/// not found.
#[tokio::test]
async fn the_live_snapshot_holds_everything_a_page_shows_live() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let rental = app.rent(&s, 24).await;
    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "text": "Code 90210"})),
    )
    .await;
    namaskah::server::jobs::run_due(&app.state).await;
    let path = format!("/api/fn/live_snapshot?rental_id={}", rental["id"]);
    let snapshot = app.get_json(&path, &s).await;
    assert_eq!(dec(&snapshot["balance"]), app.balance(&s).await);
    assert_eq!(snapshot["rentals"][0]["id"], rental["id"]);
    assert_eq!(snapshot["rental"]["last_code"], "90210");
    assert_eq!(snapshot["messages"]["messages"][0]["code"], "90210");
    assert!(snapshot["verifications"].as_array().unwrap().is_empty());

    let without = app.get_json("/api/fn/live_snapshot", &s).await;
    assert_eq!(without["rental"], Value::Null);
    assert_eq!(without["messages"], Value::Null);

    let other = app.signed_in().await;
    let r = app
        .as_browser(Method::GET, &path, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
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

/// A raw HTTP/1.1 connection, as a browser or a script opens one, on which `paths` are asked
/// for one after another (kept alive) with the API key `key`.
async fn raw_gets(app: &TestApp, key: &str, paths: &[&str]) -> tokio::net::TcpStream {
    use tokio::io::AsyncWriteExt;
    let host = app.address.trim_start_matches("http://");
    let mut socket = tokio::net::TcpStream::connect(host).await.unwrap();
    let requests: String = paths
        .iter()
        .map(|path| {
            format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {key}\r\n\r\n")
        })
        .collect();
    socket.write_all(requests.as_bytes()).await.unwrap();
    socket
}

/// Reads from `socket` until `text` has arrived (5 s at most), appending to `read`.
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

/// Everything left on `socket` until the server closes it (5 s at most).
async fn read_to_close(socket: &mut tokio::net::TcpStream) -> String {
    use tokio::io::AsyncReadExt;
    let mut read = Vec::new();
    tokio::time::timeout(
        std::time::Duration::from_secs(5),
        socket.read_to_end(&mut read),
    )
    .await
    .expect("the server closes the connection within 5 s")
    .unwrap();
    String::from_utf8(read).unwrap()
}

#[tokio::test]
async fn a_stream_on_a_connection_of_its_own_gets_every_header_and_event_and_frees_at_close() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    let key = app.api_key(&s, "raw stream").await;
    let base = app.state.events.subscribers();
    let mut socket = raw_gets(&app, &key, &["/api/events"]).await;
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
    let app = spawn_app().await;
    let mut socket = raw_gets(&app, "nmk_wrong", &["/api/events"]).await;
    let read = read_to_close(&mut socket).await;
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
    let mut socket = raw_gets(&app, &key, &["/api/rentals/active", "/api/events"]).await;
    let mut read = String::new();
    read_until(&mut socket, &mut read, ": connected").await;
    assert_eq!(
        read.matches("HTTP/1.1 200 OK\r\n").count(),
        2,
        "both answered: {read}"
    );
}

#[tokio::test]
async fn stopping_the_server_ends_every_stream_and_the_server_stops() {
    let mut app = spawn_app().await;
    let s = app.signed_in().await;
    let key = app.api_key(&s, "shutdown").await;
    // One stream on a connection of its own, one on a kept-alive connection (served by hyper).
    let mut own = raw_gets(&app, &key, &["/api/events"]).await;
    let mut kept_alive = raw_gets(&app, &key, &["/api/rentals/active", "/api/events"]).await;
    for socket in [&mut own, &mut kept_alive] {
        read_until(socket, &mut String::new(), ": connected").await;
    }

    assert!(
        app.stop(std::time::Duration::from_secs(10)).await,
        "the server stops with streams open"
    );
    for socket in [&mut own, &mut kept_alive] {
        read_to_close(socket).await;
    }
}

/// The props the server gave an island on a page (`data-props`, HTML-escaped JSON).
fn island_props(html: &str, island: &str) -> Value {
    let start = html
        .find(&format!("data-component=\"{island}_"))
        .unwrap_or_else(|| panic!("no {island} island on the page"));
    let tag = &html[start..start + html[start..].find('>').unwrap()];
    let props = tag
        .split("data-props=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the island has props");
    serde_json::from_str(&props.replace("&quot;", "\"").replace("&amp;", "&")).unwrap()
}

/// A page names the event its data is as of; its stream, opened from there as the page's
/// script opens it, replays what changed after the render and nothing from before, so the
/// page need not be fetched again to catch up.
#[tokio::test]
async fn a_page_stream_opened_from_the_page_replays_only_what_changed_after_the_render() {
    let app = spawn_app().await;
    let s = app.funded("100").await;
    app.rent(&s, 24).await;
    // (On PostgreSQL the rental's events reach the hub a moment after its commit.)
    settle_events(&app).await;
    let html = app.page_html("/rentals", &s).await;
    let after = island_props(&html, "PageScript")["events_after"].as_i64();
    let after = after.expect("the page names the event it is as of");
    // After the render: a second rental.
    app.rent(&s, 24).await;
    let mut stream = Stream::open_from(&app, &s, after).await;
    let e = stream.next_event().await;
    assert_eq!(e.event, "balance.changed");
    assert!(e.id.unwrap() > after);
    assert_eq!(dec(&e.data["balance"]), app.balance(&s).await);
    assert_eq!(stream.next_event().await.event, "rental.updated");
}

/// Waits until every stored event has its position and this instance's hub has handed it
/// out (at once on SQLite; a moment after the commit on PostgreSQL).
async fn settle_events(app: &TestApp) {
    for _ in 0..200 {
        let unsequenced: i64 =
            sqlx::query_scalar("select count(*) from event where position is null")
                .fetch_one(&app.state.db.pool)
                .await
                .unwrap();
        let latest = namaskah::server::storage::events::latest_position(&app.state.db.pool)
            .await
            .unwrap();
        if unsequenced == 0 && app.state.events.cursor() >= Some(latest) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the events did not settle within 2 s");
}

fn note(user_id: i64, n: i64) -> namaskah::server::events::Event {
    namaskah::server::events::Event {
        user_id,
        kind: namaskah::server::events::EventKind::NotificationCreated,
        data: json!({ "n": n }),
    }
}

/// PostgreSQL hands out identity values at insert, not at commit: a slow transaction can
/// commit an event with a smaller id after a stream has seen a larger one. Streams resume by
/// position, given in commit order, so the late event is still replayed. (SQLite has one
/// writer at a time: transactions cannot commit out of order there.)
#[tokio::test]
async fn a_resume_gets_an_event_whose_transaction_committed_after_a_newer_one() {
    let app = spawn_app().await;
    if app.state.db.backend != namaskah::server::storage::Backend::Postgres {
        return;
    }
    let s = app.signed_in().await;
    let mut stream = Stream::open(&app, &s, None).await;
    let now = app.state.clock.now_ms();
    // A slow transaction stores its event first (the smaller id)…
    let mut slow = app.state.db.begin_write().await.unwrap();
    let first = note(s.user_id, 1).stage(&mut slow, now).await.unwrap();
    // …a quick one stores the next one and commits.
    let mut quick = app.state.db.begin_write().await.unwrap();
    let second = note(s.user_id, 2).stage(&mut quick, now).await.unwrap();
    quick.commit().await.unwrap();
    app.state.events.deliver(second);
    let seen = stream.next_event().await;
    assert_eq!(seen.data["n"], 2);
    // The client loses its connection; then the slow one commits.
    drop(stream);
    slow.commit().await.unwrap();
    app.state.events.deliver(first);
    let ids: Vec<(i64, i64)> = sqlx::query_as(
        "select event_id, coalesce(position, 0) from event where user_id = $1 order by event_id",
    )
    .bind(s.user_id)
    .fetch_all(&app.state.db.pool)
    .await
    .unwrap();
    assert!(
        ids[0].0 < ids[1].0,
        "the late event has the smaller id: {ids:?}"
    );

    let mut resumed = Stream::open(&app, &s, seen.id).await;
    let missed = resumed.next_event().await;
    assert_eq!(missed.data["n"], 1, "the late event is replayed");
    assert!(missed.id.unwrap() > seen.id.unwrap());
}

/// Two instances on one PostgreSQL database: what one commits reaches the other's streams, and
/// a stream that resumes on the other instance gets exactly what it missed.
#[tokio::test]
async fn events_cross_instances_and_a_stream_resumes_on_another() {
    let a = spawn_app().await;
    if a.state.db.backend != namaskah::server::storage::Backend::Postgres {
        return;
    }
    let b = spawn_app_with(&[("DATABASE_URL", a.database_url.clone())]).await;
    let s = a.funded("100").await;
    let mut on_b = Stream::open(&b, &s, None).await;
    let started = std::time::Instant::now();
    a.state.events.publish(note(s.user_id, 1)).await;
    let e = on_b.next_event().await;
    assert_eq!(e.data["n"], 1);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    drop(on_b);
    // Missed while away, committed on A; resumed on B.
    a.state.events.publish(note(s.user_id, 2)).await;
    a.state.events.publish(note(s.user_id, 3)).await;
    let mut again = Stream::open(&b, &s, e.id).await;
    assert_eq!(again.next_event().await.data["n"], 2);
    assert_eq!(again.next_event().await.data["n"], 3);
}

/// A lost `LISTEN` connection is made again, and what was committed meanwhile still arrives.
#[tokio::test]
async fn a_lost_listen_connection_reconnects_and_catches_up() {
    let app = spawn_app().await;
    if app.state.db.backend != namaskah::server::storage::Backend::Postgres {
        return;
    }
    let s = app.signed_in().await;
    let mut stream = Stream::open(&app, &s, None).await;
    // Wait for the listener, then cut it off.
    let mut cut = 0;
    for _ in 0..100 {
        cut = sqlx::query_scalar::<_, i64>(
            "select count(*) from (select pg_terminate_backend(pid) from pg_stat_activity \
             where application_name = $1 and datname = current_database()) t",
        )
        .bind(namaskah::server::events::postgres::LISTENER_NAME)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        if cut > 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(cut, 1, "the hub listens on one connection of its own");
    app.state.events.publish(note(s.user_id, 7)).await;
    assert_eq!(stream.next_event().await.data["n"], 7);
    // It listens again (not only reads the table each second): a new connection, and an
    // event reaches the stream well within that second.
    let mut listening = 0;
    for _ in 0..250 {
        listening = sqlx::query_scalar::<_, i64>(
            "select count(*) from pg_stat_activity where application_name = $1 \
             and datname = current_database()",
        )
        .bind(namaskah::server::events::postgres::LISTENER_NAME)
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
        if listening == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(listening, 1, "the hub listens again");
    let started = std::time::Instant::now();
    app.state.events.publish(note(s.user_id, 8)).await;
    assert_eq!(stream.next_event().await.data["n"], 8);
    assert!(
        started.elapsed() < std::time::Duration::from_millis(900),
        "{:?}",
        started.elapsed()
    );
}
