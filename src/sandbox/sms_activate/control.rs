//! The emulator's control API (`/control/...`), with the same verbs as the 5SIM emulator's:
//! deliver SMS, set stock and balance; faults, the request log and the clock (`traffic`).

use super::{codes_of, SmsActivateEmulator};
use crate::sandbox::five_sim::catalog;
use crate::sandbox::traffic::{self, bad};
use crate::server::providers::sms_activate::codes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use std::time::Duration;

pub fn router<S: Clone + Send + Sync + 'static>(em: SmsActivateEmulator) -> Router<S> {
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
    /// An activation's or a rent's id.
    order_id: Option<i64>,
    phone: Option<String>,
    sender: Option<String>,
    text: String,
    age_seconds: Option<i64>,
}

async fn deliver_sms(State(em): State<SmsActivateEmulator>, Json(b): Json<SmsBody>) -> Response {
    if b.order_id.is_none() && b.phone.is_none() {
        return bad("give order_id or phone");
    }
    let sender = b.sender.unwrap_or_else(|| "Service".to_owned());
    let age_ms = b.age_seconds.unwrap_or(0).max(0) * 1000;
    match em.deliver(b.order_id, b.phone.as_deref(), &sender, &b.text, age_ms) {
        Some(id) => Json(json!({"delivered": true, "order_id": id})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "no open activation or rent with that id or number"}})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct StockBody {
    /// ISO code (`GB`) or the protocol's id (`16`).
    country: String,
    /// Our service name (`telegram`), the protocol's code (`tg`), or `full` for rents.
    product: String,
    qty: u64,
}

async fn set_stock(State(em): State<SmsActivateEmulator>, Json(b): Json<StockBody>) -> Response {
    match product_of(&b.country, &b.product) {
        Ok(key) => {
            em.lock().stock.insert(key, b.qty);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(why) => bad(why),
    }
}

/// (country id, service code) from a control body: the country as an ISO code (`GB`) or the
/// protocol's id (`16`); the product as our service name (`telegram`), the protocol's code
/// (`tg`), or `full` for rents.
fn product_of(country: &str, product: &str) -> Result<(u32, String), String> {
    let Some(country_id) = country
        .parse::<u32>()
        .ok()
        .or_else(|| codes::country_id(country))
        .filter(|id| super::country(*id).is_some())
    else {
        return Err(format!("unknown country {country:?}"));
    };
    let Some(code) = codes::service_code(product)
        .or_else(|| codes_of().find(|c| *c == product))
        .or_else(|| (product == codes::ANY_SERVICE).then_some(codes::ANY_SERVICE))
    else {
        return Err(format!("unknown product {product:?}"));
    };
    Ok((country_id, code.to_owned()))
}

#[derive(Deserialize)]
struct PriceBody {
    country: String,
    /// A service (activations; rents keep their prices by length).
    product: String,
    price: Decimal,
}

/// A provider whose price moved: an activation of `product` in `country` costs `price`.
async fn set_price(State(em): State<SmsActivateEmulator>, Json(b): Json<PriceBody>) -> Response {
    if b.price <= Decimal::ZERO {
        return bad("price must be positive");
    }
    match product_of(&b.country, &b.product) {
        Ok((_, code)) if code == codes::ANY_SERVICE => bad("rents keep their prices by length"),
        Ok(key) => {
            em.lock().prices.insert(key, b.price);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(why) => bad(why),
    }
}

#[derive(Deserialize)]
struct BalanceBody {
    balance: Decimal,
}

async fn set_balance(
    State(em): State<SmsActivateEmulator>,
    Json(b): Json<BalanceBody>,
) -> Response {
    em.lock().balance = b.balance;
    Json(json!({"balance": b.balance.normalize().to_string()})).into_response()
}

/// In sandbox mode: a plausible verification SMS a few seconds after each activation.
pub fn schedule_verification_sms(em: &SmsActivateEmulator, id: i64, service: &str) {
    let sender = codes::service_name(service)
        .and_then(catalog::service)
        .map_or("Service", |s| s.2);
    let code = 100_000 + catalog::hash(&[&id.to_string(), "sa-code"]) % 900_000;
    let text = format!("{sender} code: {code}. Never share this code.");
    let delay = Duration::from_millis(2_500 + catalog::hash(&[&id.to_string()]) % 4_000);
    let em = em.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        em.deliver(Some(id), None, sender, &text, 0);
    });
}
