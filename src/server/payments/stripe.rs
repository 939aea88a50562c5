//! Stripe Checkout: a checkout session per top-up (`POST /v1/checkout/sessions`, form-encoded
//! as Stripe's API takes it), and Stripe's webhook events, checked against the
//! `Stripe-Signature` header (`t=<unix time>,v1=<hex HMAC-SHA256 of "t.body">` under the
//! endpoint's signing secret) within a five-minute tolerance, as Stripe's own libraries do.

use super::{Checkout, CheckoutRequest, PaymentError, PaymentEvent, PaymentProvider};
use crate::domain::topup::{cents, from_cents, DisputeStatus};
use crate::domain::Money;
use crate::server::config::SecretString;
use async_trait::async_trait;
use axum::http::HeaderMap;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::Value;
use sha2::Sha256;
use std::time::Duration;

/// How old (or how far ahead) a signature's timestamp may be, in seconds.
pub const TOLERANCE_SECS: i64 = 300;
/// The header Stripe signs its events in.
pub const SIGNATURE_HEADER: &str = "stripe-signature";

#[derive(Debug)]
pub struct StripeClient {
    http: reqwest::Client,
    /// `https://api.stripe.com`, or the emulator's `…/sandbox/stripe`.
    base_url: String,
    secret_key: SecretString,
    webhook_secret: SecretString,
    checkout_origin: String,
}

/// Where Stripe's hosted checkout pages are.
pub const CHECKOUT_ORIGIN: &str = "https://checkout.stripe.com";

impl StripeClient {
    /// A client of the API at `base_url`, whose checkout pages are at `checkout_origin`.
    pub fn new(
        base_url: &str,
        checkout_origin: &str,
        secret_key: SecretString,
        webhook_secret: SecretString,
    ) -> anyhow::Result<Self> {
        Ok(StripeClient {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(20))
                .build()?,
            base_url: base_url.trim_end_matches('/').to_owned(),
            secret_key,
            webhook_secret,
            checkout_origin: checkout_origin.to_owned(),
        })
    }
}

/// The parts of a checkout session read here.
#[derive(Debug, Deserialize)]
struct SessionObject {
    id: String,
    url: Option<String>,
    expires_at: i64,
}

#[derive(Debug, Deserialize)]
struct StripeErrorBody {
    error: StripeErrorDetail,
}

#[derive(Debug, Deserialize)]
struct StripeErrorDetail {
    message: Option<String>,
}

#[async_trait]
impl PaymentProvider for StripeClient {
    fn name(&self) -> &'static str {
        "stripe"
    }

    fn checkout_origin(&self) -> &str {
        &self.checkout_origin
    }

    async fn create_checkout(
        &self,
        request: &CheckoutRequest<'_>,
    ) -> Result<Checkout, PaymentError> {
        let id = request.topup_id.to_string();
        let form = [
            ("mode", "payment".to_owned()),
            ("line_items[0][quantity]", "1".to_owned()),
            (
                "line_items[0][price_data][currency]",
                request.currency.to_ascii_lowercase(),
            ),
            (
                "line_items[0][price_data][unit_amount]",
                cents(request.amount).to_string(),
            ),
            (
                "line_items[0][price_data][product_data][name]",
                "Namaskah SMS balance top-up".to_owned(),
            ),
            ("client_reference_id", id.clone()),
            ("metadata[topup_id]", id.clone()),
            ("payment_intent_data[metadata][topup_id]", id.clone()),
            ("customer_email", request.email.to_owned()),
            ("success_url", request.success_url.to_owned()),
            ("cancel_url", request.cancel_url.to_owned()),
        ];
        let response = self
            .http
            .post(format!("{}/v1/checkout/sessions", self.base_url))
            .bearer_auth(self.secret_key.expose())
            // A retry of the same top-up gets the session the first call opened.
            .header("idempotency-key", request.idempotency_key)
            .form(&form)
            .send()
            .await
            .map_err(|e| PaymentError::Unavailable(e.without_url().to_string()))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| PaymentError::Unavailable(e.without_url().to_string()))?;
        if status.is_server_error() || status.as_u16() == 429 {
            return Err(PaymentError::Unavailable(format!(
                "Stripe answered {status}"
            )));
        }
        if !status.is_success() {
            let message = serde_json::from_slice::<StripeErrorBody>(&body)
                .ok()
                .and_then(|b| b.error.message)
                .unwrap_or_default();
            return Err(PaymentError::Refused(format!("{status}: {message}")));
        }
        let session: SessionObject = serde_json::from_slice(&body)
            .map_err(|e| PaymentError::Refused(format!("unreadable checkout session: {e}")))?;
        let url = session
            .url
            .ok_or_else(|| PaymentError::Refused("the checkout session has no url".into()))?;
        Ok(Checkout {
            id: session.id,
            url,
            expires_at: session.expires_at.saturating_mul(1000),
        })
    }

    fn event(
        &self,
        headers: &HeaderMap,
        body: &[u8],
        now_secs: i64,
    ) -> Result<PaymentEvent, PaymentError> {
        let header = headers
            .get(SIGNATURE_HEADER)
            .and_then(|v| v.to_str().ok())
            .ok_or(PaymentError::BadSignature(
                "the Stripe-Signature header is missing",
            ))?;
        verify(self.webhook_secret.expose(), header, body, now_secs)?;
        let event: Value =
            serde_json::from_slice(body).map_err(|e| PaymentError::Unreadable(e.to_string()))?;
        read_event(&event)
    }
}

fn mac(secret: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// The `Stripe-Signature` header Stripe would send with `body` at `timestamp`.
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let digest = mac(secret, timestamp, body).finalize().into_bytes();
    format!("t={timestamp},v1={}", hex::encode(digest))
}

/// Checks a `Stripe-Signature` header: one of its `v1` signatures is ours over `t.body`, and
/// `t` is within the tolerance of `now_secs`. Other schemes (`v0`) are ignored, as by Stripe.
pub fn verify(secret: &str, header: &str, body: &[u8], now_secs: i64) -> Result<(), PaymentError> {
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) => timestamp = t.parse::<i64>().ok(),
            Some(("v1", s)) => signatures.extend(hex::decode(s).ok()),
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(PaymentError::BadSignature(
        "the Stripe-Signature header has no timestamp",
    ))?;
    // Cheap refusals first: the body is hashed once, and only for a fresh delivery with a
    // plausible number of signatures (Stripe sends one per secret in use, two while rolling).
    if (now_secs - timestamp).abs() > TOLERANCE_SECS {
        return Err(PaymentError::BadSignature(
            "the signature's timestamp is outside the tolerance (a replay?)",
        ));
    }
    if signatures.is_empty() || signatures.len() > MOST_SIGNATURES {
        return Err(PaymentError::BadSignature(
            "the Stripe-Signature header has no v1 signature, or too many",
        ));
    }
    let ours = mac(secret, timestamp, body);
    // Each candidate is compared in constant time.
    if !signatures
        .iter()
        .any(|s| ours.clone().verify_slice(s).is_ok())
    {
        return Err(PaymentError::BadSignature(
            "the signature does not match the body",
        ));
    }
    Ok(())
}

/// The most `v1` signatures one header may carry.
const MOST_SIGNATURES: usize = 8;

/// What a (verified) Stripe event says about a top-up, or about its payment.
fn read_event(event: &Value) -> Result<PaymentEvent, PaymentError> {
    let kind = event["type"].as_str().unwrap_or_default();
    let object = &event["data"]["object"];
    let text = |field: &str| field_text(kind, object, field);
    let cents_of = |field: &str| field_cents(kind, object, field);
    // Refunds and disputes name the payment (a charge outside any payment intent is not one
    // of ours).
    if kind.starts_with("charge.") && object["payment_intent"].is_string() {
        let currency = || text("currency").map(|c| c.to_ascii_uppercase());
        let inquiry = object["status"]
            .as_str()
            .is_some_and(|s| s.starts_with("warning_"));
        let status = match (kind, object["status"].as_str()) {
            ("charge.refunded", _) => {
                return Ok(PaymentEvent::Refunded {
                    payment_id: text("payment_intent")?,
                    topup_id: object["metadata"]["topup_id"]
                        .as_str()
                        .and_then(|id| id.parse().ok()),
                    refunded: cents_of("amount_refunded")?,
                    currency: currency()?,
                });
            }
            // Money moves when funds are withdrawn: at a chargeback's opening (or its
            // `funds_withdrawn`, whichever comes first), never for an inquiry, which takes
            // nothing unless it escalates (and then withdraws funds).
            ("charge.dispute.created", _) if !inquiry => DisputeStatus::Open,
            ("charge.dispute.funds_withdrawn", _) => DisputeStatus::Open,
            ("charge.dispute.funds_reinstated", _) => DisputeStatus::Won,
            ("charge.dispute.closed", Some("lost")) => DisputeStatus::Lost,
            // Won, an inquiry closed, a dispute prevented (refunded instead): whatever the
            // dispute took comes back.
            ("charge.dispute.closed", _) => DisputeStatus::Won,
            _ => {
                return Ok(PaymentEvent::Other {
                    kind: kind.to_owned(),
                })
            }
        };
        return Ok(PaymentEvent::Disputed {
            payment_id: text("payment_intent")?,
            dispute_id: text("id")?,
            amount: cents_of("amount")?,
            currency: currency()?,
            status,
        });
    }
    // An event that names no top-up is about something else on the Stripe account.
    let Some(topup_id) = object["client_reference_id"]
        .as_str()
        .or_else(|| object["metadata"]["topup_id"].as_str())
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return Ok(PaymentEvent::Other {
            kind: kind.to_owned(),
        });
    };
    match kind {
        "checkout.session.completed" | "checkout.session.async_payment_succeeded"
            if object["payment_status"] == "paid" =>
        {
            Ok(PaymentEvent::Paid {
                topup_id,
                checkout_id: text("id")?,
                payment_id: text("payment_intent")?,
                amount: cents_of("amount_total")?,
                currency: text("currency")?.to_ascii_uppercase(),
            })
        }
        "checkout.session.expired" => Ok(PaymentEvent::Expired { topup_id }),
        "payment_intent.payment_failed" => Ok(PaymentEvent::Declined {
            topup_id,
            reason: object["last_payment_error"]["message"]
                .as_str()
                .unwrap_or("The card was declined.")
                .to_owned(),
        }),
        other => Ok(PaymentEvent::Other {
            kind: other.to_owned(),
        }),
    }
}

fn field_text(kind: &str, object: &Value, field: &str) -> Result<String, PaymentError> {
    object[field]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| PaymentError::Unreadable(format!("{kind} has no {field}")))
}

/// An amount in cents, as money.
fn field_cents(kind: &str, object: &Value, field: &str) -> Result<Money, PaymentError> {
    object[field]
        .as_i64()
        .filter(|c| *c >= 0)
        .map(from_cents)
        .ok_or_else(|| PaymentError::Unreadable(format!("{kind} has no {field}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SECRET: &str = "whsec_test";

    #[test]
    fn a_signature_is_checked_over_the_exact_body_and_time() {
        let body = br#"{"type":"x"}"#;
        let header = sign(SECRET, 1_000, body);
        assert!(verify(SECRET, &header, body, 1_000).is_ok());
        assert!(verify(SECRET, &header, body, 1_000 + TOLERANCE_SECS).is_ok());
        // Old, or from the future, beyond the tolerance.
        assert!(verify(SECRET, &header, body, 1_000 + TOLERANCE_SECS + 1).is_err());
        assert!(verify(SECRET, &header, body, 1_000 - TOLERANCE_SECS - 1).is_err());
        // Another body, another secret, another time claimed.
        assert!(verify(SECRET, &header, br#"{"type":"y"}"#, 1_000).is_err());
        assert!(verify("whsec_other", &header, body, 1_000).is_err());
        let moved = header.replace("t=1000", "t=1001");
        assert!(verify(SECRET, &moved, body, 1_000).is_err());
        // One good v1 among others is enough, as when Stripe rolls a secret.
        let rolled = format!("{header},v1={},v0=abc", "00".repeat(32));
        assert!(verify(SECRET, &rolled, body, 1_000).is_ok());
        // A header padded with candidates is refused before anything is hashed.
        let padded = format!("{header}{}", ",v1=00".repeat(MOST_SIGNATURES));
        assert!(verify(SECRET, &padded, body, 1_000).is_err());
        for bad in ["", "t=1000", "v1=00", "t=x,v1=00", "nonsense"] {
            assert!(verify(SECRET, bad, body, 1_000).is_err(), "{bad}");
        }
    }

    #[test]
    fn events_name_their_top_up() {
        let paid = json!({
            "type": "checkout.session.completed",
            "data": {"object": {
                "id": "cs_test_1", "payment_status": "paid", "payment_intent": "pi_1",
                "amount_total": 2050, "currency": "usd", "client_reference_id": "7",
            }}
        });
        assert_eq!(
            read_event(&paid).unwrap(),
            PaymentEvent::Paid {
                topup_id: 7,
                checkout_id: "cs_test_1".into(),
                payment_id: "pi_1".into(),
                amount: "20.50".parse().unwrap(),
                currency: "USD".into(),
            }
        );
        let unpaid = json!({
            "type": "checkout.session.completed",
            "data": {"object": {"id": "cs_test_1", "payment_status": "unpaid", "client_reference_id": "7"}}
        });
        assert!(matches!(
            read_event(&unpaid).unwrap(),
            PaymentEvent::Other { .. }
        ));
        let failed = json!({
            "type": "payment_intent.payment_failed",
            "data": {"object": {"id": "pi_1", "metadata": {"topup_id": "7"},
                "last_payment_error": {"message": "Your card was declined."}}}
        });
        assert_eq!(
            read_event(&failed).unwrap(),
            PaymentEvent::Declined {
                topup_id: 7,
                reason: "Your card was declined.".into()
            }
        );
        // Something else on the Stripe account: taken, and not acted on.
        let nameless = json!({"type": "checkout.session.expired", "data": {"object": {}}});
        assert!(matches!(
            read_event(&nameless).unwrap(),
            PaymentEvent::Other { .. }
        ));
        let broken = json!({"type": "checkout.session.completed", "data": {"object": {
            "client_reference_id": "7", "payment_status": "paid"}}});
        assert!(read_event(&broken).is_err());
    }

    #[test]
    fn refunds_and_disputes_name_the_payment() {
        let refunded = json!({"type": "charge.refunded", "data": {"object": {
            "id": "ch_1", "object": "charge", "payment_intent": "pi_1", "amount": 2000,
            "amount_refunded": 500, "currency": "usd", "refunded": false, "metadata": {}}}});
        assert_eq!(
            read_event(&refunded).unwrap(),
            PaymentEvent::Refunded {
                payment_id: "pi_1".into(),
                topup_id: None,
                refunded: "5".parse().unwrap(),
                currency: "USD".into(),
            }
        );
        let dispute = |kind: &str, status: &str| {
            json!({"type": kind, "data": {"object": {
                "id": "dp_1", "object": "dispute", "charge": "ch_1", "payment_intent": "pi_1",
                "amount": 2000, "currency": "usd", "status": status, "reason": "fraudulent"}}})
        };
        let read = |kind, status| match read_event(&dispute(kind, status)).unwrap() {
            PaymentEvent::Disputed {
                payment_id,
                dispute_id,
                amount,
                status,
                ..
            } => {
                assert_eq!((payment_id.as_str(), dispute_id.as_str()), ("pi_1", "dp_1"));
                assert_eq!(amount, "20".parse().unwrap());
                status
            }
            other => panic!("{other:?}"),
        };
        assert_eq!(
            read("charge.dispute.created", "needs_response"),
            DisputeStatus::Open
        );
        assert_eq!(read("charge.dispute.closed", "won"), DisputeStatus::Won);
        assert_eq!(
            read("charge.dispute.closed", "warning_closed"),
            DisputeStatus::Won
        );
        assert_eq!(read("charge.dispute.closed", "lost"), DisputeStatus::Lost);
        assert_eq!(
            read("charge.dispute.closed", "prevented"),
            DisputeStatus::Won
        );
        assert_eq!(
            read("charge.dispute.funds_withdrawn", "needs_response"),
            DisputeStatus::Open
        );
        assert_eq!(
            read("charge.dispute.funds_reinstated", "won"),
            DisputeStatus::Won
        );
        // An inquiry withdraws nothing: its opening is not acted on.
        assert!(matches!(
            read_event(&dispute("charge.dispute.created", "warning_needs_response")).unwrap(),
            PaymentEvent::Other { .. }
        ));
        // Other news of a charge, and a charge outside any payment intent: not acted on.
        assert!(matches!(
            read_event(&dispute("charge.dispute.updated", "under_review")).unwrap(),
            PaymentEvent::Other { .. }
        ));
        let legacy = json!({"type": "charge.refunded", "data": {"object": {
            "id": "ch_2", "payment_intent": null, "amount_refunded": 100, "currency": "usd"}}});
        assert!(matches!(
            read_event(&legacy).unwrap(),
            PaymentEvent::Other { .. }
        ));
    }
}
