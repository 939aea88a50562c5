//! Prometheus metrics (the `metrics` facade, rendered by `metrics-exporter-prometheus`): the
//! recorder, installed once per process, and one function per thing the app measures, so
//! every metric's name, labels and unit are written in one place. README lists them all.
//!
//! Counters and histograms are this instance's, since it started (Prometheus sums instances);
//! the gauges read from the database at scrape time (`ledger_*`) are the deployment's.

use metrics::Unit;
use metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::time::Duration;

/// Seconds, from 5 ms (a cached page) to 5 min (an SMS that the provider held back).
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
];

pub const HTTP_REQUESTS: &str = "namaskah_http_requests_total";
pub const HTTP_DURATION: &str = "namaskah_http_request_duration_seconds";
pub const PROVIDER_CALLS: &str = "namaskah_provider_calls_total";
pub const PROVIDER_DURATION: &str = "namaskah_provider_call_duration_seconds";
pub const SMS_STORED: &str = "namaskah_sms_stored_delay_seconds";
pub const SMS_DELIVERED: &str = "namaskah_sms_delivered_delay_seconds";
pub const JOB_RUNS: &str = "namaskah_job_runs_total";
pub const JOB_DURATION: &str = "namaskah_job_duration_seconds";
pub const JOB_LAG: &str = "namaskah_job_lag_seconds";
pub const EVENT_STREAMS: &str = "namaskah_event_streams";
pub const LEDGER_AMOUNT: &str = "namaskah_ledger_amount";
pub const LEDGER_ENTRIES: &str = "namaskah_ledger_entries";
pub const CUSTOMER_BALANCES: &str = "namaskah_customer_balances";
pub const REPAIRS: &str = "namaskah_reconciliation_repairs_total";

/// What the app keeps for `/metrics`: the recorder's handle, and when the gauges read from
/// the database were last read.
#[derive(Debug)]
pub struct Metrics {
    pub handle: PrometheusHandle,
    pub ledger_read_at: std::sync::atomic::AtomicI64,
}

impl Metrics {
    pub fn new() -> anyhow::Result<Metrics> {
        Ok(Metrics {
            handle: install()?,
            ledger_read_at: Default::default(),
        })
    }
}

/// The process's recorder, installed by the first caller (the app, or the first of several
/// apps a test starts in one process); later calls get the same handle.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    static HANDLE: std::sync::Mutex<Option<PrometheusHandle>> = std::sync::Mutex::new(None);
    let mut handle = HANDLE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(handle) = handle.as_ref() {
        return Ok(handle.clone());
    }
    let installed = PrometheusBuilder::new()
        .set_buckets(BUCKETS)?
        .install_recorder()?;
    describe();
    // Histograms keep their samples until drained; rendering drains them too, but a process
    // nobody scrapes must not grow. A thread of its own: it outlives any one runtime.
    let upkeep = installed.clone();
    std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || loop {
            std::thread::sleep(Duration::from_secs(5));
            upkeep.run_upkeep();
        })?;
    *handle = Some(installed.clone());
    Ok(installed)
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route and status"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request (to the response head; a stream counts until it opens)"
    );
    describe_counter!(
        PROVIDER_CALLS,
        "Calls to upstream providers, by provider, endpoint and outcome (ok or the error kind)"
    );
    describe_histogram!(
        PROVIDER_DURATION,
        Unit::Seconds,
        "Time an upstream provider took to answer, by provider and endpoint"
    );
    describe_histogram!(
        SMS_STORED,
        Unit::Seconds,
        "From the time the provider gives an SMS to its being stored here, by provider"
    );
    describe_histogram!(
        SMS_DELIVERED,
        Unit::Seconds,
        "From an SMS event being stored to its being written to a live update stream"
    );
    describe_counter!(JOB_RUNS, "Background job passes, by job and outcome");
    describe_histogram!(JOB_DURATION, Unit::Seconds, "Time one pass of a job took");
    describe_gauge!(
        JOB_LAG,
        Unit::Seconds,
        "How late the most overdue item a poller's last pass claimed was (0 when none was due)"
    );
    describe_gauge!(
        EVENT_STREAMS,
        "Live update (SSE) streams open on this instance"
    );
    describe_gauge!(
        LEDGER_AMOUNT,
        "Sum of all ledger rows of each kind, in the account currency (whole deployment)"
    );
    describe_gauge!(
        LEDGER_ENTRIES,
        "Ledger rows of each kind (whole deployment)"
    );
    describe_gauge!(
        CUSTOMER_BALANCES,
        "Sum of every customer's balance, in the account currency (whole deployment)"
    );
    describe_counter!(
        REPAIRS,
        "What the reconciliation job settled or repaired, by kind of repair"
    );
}

/// One HTTP request answered.
pub fn http_request(method: &str, route: String, status: u16, took: Duration) {
    let method = method.to_owned();
    counter!(HTTP_REQUESTS, "method" => method.clone(), "route" => route.clone(), "status" => status.to_string())
        .increment(1);
    histogram!(HTTP_DURATION, "method" => method, "route" => route).record(took.as_secs_f64());
}

/// One call to an upstream provider; `outcome` is `ok` or the error's kind.
pub fn provider_call(
    provider: &'static str,
    endpoint: &'static str,
    outcome: &'static str,
    took: Duration,
) {
    counter!(PROVIDER_CALLS, "provider" => provider, "endpoint" => endpoint, "outcome" => outcome)
        .increment(1);
    histogram!(PROVIDER_DURATION, "provider" => provider, "endpoint" => endpoint)
        .record(took.as_secs_f64());
}

/// An SMS stored `delay_ms` after the time its provider gives it.
pub fn sms_stored(provider: &str, delay_ms: i64) {
    histogram!(SMS_STORED, "provider" => provider.to_owned()).record(seconds(delay_ms));
}

/// An SMS event written to a stream `delay_ms` after it was stored.
pub fn sms_delivered(delay_ms: i64) {
    histogram!(SMS_DELIVERED).record(seconds(delay_ms));
}

/// One pass of a background job.
pub fn job_pass(job: &'static str, ok: bool, took: Duration) {
    let outcome = if ok { "ok" } else { "error" };
    counter!(JOB_RUNS, "job" => job, "outcome" => outcome).increment(1);
    histogram!(JOB_DURATION, "job" => job).record(took.as_secs_f64());
}

/// How late the most overdue item a poller claimed was.
pub fn job_lag(job: &'static str, lag_ms: i64) {
    gauge!(JOB_LAG, "job" => job).set(seconds(lag_ms));
}

/// Repairs the reconciliation job made, by kind.
pub fn repairs(kind: &'static str, count: u64) {
    if count > 0 {
        counter!(REPAIRS, "kind" => kind).increment(count);
    }
}

/// The gauges read when scraped.
pub fn event_streams(open: usize) {
    gauge!(EVENT_STREAMS).set(open as f64);
}

/// The ledger's totals by kind, and the customers' balances (in currency units: a metric is
/// a float by nature; the ledger itself stays in exact units).
pub fn ledger(totals: &[(String, i64, i64)], balances: i64, units_per_currency: i64) {
    for (kind, amount_units, entries) in totals {
        gauge!(LEDGER_AMOUNT, "kind" => kind.clone())
            .set(*amount_units as f64 / units_per_currency as f64);
        gauge!(LEDGER_ENTRIES, "kind" => kind.clone()).set(*entries as f64);
    }
    gauge!(CUSTOMER_BALANCES).set(balances as f64 / units_per_currency as f64);
}

fn seconds(ms: i64) -> f64 {
    ms.max(0) as f64 / 1000.0
}
