//! The emulator's control API (`/control/...`), with the same verbs as the other emulators':
//! deliver SMS, set stock and balance; faults, the request log and the clock (`traffic`);
//! and where it sends its webhooks.

use super::TextVerifiedEmulator;
use crate::sandbox::five_sim::catalog;
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

pub fn router<S: Clone + Send + Sync + 'static>(em: TextVerifiedEmulator) -> Router<S> {
    Router::new()
        .route("/sms", post(deliver_sms))
        .route("/stock", post(set_stock))
        .route("/balance", post(set_balance))
        .route("/webhook", post(set_webhook))
        .with_state(em.clone())
        .merge(traffic::router(em.traffic))
}

#[derive(Deserialize)]
struct SmsBody {
    /// A verification's or a rental's id.
    order_id: Option<String>,
    phone: Option<String>,
    sender: Option<String>,
    text: String,
}

async fn deliver_sms(State(em): State<TextVerifiedEmulator>, Json(b): Json<SmsBody>) -> Response {
    if b.order_id.is_none() && b.phone.is_none() {
        return bad("give order_id or phone");
    }
    let sender = b.sender.unwrap_or_else(|| "12025550100".to_owned());
    match em.deliver(b.order_id.as_deref(), b.phone.as_deref(), &sender, &b.text) {
        Some(id) => Json(json!({"delivered": true, "order_id": id})).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "not_found", "message": "no open verification or rental with that id or number"}})),
        )
            .into_response(),
    }
}

#[derive(Deserialize)]
struct StockBody {
    /// A service (`telegram`), or `allservices` for rentals.
    product: String,
    qty: u64,
}

async fn set_stock(State(em): State<TextVerifiedEmulator>, Json(b): Json<StockBody>) -> Response {
    if b.product != super::ANY_SERVICE && catalog::service(&b.product).is_none() {
        return bad(format!("unknown product {:?}", b.product));
    }
    em.lock().stock.insert(b.product, b.qty);
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct BalanceBody {
    balance: Option<Decimal>,
    /// How long each create call takes from now on.
    create_delay_ms: Option<u64>,
}

async fn set_balance(
    State(em): State<TextVerifiedEmulator>,
    Json(b): Json<BalanceBody>,
) -> Response {
    let mut s = em.lock();
    if let Some(balance) = b.balance {
        s.balance = balance;
    }
    if let Some(delay) = b.create_delay_ms {
        s.create_delay_ms = delay;
    }
    Json(json!({"balance": s.balance.normalize().to_string()})).into_response()
}

#[derive(Deserialize)]
struct WebhookBody {
    url: String,
    secret: String,
}

async fn set_webhook(
    State(em): State<TextVerifiedEmulator>,
    Json(b): Json<WebhookBody>,
) -> Response {
    em.lock().webhook = Some((b.url, b.secret));
    StatusCode::NO_CONTENT.into_response()
}

/// In sandbox mode: a plausible verification SMS a few seconds after each verification.
pub fn schedule_verification_sms(em: &TextVerifiedEmulator, id: &str, service: &str) {
    let sender = catalog::service(service).map_or("Service", |s| s.2);
    let code = 100_000 + catalog::hash(&[id, "tv-code"]) % 900_000;
    let text = format!("{code} is your {sender} verification code.");
    let delay = Duration::from_millis(3_000 + catalog::hash(&[id]) % 4_000);
    let (em, id) = (em.clone(), id.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        em.deliver(Some(&id), None, sender, &text);
    });
}
