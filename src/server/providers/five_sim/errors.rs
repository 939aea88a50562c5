//! 5SIM's plain-text error bodies, mapped to typed errors. 5SIM answers some errors with 200
//! (`no free phones` on buy), so a body is classified before it is decoded.

use crate::server::providers::{OrderStateError, ProviderError};

/// The typed error for a known 5SIM error body, whatever the HTTP status.
pub fn known(body: &str) -> Option<ProviderError> {
    let text = body.trim().to_lowercase();
    let state = |state| {
        Some(ProviderError::OrderState {
            state,
            message: text.clone(),
        })
    };
    match text.as_str() {
        "no free phones" => Some(ProviderError::NoNumbers),
        "not enough user balance" => Some(ProviderError::InsufficientProviderBalance),
        "not enough rating" => Some(ProviderError::NotEnoughRating),
        "select country"
        | "select operator"
        | "bad country"
        | "bad operator"
        | "no product"
        | "country is incorrect"
        | "product is incorrect"
        | "product_name is empty" => Some(ProviderError::BadRequest(text)),
        "order not found" | "record not found" => Some(ProviderError::NotFound),
        "order expired" => state(OrderStateError::Expired),
        "order has sms" => state(OrderStateError::HasSms),
        "hosting order" => state(OrderStateError::HostingOrder),
        "order no sms" => state(OrderStateError::NoSms),
        "you need to wait time" => state(OrderStateError::TooEarly),
        "reuse not possible" | "reuse false" | "reuse expired" => {
            state(OrderStateError::ReuseRefused)
        }
        "bandwidth limit" | "too many requests" => Some(ProviderError::RateLimited),
        _ => None,
    }
}

/// The typed error for a non-success answer.
pub fn from_status(status: u16, body: &str) -> ProviderError {
    if let Some(e) = known(body) {
        return e;
    }
    match status {
        401 | 403 => ProviderError::Unauthorized,
        429 => ProviderError::RateLimited,
        404 => ProviderError::NotFound,
        // An unknown route answers with a redirect to /404.html.
        300..=399 => {
            ProviderError::BadRequest("no such 5SIM endpoint (redirected to /404.html)".into())
        }
        400..=499 => ProviderError::BadRequest(body.trim().chars().take(200).collect()),
        _ => ProviderError::Upstream {
            status,
            body: body.trim().chars().take(200).collect(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_in_the_catalogue_is_typed() {
        assert_eq!(known("no free phones"), Some(ProviderError::NoNumbers));
        assert_eq!(
            known("not enough user balance"),
            Some(ProviderError::InsufficientProviderBalance)
        );
        assert_eq!(
            known("not enough rating"),
            Some(ProviderError::NotEnoughRating)
        );
        for bad in [
            "select country",
            "select operator",
            "bad country",
            "bad operator",
            "no product",
            "country is incorrect",
            "product is incorrect",
            "product_name is empty",
        ] {
            assert!(
                matches!(known(bad), Some(ProviderError::BadRequest(_))),
                "{bad}"
            );
        }
        assert_eq!(known("order not found"), Some(ProviderError::NotFound));
        assert_eq!(known("record not found"), Some(ProviderError::NotFound));
        for (body, state) in [
            ("order expired", OrderStateError::Expired),
            ("order has sms", OrderStateError::HasSms),
            ("hosting order", OrderStateError::HostingOrder),
            ("order no sms", OrderStateError::NoSms),
            ("you need to wait time", OrderStateError::TooEarly),
            ("reuse not possible", OrderStateError::ReuseRefused),
            ("reuse false", OrderStateError::ReuseRefused),
            ("reuse expired", OrderStateError::ReuseRefused),
        ] {
            assert!(
                matches!(known(body), Some(ProviderError::OrderState { state: s, .. }) if s == state),
                "{body}"
            );
        }
    }

    #[test]
    fn statuses_without_a_known_body() {
        assert_eq!(from_status(401, ""), ProviderError::Unauthorized);
        assert_eq!(from_status(429, "api limit"), ProviderError::RateLimited);
        assert!(matches!(
            from_status(503, "ip address limit"),
            ProviderError::Upstream { status: 503, .. }
        ));
        assert!(matches!(from_status(302, ""), ProviderError::BadRequest(_)));
        assert_eq!(from_status(200, "no free phones"), ProviderError::NoNumbers);
        assert_eq!(
            from_status(400, "No Free Phones\n"),
            ProviderError::NoNumbers
        );
    }
}
