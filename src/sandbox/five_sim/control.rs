//! The emulator's control API (`/control/...`) for tests and demos: deliver SMS, set stock and
//! balance, inject faults, read the request log, move the clock. Also the automatic SMS that
//! make sandbox mode feel alive.

use super::{catalog, FiveSimEmulator};
use axum::extract::{Request, State};
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultKind {
    /// Answer with `status` (default 500).
    Status,
    /// Answer normally, `latency_ms` late.
    Latency,
    /// Never answer in time (the client's timeout fires).
    Timeout,
    /// Answer `no free phones` with `status` (default 200, as 5SIM's docs show for buys).
    NoFreePhones,
    /// Answer 429, as 5SIM does past 100 requests/s per key.
    RateLimit,
    /// Answer 200 with a body that is not JSON.
    Garbage,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct Fault {
    pub kind: FaultKind,
    pub status: Option<u16>,
    pub latency_ms: Option<u64>,
    /// How many matching requests it affects (default 1).
    pub count: Option<u32>,
    /// Only requests whose path (under `/v1`) starts with this, e.g. `/user/buy`.
    pub path_prefix: Option<String>,
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

/// Applies injected faults to matching requests and logs every request.
pub async fn faults_and_log(
    State(em): State<FiveSimEmulator>,
    req: Request,
    next: Next,
) -> Response {
    let path = req.uri().path().to_owned();
    let (id, fault) = {
        let mut s = em.lock();
        let id = s.requests.back().map_or(1, |r| r.id + 1);
        if s.requests.len() >= super::REQUEST_LOG_CAP {
            s.requests.pop_front();
        }
        s.requests.push_back(LoggedRequest {
            id,
            at: super::time(em.now_ms()),
            method: req.method().to_string(),
            path: path.clone(),
            query: req.uri().query().unwrap_or_default().to_owned(),
            status: None,
        });
        let hit = s
            .faults
            .iter()
            .position(|f| f.path_prefix.as_deref().is_none_or(|p| path.starts_with(p)));
        let fault = hit.map(|i| {
            let f = s.faults[i].clone();
            let left = f.count.unwrap_or(1).saturating_sub(1);
            if left == 0 {
                s.faults.remove(i);
            } else {
                s.faults[i].count = Some(left);
            }
            f
        });
        (id, fault)
    };
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
            let status = StatusCode::from_u16(f.status.unwrap_or(200)).unwrap_or(StatusCode::OK);
            (status, "no free phones").into_response()
        }
        Some((FaultKind::RateLimit, _)) => StatusCode::TOO_MANY_REQUESTS.into_response(),
        Some((FaultKind::Garbage, _)) => (
            StatusCode::OK,
            [(header::CONTENT_TYPE, "text/html")],
            "<html>502 Bad Gateway</html>",
        )
            .into_response(),
    };
    if let Some(logged) = em.lock().requests.iter_mut().rev().find(|r| r.id == id) {
        logged.status = Some(response.status().as_u16());
    }
    response
}

pub fn router<S: Clone + Send + Sync + 'static>(em: FiveSimEmulator) -> Router<S> {
    Router::new()
        .route("/sms", post(deliver_sms))
        .route("/stock", post(set_stock))
        .route("/balance", post(set_balance))
        .route("/faults", post(add_fault).delete(clear_faults))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/clock", post(advance_clock))
        .with_state(em)
}

fn bad(message: impl Into<String>) -> Response {
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        Json(json!({"error": {"code": "validation_failed", "message": message.into()}})),
    )
        .into_response()
}

#[derive(Deserialize)]
struct SmsBody {
    order_id: Option<i64>,
    phone: Option<String>,
    sender: Option<String>,
    text: String,
    /// Stamp the SMS this many seconds in the past (e.g. a recycled number's old message).
    age_seconds: Option<i64>,
}

async fn deliver_sms(State(em): State<FiveSimEmulator>, Json(b): Json<SmsBody>) -> Response {
    if b.order_id.is_none() && b.phone.is_none() {
        return bad("give order_id or phone");
    }
    let now = em.now_ms() - b.age_seconds.unwrap_or(0).max(0) * 1000;
    let sender = b.sender.unwrap_or_else(|| "Service".to_owned());
    match em.lock().deliver(now, b.order_id, b.phone.as_deref(), &sender, &b.text) {
        // Only that it arrived: the order's messages (other people's codes) stay private.
        Some(order) => Json(json!({"delivered": true, "order_id": order.id})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "no active order with that id or number"}})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct StockBody {
    country: String,
    product: String,
    qty: u64,
}

async fn set_stock(State(em): State<FiveSimEmulator>, Json(b): Json<StockBody>) -> Response {
    if catalog::country(&b.country).is_none() {
        return bad(format!("unknown country {:?}", b.country));
    }
    if catalog::service(&b.product).is_none() && catalog::hosting(&b.product).is_none() {
        return bad(format!("unknown product {:?}", b.product));
    }
    em.lock().stock.insert((b.country, b.product), b.qty);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct BalanceBody {
    balance: Option<Decimal>,
    rating: Option<Decimal>,
    no_free_phones_status: Option<u16>,
}

async fn set_balance(State(em): State<FiveSimEmulator>, Json(b): Json<BalanceBody>) -> Response {
    let mut s = em.lock();
    if let Some(balance) = b.balance {
        s.balance = balance;
    }
    if let Some(rating) = b.rating {
        s.rating = rating;
    }
    if let Some(status) = b.no_free_phones_status {
        s.no_free_phones_status = status;
    }
    Json(json!({"balance": super::money(s.balance), "rating": super::money(s.rating)}))
        .into_response()
}

async fn add_fault(State(em): State<FiveSimEmulator>, Json(f): Json<Fault>) -> Response {
    em.lock().faults.push(f);
    StatusCode::CREATED.into_response()
}

async fn clear_faults(State(em): State<FiveSimEmulator>) -> StatusCode {
    em.lock().faults.clear();
    StatusCode::NO_CONTENT
}

async fn requests(State(em): State<FiveSimEmulator>) -> Json<Value> {
    let s = em.lock();
    Json(json!({"requests": s.requests}))
}

async fn clear_requests(State(em): State<FiveSimEmulator>) -> StatusCode {
    em.lock().requests.clear();
    StatusCode::NO_CONTENT
}

#[derive(Deserialize)]
pub struct ClockBody {
    pub advance_seconds: i64,
}

async fn advance_clock(State(em): State<FiveSimEmulator>, Json(b): Json<ClockBody>) -> Response {
    if b.advance_seconds < 0 {
        return bad("advance_seconds cannot be negative");
    }
    em.clock.advance_ms(b.advance_seconds * 1000);
    Json(json!({"now": super::time(em.now_ms())})).into_response()
}

/// In sandbox mode: a plausible verification SMS a few seconds after each activation.
pub fn schedule_verification_sms(em: &FiveSimEmulator, order_id: i64, product: &str) {
    let sender = catalog::service(product).map(|s| s.2).unwrap_or("Service");
    let code = 100_000 + catalog::hash(&[&order_id.to_string(), "code"]) % 900_000;
    let text = format!("Your {sender} verification code is {code}. Do not share it with anyone.");
    let delay = Duration::from_millis(2_000 + catalog::hash(&[&order_id.to_string()]) % 4_000);
    let em = em.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let now = em.now_ms();
        em.lock().deliver(now, Some(order_id), None, sender, &text);
    });
}

/// In sandbox mode: now and then, an SMS to a rented number.
pub fn spawn_rental_chatter(em: FiveSimEmulator) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(45));
        loop {
            tick.tick().await;
            let now = em.now_ms();
            let mut s = em.lock();
            let live: Vec<i64> = s
                .orders
                .values()
                .filter(|o| o.kind == super::Kind::Hosting && o.status == super::Status::Received)
                .map(|o| o.id)
                .collect();
            for id in live {
                let h = catalog::hash(&[&id.to_string(), &(now / 45_000).to_string()]);
                if !h.is_multiple_of(3) {
                    continue;
                }
                let (_, _, sender) =
                    catalog::SERVICES[(h % catalog::SERVICES.len() as u64) as usize];
                let text = format!("{sender}: your login code is {}", 1_000 + h % 9_000);
                s.deliver(now, Some(id), None, sender, &text);
            }
        }
    });
}
