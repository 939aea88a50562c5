//! TextVerified's HTTP API (`/api/pub/v2/...`) over the emulator's state; its rentals in
//! `rentals`.

mod rentals;

use super::{
    number, time, verification_price, EmResult, Idempotent, Refusal, TextVerifiedEmulator,
    VerificationState, ANY_SERVICE, API_PATH,
};
use crate::sandbox::five_sim::catalog;
use crate::sandbox::traffic;
use crate::server::providers::lenient::decimal;
use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

pub fn router(em: TextVerifiedEmulator) -> Router {
    let private = Router::new()
        .route("/account/me", get(me))
        .route("/services", get(services))
        .route("/pricing/verifications", post(verification_pricing))
        .route("/inventory/verifications", post(inventory))
        .route("/inventory/rentals", post(inventory))
        .route(
            "/verifications",
            post(create_verification).get(list_verifications),
        )
        .route("/verifications/{id}", get(verification))
        .route("/verifications/{id}/cancel", post(cancel))
        .route("/verifications/{id}/report", post(report))
        .route("/verifications/{id}/reuse", post(reuse))
        .route("/verifications/{id}/reactivate", post(reactivate))
        .merge(rentals::routes())
        .route("/sms", get(sms))
        .route_layer(axum::middleware::from_fn_with_state(
            em.clone(),
            require_token,
        ));
    Router::new()
        .route("/auth", post(auth))
        .merge(private)
        .layer(axum::middleware::from_fn_with_state(
            em.traffic.clone(),
            traffic::faults_and_log,
        ))
        .with_state(em)
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        if matches!(self.status, 401 | 403 | 404) {
            return status.into_response();
        }
        (
            status,
            Json(json!({"errorCode": self.code, "errorDescription": self.description})),
        )
            .into_response()
    }
}

type Answer = EmResult<Response>;
type Em = State<TextVerifiedEmulator>;

async fn auth(State(em): Em, headers: HeaderMap) -> Response {
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    match em.authenticate(get("x-api-username"), get("x-api-key")) {
        Some((token, until)) => Json(json!({
            "token": token,
            "expiresIn": super::TOKEN_LIFETIME_MS / 1000,
            "expiresAt": time(until),
        }))
        .into_response(),
        None => StatusCode::UNAUTHORIZED.into_response(),
    }
}

async fn require_token(State(em): Em, req: Request, next: Next) -> Response {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer.is_some_and(|t| em.token_valid(t)) {
        next.run(req).await
    } else {
        StatusCode::UNAUTHORIZED.into_response()
    }
}

/// A link as the API writes them: `{method, href}`, absolute.
fn link(headers: &HeaderMap, path: &str) -> Value {
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    json!({"method": "GET", "href": format!("http://{host}{API_PATH}{path}")})
}

/// `201` with `Location` and the link.
fn created(headers: &HeaderMap, path: &str) -> Response {
    let l = link(headers, path);
    let href = l["href"].as_str().unwrap_or_default().to_owned();
    (StatusCode::CREATED, [(header::LOCATION, href)], Json(l)).into_response()
}

async fn me(State(em): Em) -> Json<Value> {
    let balance = em.lock().balance;
    Json(json!({"username": "sandbox", "currentBalance": number(balance)}))
}

#[derive(Deserialize)]
struct ServicesQuery {
    #[serde(rename = "reservationType")]
    reservation_type: Option<String>,
}

async fn services(Query(q): Query<ServicesQuery>) -> Json<Value> {
    let list: Vec<Value> = if q.reservation_type.as_deref() == Some("verification") {
        catalog::SERVICES
            .iter()
            .map(|(name, _, _)| json!({"serviceName": name, "capability": "sms"}))
            .collect()
    } else {
        vec![json!({"serviceName": ANY_SERVICE, "capability": "sms"})]
    };
    Json(Value::Array(list))
}

#[derive(Deserialize)]
struct PricingBody {
    #[serde(rename = "serviceName")]
    service_name: String,
}

async fn verification_pricing(Json(b): Json<PricingBody>) -> Answer {
    let price = verification_price(&b.service_name).ok_or_else(|| Refusal {
        status: 400,
        code: "InvalidServiceName",
        description: format!("Unknown service {}.", b.service_name),
    })?;
    Ok(Json(json!({"serviceName": b.service_name, "price": number(price)})).into_response())
}

#[derive(Deserialize)]
struct InventoryBody {
    #[serde(rename = "serviceName")]
    service_name: String,
}

async fn inventory(State(em): Em, Json(b): Json<InventoryBody>) -> Json<Value> {
    let qty = em.lock().stock_of(&b.service_name).min(9000);
    Json(json!({"availableQuantity": qty}))
}

/// A create call under its `Idempotency-Key`: the first answer again once done, `409` while
/// in flight.
async fn idempotent(
    em: &TextVerifiedEmulator,
    headers: &HeaderMap,
    create: impl FnOnce(&TextVerifiedEmulator) -> EmResult<String>,
) -> Answer {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= 256)
        .map(str::to_owned);
    if let Some(key) = &key {
        let mut s = em.lock();
        match s.idempotency.get(key) {
            Some(Idempotent::InFlight) => {
                return super::refuse(
                    409,
                    "IdempotencyConflict",
                    "A request with this key is in progress.",
                )
            }
            Some(Idempotent::Done(path)) => return Ok(created(headers, &path.clone())),
            None => {
                s.idempotency.insert(key.clone(), Idempotent::InFlight);
            }
        }
    }
    let delay = em.lock().create_delay_ms;
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let outcome = create(em);
    if let Some(key) = key {
        let mut s = em.lock();
        match &outcome {
            Ok(path) => s.idempotency.insert(key, Idempotent::Done(path.clone())),
            Err(_) => s.idempotency.remove(&key),
        };
    }
    Ok(created(headers, &outcome?))
}

#[derive(Deserialize)]
struct NewVerification {
    #[serde(rename = "serviceName")]
    service_name: String,
    #[serde(rename = "maxPrice")]
    max_price: Option<Value>,
}

async fn create_verification(
    State(em): Em,
    headers: HeaderMap,
    Json(b): Json<NewVerification>,
) -> Answer {
    idempotent(&em, &headers, |em| {
        let now = em.now_ms();
        let max_price = b.max_price.as_ref().and_then(decimal);
        let v = em
            .lock()
            .create_verification(now, &b.service_name, max_price)?;
        if em.auto_sms {
            super::control::schedule_verification_sms(em, &v.id, &v.service);
        }
        Ok(format!("/verifications/{}", v.id))
    })
    .await
}

fn verification_json(em: &TextVerifiedEmulator, headers: &HeaderMap, id: &str) -> EmResult<Value> {
    let now = em.now_ms();
    let s = em.lock();
    let v = s.verification(id)?;
    let reusable_until = v
        .completed_ms
        .filter(|_| v.state == VerificationState::Completed)
        .map(|at| at + super::REUSE_WINDOW_MS);
    Ok(json!({
        "id": v.id,
        "number": v.number,
        "serviceName": v.service,
        "state": v.state.wire(),
        "totalCost": number(v.cost),
        "createdAt": time(v.created_ms),
        "endsAt": time(v.ends_ms),
        "sms": link(headers, &format!("/sms?reservationId={}", v.id)),
        "calls": link(headers, &format!("/calls?reservationId={}", v.id)),
        "cancel": {"canCancel": s.can_cancel(v), "link": link(headers, &format!("/verifications/{}/cancel", v.id))},
        "report": {"canReport": v.state == VerificationState::Pending, "link": link(headers, &format!("/verifications/{}/report", v.id))},
        "reactivate": {"canReactivate": reusable_until.is_some_and(|u| now > u), "link": link(headers, &format!("/verifications/{}/reactivate", v.id))},
        "reuse": {"reusableUntil": reusable_until.filter(|u| now <= *u).map(time), "link": link(headers, &format!("/verifications/{}/reuse", v.id))},
    }))
}

async fn verification(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    Ok(Json(verification_json(&em, &headers, &id)?).into_response())
}

#[derive(Deserialize)]
struct PageQuery {
    page: Option<usize>,
    size: Option<usize>,
}

/// A page as the API writes them.
fn page(headers: &HeaderMap, path: &str, items: Vec<Value>, q: &PageQuery) -> Value {
    let size = q.size.unwrap_or(25).clamp(1, 100);
    let page = q.page.unwrap_or(1).max(1);
    let count = items.len();
    let data: Vec<Value> = items
        .into_iter()
        .skip((page - 1) * size)
        .take(size)
        .collect();
    let sep = if path.contains('?') { '&' } else { '?' };
    let at = |p: usize| link(headers, &format!("{path}{sep}page={p}&size={size}"));
    let has_next = page * size < count;
    json!({
        "data": data,
        "hasNext": has_next,
        "hasPrevious": page > 1,
        "count": count,
        "links": {
            "current": at(page),
            "previous": if page > 1 { at(page - 1) } else { Value::Null },
            "next": if has_next { at(page + 1) } else { Value::Null },
        },
    })
}

async fn list_verifications(
    State(em): Em,
    headers: HeaderMap,
    Query(q): Query<PageQuery>,
) -> Json<Value> {
    let items: Vec<Value> = em
        .lock()
        .verifications
        .values()
        .rev()
        .map(|v| {
            json!({
                "id": v.id,
                "number": v.number,
                "serviceName": v.service,
                "state": v.state.wire(),
                "totalCost": number(v.cost),
                "createdAt": time(v.created_ms),
            })
        })
        .collect();
    Json(page(&headers, "/verifications", items, &q))
}

async fn cancel(State(em): Em, Path(id): Path<String>) -> Answer {
    em.lock().cancel(&id)?;
    Ok(StatusCode::OK.into_response())
}

async fn report(State(em): Em, Path(id): Path<String>) -> Answer {
    em.lock().report(&id)?;
    Ok(StatusCode::OK.into_response())
}

async fn reuse(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let now = em.now_ms();
    let v = em.lock().again(now, &id, true)?;
    Ok(created(&headers, &format!("/verifications/{}", v.id)))
}

async fn reactivate(State(em): Em, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let now = em.now_ms();
    let v = em.lock().again(now, &id, false)?;
    Ok(created(&headers, &format!("/verifications/{}", v.id)))
}

async fn sms(
    State(em): Em,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Json<Value> {
    let s = em.lock();
    let reservation = q.get("reservationId");
    let to = q.get("to");
    let number_of = |rid: &str| {
        s.verifications
            .get(rid)
            .map(|v| v.number.clone())
            .or_else(|| s.rentals.get(rid).map(|r| r.number.clone()))
            .unwrap_or_default()
    };
    let items: Vec<Value> = s
        .sms
        .iter()
        .filter(|(rid, _)| reservation.is_none_or(|r| r == *rid))
        .filter(|(rid, _)| to.is_none_or(|t| t.ends_with(&number_of(rid))))
        .flat_map(|(rid, list)| {
            let to = number_of(rid);
            list.iter().rev().map(move |m| {
                json!({
                    "id": m.id,
                    "from": m.from,
                    "to": to,
                    "createdAt": time(m.at_ms),
                    "smsContent": m.text,
                    "parsedCode": m.code,
                    "encrypted": false,
                })
            })
        })
        .collect();
    let q = PageQuery {
        page: q.get("page").and_then(|p| p.parse().ok()),
        size: q.get("size").and_then(|p| p.parse().ok()),
    };
    let path = reservation.map_or_else(|| "/sms".to_owned(), |r| format!("/sms?reservationId={r}"));
    Json(page(&headers, &path, items, &q))
}
