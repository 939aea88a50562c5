//! Customers' webhooks: which events an endpoint may take, and how its list is written.

/// The events an endpoint can be sent, as their `type` names them.
pub const EVENTS: [&str; 5] = [
    "sms.received",
    "rental.updated",
    "rental.expiring",
    "verification.updated",
    "balance.low",
];

/// The test event `POST /api/webhooks/{id}/test` sends (to that endpoint only).
pub const TEST_EVENT: &str = "webhook.test";

/// The body of a delivery: the event's id, its type, when it happened (Unix seconds, from
/// `created_ms`) and its data, given as JSON text.
pub fn payload(id: &str, kind: &str, created_ms: i64, data_json: &str) -> String {
    let quoted = |s: &str| serde_json::Value::from(s).to_string();
    format!(
        r#"{{"id":{},"type":{},"created":{},"data":{data_json}}}"#,
        quoted(id),
        quoted(kind),
        created_ms.div_euclid(1000)
    )
}

/// Parses the events an endpoint asks for: at least one, each one of [`EVENTS`]; written back
/// comma-separated in `EVENTS`' order, once each.
pub fn parse_events<S: AsRef<str>>(asked: &[S]) -> Result<String, String> {
    if asked.is_empty() {
        return Err(format!("name at least one of {}", EVENTS.join(", ")));
    }
    if let Some(unknown) = asked
        .iter()
        .map(|e| e.as_ref().trim())
        .find(|e| !EVENTS.contains(e))
    {
        return Err(format!(
            "{unknown:?} is not an event; the events are {}",
            EVENTS.join(", ")
        ));
    }
    Ok(EVENTS
        .iter()
        .filter(|e| asked.iter().any(|a| a.as_ref().trim() == **e))
        .copied()
        .collect::<Vec<_>>()
        .join(","))
}

/// The events of a stored list.
pub fn events_of(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_checked_ordered_and_deduplicated() {
        assert_eq!(
            parse_events(&["rental.updated", "sms.received", "sms.received"]),
            Ok("sms.received,rental.updated".to_owned())
        );
        assert!(parse_events::<&str>(&[]).is_err());
        assert!(parse_events(&["balance.changed"])
            .unwrap_err()
            .contains("balance.changed"));
        assert_eq!(
            events_of("sms.received,rental.updated"),
            ["sms.received", "rental.updated"]
        );
    }

    #[test]
    fn a_payload_is_json_with_its_time_in_seconds() {
        let body = payload(
            "evt_1",
            "sms.received",
            1_700_000_123_456,
            r#"{"text":"a \"b\""}"#,
        );
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["id"], "evt_1");
        assert_eq!(v["type"], "sms.received");
        assert_eq!(v["created"], 1_700_000_123);
        assert_eq!(v["data"]["text"], "a \"b\"");
    }
}
