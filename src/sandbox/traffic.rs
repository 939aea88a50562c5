//! What every emulator's control API has in common: injected faults, the request log and the
//! clock (`/faults`, `/requests`, `/clock`), and the middleware that applies the faults and
//! logs each request to the emulated API. Each emulator says how its provider words "no
//! numbers" (`Dialect`); the rest of its control API (SMS, stock, balance) is its own.

use crate::server::clock::{from_ms, Clock};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

const REQUEST_LOG_CAP: usize = 10_000;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` (default 500).
    Status,
    /// Answer normally, `latency_ms` late.
    Latency,
    /// Never answer in time (the client's timeout fires).
    Timeout,
    /// Answer "no numbers" as the provider words it, with `status` (default: the provider's).
    NoFreePhones,
    /// Answer 429.
    RateLimit,
    /// Answer 200 with a body that is not what the provider sends.
    Garbage,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    /// How many matching requests it affects (default 1).
    pub count: Option<u32>,
    /// Only requests whose path starts with this, e.g. `/user/buy`.
    pub path_prefix: Option<String>,
    /// Only requests whose query has this `action` (SMS-Activate's protocol has one path).
    pub action: Option<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LoggedRequest {
    pub id: u64,
    pub at: String,
    pub method: String,
    pub path: String,
    pub query: String,
    /// `None` while the request is still being answered (or never was: an injected timeout).
    pub status: Option<u16>,
}

/// How a provider says it has no numbers.
#[derive(Clone, Copy, Debug)]
pub struct Dialect {
    pub no_numbers_status: u16,
    pub no_numbers_body: &'static str,
}

#[derive(Debug, Default)]
struct Log {
    faults: Vec<Fault>,
    requests: VecDeque<LoggedRequest>,
}

/// One emulator's faults, request log and clock.
#[derive(Clone, Debug)]
pub struct Traffic {
    log: Arc<Mutex<Log>>,
    pub clock: Clock,
    dialect: Dialect,
}

impl Traffic {
    pub fn new(clock: Clock, dialect: Dialect) -> Self {
        Traffic {
            log: Arc::default(),
            clock,
            dialect,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Log> {
        self.log.lock().expect("traffic lock")
    }

    pub fn add_fault(&self, fault: Fault) {
        self.lock().faults.push(fault);
    }

    pub fn clear_faults(&self) {
        self.lock().faults.clear();
    }

    /// The request log, oldest first.
    pub fn requests(&self) -> Vec<LoggedRequest> {
        self.lock().requests.iter().cloned().collect()
    }

    /// Logs a request and takes the first fault that matches it.
    fn arrive(&self, method: &str, path: &str, query: &str) -> (u64, Option<Fault>) {
        let action = query_action(query);
        let mut log = self.lock();
        let id = log.requests.back().map_or(1, |r| r.id + 1);
        if log.requests.len() >= REQUEST_LOG_CAP {
            log.requests.pop_front();
        }
        log.requests.push_back(LoggedRequest {
            id,
            at: time(self.clock.now_ms()),
            method: method.to_owned(),
            path: path.to_owned(),
            query: query.to_owned(),
            status: None,
        });
        let hit = log.faults.iter().position(|f| {
            f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p))
                && f.action
                    .as_deref()
                    .is_none_or(|a| action.as_deref() == Some(a))
        });
        let fault = hit.map(|i| {
            let f = log.faults[i].clone();
            let left = f.count.unwrap_or(1).saturating_sub(1);
            if left == 0 {
                log.faults.remove(i);
            } else {
                log.faults[i].count = Some(left);
            }
            f
        });
        (id, fault)
    }

    fn answered(&self, id: u64, status: u16) {
        if let Some(logged) = self.lock().requests.iter_mut().rev().find(|r| r.id == id) {
            logged.status = Some(status);
        }
    }
}

/// The `action` parameter of a query (its values are plain names: nothing to decode).
fn query_action(query: &str) -> Option<String> {
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix("action="))
        .map(str::to_owned)
}

/// RFC 3339 with nanoseconds.
pub fn time(ms: i64) -> String {
    from_ms(ms).format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

/// Applies injected faults to matching requests and logs every request.
pub async fn faults_and_log(State(traffic): State<Traffic>, req: Request, next: Next) -> Response {
    let (id, fault) = traffic.arrive(
        req.method().as_str(),
        req.uri().path(),
        req.uri().query().unwrap_or_default(),
    );
    let response = match fault.as_ref().map(|f| (&f.kind, f)) {
        None => next.run(req).await,
        Some((FaultKind::Latency, f)) => {
            tokio::time::sleep(Duration::from_millis(f.latency_ms.unwrap_or(1_000))).await;
            next.run(req).await
        }
        Some((FaultKind::Timeout, _)) => {
            tokio::time::sleep(Duration::from_secs(120)).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Some((FaultKind::Status, f)) => {
            let status = StatusCode::from_u16(f.status.unwrap_or(500))
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, "internal server error").into_response()
        }
        Some((FaultKind::NoFreePhones, f)) => {
            let dialect = traffic.dialect;
            let status = StatusCode::from_u16(f.status.unwrap_or(dialect.no_numbers_status))
                .unwrap_or(StatusCode::OK);
            (status, dialect.no_numbers_body).into_response()
        }
        Some((FaultKind::RateLimit, _)) => StatusCode::TOO_MANY_REQUESTS.into_response(),
        Some((FaultKind::Garbage, _)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html")],
            "<html>502 Bad Gateway</html>",
        )
            .into_response(),
    };
    traffic.answered(id, response.status().as_u16());
    response
}

/// `/faults`, `/requests` and `/clock`, to merge into an emulator's control API.
pub fn router<S: Clone + Send + Sync + 'static>(traffic: Traffic) -> Router<S> {
    Router::new()
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/clock", post(advance_clock))
        .with_state(traffic)
}

/// A 422 in the app's error envelope, for bad control requests.
pub fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": {"code": "validation_failed", "message": message.into()}})),
    )
        .into_response()
}

async fn add_fault(State(traffic): State<Traffic>, Json(f): Json<Fault>) -> Response {
    traffic.add_fault(f);
    StatusCode::CREATED.into_response()
}

async fn clear_faults(State(traffic): State<Traffic>) -> StatusCode {
    traffic.clear_faults();
    StatusCode::NO_CONTENT
}

async fn requests(State(traffic): State<Traffic>) -> Json<Value> {
    Json(json!({"requests": traffic.requests()}))
}

async fn clear_requests(State(traffic): State<Traffic>) -> StatusCode {
    traffic.lock().requests.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct ClockBody {
    pub advance_seconds: i64,
}

async fn advance_clock(State(traffic): State<Traffic>, Json(b): Json<ClockBody>) -> Response {
    if b.advance_seconds < 0 {
        return bad("advance_seconds cannot be negative");
    }
    traffic.clock.advance_ms(b.advance_seconds * 1000);
    Json(json!({"now": time(traffic.clock.now_ms())})).into_response()
}
