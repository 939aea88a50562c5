//! An emulator of the parts of Stripe's API the app uses, mounted at `/sandbox/stripe` on the
//! app's own port in sandbox mode, with Stripe's own paths beneath it (so Stripe's client
//! libraries work against it with only the base URL changed):
//!
//! - `POST /v1/checkout/sessions` (form-encoded, `Authorization: Bearer sk_…` or Basic, and
//!   `Idempotency-Key`), `GET /v1/checkout/sessions/{id}`, `POST …/{id}/expire`;
//! - a hosted page to pay a session at (`/pay/{id}`), with buttons for a card that succeeds,
//!   one that is declined and one that asks for 3-D Secure first (`pay` module);
//! - webhook events (`checkout.session.completed`, `checkout.session.expired`,
//!   `payment_intent.payment_failed`) sent to the app, signed as Stripe signs them, retried
//!   on failure;
//! - refunds and disputes of a paid session's charge (`charges` module): `POST /v1/refunds`,
//!   `GET /v1/disputes/{id}`, `POST /v1/disputes/{id}/close` (conceding it), with
//!   `charge.refunded`, `charge.dispute.created` and `charge.dispute.closed` sent as Stripe
//!   sends them;
//! - `/control` (the trusted callers' guard): the events sent, and resending one as Stripe's
//!   dashboard does; a cardholder disputing a payment, and a dispute won.

mod charges;
mod pay;

use crate::server::clock::Clock;
use crate::server::payments::stripe::sign;
use crate::server::services::secrets::random_token;
use axum::extract::{Form, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine as _;
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where it is mounted on the app's port.
pub const PATH: &str = "/sandbox/stripe";
/// How long a checkout session stays open unless it says otherwise (Stripe's default).
const SESSION_LIFETIME_SECS: i64 = 24 * 3600;
/// Stripe's API version the events carry.
const API_VERSION: &str = "2024-06-20";

#[derive(Clone)]
pub struct StripeEmulator {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for StripeEmulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeEmulator")
            .field("webhook_url", &self.inner.webhook_url)
            .finish_non_exhaustive()
    }
}

struct Inner {
    secret_key: String,
    webhook_secret: String,
    /// Where events are sent (the app's `/api/billing/stripe/webhook`).
    webhook_url: String,
    /// Where browsers reach the emulator (`https://sms.example.com/sandbox/stripe`).
    public_base: String,
    clock: Clock,
    http: reqwest::Client,
    state: Mutex<Sessions>,
}

#[derive(Default)]
struct Sessions {
    by_id: HashMap<String, Session>,
    /// Idempotency keys and the session each created.
    by_key: HashMap<String, String>,
    /// Every event sent, oldest first.
    events: Vec<Value>,
    /// Disputes by id.
    disputes: HashMap<String, charges::Dispute>,
}

#[derive(Clone, Debug)]
struct Session {
    id: String,
    amount: i64,
    currency: String,
    product: String,
    client_reference_id: Option<String>,
    customer_email: Option<String>,
    metadata: Map<String, Value>,
    intent_metadata: Map<String, Value>,
    success_url: String,
    cancel_url: Option<String>,
    /// `open`, `complete` or `expired`.
    status: &'static str,
    paid: bool,
    payment_intent: Option<String>,
    /// The charge a payment made (`ch_…`), and how much of it was refunded (cents).
    charge: Option<String>,
    amount_refunded: i64,
    created: i64,
    expires_at: i64,
}

/// A Stripe error answer: `{"error": {"type", "message", "param"}}`.
fn stripe_error(status: StatusCode, message: &str, param: Option<&str>) -> Response {
    let mut error = json!({"type": "invalid_request_error", "message": message});
    if let Some(param) = param {
        error["param"] = json!(param);
    }
    (status, Json(json!({ "error": error }))).into_response()
}

impl StripeEmulator {
    pub fn new(
        secret_key: &str,
        webhook_secret: &str,
        webhook_url: &str,
        public_base: &str,
        clock: Clock,
    ) -> Self {
        StripeEmulator {
            inner: Arc::new(Inner {
                secret_key: secret_key.to_owned(),
                webhook_secret: webhook_secret.to_owned(),
                webhook_url: webhook_url.to_owned(),
                public_base: public_base.trim_end_matches('/').to_owned(),
                clock,
                http: reqwest::Client::builder()
                    .timeout(Duration::from_secs(10))
                    .build()
                    .expect("an HTTP client builds"),
                state: Mutex::default(),
            }),
        }
    }

    /// The secret key it takes (made up for this run).
    pub fn secret_key(&self) -> &str {
        &self.inner.secret_key
    }

    /// Its routes, to nest at [`PATH`]; `control` guards `/control`.
    pub fn router(&self, control: impl FnOnce(Router) -> Router) -> Router {
        let control_routes = Router::new()
            .route("/events", get(list_events))
            .route("/events/{id}/resend", post(resend_event))
            .route("/disputes", post(charges::open_dispute))
            .route("/disputes/{id}/win", post(charges::win_dispute))
            .with_state(self.clone());
        Router::new()
            .route("/v1/refunds", post(charges::refund))
            .route("/v1/disputes/{id}", get(charges::get_dispute))
            .route("/v1/disputes/{id}/close", post(charges::close_dispute))
            .route("/v1/checkout/sessions", post(create_session))
            .route("/v1/checkout/sessions/{id}", get(get_session))
            .route("/v1/checkout/sessions/{id}/expire", post(expire_session))
            .route("/pay/{id}", get(pay::page).post(pay::submit))
            .route(
                "/pay/{id}/authenticate",
                get(pay::challenge).post(pay::authenticate),
            )
            .with_state(self.clone())
            .nest("/control", control(control_routes))
    }

    fn now_secs(&self) -> i64 {
        self.inner.clock.now_ms() / 1000
    }

    /// The session, expired first if its time is up (and the event sent for that).
    async fn session(&self, id: &str) -> Option<Session> {
        let now = self.now_secs();
        let (session, expired) = {
            let mut state = self.inner.state.lock().expect("stripe emulator lock");
            let session = state.by_id.get_mut(id)?;
            let expired = session.status == "open" && session.expires_at <= now;
            if expired {
                session.status = "expired";
            }
            (session.clone(), expired)
        };
        if expired {
            self.emit("checkout.session.expired", self.object(&session))
                .await;
        }
        Some(session)
    }

    fn update(&self, id: &str, change: impl FnOnce(&mut Session)) -> Option<Session> {
        let mut state = self.inner.state.lock().expect("stripe emulator lock");
        let session = state.by_id.get_mut(id)?;
        change(session);
        Some(session.clone())
    }

    /// The session as Stripe's API shows it.
    fn object(&self, s: &Session) -> Value {
        json!({
            "id": s.id,
            "object": "checkout.session",
            "amount_subtotal": s.amount,
            "amount_total": s.amount,
            "cancel_url": s.cancel_url,
            "client_reference_id": s.client_reference_id,
            "created": s.created,
            "currency": s.currency,
            "customer_email": s.customer_email,
            "expires_at": s.expires_at,
            "livemode": false,
            "metadata": s.metadata,
            "mode": "payment",
            "payment_intent": s.payment_intent,
            "payment_status": if s.paid { "paid" } else { "unpaid" },
            "status": s.status,
            "success_url": s.success_url,
            "url": (s.status == "open").then(|| self.pay_url(&s.id)),
        })
    }

    fn pay_url(&self, id: &str) -> String {
        format!("{}/pay/{id}", self.inner.public_base)
    }

    /// The session's payment intent (made at the first attempt to pay, as Stripe does).
    fn intent(&self, id: &str) -> Option<Session> {
        self.update(id, |s| {
            if s.payment_intent.is_none() {
                s.payment_intent = Some(random_token("pi_", 12));
            }
        })
    }

    /// Sends an event to the app, signed; waits for the first attempt (so the customer's
    /// redirect usually finds it done) and retries a failure in the background.
    async fn emit(&self, kind: &str, object: Value) {
        let event = json!({
            "id": random_token("evt_", 12),
            "object": "event",
            "api_version": API_VERSION,
            "created": self.now_secs(),
            "type": kind,
            "livemode": false,
            "pending_webhooks": 1,
            "request": {"id": null, "idempotency_key": null},
            "data": {"object": object},
        });
        self.inner
            .state
            .lock()
            .expect("stripe emulator lock")
            .events
            .push(event.clone());
        if self.deliver(&event).await {
            return;
        }
        let emulator = self.clone();
        tokio::spawn(async move {
            for wait in [1, 2, 4, 8, 16] {
                tokio::time::sleep(Duration::from_secs(wait)).await;
                if emulator.deliver(&event).await {
                    return;
                }
            }
            tracing::warn!(event = %event["id"], "stripe emulator: event never delivered");
        });
    }

    /// One delivery attempt: whether the app took it (any 2xx).
    async fn deliver(&self, event: &Value) -> bool {
        let body = event.to_string();
        let signature = sign(&self.inner.webhook_secret, self.now_secs(), body.as_bytes());
        let sent = self
            .inner
            .http
            .post(&self.inner.webhook_url)
            .header(header::CONTENT_TYPE, "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(r) if r.status().is_success() => true,
            Ok(r) => {
                tracing::warn!(status = %r.status(), event = %event["type"], "stripe emulator: the app refused an event");
                false
            }
            Err(e) => {
                tracing::warn!(error = %e, event = %event["type"], "stripe emulator: could not deliver an event");
                false
            }
        }
    }

    /// Pays the session: complete, paid, and `checkout.session.completed` sent.
    async fn pay(&self, id: &str) -> Option<Session> {
        self.intent(id)?;
        let session = self.update(id, |s| {
            s.status = "complete";
            s.paid = true;
            s.charge = Some(random_token("ch_", 12));
        })?;
        self.emit("checkout.session.completed", self.object(&session))
            .await;
        Some(session)
    }

    /// A declined attempt: `payment_intent.payment_failed`; the session stays open.
    async fn decline(&self, id: &str, code: &str, message: &str) -> Option<Session> {
        let session = self.intent(id)?;
        let intent = json!({
            "id": session.payment_intent,
            "object": "payment_intent",
            "amount": session.amount,
            "currency": session.currency,
            "metadata": session.intent_metadata,
            "status": "requires_payment_method",
            "last_payment_error": {
                "type": "card_error",
                "code": code,
                "decline_code": "generic_decline",
                "message": message,
            },
        });
        self.emit("payment_intent.payment_failed", intent).await;
        Some(session)
    }
}

/// Whether the request carries the secret key, as a bearer token or Basic's user name.
fn authorized(em: &StripeEmulator, headers: &HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    if let Some(token) = value.strip_prefix("Bearer ") {
        return token.trim() == em.inner.secret_key;
    }
    value
        .strip_prefix("Basic ")
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|raw| String::from_utf8(raw).ok())
        .is_some_and(|user| user.split(':').next() == Some(em.inner.secret_key.as_str()))
}

fn unauthorized() -> Response {
    stripe_error(
        StatusCode::UNAUTHORIZED,
        "Invalid API Key provided. Send your secret key as `Authorization: Bearer sk_…`.",
        None,
    )
}

async fn create_session(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(key) = &key {
        let known = {
            let state = em.inner.state.lock().expect("stripe emulator lock");
            state.by_key.get(key).cloned()
        };
        if let Some(id) = known {
            if let Some(session) = em.session(&id).await {
                return Json(em.object(&session)).into_response();
            }
        }
    }
    let session = match new_session(&form, em.now_secs()) {
        Ok(session) => session,
        Err((message, param)) => {
            return stripe_error(StatusCode::BAD_REQUEST, &message, Some(param));
        }
    };
    let object = em.object(&session);
    {
        let mut state = em.inner.state.lock().expect("stripe emulator lock");
        if let Some(key) = key {
            state.by_key.insert(key, session.id.clone());
        }
        state.by_id.insert(session.id.clone(), session);
    }
    Json(object).into_response()
}

/// A session from Stripe's form parameters, or what is wrong and which parameter.
fn new_session(form: &[(String, String)], now: i64) -> Result<Session, (String, &'static str)> {
    let one = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let required = |name: &'static str| {
        one(name)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| (format!("Missing required param: {name}."), name))
    };
    let mode = required("mode")?;
    if mode != "payment" {
        return Err((
            format!("Only `payment` mode is emulated, not `{mode}`."),
            "mode",
        ));
    }
    let success_url = required("success_url")?;
    let currency = required("line_items[0][price_data][currency]")?.to_ascii_lowercase();
    let unit_amount: i64 = required("line_items[0][price_data][unit_amount]")?
        .parse()
        .ok()
        .filter(|a| *a > 0)
        .ok_or((
            "Invalid positive integer".to_owned(),
            "line_items[0][price_data][unit_amount]",
        ))?;
    let quantity: i64 = one("line_items[0][quantity]")
        .unwrap_or_else(|| "1".into())
        .parse()
        .ok()
        .filter(|q| *q > 0)
        .ok_or((
            "Invalid positive integer".to_owned(),
            "line_items[0][quantity]",
        ))?;
    let expires_at = match one("expires_at") {
        None => now + SESSION_LIFETIME_SECS,
        Some(at) => at
            .parse::<i64>()
            .ok()
            .filter(|at| (now + 1800..=now + SESSION_LIFETIME_SECS).contains(at))
            .ok_or((
                "The `expires_at` timestamp must be between 30 minutes and 24 hours from now."
                    .to_owned(),
                "expires_at",
            ))?,
    };
    let map = |prefix: &str| -> Map<String, Value> {
        form.iter()
            .filter_map(|(k, v)| {
                let name = k.strip_prefix(prefix)?.strip_suffix(']')?;
                Some((name.to_owned(), Value::String(v.clone())))
            })
            .collect()
    };
    Ok(Session {
        id: random_token("cs_test_", 16),
        amount: unit_amount.saturating_mul(quantity),
        currency,
        product: one("line_items[0][price_data][product_data][name]")
            .unwrap_or_else(|| "Payment".into()),
        client_reference_id: one("client_reference_id"),
        customer_email: one("customer_email"),
        metadata: map("metadata["),
        intent_metadata: map("payment_intent_data[metadata]["),
        success_url,
        cancel_url: one("cancel_url"),
        status: "open",
        paid: false,
        payment_intent: None,
        charge: None,
        amount_refunded: 0,
        created: now,
        expires_at,
    })
}

async fn get_session(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    match em.session(&id).await {
        Some(session) => Json(em.object(&session)).into_response(),
        None => no_such_session(&id),
    }
}

async fn expire_session(
    State(em): State<StripeEmulator>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    if !authorized(&em, &headers) {
        return unauthorized();
    }
    let Some(session) = em.session(&id).await else {
        return no_such_session(&id);
    };
    if session.status != "open" {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "Only Checkout Sessions with a status in [\"open\"] can be expired. This Checkout Session has a status of \"{}\".",
                session.status
            ),
            None,
        );
    }
    let Some(session) = em.update(&id, |s| s.status = "expired") else {
        return no_such_session(&id);
    };
    em.emit("checkout.session.expired", em.object(&session))
        .await;
    Json(em.object(&session)).into_response()
}

fn no_such_session(id: &str) -> Response {
    stripe_error(
        StatusCode::NOT_FOUND,
        &format!("No such checkout.session: '{id}'"),
        Some("session"),
    )
}

/// `GET /control/events`: every event sent, oldest first.
async fn list_events(State(em): State<StripeEmulator>) -> Json<Value> {
    let events = em
        .inner
        .state
        .lock()
        .expect("stripe emulator lock")
        .events
        .clone();
    Json(json!({ "data": events }))
}

/// `POST /control/events/{id}/resend`: delivers an event again, as it was (a new signature).
async fn resend_event(State(em): State<StripeEmulator>, Path(id): Path<String>) -> Response {
    let event = em
        .inner
        .state
        .lock()
        .expect("stripe emulator lock")
        .events
        .iter()
        .find(|e| e["id"] == id.as_str())
        .cloned();
    match event {
        Some(event) => {
            let delivered = em.deliver(&event).await;
            Json(json!({ "delivered": delivered })).into_response()
        }
        None => stripe_error(
            StatusCode::NOT_FOUND,
            &format!("No such event: '{id}'"),
            Some("id"),
        ),
    }
}
