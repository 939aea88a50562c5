//! The charge a paid session made, and what can happen to it after: refunds (`POST
//! /v1/refunds`, in part or in full, as often as there is something left to refund) and
//! disputes (opened by the cardholder's bank, here through the control API; conceded with
//! `POST /v1/disputes/{id}/close`, or won). Each change is sent as the event Stripe sends:
//! `charge.refunded` with the charge's running `amount_refunded`, `charge.dispute.created`
//! and `charge.dispute.funds_withdrawn`, then `charge.dispute.closed` with the dispute's final
//! `status` (and `charge.dispute.funds_reinstated` when won).

use super::{authorized, stripe_error, unauthorized, Session, StripeEmulator};
use crate::server::services::secrets::random_token;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// A dispute of a session's charge.
#[derive(Clone, Debug)]
pub(super) struct Dispute {
    id: String,
    session: String,
    amount: i64,
    /// `needs_response`, `won` or `lost`.
    status: &'static str,
    reason: String,
    created: i64,
}

impl StripeEmulator {
    /// The paid session whose payment intent or charge this is.
    fn paid_session(&self, payment: &str) -> Option<Session> {
        let state = self.inner.state.lock().expect("stripe emulator lock");
        state
            .by_id
            .values()
            .find(|s| {
                s.paid
                    && (s.payment_intent.as_deref() == Some(payment)
                        || s.charge.as_deref() == Some(payment))
            })
            .cloned()
    }

    /// The session's charge as Stripe's API shows it.
    fn charge(&self, s: &Session) -> Value {
        json!({
            "id": s.charge,
            "object": "charge",
            "amount": s.amount,
            "amount_captured": s.amount,
            "amount_refunded": s.amount_refunded,
            "captured": true,
            "created": s.created,
            "currency": s.currency,
            "livemode": false,
            "metadata": s.intent_metadata,
            "paid": true,
            "payment_intent": s.payment_intent,
            "refunded": s.amount_refunded == s.amount,
            "status": "succeeded",
        })
    }

    fn dispute_object(&self, d: &Dispute) -> Value {
        let session = self
            .inner
            .state
            .lock()
            .expect("stripe emulator lock")
            .by_id
            .get(&d.session)
            .cloned();
        json!({
            "id": d.id,
            "object": "dispute",
            "amount": d.amount,
            "charge": session.as_ref().and_then(|s| s.charge.clone()),
            "created": d.created,
            "currency": session.as_ref().map(|s| s.currency.clone()),
            "livemode": false,
            "payment_intent": session.and_then(|s| s.payment_intent),
            "reason": d.reason,
            "status": d.status,
        })
    }

    fn find_dispute(&self, id: &str) -> Option<Dispute> {
        self.inner
            .state
            .lock()
            .expect("stripe emulator lock")
            .disputes
            .get(id)
            .cloned()
    }

    /// Decides an open dispute (`won` or `lost`) and sends `charge.dispute.closed`.
    async fn close(&self, id: &str, status: &'static str) -> Response {
        let closed = {
            let mut state = self.inner.state.lock().expect("stripe emulator lock");
            match state.disputes.get_mut(id) {
                None => None,
                Some(d) if d.status != "needs_response" => Some(Err(d.status)),
                Some(d) => {
                    d.status = status;
                    Some(Ok(d.clone()))
                }
            }
        };
        match closed {
            None => no_such_dispute(id),
            Some(Err(status)) => stripe_error(
                StatusCode::BAD_REQUEST,
                &format!("This dispute is already closed (its status is {status})."),
                None,
            ),
            Some(Ok(dispute)) => {
                let object = self.dispute_object(&dispute);
                self.emit("charge.dispute.closed", object.clone()).await;
                if status == "won" {
                    self.emit("charge.dispute.funds_reinstated", object.clone())
                        .await;
                }
                Json(object).into_response()
            }
        }
    }
}

fn one<'a>(form: &'a [(String, String)], name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn no_such_payment(id: &str) -> Response {
    stripe_error(
        StatusCode::NOT_FOUND,
        &format!("No such payment_intent: '{id}'"),
        Some("payment_intent"),
    )
}

fn no_such_dispute(id: &str) -> Response {
    stripe_error(
        StatusCode::NOT_FOUND,
        &format!("No such dispute: '{id}'"),
        Some("dispute"),
    )
}

/// `POST /v1/refunds` (`payment_intent` or `charge`, `amount` in cents: all that is left
/// unless given): refunds the charge and sends `charge.refunded`.
pub(super) async fn refund(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    let Some(payment) = one(&form, "payment_intent").or_else(|| one(&form, "charge")) else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "One of the following params should be provided for this request: payment_intent or charge.",
            Some("payment_intent"),
        );
    };
    let Some(session) = em.paid_session(payment) else {
        return no_such_payment(payment);
    };
    let asked = match one(&form, "amount").map(str::parse::<i64>) {
        None => None,
        Some(Ok(amount)) if amount > 0 => Some(amount),
        Some(_) => {
            return stripe_error(
                StatusCode::BAD_REQUEST,
                "Invalid positive integer",
                Some("amount"),
            );
        }
    };
    // What is left is read and taken under one lock: two refunds at once cannot both take it.
    let refunded = {
        let mut state = em.inner.state.lock().expect("stripe emulator lock");
        let disputed = state.disputes.values().any(|d| d.session == session.id);
        match state.by_id.get_mut(&session.id) {
            None => Err(no_such_payment(payment)),
            Some(_) if disputed => Err(stripe_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Charge {} has been charged back; you cannot issue a refund.",
                    session.charge.as_deref().unwrap_or_default()
                ),
                None,
            )),
            Some(s) => {
                let left = s.amount - s.amount_refunded;
                match asked.unwrap_or(left) {
                    _ if left == 0 => Err(stripe_error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "Charge {} has already been refunded.",
                            s.charge.as_deref().unwrap_or_default()
                        ),
                        None,
                    )),
                    amount if amount > left => Err(stripe_error(
                        StatusCode::BAD_REQUEST,
                        &format!(
                            "Refund amount ({amount}) is greater than unrefunded amount on charge ({left})"
                        ),
                        Some("amount"),
                    )),
                    amount => {
                        s.amount_refunded += amount;
                        Ok((amount, s.clone()))
                    }
                }
            }
        }
    };
    let (amount, session) = match refunded {
        Ok(done) => done,
        Err(refusal) => return refusal,
    };
    let refund = json!({
        "id": random_token("re_", 12),
        "object": "refund",
        "amount": amount,
        "charge": session.charge,
        "created": em.now_secs(),
        "currency": session.currency,
        "payment_intent": session.payment_intent,
        "reason": one(&form, "reason"),
        "status": "succeeded",
    });
    em.emit("charge.refunded", em.charge(&session)).await;
    Json(refund).into_response()
}

/// `GET /v1/disputes/{id}`.
pub(super) async fn get_dispute(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    match em.find_dispute(&id) {
        Some(d) => Json(em.dispute_object(&d)).into_response(),
        None => no_such_dispute(&id),
    }
}

/// `POST /v1/disputes/{id}/close`: concedes the dispute, which is then lost.
pub(super) async fn close_dispute(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    em.close(&id, "lost").await
}

/// `POST /control/disputes` (`payment_intent`, `reason`): the cardholder's bank disputes the
/// whole payment; `charge.dispute.created` is sent.
pub(super) async fn open_dispute(
    State(em): State<StripeEmulator>,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let Some(payment) = one(&form, "payment_intent") else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "Missing required param: payment_intent.",
            Some("payment_intent"),
        );
    };
    let Some(session) = em.paid_session(payment) else {
        return no_such_payment(payment);
    };
    let dispute = Dispute {
        id: random_token("dp_", 12),
        session: session.id.clone(),
        amount: session.amount,
        status: "needs_response",
        reason: one(&form, "reason").unwrap_or("fraudulent").to_owned(),
        created: em.now_secs(),
    };
    em.inner
        .state
        .lock()
        .expect("stripe emulator lock")
        .disputes
        .insert(dispute.id.clone(), dispute.clone());
    let object = em.dispute_object(&dispute);
    // As Stripe does: the dispute, then the funds it withdraws.
    em.emit("charge.dispute.created", object.clone()).await;
    em.emit("charge.dispute.funds_withdrawn", object.clone())
        .await;
    Json(object).into_response()
}

/// `POST /control/disputes/{id}/win`: the bank decides for the merchant.
pub(super) async fn win_dispute(
    State(em): State<StripeEmulator>,
    Path(id): Path<String>,
) -> Response {
    em.close(&id, "won").await
}
