//! An emulator of TextVerified's API v2 (`/api/pub/v2`), US numbers only, as its OpenAPI
//! document describes it: a bearer token from `POST /auth` (username and key) that expires
//! after 899 s; verifications that wait 15 minutes for their SMS (refunded if none came),
//! cancellable before any SMS, reusable for 30 s after their code and reactivatable after;
//! rentals bought through a sale and refundable in their first hour (`rentals`): non-renewable
//! ones extended by the contract's durations (not refundable), renewable ones renewed with
//! their billing cycle; `Idempotency-Key` on both create calls (the
//! same answer once done, `409 IdempotencyConflict` while in flight); SMS listed per
//! reservation; and `v2.sms.received` webhooks signed `X-Webhook-Signature:
//! HMAC-SHA512=<base64>`, retried with backoff until answered 200. `control` drives it.

pub mod api;
pub mod control;
mod rentals;

pub use rentals::{
    hours_of, rental_price, BillingCycle, Rental, RentalState, Sale,
    REFUND_WINDOW_MS as RENTAL_REFUND_WINDOW_MS,
};

use super::five_sim::catalog;
use super::traffic::{Dialect, Traffic};
use crate::domain::sms::extract_code;
use crate::server::clock::{from_ms, Clock};
use base64::Engine;
use hmac::{Hmac, Mac};
use rust_decimal::Decimal;
use serde_json::{json, Value};
use sha2::Sha512;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

const MINUTE_MS: i64 = 60_000;
pub const TOKEN_LIFETIME_MS: i64 = 899_000;
pub const VERIFICATION_LIFETIME_MS: i64 = 15 * MINUTE_MS;
pub const REUSE_WINDOW_MS: i64 = 30_000;
/// The contract's rental durations this emulator sells, with their hours.
pub const DURATIONS: [(&str, u32); 5] = [
    ("oneDay", 24),
    ("threeDay", 72),
    ("sevenDay", 168),
    ("fourteenDay", 336),
    ("thirtyDay", 720),
];
/// The service a rented line is bought for when it takes SMS from anyone.
pub const ANY_SERVICE: &str = "allservices";

pub const API_PATH: &str = "/sandbox/textverified/api/pub/v2";
pub const CONTROL_PATH: &str = "/sandbox/textverified/control";

const DIALECT: Dialect = Dialect {
    no_numbers_status: 400,
    no_numbers_body: r#"{"errorCode":"Unavailable","errorDescription":"No numbers are available."}"#,
};

/// A refusal: the status and the `{errorCode, errorDescription}` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub code: &'static str,
    pub description: String,
}

fn refuse<T>(status: u16, code: &'static str, description: impl Into<String>) -> EmResult<T> {
    Err(Refusal {
        status,
        code,
        description: description.into(),
    })
}

pub type EmResult<T> = Result<T, Refusal>;

/// The account cannot pay for what was asked.
fn short_of_money<T>() -> EmResult<T> {
    refuse(
        400,
        "InsufficientBalance",
        "The account's balance is too low.",
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerificationState {
    Pending,
    Completed,
    Canceled,
    TimedOut,
    Reported,
    Reused,
    Reactivated,
}

impl VerificationState {
    pub fn wire(self) -> &'static str {
        match self {
            VerificationState::Pending => "verificationPending",
            VerificationState::Completed => "verificationCompleted",
            VerificationState::Canceled => "verificationCanceled",
            VerificationState::TimedOut => "verificationTimedOut",
            VerificationState::Reported => "verificationReported",
            VerificationState::Reused => "verificationReused",
            VerificationState::Reactivated => "verificationReactivated",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Sms {
    pub id: String,
    pub from: String,
    pub at_ms: i64,
    pub text: String,
    pub code: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Verification {
    pub id: String,
    /// Ten digits, as TextVerified writes US numbers.
    pub number: String,
    pub service: String,
    pub state: VerificationState,
    pub cost: Decimal,
    pub created_ms: i64,
    pub ends_ms: i64,
    pub completed_ms: Option<i64>,
}

/// A create call under an `Idempotency-Key`: in flight, or done with its answer.
#[derive(Clone, Debug)]
pub enum Idempotent {
    InFlight,
    Done(String),
}

#[derive(Debug)]
pub struct State {
    pub balance: Decimal,
    tokens: HashMap<String, i64>,
    pub verifications: BTreeMap<String, Verification>,
    pub rentals: BTreeMap<String, Rental>,
    pub sales: HashMap<String, Sale>,
    /// The billing cycles of renewable rentals (one rental each here).
    pub billing_cycles: BTreeMap<String, BillingCycle>,
    /// Every SMS, by the reservation it came to.
    pub sms: BTreeMap<String, Vec<Sms>>,
    pub idempotency: HashMap<String, Idempotent>,
    /// Stock set through the control API, by service.
    pub stock: HashMap<String, u64>,
    /// How long a create call takes (so that a retry can find it in flight).
    pub create_delay_ms: u64,
    /// Where `v2.sms.received` is sent, with the secret it is signed with.
    pub webhook: Option<(String, String)>,
    next: u64,
}

#[derive(Clone, Debug)]
pub struct TextVerifiedEmulator {
    state: Arc<Mutex<State>>,
    username: Arc<str>,
    api_key: Arc<str>,
    pub clock: Clock,
    pub traffic: Traffic,
    pub auto_sms: bool,
    pub control_token: Option<Arc<str>>,
    http: reqwest::Client,
}

impl TextVerifiedEmulator {
    pub fn new(username: &str, api_key: &str, clock: Clock, auto_sms: bool) -> Self {
        TextVerifiedEmulator {
            state: Arc::new(Mutex::new(State::new(
                super::first_order_id(&clock).unsigned_abs(),
            ))),
            username: Arc::from(username),
            api_key: Arc::from(api_key),
            traffic: Traffic::new(clock.clone(), DIALECT),
            clock,
            auto_sms,
            control_token: None,
            http: reqwest::Client::builder()
                .timeout(std::time::Duration::from_secs(5))
                .build()
                .expect("an HTTP client"),
        }
    }

    pub fn with_control_token(mut self, token: Option<&str>) -> Self {
        self.control_token = token.map(Arc::from);
        self
    }

    /// Sends `v2.sms.received` to `url`, signed with `secret`.
    pub fn with_webhook(self, url: &str, secret: &str) -> Self {
        self.lock().webhook = Some((url.to_owned(), secret.to_owned()));
        self
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().expect("emulator lock");
        state.settle(self.clock.now_ms());
        state
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// A token for the right username and key.
    pub fn authenticate(&self, username: Option<&str>, key: Option<&str>) -> Option<(String, i64)> {
        if username != Some(&*self.username) || key != Some(&*self.api_key) {
            return None;
        }
        let now = self.now_ms();
        let mut s = self.lock();
        let token = format!(
            "tv_{}",
            catalog::hash(&[&s.next.to_string(), &now.to_string(), "token"])
        );
        s.next += 1;
        s.tokens.insert(token.clone(), now + TOKEN_LIFETIME_MS);
        Some((token, now + TOKEN_LIFETIME_MS))
    }

    pub fn token_valid(&self, token: &str) -> bool {
        let now = self.now_ms();
        self.lock()
            .tokens
            .get(token)
            .is_some_and(|until| now < *until)
    }

    /// Delivers an SMS to the open verification or rental with `id` (or on `phone`), and sends
    /// the webhook if one is set.
    pub fn deliver(
        &self,
        id: Option<&str>,
        phone: Option<&str>,
        from: &str,
        text: &str,
    ) -> Option<String> {
        let now = self.now_ms();
        let (reservation, number, sms, webhook) = {
            let mut s = self.lock();
            let (reservation, number) = s.open_reservation(id, phone)?;
            let sms = Sms {
                id: s.next_id("sms"),
                from: from.to_owned(),
                at_ms: now,
                text: text.to_owned(),
                code: extract_code(text),
            };
            if let Some(v) = s.verifications.get_mut(&reservation) {
                v.state = VerificationState::Completed;
                v.completed_ms = Some(now);
            }
            s.sms
                .entry(reservation.clone())
                .or_default()
                .push(sms.clone());
            (reservation, number, sms, s.webhook.clone())
        };
        if let Some((url, secret)) = webhook {
            let body = json!({
                "id": format!("evt_{}", sms.id),
                "event": "v2.sms.received",
                "occurredAt": time(now),
                "attempt": 1,
                "idempotencyKey": sms.id,
                "data": {
                    "from": sms.from,
                    "to": number,
                    "createdAt": time(sms.at_ms),
                    "smsContent": sms.text,
                    "parsedCode": sms.code,
                    "encrypted": false,
                    "reservationId": reservation,
                },
            });
            self.send_webhook(url, secret, body);
        }
        Some(reservation)
    }

    /// Posts `body` signed, retried with backoff (0.5, 1, 2, 4 s) until answered 200.
    fn send_webhook(&self, url: String, secret: String, mut body: Value) {
        let http = self.http.clone();
        tokio::spawn(async move {
            for attempt in 1..=5u32 {
                body["attempt"] = json!(attempt);
                let raw = body.to_string();
                let response = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .header("X-Webhook-Signature", signature(&secret, raw.as_bytes()))
                    .body(raw)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().as_u16() == 200 => return,
                    Ok(r) => tracing::debug!(status = %r.status(), %url, "webhook refused"),
                    Err(e) => tracing::debug!(error = %e, %url, "webhook failed"),
                }
                tokio::time::sleep(std::time::Duration::from_millis(250 << attempt)).await;
            }
        });
    }
}

/// `HMAC-SHA512=<base64 of HMAC-SHA512(secret, body)>`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha512>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(body);
    format!(
        "HMAC-SHA512={}",
        base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
    )
}

/// ISO 8601 with milliseconds, as TextVerified writes times.
pub fn time(ms: i64) -> String {
    from_ms(ms).format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}

/// A verification's price for `service`: the shared catalogue's base at US prices, this
/// provider's own way.
pub fn verification_price(service: &str) -> Option<Decimal> {
    let (name, base, _) = catalog::service(service)?;
    let adjust = 75 + (catalog::hash(&[name, "textverified"]) % 56) as i64;
    let units = base * 180 / 100 * adjust / 100;
    Some(Decimal::new((units / 100).max(1) * 100, 4))
}

impl State {
    fn new(first_id: u64) -> State {
        State {
            balance: Decimal::new(100_0000, 4),
            tokens: HashMap::new(),
            verifications: BTreeMap::new(),
            rentals: BTreeMap::new(),
            sales: HashMap::new(),
            billing_cycles: BTreeMap::new(),
            sms: BTreeMap::new(),
            idempotency: HashMap::new(),
            stock: HashMap::new(),
            create_delay_ms: 0,
            webhook: None,
            next: first_id,
        }
    }

    fn settle(&mut self, now: i64) {
        let mut refunds = Decimal::ZERO;
        for v in self.verifications.values_mut() {
            if v.state == VerificationState::Pending && now >= v.ends_ms {
                v.state = VerificationState::TimedOut;
                refunds += v.cost;
            }
        }
        self.balance += refunds;
        self.settle_rentals(now);
    }

    fn next_id(&mut self, prefix: &str) -> String {
        let n = self.next;
        self.next += 1;
        format!(
            "{prefix}_{:08x}{n:04}",
            catalog::hash(&[prefix, &n.to_string()]) as u32
        )
    }

    pub fn stock_of(&self, service: &str) -> u64 {
        self.stock.get(service).copied().unwrap_or_else(|| {
            let h = catalog::hash(&[service, "textverified"]);
            if h.is_multiple_of(17) {
                0
            } else {
                10 + h % 900
            }
        })
    }

    fn take(&mut self, service: &str, price: Decimal) -> EmResult<String> {
        if self.stock_of(service) == 0 {
            return refuse(
                400,
                "Unavailable",
                "No numbers are available for that service.",
            );
        }
        if self.balance < price {
            return short_of_money();
        }
        self.balance -= price;
        let left = self.stock_of(service) - 1;
        self.stock.insert(service.to_owned(), left);
        let n = self.next;
        let local = catalog::hash(&[service, &n.to_string(), "tv-number"]) % 10_000_000;
        Ok(format!("555{local:07}"))
    }

    fn open_reservation(&self, id: Option<&str>, phone: Option<&str>) -> Option<(String, String)> {
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let wanted = |rid: &str, number: &str| {
            id.is_none_or(|id| id == rid) && phone.is_none_or(|p| digits(p).ends_with(number))
        };
        if let Some(v) = self
            .verifications
            .values()
            .rev()
            .find(|v| v.state == VerificationState::Pending && wanted(&v.id, &v.number))
        {
            return Some((v.id.clone(), v.number.clone()));
        }
        self.rentals
            .values()
            .rev()
            .find(|r| r.state.is_open() && wanted(&r.id, &r.number))
            .map(|r| (r.id.clone(), r.number.clone()))
    }

    pub fn create_verification(
        &mut self,
        now: i64,
        service: &str,
        max_price: Option<Decimal>,
    ) -> EmResult<Verification> {
        let Some(price) = verification_price(service) else {
            return refuse(
                400,
                "InvalidServiceName",
                format!("Unknown service {service}."),
            );
        };
        if max_price.is_some_and(|m| m < price) {
            return refuse(400, "PricingFailure", "The price is above maxPrice.");
        }
        let number = self.take(service, price)?;
        let v = Verification {
            id: self.next_id("ver"),
            number,
            service: service.to_owned(),
            state: VerificationState::Pending,
            cost: price,
            created_ms: now,
            ends_ms: now + VERIFICATION_LIFETIME_MS,
            completed_ms: None,
        };
        self.verifications.insert(v.id.clone(), v.clone());
        Ok(v)
    }

    pub fn verification(&self, id: &str) -> EmResult<&Verification> {
        match self.verifications.get(id) {
            Some(v) => Ok(v),
            None => refuse(404, "NotFound", "No such verification."),
        }
    }

    pub fn can_cancel(&self, v: &Verification) -> bool {
        v.state == VerificationState::Pending && self.sms.get(&v.id).is_none_or(Vec::is_empty)
    }

    pub fn cancel(&mut self, id: &str) -> EmResult<()> {
        let v = self.verification(id)?.clone();
        if !self.can_cancel(&v) {
            return refuse(
                400,
                "NotCancelable",
                "This verification cannot be canceled.",
            );
        }
        self.balance += v.cost;
        self.verifications.get_mut(id).expect("found above").state = VerificationState::Canceled;
        Ok(())
    }

    pub fn report(&mut self, id: &str) -> EmResult<()> {
        let v = self.verification(id)?.clone();
        if v.state != VerificationState::Pending {
            return refuse(
                400,
                "NotReportable",
                "This verification cannot be reported.",
            );
        }
        self.balance += v.cost;
        self.verifications.get_mut(id).expect("found above").state = VerificationState::Reported;
        Ok(())
    }

    /// Reuse (within 30 s of the code) or reactivate (after): a new verification on the
    /// same number, charged again.
    pub fn again(&mut self, now: i64, id: &str, reuse: bool) -> EmResult<Verification> {
        let old = self.verification(id)?.clone();
        let completed = match (old.state, old.completed_ms) {
            (VerificationState::Completed, Some(at)) => at,
            _ => {
                return refuse(
                    400,
                    "ProcessingError",
                    "This verification is not completed.",
                )
            }
        };
        let within = now - completed <= REUSE_WINDOW_MS;
        if within != reuse {
            let why = if reuse {
                "The reuse window has passed."
            } else {
                "Reuse it instead."
            };
            return refuse(400, "ProcessingError", why);
        }
        if self.balance < old.cost {
            return short_of_money();
        }
        self.balance -= old.cost;
        self.verifications.get_mut(id).expect("found above").state = if reuse {
            VerificationState::Reused
        } else {
            VerificationState::Reactivated
        };
        let v = Verification {
            id: self.next_id("ver"),
            state: VerificationState::Pending,
            created_ms: now,
            ends_ms: now + VERIFICATION_LIFETIME_MS,
            completed_ms: None,
            ..old
        };
        self.verifications.insert(v.id.clone(), v.clone());
        Ok(v)
    }
}

pub fn number(d: Decimal) -> Value {
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

/// The emulator's own server: the API under `API_PATH`, the control API for callers the guard
/// trusts under `CONTROL_PATH`.
pub fn router(em: TextVerifiedEmulator) -> axum::Router {
    let token = em.control_token.clone();
    super::emulator_router(
        API_PATH,
        api::router(em.clone()),
        CONTROL_PATH,
        control::router(em),
        token,
    )
}

/// Serves the emulator on its own listener; returns its base URL (what
/// `TEXTVERIFIED_BASE_URL` names: the paths start with `/api/pub/v2` under it).
pub async fn serve(
    em: TextVerifiedEmulator,
    addr: std::net::SocketAddr,
) -> std::io::Result<String> {
    let local = super::listen(router(em), addr, "TextVerified").await?;
    Ok(format!("http://{local}/sandbox/textverified"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State::new(1)
    }

    #[test]
    fn a_verification_times_out_refunded_and_cancels_only_before_an_sms() {
        let mut s = state();
        let before = s.balance;
        let v = s.create_verification(0, "telegram", None).unwrap();
        assert_eq!(v.number.len(), 10);
        s.settle(VERIFICATION_LIFETIME_MS);
        assert_eq!(s.verifications[&v.id].state, VerificationState::TimedOut);
        assert_eq!(s.balance, before);
        let w = s.create_verification(0, "telegram", None).unwrap();
        s.sms.entry(w.id.clone()).or_default().push(Sms {
            id: "sms_1".into(),
            from: "Telegram".into(),
            at_ms: 1,
            text: "code 12345".into(),
            code: Some("12345".into()),
        });
        assert_eq!(s.cancel(&w.id).unwrap_err().code, "NotCancelable");
    }

    #[test]
    fn signatures_are_hmac_sha512_in_base64() {
        let sig = signature("whsec_test", b"{}");
        assert!(sig.starts_with("HMAC-SHA512="));
        assert_eq!(sig.len(), "HMAC-SHA512=".len() + 88);
        assert_ne!(sig, signature("whsec_other", b"{}"));
    }
}
