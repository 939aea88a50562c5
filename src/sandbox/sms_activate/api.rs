//! `handler_api.php`: one path, the `action` parameter says what is asked (GET query, or POST
//! form). Every answer is HTTP 200: activations answer plain-text tokens, the rent API JSON.

use super::{
    codes_of, countries, date, rent_price, ActivationStatus, EmResult, Refusal, RentStatus,
    SmsActivateEmulator, RENT_HOURS,
};
use crate::sandbox::traffic;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, MethodRouter};
use axum::{Form, Json};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::str::FromStr;

type Params = HashMap<String, String>;

pub fn handler(em: SmsActivateEmulator) -> MethodRouter {
    get(answer_get)
        .post(answer_post)
        .layer(axum::middleware::from_fn_with_state(
            em.traffic.clone(),
            traffic::faults_and_log,
        ))
        .with_state(em)
}

async fn answer_get(State(em): State<SmsActivateEmulator>, Query(p): Query<Params>) -> Response {
    answer(&em, &p)
}

async fn answer_post(
    State(em): State<SmsActivateEmulator>,
    Query(mut p): Query<Params>,
    Form(body): Form<Params>,
) -> Response {
    p.extend(body);
    answer(&em, &p)
}

fn text(body: impl Into<String>) -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body.into(),
    )
        .into_response()
}

/// A rent API refusal: `{"status":"error","message":…}`, still with 200.
fn rent_error(token: &str) -> Response {
    Json(json!({"status": "error", "message": token})).into_response()
}

fn answer(em: &SmsActivateEmulator, p: &Params) -> Response {
    if !em.accepts(p.get("api_key").map(String::as_str)) {
        return text("BAD_KEY");
    }
    let action = p.get("action").map(String::as_str).unwrap_or_default();
    let outcome = match action {
        "getBalance" | "getBalanceAndCashBack" => {
            Ok(text(format!("ACCESS_BALANCE:{:.2}", em.lock().balance)))
        }
        "getCountries" => Ok(Json(country_list()).into_response()),
        "getPrices" => Ok(Json(prices(em, p)).into_response()),
        "getNumbersStatus" => numbers_status(em, p).map(|v| Json(v).into_response()),
        "getNumber" => buy(em, p).map(|(id, phone, _)| text(format!("ACCESS_NUMBER:{id}:{phone}"))),
        "getNumberV2" => buy(em, p).map(|(_, _, v)| Json(v).into_response()),
        "getStatus" => status(em, p).map(text),
        "setStatus" => set_status(em, p).map(text),
        "getFullSms" => full_sms(em, p).map(text),
        "getActiveActivations" => Ok(Json(active(em)).into_response()),
        "getRentServicesAndCountries" => {
            return rent_services(p).map_or_else(|e| rent_error(&e.0), |v| Json(v).into_response())
        }
        "getRentNumber"
        | "getRentStatus"
        | "setRentStatus"
        | "getRentList"
        | "getContinueRentPriceNumber"
        | "continueRentNumber" => {
            return rent(em, action, p)
                .map_or_else(|e| rent_error(&e.0), |v| Json(v).into_response())
        }
        _ => return text("BAD_ACTION"),
    };
    outcome.unwrap_or_else(|Refusal(token)| text(token))
}

fn param<'a>(p: &'a Params, name: &str) -> Option<&'a str> {
    p.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
}

fn id(p: &Params, missing: &str) -> EmResult<i64> {
    param(p, "id")
        .and_then(|v| v.parse().ok())
        .ok_or(Refusal(missing.into()))
}

fn country(p: &Params) -> EmResult<u32> {
    match param(p, "country") {
        None => Ok(0),
        Some(v) => v.parse().map_err(|_| Refusal("BAD_COUNTRY".into())),
    }
}

fn hours(p: &Params) -> EmResult<u32> {
    param(p, "rent_time")
        .or_else(|| param(p, "time"))
        .map_or(Ok(4), |v| v.parse().map_err(|_| Refusal("BAD_TIME".into())))
}

fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

fn country_list() -> Value {
    let mut all = Map::new();
    for (id, c) in countries() {
        all.insert(
            id.to_string(),
            json!({"id": id, "rus": c.text_ru, "eng": c.text_en, "visible": 1, "retry": 1, "rent": 1}),
        );
    }
    Value::Object(all)
}

fn prices(em: &SmsActivateEmulator, p: &Params) -> Value {
    let only_service = param(p, "service");
    let only_country = param(p, "country").and_then(|c| c.parse::<u32>().ok());
    let s = em.lock();
    let mut all = Map::new();
    for (id, _) in countries().filter(|(id, _)| only_country.is_none_or(|o| o == *id)) {
        let mut services = Map::new();
        for code in codes_of().filter(|code| only_service.is_none_or(|o| o == *code)) {
            if let Some(price) = s.activation_price(id, code) {
                services.insert(
                    code.to_owned(),
                    json!({"cost": number(price), "count": s.stock_of(id, code)}),
                );
            }
        }
        all.insert(id.to_string(), Value::Object(services));
    }
    Value::Object(all)
}

fn numbers_status(em: &SmsActivateEmulator, p: &Params) -> EmResult<Value> {
    let country = country(p)?;
    let s = em.lock();
    Ok(Value::Object(
        codes_of()
            .map(|code| (format!("{code}_0"), json!(s.stock_of(country, code))))
            .collect(),
    ))
}

fn buy(em: &SmsActivateEmulator, p: &Params) -> EmResult<(i64, String, Value)> {
    let service = param(p, "service").ok_or(Refusal("BAD_SERVICE".into()))?;
    let max_price = match param(p, "maxPrice") {
        None => None,
        Some(v) => Some(Decimal::from_str(v).map_err(|_| Refusal("WRONG_MAX_PRICE:0".into()))?),
    };
    let now = em.now_ms();
    let a = em
        .lock()
        .buy_activation(now, service, country(p)?, max_price)?;
    if em.auto_sms {
        super::control::schedule_verification_sms(em, a.id, &a.service);
    }
    let v = json!({
        "activationId": a.id.to_string(),
        "phoneNumber": a.phone,
        "activationCost": number(a.price),
        "countryCode": a.country.to_string(),
        "canGetAnotherSms": true,
        "activationTime": date(a.created_ms),
        "activationEndTime": date(a.expires_ms),
        "activationOperator": "any",
    });
    Ok((a.id, a.phone, v))
}

fn status(em: &SmsActivateEmulator, p: &Params) -> EmResult<String> {
    let s = em.lock();
    let a = s.activation(id(p, "NO_ACTIVATION")?)?;
    let code = |sms: &super::Sms| sms.code.clone().unwrap_or_else(|| sms.text.clone());
    Ok(match a.status {
        ActivationStatus::Cancelled => "STATUS_CANCEL".to_owned(),
        _ => match (a.retry_after_sms, a.sms.last()) {
            (_, None) => "STATUS_WAIT_CODE".to_owned(),
            (Some(seen), Some(last)) if a.sms.len() == seen => {
                format!("STATUS_WAIT_RETRY:{}", code(last))
            }
            (_, Some(last)) => format!("STATUS_OK:{}", code(last)),
        },
    })
}

fn set_status(em: &SmsActivateEmulator, p: &Params) -> EmResult<String> {
    let id = id(p, "NO_ACTIVATION")?;
    let status = param(p, "status").ok_or(Refusal("BAD_STATUS".into()))?;
    let now = em.now_ms();
    em.lock().set_status(now, id, status).map(str::to_owned)
}

fn full_sms(em: &SmsActivateEmulator, p: &Params) -> EmResult<String> {
    let s = em.lock();
    let a = s.activation(id(p, "NO_ACTIVATION")?)?;
    Ok(match (a.status, a.sms.last()) {
        (ActivationStatus::Cancelled, _) => "STATUS_CANCEL".to_owned(),
        (_, None) => "STATUS_WAIT_CODE".to_owned(),
        (_, Some(sms)) => format!("FULL_SMS:{}", sms.text),
    })
}

fn active(em: &SmsActivateEmulator) -> Value {
    let s = em.lock();
    let list: Vec<Value> = s
        .activations
        .values()
        .filter(|a| a.status == ActivationStatus::Waiting)
        .map(|a| {
            json!({
                "activationId": a.id.to_string(),
                "serviceCode": a.service,
                "phoneNumber": a.phone,
                "activationCost": number(a.price),
                "activationStatus": if a.sms.is_empty() { "2" } else { "4" },
                "smsCode": a.sms.last().and_then(|m| m.code.clone()),
                "smsText": a.sms.last().map(|m| m.text.clone()),
                "activationTime": date(a.created_ms),
                "discount": "0.00",
                "repeated": "0",
                "countryCode": a.country.to_string(),
                "countryName": super::country(a.country).map(|c| c.text_en),
                "canGetAnotherSms": "1",
            })
        })
        .collect();
    json!({"status": "success", "activeActivations": list})
}

fn rent_services(p: &Params) -> EmResult<Value> {
    let hours = hours(p)?;
    let country_id = country(p)?;
    let c = super::country(country_id);
    let mut services = Map::new();
    if let Some(price) = c.and_then(|c| rent_price(c, hours)) {
        for code in std::iter::once(crate::server::providers::sms_activate::codes::ANY_SERVICE)
            .chain(codes_of())
        {
            services.insert(
                code.to_owned(),
                json!({"cost": number(price), "quant": {"current": 100, "total": 100}}),
            );
        }
    }
    let mut listed = Map::new();
    for (i, (id, _)) in countries().enumerate() {
        listed.insert(i.to_string(), json!(id));
    }
    Ok(json!({
        "countries": listed,
        "operators": {"0": "any"},
        "services": services,
        "rentTimes": RENT_HOURS,
    }))
}

fn rent(em: &SmsActivateEmulator, action: &str, p: &Params) -> EmResult<Value> {
    let now = em.now_ms();
    let phone =
        |r: &super::Rent| json!({"id": r.id, "endDate": end_date(r.end_ms), "number": r.phone});
    match action {
        "getRentNumber" => {
            let service = param(p, "service")
                .unwrap_or(crate::server::providers::sms_activate::codes::ANY_SERVICE);
            let url = param(p, "url").map(str::to_owned);
            let r = em
                .lock()
                .buy_rent(now, service, country(p)?, hours(p)?, url)?;
            Ok(json!({"status": "success", "phone": phone(&r)}))
        }
        "getRentStatus" => {
            let s = em.lock();
            let r = s.rent(id(p, "NO_ID_RENT")?)?;
            match r.status {
                RentStatus::Cancelled => return Err(Refusal("STATUS_CANCEL".into())),
                RentStatus::Finished => return Err(Refusal("STATUS_FINISH".into())),
                RentStatus::Active if r.sms.is_empty() => {
                    return Err(Refusal("STATUS_WAIT_CODE".into()))
                }
                RentStatus::Active => {}
            }
            let values: Map<String, Value> = r
                .sms
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    (
                        i.to_string(),
                        json!({"phoneFrom": m.sender, "text": m.text, "service": r.service, "date": date(m.at_ms)}),
                    )
                })
                .collect();
            Ok(json!({"status": "success", "quantity": r.sms.len().to_string(), "values": values}))
        }
        "setRentStatus" => {
            let id = id(p, "NO_ID_RENT")?;
            let status = param(p, "status").ok_or(Refusal("INCORECT_STATUS".into()))?;
            em.lock().set_rent_status(now, id, status)?;
            Ok(json!({"status": "success"}))
        }
        "getRentList" => {
            let s = em.lock();
            let values: Map<String, Value> = s
                .rents
                .values()
                .filter(|r| r.status == RentStatus::Active)
                .enumerate()
                .map(|(i, r)| {
                    (
                        i.to_string(),
                        json!({"id": r.id.to_string(), "phone": r.phone}),
                    )
                })
                .collect();
            Ok(json!({"status": "success", "values": values}))
        }
        "getContinueRentPriceNumber" => {
            let price = em.lock().continue_price(id(p, "NO_ID_RENT")?, hours(p)?)?;
            Ok(json!({"status": "success", "price": number(price)}))
        }
        _ => {
            let r = em.lock().continue_rent(id(p, "NO_ID_RENT")?, hours(p)?)?;
            Ok(json!({"status": "success", "phone": phone(&r)}))
        }
    }
}

/// The rent API writes its end dates as ISO 8601 without a zone (UTC).
fn end_date(ms: i64) -> String {
    crate::server::clock::from_ms(ms)
        .format("%Y-%m-%dT%H:%M:%S")
        .to_string()
}
