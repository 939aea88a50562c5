//! What operators' tooling reads: `/health`, `/ready`, `/metrics` (parsed as Prometheus
//! parses it), request ids, and the JSON logs.

use crate::helpers::{error_body, spawn_app, spawn_app_with, Stream, TestApp};
use reqwest::Method;
use serde_json::{json, Value};

/// One scrape, parsed by an independent Prometheus text parser.
async fn scrape(app: &TestApp, url: &str) -> prometheus_parse::Scrape {
    let r = app.client.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    if std::env::var("SHOW_METRICS").is_ok() {
        eprintln!("{text}");
    }
    prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_owned()))).expect("it parses")
}

/// The value of the sample `name` whose labels include every one of `labels`; 0 if none.
fn value(scrape: &prometheus_parse::Scrape, name: &str, labels: &[(&str, &str)]) -> f64 {
    scrape
        .samples
        .iter()
        .filter(|s| s.metric == name)
        .filter(|s| labels.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(|s| match &s.value {
            prometheus_parse::Value::Counter(v)
            | prometheus_parse::Value::Gauge(v)
            | prometheus_parse::Value::Untyped(v) => *v,
            prometheus_parse::Value::Histogram(buckets) => {
                buckets.iter().map(|b| b.count).fold(0.0, f64::max)
            }
            prometheus_parse::Value::Summary(_) => 0.0,
        })
        .sum()
}

#[tokio::test]
async fn health_and_ready_answer_probes_whatever_host_they_name() {
    let app = spawn_app().await;
    for host in [None, Some("10.1.2.3:8080")] {
        let mut req = app.client.get(app.url("/health"));
        if let Some(host) = host {
            req = req.header("host", host);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "health for host {host:?}");
        assert_eq!(r.json::<Value>().await.unwrap(), json!({"status": "ok"}));

        let mut req = app.client.get(app.url("/ready"));
        if let Some(host) = host {
            req = req.header("host", host);
        }
        let r = req.send().await.unwrap();
        assert_eq!(r.status(), 200, "ready for host {host:?}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["ready"], true);
        assert_eq!(body["checks"]["database"]["ok"], true);
        assert_eq!(body["checks"]["migrations"]["ok"], true);
        assert_eq!(body["checks"]["providers"]["ok"], true);
        assert_eq!(body["checks"]["providers"]["detail"], "5sim");
    }
}

#[tokio::test]
async fn ready_is_503_and_names_the_migration_the_database_lacks() {
    let app = spawn_app().await;
    let newest: i64 = sqlx::query_scalar("select max(version) from _sqlx_migrations")
        .fetch_one(&app.state.db.pool)
        .await
        .unwrap();
    sqlx::query("delete from _sqlx_migrations where version = $1")
        .bind(newest)
        .execute(&app.state.db.pool)
        .await
        .unwrap();
    let r = app.client.get(app.url("/ready")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["ready"], false);
    assert_eq!(body["checks"]["database"]["ok"], true);
    assert_eq!(body["checks"]["migrations"]["ok"], false);
    assert_eq!(
        body["checks"]["migrations"]["detail"],
        format!("not applied: {newest}")
    );
    // The process itself is up.
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn every_answer_carries_its_own_request_id() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for path in ["/health", "/api/no-such-thing", "/login", "/metrics"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
        assert!(!id.is_empty(), "{path}");
        assert!(seen.insert(id), "{path} got a fresh id");
    }
}

#[tokio::test]
async fn requests_are_counted_and_timed_by_route_pattern_and_status() {
    let app = spawn_app().await;
    let metrics = app.url("/metrics");
    let before = scrape(&app, &metrics).await;
    for _ in 0..3 {
        app.client.get(app.url("/health")).send().await.unwrap();
    }
    let s = app.funded("10").await;
    let id = 987_654;
    let r = app
        .as_browser(Method::GET, &format!("/api/rentals/{id}/messages"), &s)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let after = scrape(&app, &metrics).await;

    let health = [("method", "GET"), ("route", "/health"), ("status", "200")];
    assert_eq!(
        value(&after, "namaskah_http_requests_total", &health)
            - value(&before, "namaskah_http_requests_total", &health),
        3.0
    );
    // The histogram's count for the route moved with it.
    let timed = [("method", "GET"), ("route", "/health")];
    assert!(
        value(
            &after,
            "namaskah_http_request_duration_seconds_count",
            &timed
        ) >= 3.0
    );
    // One label per route, not per id.
    let messages = [("route", "/api/rentals/:id/messages"), ("status", "404")];
    assert_eq!(
        value(&after, "namaskah_http_requests_total", &messages),
        1.0
    );
    assert!(after.samples.iter().all(|s| !s
        .labels
        .get("route")
        .unwrap_or("")
        .contains(&id.to_string())));
    // Help text comes with every family.
    assert!(after.docs.contains_key("namaskah_http_requests_total"));
}

/// How much a sample moved between two scrapes (the recorder is the process's: other tests in
/// the same process may have counted before).
fn moved(
    before: &prometheus_parse::Scrape,
    after: &prometheus_parse::Scrape,
    name: &str,
    labels: &[(&str, &str)],
) -> f64 {
    value(after, name, labels) - value(before, name, labels)
}

#[tokio::test]
async fn provider_calls_sms_latency_streams_jobs_and_the_ledger_are_measured() {
    let app = spawn_app().await;
    let before = scrape(&app, &app.url("/metrics")).await;
    let s = app.funded("100").await;
    let mut stream = Stream::open(&app, &s, None).await;
    let rental = app.rent(&s, 24).await;
    app.control(
        Method::POST,
        "/sms",
        Some(json!({"phone": rental["phone_number"], "sender": "Telegram", "text": "Code 55123"})),
    )
    .await;
    namaskah::server::jobs::run_due(&app.state).await;
    loop {
        if stream.next_event().await.event == "sms.received" {
            break;
        }
    }
    // The ledger's totals are read again once a minute at most.
    app.state.clock.advance_ms(61_000);
    let after = scrape(&app, &app.url("/metrics")).await;

    let bought = [
        ("provider", "5sim"),
        ("endpoint", "buy_rental"),
        ("outcome", "ok"),
    ];
    assert_eq!(
        moved(&before, &after, "namaskah_provider_calls_total", &bought),
        1.0
    );
    assert!(
        value(
            &after,
            "namaskah_provider_call_duration_seconds_count",
            &[("provider", "5sim"), ("endpoint", "buy_rental")]
        ) >= 1.0
    );
    assert_eq!(
        moved(
            &before,
            &after,
            "namaskah_sms_stored_delay_seconds_count",
            &[("provider", "5sim")]
        ),
        1.0
    );
    assert_eq!(
        moved(
            &before,
            &after,
            "namaskah_sms_delivered_delay_seconds_count",
            &[]
        ),
        1.0
    );
    assert_eq!(value(&after, "namaskah_event_streams", &[]), 1.0);
    assert!(
        value(
            &after,
            "namaskah_job_runs_total",
            &[("job", "sms_poller"), ("outcome", "ok")]
        ) >= 1.0
    );
    assert!(after.samples.iter().any(
        |s| s.metric == "namaskah_job_lag_seconds" && s.labels.get("job") == Some("sms_poller")
    ));
    // The ledger: the credit and the rental's charge, and the balance they leave.
    let balance = app.balance(&s).await;
    let credited = value(&after, "namaskah_ledger_amount", &[]);
    let customers = value(&after, "namaskah_customer_balances", &[]);
    assert_eq!(credited, customers, "the ledger adds up to the balances");
    assert_eq!(customers, balance.to_string().parse::<f64>().unwrap());
    assert!(value(&after, "namaskah_ledger_entries", &[]) >= 2.0);

    drop(stream);
    // A closed stream is no longer counted.
    let mut open = 1.0;
    for _ in 0..50 {
        open = value(
            &scrape(&app, &app.url("/metrics")).await,
            "namaskah_event_streams",
            &[],
        );
        if open == 0.0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(open, 0.0);
}

#[tokio::test]
async fn without_a_token_metrics_answers_only_this_machine_directly() {
    let app = spawn_app().await;
    let r = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    // Through a proxy, the caller is not this machine.
    let r = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let e = error_body(r, 403).await;
    assert!(e["message"].as_str().unwrap().contains("METRICS_TOKEN"));
}

#[tokio::test]
async fn a_made_up_method_counts_as_other() {
    let app = spawn_app().await;
    for name in ["FOO1", "FOO2"] {
        app.client
            .request(
                Method::from_bytes(name.as_bytes()).unwrap(),
                app.url("/health"),
            )
            .send()
            .await
            .unwrap();
    }
    let after = scrape(&app, &app.url("/metrics")).await;
    assert!(after
        .samples
        .iter()
        .all(|s| !s.labels.get("method").unwrap_or("").starts_with("FOO")));
    assert!(
        value(
            &after,
            "namaskah_http_requests_total",
            &[("method", "other")]
        ) >= 2.0
    );
}

#[tokio::test]
async fn with_a_token_metrics_answers_only_its_bearer() {
    let app = spawn_app_with(&[("METRICS_TOKEN", "scrape-secret".into())]).await;
    let metrics = app.url("/metrics");
    let r = app.client.get(&metrics).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer realm=\"metrics\"");
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["code"], "unauthorized");
    for wrong in ["Bearer nope", "Bearer scrape-secre", "scrape-secret"] {
        let r = app
            .client
            .get(&metrics)
            .header("authorization", wrong)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401, "{wrong}");
    }
    let r = app
        .client
        .get(&metrics)
        .header("authorization", "Bearer scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r
        .text()
        .await
        .unwrap()
        .contains("namaskah_http_requests_total"));
    // The probes stay open.
    let r = app.client.get(app.url("/health")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn metrics_addr_serves_metrics_on_a_listener_of_its_own() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let app = spawn_app_with(&[
        ("METRICS_ADDR", format!("127.0.0.1:{port}")),
        ("METRICS_TOKEN", "scrape-secret".into()),
    ])
    .await;
    app.client.get(app.url("/health")).send().await.unwrap();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let r = app.client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = app
        .client
        .get(&url)
        .header("authorization", "Bearer scrape-secret")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("route=\"/health\""));
    // Only the metrics there.
    let r = app
        .client
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn a_bad_metrics_addr_or_log_format_stops_start_up_naming_the_variable() {
    for (variable, value) in [("METRICS_ADDR", "everywhere"), ("LOG_FORMAT", "xml")] {
        let err = namaskah::server::config::Settings::from_lookup(|k| {
            (k == variable).then(|| value.to_owned())
        })
        .unwrap_err();
        assert!(err.to_string().contains(variable), "{err}");
    }
}

/// The binary with `LOG_FORMAT=json`: one JSON object per line, and the lines written while a
/// request is answered carry its id, as sent back in `X-Request-Id`.
#[cfg(feature = "failpoints")]
#[tokio::test]
async fn json_logs_carry_the_request_id_sent_back() {
    let world = crate::process::World::new().await;
    let server = world
        .start_with(None, &[("LOG_FORMAT", "json"), ("RUST_LOG", "info")])
        .await;
    let r = world
        .http
        .get(format!("{}/api/no-such-thing", server.address))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let id = r.headers()["x-request-id"].to_str().unwrap().to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let line = server
            .lines
            .recv_timeout(deadline - std::time::Instant::now())
            .expect("the answer is logged");
        let entry: Value =
            serde_json::from_str(&line).unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
        if entry["span"]["request_id"] == id.as_str() {
            assert_eq!(entry["message"], "answered");
            assert_eq!(entry["status"], 404);
            assert_eq!(entry["span"]["route"], "/api/*path");
            assert_eq!(entry["level"], "INFO");
            break;
        }
    }
}
