//! JSON read leniently, as providers send it: numbers as numbers from some and as strings
//! from others, lists as arrays or as objects keyed "0", "1", …, and times with or without
//! a zone. Shared by the SMS-Activate and TextVerified clients (and their emulators).

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;
use serde_json::Value;
use std::str::FromStr;

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

/// Times: `YYYY-MM-DD HH:MM:SS` or ISO 8601, with or without a zone (UTC
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
    }
}
