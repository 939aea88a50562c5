//! The SMS-Activate protocol, answered by us as a provider (`/stubs/handler_api.php`), so a
//! reseller's bot that speaks it changes only its base URL. Each action maps onto our own
//! verifications and rentals (the same services, money rules and ledger as the REST API) and
//! answers in the protocol's formats and words: plain tokens for activations, JSON for the rent
//! API, errors included.
//!
//! Ids: an activation's id is the verification's id in our REST API; a rent's is
//! `RENT_ID_BASE` plus the rental's, since the protocol has one id space for both.

pub mod request;

use self::request::{rent_id, ActivationChange, Refused, RentChange, Request};
use super::accounts::Principal;
use super::pricing::{self, Pricer};
use super::{billing, catalog, rentals, verifications};
use crate::api::dto::{NewRental, NewVerification, RentalView, VerificationView};
use crate::domain::rental::RentalStatus;
use crate::domain::verification::VerificationStatus;
use crate::server::providers::sms_activate::codes;
use crate::server::providers::{Extension, OrderStateError, ProviderError};
use crate::server::state::AppState;
use crate::server::storage::verifications as store;
use crate::server::ServerError;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde_json::{json, Map, Value};

/// What the protocol answers: a plain token, or JSON.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Text(String),
    Json(Value),
}

impl Reply {
    /// A refusal, as the action's family words it.
    pub fn refused(Refused { token, rent }: Refused) -> Reply {
        if rent {
            Reply::Json(json!({"status": "error", "message": token}))
        } else {
            Reply::Text(token)
        }
    }
}

/// Answers `request` for `caller`. A failure the protocol has a word for is answered with it;
/// anything else is logged and answered `ERROR_SQL`, the protocol's word for a server fault.
pub async fn answer(state: &AppState, caller: &Principal, request: Request) -> Reply {
    let rent = request.is_rent();
    let user = caller.user_id;
    let outcome = match request {
        Request::Balance => balance(state, user).await,
        Request::Countries => countries(state).await,
        Request::ServicesList => Ok(services_list()),
        Request::Prices { service, country } => prices(state, user, service, country).await,
        Request::NumbersStatus { country } => numbers_status(state, user, country).await,
        Request::Number {
            service,
            country,
            max_price,
            v2,
        } => number(state, user, service, country, max_price, v2).await,
        Request::Status { id } => status(state, user, id).await,
        Request::FullSms { id } => full_sms(state, user, id).await,
        Request::SetStatus { id, change } => set_status(state, user, id, change).await,
        Request::ActiveActivations => active_activations(state, user).await,
        Request::RentServices { hours, country } => {
            rent_services(state, user, hours, country).await
        }
        Request::RentNumber {
            service,
            hours,
            country,
        } => rent_number(state, user, service, hours, country).await,
        Request::RentStatus { rental_id } => rent_status(state, user, rental_id).await,
        Request::SetRentStatus { rental_id, change } => {
            set_rent_status(state, user, rental_id, change).await
        }
        Request::RentList => rent_list(state, user).await,
        Request::ContinuePrice { rental_id, hours } => {
            continue_price(state, user, rental_id, hours).await
        }
        Request::Continue { rental_id, hours } => {
            continue_rent(state, user, rental_id, hours).await
        }
    };
    outcome.unwrap_or_else(|failure| {
        let token = match failure {
            Failure::Token(token) => token,
            Failure::Server(e) => {
                tracing::error!(user_id = user, error.cause_chain = ?e, "handler_api request failed");
                "ERROR_SQL".to_owned()
            }
        };
        Reply::refused(Refused { token, rent })
    })
}

/// Why an action failed: a token the protocol has, or a fault of ours.
enum Failure {
    Token(String),
    Server(ServerError),
}

type Answer = Result<Reply, Failure>;

fn token(word: &str) -> Failure {
    Failure::Token(word.to_owned())
}

/// The protocol's words for what our services refuse; `words` names the action's own (what
/// "not found" and "not in that state" are called there).
fn failure(e: ServerError, words: Words) -> Failure {
    match e {
        ServerError::InsufficientBalance { .. } => token("NO_BALANCE"),
        ServerError::Provider(ProviderError::NoNumbers) => token("NO_NUMBERS"),
        ServerError::Provider(ProviderError::OrderState {
            state: OrderStateError::TooEarly,
            ..
        }) => token("EARLY_CANCEL_DENIED"),
        ServerError::NotFound(_) => token(words.not_found),
        ServerError::Conflict { .. } => token(words.conflict),
        ServerError::Validation { field, .. } => match field.as_ref() {
            "duration_hours" | "hours" => token("BAD_TIME"),
            "country" => token("BAD_COUNTRY"),
            // A service that a country does not sell has no numbers there.
            "service" | "operator" => token("NO_NUMBERS"),
            _ => token(words.conflict),
        },
        ServerError::RateLimited { .. } | ServerError::Busy { .. } => token("ERROR_SQL"),
        other => Failure::Server(other),
    }
}

#[derive(Clone, Copy)]
struct Words {
    not_found: &'static str,
    conflict: &'static str,
}

const BUYING: Words = Words {
    not_found: "NO_NUMBERS",
    conflict: "NO_NUMBERS",
};
const ACTIVATION: Words = Words {
    not_found: "NO_ACTIVATION",
    conflict: "BAD_STATUS",
};
const RENT: Words = Words {
    not_found: "NO_ID_RENT",
    conflict: "RENT_DIE",
};

/// An amount as the protocol writes it in text: a plain decimal, at least two places.
fn amount(d: Decimal) -> String {
    let d = d.normalize();
    if d.scale() < 2 {
        format!("{d:.2}")
    } else {
        d.to_string()
    }
}

/// An amount as a JSON number, as the protocol's JSON answers write them.
fn json_amount(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// A number as the protocol writes it: digits only, no `+`.
fn digits(phone: &str) -> String {
    phone.chars().filter(char::is_ascii_digit).collect()
}

/// The protocol's times: `YYYY-MM-DD HH:MM:SS`, UTC.
fn time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The rent API's end dates: ISO 8601 without a zone (UTC).
fn end_date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S").to_string()
}

/// The ISO code of a protocol country id we sell in.
fn country_iso(id: u32) -> Result<&'static str, Failure> {
    codes::country_iso(id).ok_or_else(|| token("NO_NUMBERS"))
}

async fn balance(state: &AppState, user: i64) -> Answer {
    let b = billing::balance(state, user)
        .await
        .map_err(Failure::Server)?;
    Ok(Reply::Text(format!(
        "ACCESS_BALANCE:{}",
        amount(b.balance.decimal())
    )))
}

async fn countries(state: &AppState) -> Answer {
    let named = catalog::countries(state).await.ok();
    let mut all = Map::new();
    for (iso, id) in codes::COUNTRIES {
        let name = named
            .as_ref()
            .and_then(|list| list.countries.iter().find(|c| c.code == *iso))
            .map_or_else(|| (*iso).to_owned(), |c| c.name.clone());
        all.insert(
            id.to_string(),
            json!({"id": id, "eng": name, "iso": iso, "visible": 1, "retry": 1, "rent": 1}),
        );
    }
    Ok(Reply::Json(Value::Object(all)))
}

fn services_list() -> Reply {
    let services: Vec<Value> = codes::SERVICES
        .iter()
        .map(|(ours, code)| json!({"code": code, "name": title(ours)}))
        .collect();
    Reply::Json(json!({"status": "success", "services": services}))
}

/// `telegram` → `Telegram`.
fn title(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// The caller's prices.
async fn pricer(state: &AppState, user: i64) -> Result<Pricer, Failure> {
    pricing::for_customer(state, Some(user))
        .await
        .map_err(|e| failure(e, BUYING))
}

async fn prices(
    state: &AppState,
    user: i64,
    service: Option<&'static str>,
    country: Option<u32>,
) -> Answer {
    let pricer = &pricer(state, user).await?;
    let asked: Vec<(&'static str, u32)> = codes::COUNTRIES
        .iter()
        .copied()
        .filter(|(_, id)| country.is_none_or(|c| c == *id))
        .collect();
    // The countries' catalogues are read four at a time (each is a provider read once its
    // cache has expired: not all at once, which a provider would throttle).
    let mut lists = Vec::with_capacity(asked.len());
    for some in asked.chunks(4) {
        lists.extend(
            futures_util::future::join_all(some.iter().map(|(iso, id)| async move {
                (*id, catalog::services(state, iso, pricer).await)
            }))
            .await,
        );
    }
    let mut all = Map::new();
    for (id, list) in lists {
        // A country no provider sells in now has no prices.
        let Ok(list) = list else {
            continue;
        };
        let mut offered = Map::new();
        for offer in &list.services {
            let Some(code) = codes::service_code(&offer.service) else {
                continue;
            };
            if service.is_some_and(|s| s != offer.service) {
                continue;
            }
            offered.insert(
                code.to_owned(),
                json!({"cost": json_amount(offer.price.decimal()), "count": offer.stock}),
            );
        }
        all.insert(id.to_string(), Value::Object(offered));
    }
    Ok(Reply::Json(Value::Object(all)))
}

async fn numbers_status(state: &AppState, user: i64, country: u32) -> Answer {
    let list = catalog::services(state, country_iso(country)?, &pricer(state, user).await?)
        .await
        .map_err(|e| failure(e, BUYING))?;
    Ok(Reply::Json(Value::Object(
        list.services
            .iter()
            .filter_map(|o| {
                Some((
                    format!("{}_0", codes::service_code(&o.service)?),
                    json!(o.stock),
                ))
            })
            .collect(),
    )))
}

async fn number(
    state: &AppState,
    user: i64,
    service: &'static str,
    country: u32,
    max_price: Option<Decimal>,
    v2: bool,
) -> Answer {
    let iso = country_iso(country)?;
    let ask = NewVerification {
        service: service.to_owned(),
        country: iso.to_owned(),
        operator: None,
        max_price: max_price.map(|p| p.to_string()),
    };
    let v = match verifications::create(state, user, &ask).await {
        Ok(v) => v,
        Err(ServerError::Conflict {
            field: Some("max_price"),
            ..
        }) => {
            // Refused as the protocol does: with the price it would take.
            let price = catalog::services(state, iso, &pricer(state, user).await?)
                .await
                .ok()
                .and_then(|l| l.services.into_iter().find(|o| o.service == service))
                .map_or_else(|| "0".to_owned(), |o| amount(o.price.decimal()));
            return Err(Failure::Token(format!("WRONG_MAX_PRICE:{price}")));
        }
        Err(e) => return Err(failure(e, BUYING)),
    };
    Ok(if v2 {
        Reply::Json(activation_json(&v, country))
    } else {
        Reply::Text(format!(
            "ACCESS_NUMBER:{}:{}",
            v.id,
            digits(&v.phone_number)
        ))
    })
}

fn activation_json(v: &VerificationView, country: u32) -> Value {
    json!({
        "activationId": v.id.to_string(),
        "phoneNumber": digits(&v.phone_number),
        "activationCost": json_amount(v.cost.decimal()),
        "currency": 840,
        "countryCode": country.to_string(),
        "canGetAnotherSms": true,
        "activationTime": time(v.created_at),
        "activationEndTime": time(v.expires_at),
        "activationOperator": v.operator.as_deref().unwrap_or("any"),
    })
}

async fn status(state: &AppState, user: i64, id: i64) -> Answer {
    let detail = verifications::get(state, user, id)
        .await
        .map_err(|e| failure(e, ACTIVATION))?;
    let v = &detail.verification;
    let newest = detail.messages.first();
    let word = |m: &crate::api::dto::MessageView| m.code.clone().unwrap_or_else(|| m.text.clone());
    Ok(Reply::Text(match (v.status, newest) {
        (VerificationStatus::Cancelled | VerificationStatus::TimedOut, _) => {
            "STATUS_CANCEL".to_owned()
        }
        (_, None) => "STATUS_WAIT_CODE".to_owned(),
        // Another code asked for: the old one is shown as old while it is still awaited.
        (VerificationStatus::Received, Some(m)) => {
            let retry = store::retry_mark(&state.db.pool, user, id)
                .await
                .map_err(|e| Failure::Server(e.into()))?;
            if retry == Some(i64::try_from(v.message_count).unwrap_or(i64::MAX)) {
                format!("STATUS_WAIT_RETRY:{}", word(m))
            } else {
                format!("STATUS_OK:{}", word(m))
            }
        }
        (_, Some(m)) => format!("STATUS_OK:{}", word(m)),
    }))
}

async fn full_sms(state: &AppState, user: i64, id: i64) -> Answer {
    let detail = verifications::get(state, user, id)
        .await
        .map_err(|e| failure(e, ACTIVATION))?;
    Ok(Reply::Text(
        match (detail.verification.status, detail.messages.first()) {
            (VerificationStatus::Cancelled | VerificationStatus::TimedOut, _) => {
                "STATUS_CANCEL".to_owned()
            }
            (_, None) => "STATUS_WAIT_CODE".to_owned(),
            (_, Some(m)) => format!("FULL_SMS:{}", m.text),
        },
    ))
}

async fn set_status(state: &AppState, user: i64, id: i64, change: ActivationChange) -> Answer {
    let detail = verifications::get(state, user, id)
        .await
        .map_err(|e| failure(e, ACTIVATION))?;
    let v = detail.verification;
    let word = match (change, v.status) {
        (ActivationChange::Ready, s) if !s.is_terminal() => "ACCESS_READY",
        (ActivationChange::Retry, VerificationStatus::Received) => {
            let count = i64::try_from(v.message_count).unwrap_or(i64::MAX);
            if !store::mark_retry(&state.db.pool, user, id, count)
                .await
                .map_err(|e| Failure::Server(e.into()))?
            {
                return Err(token("BAD_STATUS"));
            }
            "ACCESS_RETRY_GET"
        }
        // Asked again after it is done: the same answer.
        (ActivationChange::Complete, VerificationStatus::Finished) => "ACCESS_ACTIVATION",
        (ActivationChange::Complete, _) => {
            verifications::finish(state, user, id)
                .await
                .map_err(|e| failure(e, ACTIVATION))?;
            "ACCESS_ACTIVATION"
        }
        // Already over and refunded (cancelled, or timed out with no SMS): asked again.
        (
            ActivationChange::Cancel,
            VerificationStatus::Cancelled | VerificationStatus::TimedOut,
        ) => "ACCESS_CANCEL",
        (ActivationChange::Cancel, _) => {
            verifications::cancel(state, user, id)
                .await
                .map_err(|e| failure(e, ACTIVATION))?;
            "ACCESS_CANCEL"
        }
        _ => return Err(token("BAD_STATUS")),
    };
    Ok(Reply::Text(word.to_owned()))
}

async fn active_activations(state: &AppState, user: i64) -> Answer {
    let open = verifications::open(state, user)
        .await
        .map_err(Failure::Server)?;
    let list: Vec<Value> = open
        .verifications
        .iter()
        .map(|v| {
            let country = codes::country_id(&v.country_code).unwrap_or_default();
            let mut a = activation_json(v, country);
            a["serviceCode"] = json!(codes::service_code(&v.service_name).unwrap_or_default());
            a["activationStatus"] = json!(if v.message_count == 0 { "2" } else { "4" });
            a["smsCode"] = json!(v.code);
            a
        })
        .collect();
    Ok(Reply::Json(
        json!({"status": "success", "activeActivations": list}),
    ))
}

async fn rent_services(state: &AppState, user: i64, hours: u32, country: u32) -> Answer {
    let (price, stock) = rentals::quote(state, user, country_iso(country)?, hours)
        .await
        .map_err(|e| failure(e, BUYING))?;
    let offer = json!({"cost": json_amount(price.decimal()), "quant": stock});
    let mut services = Map::new();
    services.insert(codes::ANY_SERVICE.to_owned(), offer.clone());
    for (_, code) in codes::SERVICES {
        services.insert((*code).to_owned(), offer.clone());
    }
    let listed: Map<String, Value> = codes::COUNTRIES
        .iter()
        .enumerate()
        .map(|(i, (_, id))| (i.to_string(), json!(id)))
        .collect();
    Ok(Reply::Json(json!({
        "countries": listed,
        "operators": {"0": "any"},
        "services": services,
    })))
}

fn rent_phone(r: &RentalView) -> Value {
    json!({"id": rent_id(r.id), "endDate": end_date(r.expires_at), "number": digits(&r.phone_number)})
}

async fn rent_number(
    state: &AppState,
    user: i64,
    service: Option<&'static str>,
    hours: u32,
    country: u32,
) -> Answer {
    let ask = NewRental {
        service: service.unwrap_or(codes::ANY_SERVICE).to_owned(),
        country: country_iso(country)?.to_owned(),
        duration_hours: Some(hours),
        auto_renew: None,
        operator: None,
    };
    let r = rentals::create(state, user, &ask)
        .await
        .map_err(|e| failure(e, BUYING))?;
    Ok(Reply::Json(
        json!({"status": "success", "phone": rent_phone(&r)}),
    ))
}

/// The rent's status word when it is over: `STATUS_CANCEL` if it never delivered a number,
/// `STATUS_FINISH` once released or expired.
fn ended(r: &RentalView) -> Option<&'static str> {
    match r.status {
        RentalStatus::Failed => Some("STATUS_CANCEL"),
        RentalStatus::Active if r.seconds_remaining > 0 => None,
        _ => Some("STATUS_FINISH"),
    }
}

async fn rent_status(state: &AppState, user: i64, rental_id: i64) -> Answer {
    let r = rentals::get(state, user, rental_id)
        .await
        .map_err(|e| failure(e, RENT))?;
    if let Some(word) = ended(&r) {
        return Err(token(word));
    }
    let list = rentals::messages(state, user, rental_id)
        .await
        .map_err(|e| failure(e, RENT))?;
    if list.messages.is_empty() {
        return Err(token("STATUS_WAIT_CODE"));
    }
    let values: Map<String, Value> = list
        .messages
        .iter()
        .enumerate()
        .map(|(i, m)| {
            (
                i.to_string(),
                json!({
                    "phoneFrom": m.sender,
                    "text": m.text,
                    "service": codes::service_code(&r.service_name).unwrap_or(codes::ANY_SERVICE),
                    "date": time(m.received_at),
                }),
            )
        })
        .collect();
    Ok(Reply::Json(json!({
        "status": "success",
        "quantity": list.messages.len().to_string(),
        "values": values,
    })))
}

/// Finish (1) and cancel (2) both release the rental early, with the refund our rules give
/// for its unused whole hours: there is no cancel for a full refund here.
async fn set_rent_status(
    state: &AppState,
    user: i64,
    rental_id: i64,
    _change: RentChange,
) -> Answer {
    let r = rentals::get(state, user, rental_id)
        .await
        .map_err(|e| failure(e, RENT))?;
    match ended(&r) {
        Some("STATUS_CANCEL") => return Err(token("ALREADY_CANCEL")),
        Some(_) => return Err(token("ALREADY_FINISH")),
        None => {}
    }
    rentals::release(state, user, rental_id)
        .await
        .map_err(|e| {
            failure(
                e,
                Words {
                    not_found: "NO_ID_RENT",
                    conflict: "ALREADY_FINISH",
                },
            )
        })?;
    Ok(Reply::Json(json!({"status": "success"})))
}

async fn rent_list(state: &AppState, user: i64) -> Answer {
    let active = rentals::active(state, user)
        .await
        .map_err(Failure::Server)?;
    let values: Map<String, Value> = active
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                i.to_string(),
                json!({"id": rent_id(r.id).to_string(), "phone": digits(&r.phone_number)}),
            )
        })
        .collect();
    Ok(Reply::Json(json!({"status": "success", "values": values})))
}

async fn continue_price(state: &AppState, user: i64, rental_id: i64, hours: u32) -> Answer {
    let price = rentals::extension_quote(state, user, rental_id, hours)
        .await
        .map_err(|e| failure(e, RENT))?;
    Ok(Reply::Json(
        json!({"status": "success", "price": json_amount(price.decimal())}),
    ))
}

async fn continue_rent(state: &AppState, user: i64, rental_id: i64, hours: u32) -> Answer {
    let r = rentals::get(state, user, rental_id)
        .await
        .map_err(|e| failure(e, RENT))?;
    if ended(&r).is_some() {
        return Err(token("RENT_DIE"));
    }
    // Past the end of the order we hold, where the provider has no extension call: the
    // protocol's word for too long.
    let native = state
        .router
        .get(&r.provider)
        .is_ok_and(|p| p.capabilities().extension == Extension::Native);
    if !native && r.expires_at + chrono::Duration::hours(i64::from(hours)) > r.keepable_until {
        return Err(token("MAX_HOURS_EXCEED"));
    }
    let extended = rentals::extend(state, user, rental_id, hours)
        .await
        .map_err(|e| match e {
            // The provider sells so short an extension for more than it would cost here.
            ServerError::Conflict {
                field: Some("hours"),
                ..
            } => token("BAD_TIME"),
            e => failure(e, RENT),
        })?;
    Ok(Reply::Json(
        json!({"status": "success", "phone": rent_phone(&extended.rental)}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_written_as_the_protocol_writes_them() {
        assert_eq!(amount(Decimal::new(12_3400, 4)), "12.34");
        assert_eq!(amount(Decimal::new(5, 0)), "5.00");
        assert_eq!(amount(Decimal::new(1_2345, 4)), "1.2345");
        assert_eq!(json_amount(Decimal::new(4_8000, 4)), json!(4.8));
        assert_eq!(digits("+44 7700 900123"), "447700900123");
        assert_eq!(title("telegram"), "Telegram");
    }
}
