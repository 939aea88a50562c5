//! Customers' webhooks (`/api/webhooks`): deliveries signed (the signature checked by an
//! independent implementation, Python's `hmac`), retried with backoff, recorded and
//! redeliverable, an endpoint failing for a day turned off with a notification, sent once by
//! concurrent passes, and addresses checked against server-side request forgery.

use crate::helpers::{error_body, spawn_app, spawn_app_with, Session, TestApp};
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use namaskah::server::jobs;
use reqwest::Method;
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

/// What the receiver got: the signature header, the event header and the body.
#[derive(Clone, Debug)]
struct Received {
    signature: String,
    event: String,
    body: String,
}

/// A customer's endpoint on loopback: records each request and answers the next status of its
/// script (200 once the script is spent).
#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Received>>>,
    script: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    async fn start(script: &[u16]) -> (Receiver, String) {
        let receiver = Receiver::default();
        receiver.script.lock().unwrap().extend(script);
        let r = receiver.clone();
        let app = axum::Router::new().route(
            "/hook",
            routing::post(move |headers: HeaderMap, body: Bytes| {
                let r = r.clone();
                async move {
                    let header = |name: &str| {
                        headers
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned()
                    };
                    r.got.lock().unwrap().push(Received {
                        signature: header("namaskah-signature"),
                        event: header("namaskah-event"),
                        body: String::from_utf8_lossy(&body).into_owned(),
                    });
                    let status = r.script.lock().unwrap().pop_front().unwrap_or(200);
                    StatusCode::from_u16(status).unwrap()
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (receiver, url)
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Checks a delivery's signature as a customer's receiver would, in Python (`hmac`, not our
/// code): the `v1` HMAC-SHA256 of `t.body` under the secret, with `t` within 300 s of `now`.
fn python_accepts(secret: &str, signature: &str, body: &str, now: i64) -> bool {
    const VERIFY: &str = r#"
import hmac, hashlib, sys
secret, header, now = sys.argv[1], sys.argv[2], int(sys.argv[3])
body = sys.stdin.buffer.read()
parts = dict(p.split("=", 1) for p in header.split(","))
t = int(parts["t"])
expected = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256).hexdigest()
ok = hmac.compare_digest(expected, parts["v1"]) and abs(now - t) <= 300
sys.exit(0 if ok else 1)
"#;
    let mut child = Command::new("python3")
        .args(["-c", VERIFY, secret, signature, &now.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    child.wait().unwrap().success()
}

async fn create(app: &TestApp, s: &Session, body: Value) -> reqwest::Response {
    app.as_browser(Method::POST, "/api/webhooks", s)
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn created(app: &TestApp, s: &Session, url: &str, events: &[&str]) -> Value {
    let r = create(app, s, json!({"url": url, "events": events})).await;
    assert_eq!(r.status(), 201, "{}", r.text().await.unwrap());
    r.json().await.unwrap()
}

async fn post(app: &TestApp, s: &Session, path: &str) -> reqwest::Response {
    app.as_browser(Method::POST, path, s).send().await.unwrap()
}

/// The receiver's clock: the wall clock (deliveries are signed by it, whatever the sandbox's
/// clock says).
fn app_now_secs(_app: &TestApp) -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn events_are_delivered_signed_as_an_independent_implementation_checks() {
    let app = spawn_app().await;
    let s = app.funded("20").await;
    let (receiver, url) = Receiver::start(&[]).await;
    let hook = created(&app, &s, &url, &["sms.received", "rental.updated"]).await;
    let secret = hook["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"));
    assert_eq!(hook["events"], json!(["sms.received", "rental.updated"]));
    let listed = app.get_json("/api/webhooks", &s).await;
    assert!(
        listed["webhooks"][0].get("secret").is_none(),
        "shown once: {listed}"
    );

    let rental = app.rent(&s, 2).await;
    let r = app
        .control(
            Method::POST,
            "/sms",
            Some(
                json!({"phone": rental["phone_number"], "sender": "Telegram", "text": "code 4242"}),
            ),
        )
        .await;
    assert_eq!(r.status(), 200);
    app.state.clock.advance_ms(1_000);
    jobs::run_due(&app.state).await;
    jobs::webhooks::deliver_once(&app.state).await.unwrap();

    let got = receiver.got();
    let sms = got
        .iter()
        .find(|g| g.event == "sms.received")
        .unwrap_or_else(|| panic!("no sms.received among {got:?}"));
    let body: Value = serde_json::from_str(&sms.body).unwrap();
    assert_eq!(body["type"], "sms.received");
    assert!(body["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(body["data"]["rental_id"], rental["id"], "{body}");
    assert!(sms.body.contains("code 4242"));
    assert!(got.iter().any(|g| g.event == "rental.updated"));
    for g in &got {
        assert!(
            python_accepts(&secret, &g.signature, &g.body, app_now_secs(&app)),
            "{g:?}"
        );
        assert!(!python_accepts(
            "whsec_other",
            &g.signature,
            &g.body,
            app_now_secs(&app)
        ));
        assert!(!python_accepts(
            &secret,
            &g.signature,
            &format!("{} ", g.body),
            app_now_secs(&app)
        ));
        // Replayed later than the tolerance: refused by the receiver.
        assert!(!python_accepts(
            &secret,
            &g.signature,
            &g.body,
            app_now_secs(&app) + 301
        ));
    }

    // Recorded, and redeliverable: signed again, at the time it is sent.
    let id = hook["id"].as_i64().unwrap();
    let list = app
        .get_json(&format!("/api/webhooks/{id}/deliveries"), &s)
        .await;
    let first = &list["deliveries"][0];
    assert_eq!(first["status"], "delivered", "{list}");
    assert_eq!(first["last_status_code"], 200);
    assert_eq!(first["attempts"], 1);
    assert!(first["last_latency_ms"].as_i64().is_some());
    app.state.clock.advance_ms(3_600_000);
    let r = post(
        &app,
        &s,
        &format!("/api/webhooks/{id}/deliveries/{}/redeliver", first["id"]),
    )
    .await;
    assert_eq!(r.status(), 202);
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let again = receiver.got().last().unwrap().clone();
    assert_eq!(
        again.body,
        first["payload"].as_str().unwrap(),
        "the same body"
    );
    assert!(python_accepts(
        &secret,
        &again.signature,
        &again.body,
        app_now_secs(&app)
    ));

    // A rotated secret signs from then on; the old one no longer verifies.
    let rotated: Value = post(&app, &s, &format!("/api/webhooks/{id}/rotate-secret"))
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, secret);
    assert_eq!(
        post(&app, &s, &format!("/api/webhooks/{id}/test"))
            .await
            .status(),
        202
    );
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let test = receiver.got().last().unwrap().clone();
    assert_eq!(test.event, "webhook.test");
    assert!(python_accepts(
        new_secret,
        &test.signature,
        &test.body,
        app_now_secs(&app)
    ));
    assert!(!python_accepts(
        &secret,
        &test.signature,
        &test.body,
        app_now_secs(&app)
    ));
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_until_it_answers() {
    let app = spawn_app().await;
    let s = app.funded("5").await;
    let (receiver, url) = Receiver::start(&[500, 503]).await;
    let hook = created(&app, &s, &url, &["rental.updated"]).await;
    let id = hook["id"].as_i64().unwrap();
    assert_eq!(
        post(&app, &s, &format!("/api/webhooks/{id}/test"))
            .await
            .status(),
        202
    );
    let deliveries = format!("/api/webhooks/{id}/deliveries");

    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let d = app.get_json(&deliveries, &s).await["deliveries"][0].clone();
    assert_eq!(
        (d["status"].as_str(), d["attempts"].as_i64()),
        (Some("pending"), Some(1))
    );
    assert_eq!(d["last_status_code"], 500);
    // Not before its time: 30 s after the first failure.
    app.state.clock.advance_ms(29_000);
    assert_eq!(jobs::webhooks::deliver_once(&app.state).await.unwrap(), 0);
    app.state.clock.advance_ms(1_000);
    assert_eq!(jobs::webhooks::deliver_once(&app.state).await.unwrap(), 1);
    let d = app.get_json(&deliveries, &s).await["deliveries"][0].clone();
    assert_eq!(
        (d["attempts"].as_i64(), d["last_status_code"].as_i64()),
        (Some(2), Some(503))
    );
    // Then 60 s.
    app.state.clock.advance_ms(59_000);
    assert_eq!(jobs::webhooks::deliver_once(&app.state).await.unwrap(), 0);
    app.state.clock.advance_ms(1_000);
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let d = app.get_json(&deliveries, &s).await["deliveries"][0].clone();
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 3);
    assert_eq!(receiver.got().len(), 3);
    let hook = app.get_json(&format!("/api/webhooks/{id}"), &s).await;
    assert_eq!(hook["consecutive_failures"], 0, "a success resets them");
}

#[tokio::test]
async fn an_endpoint_failing_for_a_day_is_turned_off_and_its_owner_told() {
    let app = spawn_app().await;
    let s = app.funded("5").await;
    let (receiver, url) = Receiver::start(&[500; 100]).await;
    let hook = created(&app, &s, &url, &["rental.updated"]).await;
    let id = hook["id"].as_i64().unwrap();
    post(&app, &s, &format!("/api/webhooks/{id}/test")).await;
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    // A day of failures: every retry of the first delivery, then one more delivery.
    for _ in 0..12 {
        app.state.clock.advance_ms(2 * 3_600_000);
        jobs::webhooks::deliver_once(&app.state).await.unwrap();
    }
    let hook = app.get_json(&format!("/api/webhooks/{id}"), &s).await;
    assert_eq!(hook["enabled"], true, "{hook}");
    post(&app, &s, &format!("/api/webhooks/{id}/test")).await;
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let hook = app.get_json(&format!("/api/webhooks/{id}"), &s).await;
    assert_eq!(hook["enabled"], false, "{hook}");
    assert!(hook["disabled_reason"]
        .as_str()
        .unwrap()
        .contains("24 hours"));
    let notes = app.get_json("/api/notifications", &s).await;
    assert_eq!(notes["notifications"][0]["kind"], "webhook", "{notes}");

    // Turned off, it is sent nothing, not even a test.
    let r = post(&app, &s, &format!("/api/webhooks/{id}/test")).await;
    assert_eq!(r.status(), 409);
    let sent = receiver.got().len();
    app.rent(&s, 2).await;
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    assert_eq!(receiver.got().len(), sent);
    // Turned back on, its failures are forgotten.
    let r = app
        .as_browser(Method::PATCH, &format!("/api/webhooks/{id}"), &s)
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    let hook: Value = r.json().await.unwrap();
    assert_eq!(
        (
            hook["enabled"].as_bool(),
            hook["consecutive_failures"].as_i64()
        ),
        (Some(true), Some(0))
    );
}

#[tokio::test]
async fn concurrent_passes_send_each_delivery_once() {
    let app = spawn_app().await;
    let s = app.funded("5").await;
    let (receiver, url) = Receiver::start(&[]).await;
    let hook = created(&app, &s, &url, &["rental.updated"]).await;
    for _ in 0..5 {
        post(&app, &s, &format!("/api/webhooks/{}/test", hook["id"])).await;
    }
    let passes = (0..4).map(|_| jobs::webhooks::deliver_once(&app.state));
    let sent: usize = futures_util::future::join_all(passes)
        .await
        .into_iter()
        .map(Result::unwrap)
        .sum();
    assert_eq!(sent, 5);
    assert_eq!(receiver.got().len(), 5);
}

#[tokio::test]
async fn bad_endpoints_are_refused_naming_the_field_and_others_are_not_yours() {
    let app = spawn_app().await;
    let s = app.funded("5").await;
    let (_, url) = Receiver::start(&[]).await;
    for (body, field) in [
        (
            json!({"url": "not a url", "events": ["sms.received"]}),
            "url",
        ),
        (
            json!({"url": "ftp://example.com/x", "events": ["sms.received"]}),
            "url",
        ),
        (json!({"url": url, "events": []}), "events"),
        (json!({"url": url, "events": ["balance.changed"]}), "events"),
        (
            json!({"url": url, "events": ["sms.received"], "description": "x".repeat(201)}),
            "description",
        ),
    ] {
        let e = error_body(create(&app, &s, body.clone()).await, 422).await;
        assert_eq!(e["field"], field, "{body}: {e}");
    }
    assert_eq!(
        app.get_json("/api/webhooks", &s).await["webhooks"],
        json!([])
    );

    let hook = created(&app, &s, &url, &["sms.received"]).await;
    let other = app.funded("5").await;
    let path = format!("/api/webhooks/{}", hook["id"]);
    let r = app
        .as_browser(Method::GET, &path, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = app
        .as_browser(Method::DELETE, &path, &other)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = post(&app, &other, &format!("{path}/test")).await;
    assert_eq!(r.status(), 404);
    let r = app
        .as_browser(Method::DELETE, &path, &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    assert_eq!(
        app.get_json("/api/webhooks", &s).await["webhooks"],
        json!([])
    );
}

/// Outside sandbox mode: HTTPS to public addresses only, checked when saved and again, after
/// resolving, when sent.
#[tokio::test]
async fn private_and_metadata_addresses_are_refused_outside_sandbox_mode() {
    let upstream = namaskah::sandbox::five_sim::FiveSimEmulator::new(
        "real-key",
        namaskah::server::clock::Clock::default(),
        false,
    );
    let base = namaskah::sandbox::five_sim::serve(upstream, ([127, 0, 0, 1], 0).into())
        .await
        .unwrap();
    let app = spawn_app_with(&[
        ("FIVESIM_API_KEY", "real-key".into()),
        ("FIVESIM_BASE_URL", base),
    ])
    .await;
    let s = app.funded("5").await;
    let (receiver, url) = Receiver::start(&[]).await;
    for bad in [
        url.clone(),
        url.replace("http://", "https://"),
        "https://localhost/hook".to_owned(),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://10.0.0.7/hook".to_owned(),
        "https://[::1]/hook".to_owned(),
        "http://93.184.216.34/hook".to_owned(),
    ] {
        let e = error_body(
            create(&app, &s, json!({"url": bad, "events": ["sms.received"]})).await,
            422,
        )
        .await;
        assert_eq!(e["field"], "url", "{bad}: {e}");
    }
    assert_eq!(
        app.get_json("/api/webhooks", &s).await["webhooks"],
        json!([])
    );

    // An endpoint whose address became private after it was saved (its name now resolves to
    // this host, say) is not sent to.
    let hook = created(&app, &s, "https://93.184.216.34/hook", &["sms.received"]).await;
    sqlx::query("update webhook_endpoint set url = $1 where webhook_endpoint_id = $2")
        .bind(url.replace("http://", "https://"))
        .bind(hook["id"].as_i64().unwrap())
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    post(&app, &s, &format!("/api/webhooks/{}/test", hook["id"])).await;
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let list = app
        .get_json(&format!("/api/webhooks/{}/deliveries", hook["id"]), &s)
        .await;
    let d = &list["deliveries"][0];
    assert_eq!(d["status"], "pending", "{d}");
    assert!(d["last_error"].as_str().unwrap().contains("private"), "{d}");
    assert!(receiver.got().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn a_balance_falling_below_the_threshold_is_sent_as_balance_low() {
    let app = spawn_app().await;
    let s = app.funded("1.50").await;
    let (receiver, url) = Receiver::start(&[]).await;
    created(&app, &s, &url, &["balance.low"]).await;
    let r = app
        .as_browser(Method::POST, "/api/verifications", &s)
        .json(&json!({"service": "telegram", "country": "GB"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    jobs::webhooks::deliver_once(&app.state).await.unwrap();
    let got = receiver.got();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(got[0].event, "balance.low");
    let body: Value = serde_json::from_str(&got[0].body).unwrap();
    assert_eq!(body["data"]["threshold"], "1.0000", "{body}");
    assert_eq!(
        crate::helpers::dec(&body["data"]["balance"]),
        app.balance(&s).await
    );
}
