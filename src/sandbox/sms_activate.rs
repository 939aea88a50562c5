//! An emulator of the SMS-Activate protocol (`handler_api.php`), as the original answers it:
//! HTTP 200 with plain-text tokens for activations and JSON for the rent API, errors included.
//! Activations wait 20 minutes for their SMS (refunded if none came), cannot be cancelled in
//! their first 2 minutes, and can ask for another code; rented numbers last what was bought,
//! can be cancelled (refunded) only in their first 20 minutes, can be extended, and push each
//! SMS to the `url` given at purchase. Its catalogue overlaps 5SIM's emulator's, at other
//! prices. `control` drives it from tests and demos.

pub mod api;
pub mod control;

use super::five_sim::catalog::{self as shared, CountryDef};
use super::traffic::{Dialect, Traffic};
use crate::domain::sms::extract_code;
use crate::server::clock::Clock;
use crate::server::providers::sms_activate::codes;
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

const MINUTE_MS: i64 = 60_000;
pub const ACTIVATION_LIFETIME_MS: i64 = 20 * MINUTE_MS;
/// An activation cannot be cancelled this soon after it was bought.
pub const EARLY_CANCEL_MS: i64 = 2 * MINUTE_MS;
/// A rented number can be cancelled, and refunded, only this soon after it was rented.
pub const RENT_CANCEL_WINDOW_MS: i64 = 20 * MINUTE_MS;
/// Rent lengths on sale, in hours (the protocol's minimum is 4).
pub const RENT_HOURS: [u32; 6] = [4, 12, 24, 72, 168, 720];
/// The countries this emulator serves: 5SIM's emulator's, except these.
const NOT_SERVED: [&str; 2] = ["fr", "nl"];

pub const API_PATH: &str = "/sandbox/sms-activate/stubs/handler_api.php";
pub const CONTROL_PATH: &str = "/sandbox/sms-activate/control";

/// The protocol answers "no numbers" with 200 and a token, like every other error.
const DIALECT: Dialect = Dialect {
    no_numbers_status: 200,
    no_numbers_body: "NO_NUMBERS",
};

/// A refusal: the token the protocol answers with (`NO_NUMBERS`, `WRONG_MAX_PRICE:0.5`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub String);

fn refuse<T>(token: &str) -> Result<T, Refusal> {
    Err(Refusal(token.to_owned()))
}

pub type EmResult<T> = Result<T, Refusal>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivationStatus {
    /// Waiting for the (first, or another) code.
    Waiting,
    Finished,
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct Sms {
    pub at_ms: i64,
    pub sender: String,
    pub text: String,
    pub code: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Activation {
    pub id: i64,
    /// Digits only, as the protocol writes numbers.
    pub phone: String,
    pub service: String,
    pub country: u32,
    pub price: Decimal,
    pub status: ActivationStatus,
    /// The customer asked for another code (`setStatus=3`): the codes before it are old.
    pub retry_after_sms: Option<usize>,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub sms: Vec<Sms>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RentStatus {
    Active,
    Finished,
    Cancelled,
}

#[derive(Clone, Debug)]
pub struct Rent {
    pub id: i64,
    pub phone: String,
    pub service: String,
    pub country: u32,
    pub price: Decimal,
    pub status: RentStatus,
    pub created_ms: i64,
    pub end_ms: i64,
    /// Where each SMS is pushed, if the purchase gave a `url`.
    pub url: Option<String>,
    pub sms: Vec<Sms>,
}

#[derive(Debug)]
pub struct State {
    pub balance: Decimal,
    pub activations: BTreeMap<i64, Activation>,
    pub rents: BTreeMap<i64, Rent>,
    /// Stock set through the control API, by (country id, service code).
    pub stock: HashMap<(u32, String), u64>,
    /// Activation prices set through the control API, by (country id, service code): a
    /// provider whose price moved. `activation_price` otherwise.
    pub prices: HashMap<(u32, String), Decimal>,
    next_id: i64,
}

/// The emulator: shared state, the key it accepts, its clock and traffic.
#[derive(Clone, Debug)]
pub struct SmsActivateEmulator {
    state: Arc<Mutex<State>>,
    api_key: Arc<str>,
    pub clock: Clock,
    pub traffic: Traffic,
    pub auto_sms: bool,
    pub control_token: Option<Arc<str>>,
    /// Sends the rent API's pushes.
    http: reqwest::Client,
}

impl SmsActivateEmulator {
    pub fn new(api_key: &str, clock: Clock, auto_sms: bool) -> Self {
        SmsActivateEmulator {
            state: Arc::new(Mutex::new(State {
                balance: Decimal::new(100_0000, 4),
                activations: BTreeMap::new(),
                rents: BTreeMap::new(),
                stock: HashMap::new(),
                prices: HashMap::new(),
                next_id: super::first_order_id(&clock),
            })),
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

    pub fn accepts(&self, key: Option<&str>) -> bool {
        key == Some(&*self.api_key)
    }

    /// The state, with every order brought up to the clock's now.
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().expect("emulator lock");
        state.settle(self.clock.now_ms());
        state
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }

    /// Delivers an SMS (see `State::deliver`) and pushes it to the rent's `url`, if it has
    /// one, retrying a few times when the receiver does not answer 200.
    pub fn deliver(
        &self,
        id: Option<i64>,
        phone: Option<&str>,
        sender: &str,
        text: &str,
        age_ms: i64,
    ) -> Option<i64> {
        let now = self.now_ms();
        let (id, push) = self.lock().deliver(now - age_ms, id, phone, sender, text)?;
        if let Some((url, body)) = push {
            let http = self.http.clone();
            tokio::spawn(async move {
                for attempt in 0..4u32 {
                    match http.post(&url).json(&body).send().await {
                        Ok(r) if r.status().is_success() => return,
                        Ok(r) => tracing::debug!(status = %r.status(), %url, "rent push refused"),
                        Err(e) => tracing::debug!(error = %e, %url, "rent push failed"),
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(500 << attempt)).await;
                }
            });
        }
        Some(id)
    }
}

/// A country this emulator serves, by the protocol's id.
pub fn country(id: u32) -> Option<&'static CountryDef> {
    let iso = codes::country_iso(id)?.to_ascii_lowercase();
    shared::COUNTRIES
        .iter()
        .find(|c| c.iso == iso && !NOT_SERVED.contains(&c.iso))
}

/// Every country this emulator serves, with its id.
pub fn countries() -> impl Iterator<Item = (u32, &'static CountryDef)> {
    codes::COUNTRIES
        .iter()
        .filter_map(|(_, id)| country(*id).map(|c| (*id, c)))
}

/// Every service code this emulator sells activations for.
pub fn codes_of() -> impl Iterator<Item = &'static str> {
    codes::SERVICES.iter().map(|(_, code)| *code)
}

/// An activation's price: the shared catalogue's base, this provider's own way (cheaper for
/// some services, dearer for others), in whole cents.
pub fn activation_price(c: &CountryDef, service: &str) -> Option<Decimal> {
    let ours = codes::service_name(service)?;
    let (_, base, _) = shared::service(ours)?;
    let adjust = 80 + (shared::hash(&[ours, "sms-activate"]) % 46) as i64;
    let units = base * c.factor / 100 * adjust / 100;
    Some(Decimal::new((units / 100).max(1) * 100, 4))
}

/// A rented number's price for `hours`, any sender.
pub fn rent_price(c: &CountryDef, hours: u32) -> Option<Decimal> {
    let base: i64 = match hours {
        4 => 4_000,
        12 => 8_000,
        24 => 12_000,
        72 => 30_000,
        168 => 60_000,
        720 => 180_000,
        _ => return None,
    };
    Some(Decimal::new((base * c.factor / 100 / 100).max(1) * 100, 4))
}

fn default_stock(country: u32, service: &str) -> u64 {
    let h = shared::hash(&[&country.to_string(), service, "sms-activate"]);
    if h.is_multiple_of(19) {
        0
    } else {
        20 + h % 3_000
    }
}

impl State {
    /// Activations past their 20 minutes: refunded if no SMS came, finished otherwise; rents
    /// past their end: finished.
    fn settle(&mut self, now: i64) {
        for a in self.activations.values_mut() {
            if a.status == ActivationStatus::Waiting && now >= a.expires_ms {
                if a.sms.is_empty() {
                    a.status = ActivationStatus::Cancelled;
                    self.balance += a.price;
                } else {
                    a.status = ActivationStatus::Finished;
                }
            }
        }
        for r in self.rents.values_mut() {
            if r.status == RentStatus::Active && now >= r.end_ms {
                r.status = RentStatus::Finished;
            }
        }
    }

    /// What an activation of `service` in `country` costs now.
    pub fn activation_price(&self, country_id: u32, service: &str) -> Option<Decimal> {
        match self.prices.get(&(country_id, service.to_owned())) {
            Some(price) => Some(*price),
            None => activation_price(country(country_id)?, service),
        }
    }

    pub fn stock_of(&self, country: u32, service: &str) -> u64 {
        self.stock
            .get(&(country, service.to_owned()))
            .copied()
            .unwrap_or_else(|| default_stock(country, service))
    }

    fn take(&mut self, country: u32, service: &str, price: Decimal) -> EmResult<(i64, String)> {
        if self.stock_of(country, service) == 0 {
            return refuse("NO_NUMBERS");
        }
        if self.balance < price {
            return refuse("NO_BALANCE");
        }
        self.balance -= price;
        let left = self.stock_of(country, service) - 1;
        self.stock.insert((country, service.to_owned()), left);
        let id = self.next_id;
        self.next_id += 1;
        let c = country_def(country)?;
        let prefix = c.prefix.trim_start_matches('+');
        let digits = 11 - prefix.len().min(4);
        let local = shared::hash(&[c.name, &id.to_string(), "sa"]) % 10u64.pow(digits as u32);
        Ok((id, format!("{prefix}{local:0digits$}")))
    }

    pub fn buy_activation(
        &mut self,
        now: i64,
        service: &str,
        country: u32,
        max_price: Option<Decimal>,
    ) -> EmResult<Activation> {
        country_def(country)?;
        let Some(price) = self.activation_price(country, service) else {
            return refuse("BAD_SERVICE");
        };
        if let Some(max) = max_price {
            if max < price {
                return refuse(&format!("WRONG_MAX_PRICE:{}", price.normalize()));
            }
        }
        let (id, phone) = self.take(country, service, price)?;
        let a = Activation {
            id,
            phone,
            service: service.to_owned(),
            country,
            price,
            status: ActivationStatus::Waiting,
            retry_after_sms: None,
            created_ms: now,
            expires_ms: now + ACTIVATION_LIFETIME_MS,
            sms: Vec::new(),
        };
        self.activations.insert(id, a.clone());
        Ok(a)
    }

    pub fn activation(&self, id: i64) -> EmResult<&Activation> {
        self.activations
            .get(&id)
            .ok_or(Refusal("NO_ACTIVATION".into()))
    }

    /// `setStatus`: 1 (SMS sent: nothing changes), 3 (another code), 6 (complete), 8 (cancel).
    pub fn set_status(&mut self, now: i64, id: i64, status: &str) -> EmResult<&'static str> {
        let a = self
            .activations
            .get_mut(&id)
            .ok_or(Refusal("NO_ACTIVATION".into()))?;
        let open = a.status == ActivationStatus::Waiting;
        match status {
            "1" if open => Ok("ACCESS_READY"),
            "3" if open && !a.sms.is_empty() => {
                a.retry_after_sms = Some(a.sms.len());
                Ok("ACCESS_RETRY_GET")
            }
            "6" if open && !a.sms.is_empty() => {
                a.status = ActivationStatus::Finished;
                Ok("ACCESS_ACTIVATION")
            }
            "8" if a.status == ActivationStatus::Cancelled => Ok("ACCESS_CANCEL"),
            "8" if open && a.sms.is_empty() => {
                if now - a.created_ms < EARLY_CANCEL_MS {
                    return refuse("EARLY_CANCEL_DENIED");
                }
                a.status = ActivationStatus::Cancelled;
                let price = a.price;
                self.balance += price;
                Ok("ACCESS_CANCEL")
            }
            _ => refuse("BAD_STATUS"),
        }
    }

    pub fn buy_rent(
        &mut self,
        now: i64,
        service: &str,
        country: u32,
        hours: u32,
        url: Option<String>,
    ) -> EmResult<Rent> {
        let c = country_def(country)?;
        if service != codes::ANY_SERVICE && codes::service_name(service).is_none() {
            return refuse("BAD_SERVICE");
        }
        let Some(price) = rent_price(c, hours) else {
            return refuse("BAD_TIME");
        };
        let (id, phone) = self.take(country, codes::ANY_SERVICE, price)?;
        let r = Rent {
            id,
            phone,
            service: service.to_owned(),
            country,
            price,
            status: RentStatus::Active,
            created_ms: now,
            end_ms: now + i64::from(hours) * 3_600_000,
            url,
            sms: Vec::new(),
        };
        self.rents.insert(id, r.clone());
        Ok(r)
    }

    pub fn rent(&self, id: i64) -> EmResult<&Rent> {
        self.rents.get(&id).ok_or(Refusal("NO_ID_RENT".into()))
    }

    /// `setRentStatus`: 1 finishes (no refund), 2 cancels (refunded, first 20 minutes only).
    pub fn set_rent_status(&mut self, now: i64, id: i64, status: &str) -> EmResult<()> {
        let r = self
            .rents
            .get_mut(&id)
            .ok_or(Refusal("NO_ID_RENT".into()))?;
        match r.status {
            RentStatus::Finished => return refuse("ALREADY_FINISH"),
            RentStatus::Cancelled => return refuse("ALREADY_CANCEL"),
            RentStatus::Active => {}
        }
        match status {
            "1" => {
                r.status = RentStatus::Finished;
                r.end_ms = now;
            }
            "2" => {
                if now - r.created_ms > RENT_CANCEL_WINDOW_MS {
                    return refuse("CANT_CANCEL");
                }
                r.status = RentStatus::Cancelled;
                r.end_ms = now;
                let price = r.price;
                self.balance += price;
            }
            _ => return refuse("INCORECT_STATUS"),
        }
        Ok(())
    }

    /// What `hours` more of a rented number cost.
    pub fn continue_price(&self, id: i64, hours: u32) -> EmResult<Decimal> {
        let r = self.rent(id)?;
        if r.status != RentStatus::Active {
            return refuse("RENT_DIE");
        }
        rent_price(country_def(r.country)?, hours).ok_or(Refusal("BAD_TIME".into()))
    }

    /// `continueRentNumber`: `hours` more, charged now.
    pub fn continue_rent(&mut self, id: i64, hours: u32) -> EmResult<Rent> {
        let price = self.continue_price(id, hours)?;
        if self.balance < price {
            return refuse("NO_BALANCE");
        }
        self.balance -= price;
        let r = self.rents.get_mut(&id).expect("checked above");
        r.end_ms += i64::from(hours) * 3_600_000;
        r.price += price;
        Ok(r.clone())
    }

    /// Delivers an SMS to the open activation or rent with `id`, or the open one on `phone`.
    /// Returns the order's id and, for a rent bought with a `url`, the push to send.
    pub fn deliver(
        &mut self,
        now: i64,
        id: Option<i64>,
        phone: Option<&str>,
        sender: &str,
        text: &str,
    ) -> Option<(i64, Option<(String, serde_json::Value)>)> {
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let wanted = |order_id: i64, number: &str| {
            id.is_none_or(|id| id == order_id) && phone.is_none_or(|p| digits(p) == number)
        };
        let sms = Sms {
            at_ms: now,
            sender: sender.to_owned(),
            text: text.to_owned(),
            code: extract_code(text),
        };
        if let Some(a) = self
            .activations
            .values_mut()
            .rev()
            .find(|a| a.status == ActivationStatus::Waiting && wanted(a.id, &a.phone))
        {
            a.sms.push(sms);
            return Some((a.id, None));
        }
        let r = self
            .rents
            .values_mut()
            .rev()
            .find(|r| r.status == RentStatus::Active && wanted(r.id, &r.phone))?;
        let push = r.url.clone().map(|url| {
            let body = serde_json::json!({
                "rentId": r.id.to_string(),
                "sms": {"phoneFrom": sms.sender, "text": sms.text, "date": date(sms.at_ms)},
            });
            (url, body)
        });
        r.sms.push(sms);
        Some((r.id, push))
    }
}

fn country_def(id: u32) -> EmResult<&'static CountryDef> {
    country(id).ok_or(Refusal("NO_NUMBERS".into()))
}

/// The protocol's times: `YYYY-MM-DD HH:MM:SS`, UTC.
pub fn date(ms: i64) -> String {
    crate::server::clock::from_ms(ms)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// The emulator's own server: the protocol under `API_PATH`, the control API for callers the
/// guard trusts under `CONTROL_PATH`.
pub fn router(em: SmsActivateEmulator) -> axum::Router {
    let token = em.control_token.clone();
    let api = axum::Router::new().route(API_PATH, api::handler(em.clone()));
    super::emulator_router("", api, CONTROL_PATH, control::router(em), token)
}

/// Serves the emulator on its own listener; returns the URL of its `handler_api.php`.
pub async fn serve(em: SmsActivateEmulator, addr: std::net::SocketAddr) -> std::io::Result<String> {
    let local = super::listen(router(em), addr, "SMS-Activate").await?;
    Ok(format!("http://{local}{API_PATH}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            balance: Decimal::from(100),
            activations: BTreeMap::new(),
            rents: BTreeMap::new(),
            stock: HashMap::new(),
            prices: HashMap::new(),
            next_id: 1,
        }
    }

    #[test]
    fn an_activation_cannot_be_cancelled_early_or_after_its_code() {
        let mut s = state();
        let a = s.buy_activation(0, "tg", 16, None).unwrap();
        assert!(a.phone.starts_with("44"), "{}", a.phone);
        assert_eq!(
            s.set_status(MINUTE_MS, a.id, "8").unwrap_err().0,
            "EARLY_CANCEL_DENIED"
        );
        let before = s.balance;
        assert_eq!(
            s.set_status(3 * MINUTE_MS, a.id, "8").unwrap(),
            "ACCESS_CANCEL"
        );
        assert_eq!(s.balance, before + a.price);
        let b = s.buy_activation(0, "wa", 16, None).unwrap();
        s.deliver(MINUTE_MS, Some(b.id), None, "WhatsApp", "code 123-456")
            .unwrap();
        assert_eq!(
            s.set_status(3 * MINUTE_MS, b.id, "8").unwrap_err().0,
            "BAD_STATUS"
        );
        assert_eq!(
            s.set_status(3 * MINUTE_MS, b.id, "6").unwrap(),
            "ACCESS_ACTIVATION"
        );
    }

    #[test]
    fn unanswered_activations_are_refunded_after_twenty_minutes() {
        let mut s = state();
        let before = s.balance;
        let a = s.buy_activation(0, "tg", 16, None).unwrap();
        s.settle(ACTIVATION_LIFETIME_MS);
        assert_eq!(s.activations[&a.id].status, ActivationStatus::Cancelled);
        assert_eq!(s.balance, before);
    }

    #[test]
    fn max_price_and_unknown_names_are_refused_in_the_protocols_words() {
        let mut s = state();
        let err = s
            .buy_activation(0, "tg", 16, Some(Decimal::new(1, 3)))
            .unwrap_err();
        assert!(err.0.starts_with("WRONG_MAX_PRICE:"), "{err:?}");
        assert_eq!(
            s.buy_activation(0, "zz", 16, None).unwrap_err().0,
            "BAD_SERVICE"
        );
        assert_eq!(
            s.buy_activation(0, "tg", 78, None).unwrap_err().0,
            "NO_NUMBERS"
        );
        s.stock.insert((16, "tg".into()), 0);
        assert_eq!(
            s.buy_activation(0, "tg", 16, None).unwrap_err().0,
            "NO_NUMBERS"
        );
        s.balance = Decimal::ZERO;
        assert_eq!(
            s.buy_activation(0, "wa", 16, None).unwrap_err().0,
            "NO_BALANCE"
        );
    }

    #[test]
    fn a_rent_cancels_only_in_its_first_twenty_minutes_and_extends() {
        let mut s = state();
        let r = s.buy_rent(0, "full", 16, 4, None).unwrap();
        assert_eq!(r.end_ms, 4 * 3_600_000);
        let later = s.buy_rent(0, "full", 16, 24, None).unwrap();
        let before = s.balance;
        s.set_rent_status(MINUTE_MS, r.id, "2").unwrap();
        assert_eq!(s.balance, before + r.price);
        assert_eq!(
            s.set_rent_status(MINUTE_MS, r.id, "2").unwrap_err().0,
            "ALREADY_CANCEL"
        );
        assert_eq!(
            s.set_rent_status(21 * MINUTE_MS, later.id, "2")
                .unwrap_err()
                .0,
            "CANT_CANCEL"
        );
        let extended = s.continue_rent(later.id, 12).unwrap();
        assert_eq!(extended.end_ms, 36 * 3_600_000);
        s.set_rent_status(22 * MINUTE_MS, later.id, "1").unwrap();
        assert_eq!(s.continue_rent(later.id, 4).unwrap_err().0, "RENT_DIE");
        assert_eq!(
            s.buy_rent(0, "full", 16, 5, None).unwrap_err().0,
            "BAD_TIME"
        );
    }
}
