//! Incoming SMS from a provider, made ready to store: messages older than the order are
//! dropped (numbers are recycled; they belong to the number's previous owner), each gets a
//! stable id (the provider's, or a digest of what it says), and its code is taken.

use crate::domain::sms::extract_code;
use crate::server::providers::ProviderSms;

/// Messages stamped this much before an order began are taken to be the previous owner's;
/// the margin absorbs clock skew between us and the provider.
pub const STALE_MARGIN_MS: i64 = 60_000;

pub struct Incoming {
    /// Unique per order: the provider's message id, or a digest of the message.
    pub id: String,
    pub received_at_ms: i64,
    pub sms: ProviderSms,
    pub code: Option<String>,
}

/// The messages of an order that began at `since_ms` that are really its own.
pub fn fresh(messages: Vec<ProviderSms>, since_ms: i64) -> Vec<Incoming> {
    messages
        .into_iter()
        .filter_map(|m| {
            let at = m.received_at.timestamp_millis();
            if at < since_ms - STALE_MARGIN_MS {
                return None;
            }
            let id = m.id.clone().unwrap_or_else(|| {
                super::secrets::digest(&format!("{at}|{}|{}", m.sender, m.text))
            });
            let code = m.code.clone().or_else(|| extract_code(&m.text));
            Some(Incoming {
                id,
                received_at_ms: at,
                sms: m,
                code,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Utc};

    fn sms(at_ms: i64, text: &str) -> ProviderSms {
        ProviderSms {
            id: None,
            received_at: Utc.timestamp_millis_opt(at_ms).unwrap(),
            sender: "Telegram".into(),
            text: text.into(),
            code: None,
        }
    }

    #[test]
    fn the_previous_owners_messages_are_dropped_and_codes_taken() {
        let since = 10 * 60_000;
        let got = fresh(
            vec![
                sms(since - 5 * 60_000, "Old code 111111"),
                sms(since - 30_000, "Your code is 222333"),
                sms(since + 1_000, "Welcome"),
            ],
            since,
        );
        assert_eq!(got.len(), 2, "the one from before the order is dropped");
        assert_eq!(got[0].code.as_deref(), Some("222333"));
        assert_eq!(got[1].code, None);
        assert_ne!(got[0].id, got[1].id);
        assert_eq!(
            fresh(vec![sms(since + 1_000, "Welcome")], since)[0].id,
            got[1].id,
            "ids are stable"
        );
    }
}
