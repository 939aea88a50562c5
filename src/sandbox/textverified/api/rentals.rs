//! Rentals on the wire: pricing, the create call and its sale, both kinds' reads, refunds,
//! non-renewable extensions, renewable lines' updates and renewals, and billing cycles.

use super::{created, idempotent, link, page, Answer, Em, PageQuery};
use crate::sandbox::textverified::{
    number, rental_price, time, BillingCycle, EmResult, Refusal, Rental, RENTAL_REFUND_WINDOW_MS,
};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

pub fn routes() -> Router<crate::sandbox::textverified::TextVerifiedEmulator> {
    Router::new()
        .route("/pricing/rentals", post(pricing))
        .route("/reservations/rental", post(create))
        .route("/sales/{id}", get(sale))
        .route(
            "/reservations/rental/nonrenewable",
            get(|em: Em, h: HeaderMap, q: Query<PageQuery>| list(em, h, q, false)),
        )
        .route(
            "/reservations/rental/nonrenewable/{id}",
            get(|em: Em, h: HeaderMap, id: Path<String>| read(em, h, id, false)),
        )
        .route(
            "/reservations/rental/nonrenewable/{id}/refund",
            post(|em: Em, id: Path<String>| refund(em, id, false)),
        )
        .route("/reservations/rentals/extensions", post(extend))
        .route(
            "/reservations/rental/renewable",
            get(|em: Em, h: HeaderMap, q: Query<PageQuery>| list(em, h, q, true)),
        )
        .route(
            "/reservations/rental/renewable/{id}",
            get(|em: Em, h: HeaderMap, id: Path<String>| read(em, h, id, true)).post(update),
        )
        .route(
            "/reservations/rental/renewable/{id}/refund",
            post(|em: Em, id: Path<String>| refund(em, id, true)),
        )
        .route(
            "/reservations/rental/renewable/{id}/renew",
            post(renew_overdue),
        )
        .route(
            "/reservations/rental/{id}/reactivate",
            get(reactivation_price).post(reactivate),
        )
        .route("/billing-cycles", get(cycles))
        .route("/billing-cycles/{id}", get(cycle))
        .route("/billing-cycles/{id}/renew", post(renew_cycle))
}

#[derive(Deserialize)]
struct PricingBody {
    #[serde(rename = "serviceName")]
    service_name: String,
    duration: Option<String>,
    #[serde(rename = "isRenewable", default)]
    is_renewable: bool,
}

async fn pricing(Json(b): Json<PricingBody>) -> Answer {
    let duration = b.duration.unwrap_or_default();
    match rental_price(&duration, b.is_renewable) {
        Some(price) => Ok(
            Json(json!({"serviceName": b.service_name, "price": number(price)})).into_response(),
        ),
        None => super::super::refuse(400, "UnsupportedOption", "That combination is not offered."),
    }
}

#[derive(Deserialize)]
struct NewRental {
    #[serde(rename = "serviceName")]
    service_name: String,
    #[serde(rename = "isRenewable")]
    is_renewable: bool,
    duration: String,
    #[serde(rename = "allowBackOrderReservations")]
    _allow_back_order: bool,
    #[serde(rename = "numberType")]
    _number_type: String,
    #[serde(rename = "capability")]
    _capability: String,
}

async fn create(State(em): Em, headers: HeaderMap, Json(b): Json<NewRental>) -> Answer {
    idempotent(&em, &headers, |em| {
        let now = em.now_ms();
        let sale = em
            .lock()
            .create_rental(now, &b.service_name, &b.duration, b.is_renewable)?;
        Ok(format!("/sales/{}", sale.id))
    })
    .await
}

fn not_found() -> Refusal {
    Refusal {
        status: 404,
        code: "NotFound",
        description: String::new(),
    }
}

async fn sale(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let s = em.lock();
    let sale = s.sales.get(&id).ok_or_else(not_found)?;
    let kind = s.rental(&sale.rental_id)?.kind();
    Ok(Json(json!({
        "id": sale.id,
        "createdAt": time(sale.created_ms),
        "updatedAt": time(sale.created_ms),
        "state": "succeeded",
        "total": number(sale.total),
        "reservations": [{
            "id": sale.rental_id,
            "link": link(&headers, &format!("/reservations/rental/{kind}/{}", sale.rental_id)),
            "reservationType": "rental",
            "serviceName": sale.service,
        }],
        "backOrderReservations": [],
    }))
    .into_response())
}

/// A rental as its kind's detail read writes it (renewable lines with their billing fields).
fn rental_json(headers: &HeaderMap, r: &Rental, can_refund: bool) -> Value {
    let kind = r.kind();
    let mut v = json!({
        "id": r.id,
        "number": r.number,
        "serviceName": r.service,
        "state": r.wire_state(),
        "createdAt": time(r.created_ms),
        "endsAt": time(r.ends_ms),
        "alwaysOn": true,
        "sms": link(headers, &format!("/sms?reservationId={}", r.id)),
        "calls": link(headers, &format!("/calls?reservationId={}", r.id)),
        "sale": link(headers, "/sales"),
        "refund": {
            "canRefund": can_refund,
            "refundableUntil": time(r.created_ms + RENTAL_REFUND_WINDOW_MS),
            "link": link(headers, &format!("/reservations/rental/{kind}/{}/refund", r.id)),
        },
    });
    if let Some(cycle) = &r.billing_cycle {
        v["billingCycleId"] = json!(cycle);
        v["billingCycle"] = link(headers, &format!("/billing-cycles/{cycle}"));
        v["isIncludedForNextRenewal"] = json!(r.included);
    }
    v
}

async fn read(
    State(em): Em,
    headers: HeaderMap,
    Path(id): Path<String>,
    renewable: bool,
) -> Answer {
    let now = em.now_ms();
    let s = em.lock();
    let r = s.rental_of_kind(&id, renewable)?;
    Ok(Json(rental_json(&headers, r, s.can_refund(r, now))).into_response())
}

async fn list(
    State(em): Em,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
    renewable: bool,
) -> Json<Value> {
    let items: Vec<Value> = em
        .lock()
        .rentals
        .values()
        .rev()
        .filter(|r| r.renewable() == renewable)
        .map(|r| {
            json!({
                "id": r.id,
                "number": r.number,
                "serviceName": r.service,
                "state": r.wire_state(),
                "createdAt": time(r.created_ms),
                "endsAt": time(r.ends_ms),
            })
        })
        .collect();
    let kind = if renewable {
        "renewable"
    } else {
        "nonrenewable"
    };
    Json(page(
        &headers,
        &format!("/reservations/rental/{kind}"),
        items,
        &q,
    ))
}

async fn refund(State(em): Em, Path(id): Path<String>, renewable: bool) -> Answer {
    let now = em.now_ms();
    em.lock().refund(now, &id, renewable)?;
    Ok(StatusCode::OK.into_response())
}

#[derive(Deserialize)]
struct Extension {
    #[serde(rename = "rentalId")]
    rental_id: String,
    #[serde(rename = "extensionDuration")]
    extension_duration: String,
}

async fn extend(State(em): Em, Json(b): Json<Extension>) -> Answer {
    let now = em.now_ms();
    let done = em.lock().extend(now, &b.rental_id, &b.extension_duration)?;
    Ok(Json(done).into_response())
}

#[derive(Deserialize)]
struct Update {
    #[serde(rename = "includeForRenewal")]
    include_for_renewal: Option<bool>,
}

/// `{userNotes?, includeForRenewal?, markAllSmsRead?, tags?}`: only `includeForRenewal`
/// changes anything here.
async fn update(State(em): Em, Path(id): Path<String>, Json(b): Json<Update>) -> Answer {
    let mut s = em.lock();
    match b.include_for_renewal {
        Some(on) => s.include_for_renewal(&id, on)?,
        None => {
            s.rental_of_kind(&id, true)?;
        }
    }
    Ok(StatusCode::OK.into_response())
}

async fn renew_overdue(State(em): Em, Path(id): Path<String>) -> Answer {
    em.lock().renew_overdue(&id)?;
    Ok(StatusCode::OK.into_response())
}

fn cycle_json(headers: &HeaderMap, c: &BillingCycle, r: &Rental) -> Value {
    json!({
        "id": c.id,
        "renewedThrough": time(r.ends_ms),
        "billingCycleEndsAt": time(r.ends_ms),
        "nextAutoRenewAttempt": if r.included && r.state.is_open() { json!(time(r.ends_ms)) } else { Value::Null },
        "state": if r.state.is_open() { "active" } else { "expired" },
        "emailNotes": Value::Null,
        "invoices": link(headers, &format!("/billing-cycles/{}/invoices", c.id)),
        "renewCost": number(c.price),
    })
}

fn cycle_of(
    em: &crate::sandbox::textverified::TextVerifiedEmulator,
    headers: &HeaderMap,
    id: &str,
) -> EmResult<Value> {
    let s = em.lock();
    let c = s.billing_cycles.get(id).ok_or_else(not_found)?;
    Ok(cycle_json(headers, c, s.rental(&c.rental_id)?))
}

async fn cycle(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    Ok(Json(cycle_of(&em, &headers, &id)?).into_response())
}

async fn cycles(State(em): Em, headers: HeaderMap, Query(q): Query<PageQuery>) -> Json<Value> {
    let s = em.lock();
    let items: Vec<Value> = s
        .billing_cycles
        .values()
        .rev()
        .filter_map(|c| Some(cycle_json(&headers, c, s.rental(&c.rental_id).ok()?)))
        .collect();
    Json(page(&headers, "/billing-cycles", items, &q))
}

/// Renews the cycle now: `200` with the cycle as it stands after.
async fn renew_cycle(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    em.lock().renew_cycle(&id)?;
    Ok(Json(cycle_of(&em, &headers, &id)?).into_response())
}

async fn reactivation_price(State(em): Em, Path(id): Path<String>) -> Answer {
    let price = em.lock().reactivation_price(&id)?;
    Ok(Json(json!({ "price": number(price) })).into_response())
}

#[derive(Deserialize)]
struct Reactivation {
    #[serde(rename = "maxPrice")]
    max_price: Value,
}

/// `201` with the link to the sale of the new rental on the same number.
async fn reactivate(
    State(em): Em,
    headers: HeaderMap,
    Path(id): Path<String>,
    Json(b): Json<Reactivation>,
) -> Answer {
    let max = crate::server::providers::lenient::decimal(&b.max_price).ok_or_else(|| Refusal {
        status: 400,
        code: "InvalidMaxPrice",
        description: "maxPrice must be a number.".into(),
    })?;
    let now = em.now_ms();
    let sale = em.lock().reactivate(now, &id, max)?;
    Ok(created(&headers, &format!("/sales/{}", sale.id)))
}
