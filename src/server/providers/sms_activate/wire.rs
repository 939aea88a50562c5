//! What the protocol sends, read leniently: plain-text tokens (`ACCESS_NUMBER:id:phone`,
//! `STATUS_OK:code`…), and JSON whose numbers come as numbers from some vendors and as strings
//! from others, and whose lists are objects keyed "0", "1", ….

use super::super::{OrderStateError, ProviderError};
use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

/// A token every action may answer with, as a typed error.
pub fn common_error(body: &str) -> Option<ProviderError> {
    let token = body.trim();
    let (name, detail) = token.split_once(':').unwrap_or((token, ""));
    Some(match name {
        "BAD_KEY" => ProviderError::Unauthorized,
        "BANNED" => ProviderError::Upstream {
            status: 200,
            body: format!("the account is banned until {detail}"),
        },
        "NO_NUMBERS" | "NO_NUMBERS_FOR_RENT" => ProviderError::NoNumbers,
        // None at or under the price we would pay: for us, none to sell.
        "WRONG_MAX_PRICE" => ProviderError::NoNumbers,
        "NO_BALANCE" | "NO_BALANCE_FORWARD" => ProviderError::InsufficientProviderBalance,
        "NO_ACTIVATION" | "NO_ID_RENT" | "INVALID_PHONE" => ProviderError::NotFound,
        "BAD_ACTION"
        | "BAD_SERVICE"
        | "BAD_COUNTRY"
        | "BAD_TIME"
        | "WRONG_EXCEPTION_PHONE"
        | "INCORECT_STATUS"
        | "BAD_STATUS" => ProviderError::BadRequest(token.to_owned()),
        "ERROR_SQL" => ProviderError::Upstream {
            status: 200,
            body: token.to_owned(),
        },
        "EARLY_CANCEL_DENIED" => state(OrderStateError::TooEarly, token),
        "CANT_CANCEL" | "RENT_DIE" | "ALREADY_FINISH" | "ALREADY_CANCEL" => {
            state(OrderStateError::Expired, token)
        }
        _ => return None,
    })
}

pub fn state(state: OrderStateError, token: &str) -> ProviderError {
    ProviderError::OrderState {
        state,
        message: token.to_owned(),
    }
}

/// The rent API's refusal token: `{"status":"error","message":"…"}` (or `msg`).
/// Answers without a `status` (`getRentServicesAndCountries`) are not refusals.
pub fn rent_refusal(v: &Value) -> Option<String> {
    let message = v
        .get("message")
        .or_else(|| v.get("msg"))
        .and_then(Value::as_str)
        .map(str::to_owned);
    match v.get("status").and_then(Value::as_str) {
        Some("success") => None,
        Some(_) => Some(message.unwrap_or_else(|| "an error without a message".to_owned())),
        None => message,
    }
}

/// A number or a numeric string.
pub fn decimal(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string())
            .or_else(|_| Decimal::from_scientific(&n.to_string()))
            .ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

pub fn integer(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        // Some vendors count rent stock as `{"current":…, "total":…}`.
        Value::Object(o) => o.get("current").and_then(integer),
        _ => None,
    }
}

pub fn string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The protocol's times: `YYYY-MM-DD HH:MM:SS` or ISO 8601, with or without a zone (UTC
/// when none).
pub fn time(v: &Value) -> Option<DateTime<Utc>> {
    let s = v.as_str()?.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .map(|t| t.and_utc())
}

/// A list sent as an array or as an object keyed "0", "1", … (in key order).
pub fn items(v: Option<&Value>) -> Vec<&Value> {
    match v {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(Value::Object(o)) => {
            let mut keyed: Vec<(u64, &Value)> = o
                .iter()
                .map(|(k, v)| (k.parse().unwrap_or(u64::MAX), v))
                .collect();
            keyed.sort_by_key(|(k, _)| *k);
            keyed.into_iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

/// `+` and the digits: the protocol writes numbers without the `+`.
pub fn e164(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn numbers_and_lists_are_read_whatever_their_dialect() {
        assert_eq!(decimal(&json!(21)), Some(Decimal::from(21)));
        assert_eq!(decimal(&json!("0.55")), Some(Decimal::new(55, 2)));
        assert_eq!(integer(&json!("28477")), Some(28477));
        assert_eq!(integer(&json!({"current": 5, "total": 9})), Some(5));
        let keyed = json!({"1": "b", "0": "a", "10": "c"});
        let got: Vec<&str> = items(Some(&keyed))
            .into_iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(got, ["a", "b", "c"]);
        assert!(time(&json!("2026-12-03 10:00:00")).is_some());
        assert!(time(&json!("2026-12-03T10:00:00")).is_some());
        assert_eq!(e164("447000000000"), "+447000000000");
    }

    #[test]
    fn tokens_become_typed_errors() {
        assert_eq!(common_error("NO_NUMBERS"), Some(ProviderError::NoNumbers));
        assert_eq!(common_error("BAD_KEY"), Some(ProviderError::Unauthorized));
        assert_eq!(
            common_error("WRONG_MAX_PRICE:0.5"),
            Some(ProviderError::NoNumbers)
        );
        assert!(matches!(
            common_error("EARLY_CANCEL_DENIED"),
            Some(ProviderError::OrderState {
                state: OrderStateError::TooEarly,
                ..
            })
        ));
        assert_eq!(common_error("ACCESS_NUMBER:1:2"), None);
    }
}
