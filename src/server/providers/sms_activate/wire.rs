//! What the protocol sends: plain-text tokens (`ACCESS_NUMBER:id:phone`, `STATUS_OK:code`…)
//! as typed errors; its JSON is read with `providers::lenient`.

use super::super::{OrderStateError, ProviderError};
use serde_json::Value;

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

/// `+` and the digits: the protocol writes numbers without the `+`.
pub fn e164(phone: &str) -> String {
    let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
    format!("+{digits}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_written_with_their_plus() {
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
