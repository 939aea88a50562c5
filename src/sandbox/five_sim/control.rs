//! The emulator's control API (`/control/...`) for tests and demos: deliver SMS, set stock and
//! balance; inject faults, read the request log and move the clock (`traffic`). Also the
//! automatic SMS that make sandbox mode feel alive.

use super::{catalog, FiveSimEmulator};
use crate::sandbox::traffic::{self, bad};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub fn router<S: Clone + Send + Sync + 'static>(em: FiveSimEmulator) -> Router<S> {
    Router::new()
        .route("/sms", post(deliver_sms))
        .route("/stock", post(set_stock))
        .route("/price", post(set_price))
        .route("/balance", post(set_balance))
        .with_state(em.clone())
        .merge(traffic::router(em.traffic))
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
struct PriceBody {
    country: String,
    product: String,
    price: Decimal,
}

/// A provider whose price moved: `product` in `country` costs `price` through every operator.
async fn set_price(State(em): State<FiveSimEmulator>, Json(b): Json<PriceBody>) -> Response {
    if catalog::country(&b.country).is_none() {
        return bad(format!("unknown country {:?}", b.country));
    }
    if catalog::service(&b.product).is_none() && catalog::hosting(&b.product).is_none() {
        return bad(format!("unknown product {:?}", b.product));
    }
    if b.price <= Decimal::ZERO {
        return bad("price must be positive".to_owned());
    }
    em.lock().prices.insert((b.country, b.product), b.price);
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
