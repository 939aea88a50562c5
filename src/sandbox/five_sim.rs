//! A 5SIM emulator that speaks 5SIM's API closely enough that the real client cannot tell:
//! bearer auth, plain-text errors with 5SIM's statuses, orders that expire, refunds on
//! cancel and timeout, rating, reuse, hosting. `control` drives it from tests and demos.

pub mod api;
pub mod catalog;
pub mod control;

use super::traffic::{self, Dialect, Traffic};
use crate::domain::sms::extract_code;
use crate::server::clock::Clock;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard};

const ACTIVATION_LIFETIME_MS: i64 = 15 * 60 * 1000;
/// How long after it ends a reusable number can be bought again.
const REUSE_WINDOW_MS: i64 = 24 * 3600 * 1000;
const MAX_RATING: i64 = 96;

/// A refusal as 5SIM words it: a status and a plain-text body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub status: u16,
    pub body: &'static str,
}

const fn refuse(status: u16, body: &'static str) -> Refusal {
    Refusal { status, body }
}

pub type EmResult<T> = Result<T, Refusal>;

/// 5SIM's docs show `no free phones` answered with 200 on a buy.
const DIALECT: Dialect = Dialect {
    no_numbers_status: 200,
    no_numbers_body: "no free phones",
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Activation,
    Hosting,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Received,
    Canceled,
    Timeout,
    Finished,
    Banned,
}

impl Status {
    fn wire(self) -> &'static str {
        match self {
            Status::Received => "RECEIVED",
            Status::Canceled => "CANCELED",
            Status::Timeout => "TIMEOUT",
            Status::Finished => "FINISHED",
            Status::Banned => "BANNED",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Sms {
    pub id: i64,
    pub at_ms: i64,
    pub sender: String,
    pub text: String,
    pub code: String,
}

#[derive(Clone, Debug)]
pub struct Order {
    pub id: i64,
    pub kind: Kind,
    pub phone: String,
    pub country: &'static str,
    pub operator: String,
    pub product: String,
    pub price: Decimal,
    pub status: Status,
    pub created_ms: i64,
    pub expires_ms: i64,
    pub ended_ms: Option<i64>,
    pub reusable: bool,
    pub sms: Vec<Sms>,
}

/// What the emulated account and its orders look like right now.
#[derive(Debug)]
pub struct State {
    pub balance: Decimal,
    pub rating: Decimal,
    pub orders: BTreeMap<i64, Order>,
    /// No open order ends before this: settling is free until then (every request settles).
    next_due_ms: i64,
    next_order_id: i64,
    next_sms_id: i64,
    /// Stock set through the control API, by (country, product); the catalogue's otherwise.
    pub stock: HashMap<(String, String), u64>,
    /// Prices set through the control API, by (country, product), for every operator: a
    /// provider whose price moved. The catalogue's otherwise.
    pub prices: HashMap<(String, String), Decimal>,
    /// The status `no free phones` is answered with on a buy (5SIM's docs say 200).
    pub no_free_phones_status: u16,
}

/// The emulator: shared state, the key it accepts, and the clock it reads.
#[derive(Clone, Debug)]
pub struct FiveSimEmulator {
    state: Arc<Mutex<State>>,
    api_key: Arc<str>,
    pub clock: Clock,
    /// Injected faults and the request log.
    pub traffic: Traffic,
    pub auto_sms: bool,
    /// `SANDBOX_CONTROL_TOKEN`, which the control API on the emulator's own port asks for too.
    pub control_token: Option<Arc<str>>,
}

impl FiveSimEmulator {
    pub fn new(api_key: &str, clock: Clock, auto_sms: bool) -> Self {
        FiveSimEmulator {
            state: Arc::new(Mutex::new(State {
                balance: Decimal::new(100_0000, 4),
                rating: Decimal::from(MAX_RATING),
                orders: BTreeMap::new(),
                next_due_ms: i64::MAX,
                next_order_id: super::first_order_id(&clock),
                next_sms_id: 900_000_001,
                stock: HashMap::new(),
                prices: HashMap::new(),
                no_free_phones_status: 200,
            })),
            api_key: Arc::from(api_key),
            traffic: Traffic::new(clock.clone(), DIALECT),
            clock,
            auto_sms,
            control_token: None,
        }
    }

    /// Asks callers of the control API on the emulator's own port for this token.
    pub fn with_control_token(mut self, token: Option<&str>) -> Self {
        self.control_token = token.map(Arc::from);
        self
    }

    pub fn accepts(&self, bearer: Option<&str>) -> bool {
        bearer == Some(&*self.api_key)
    }

    /// The state, with every order brought up to the clock's now (expiry, auto-finish).
    pub fn lock(&self) -> MutexGuard<'_, State> {
        let mut state = self.state.lock().expect("emulator lock");
        state.settle(self.clock.now_ms());
        state
    }

    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
    }
}

impl State {
    /// Expires what is due: activations with no SMS time out and are refunded; those with an
    /// SMS finish; hosting orders finish at their end.
    fn settle(&mut self, now: i64) {
        if now < self.next_due_ms {
            return;
        }
        let mut refunds = Decimal::ZERO;
        let mut timeouts = 0;
        self.next_due_ms = i64::MAX;
        for o in self.orders.values_mut() {
            if o.status != Status::Received {
                continue;
            }
            if now < o.expires_ms {
                self.next_due_ms = self.next_due_ms.min(o.expires_ms);
                continue;
            }
            o.ended_ms = Some(o.expires_ms);
            if o.kind == Kind::Activation && o.sms.is_empty() {
                o.status = Status::Timeout;
                refunds += o.price;
                timeouts += 1;
            } else {
                o.status = Status::Finished;
            }
        }
        self.balance += refunds;
        for _ in 0..timeouts {
            self.adjust_rating(Decimal::new(-35, 2));
        }
    }

    fn adjust_rating(&mut self, delta: Decimal) {
        self.rating = (self.rating + delta).clamp(Decimal::ZERO, Decimal::from(MAX_RATING));
    }

    fn open_orders(&self) -> usize {
        self.orders
            .values()
            .filter(|o| o.status == Status::Received)
            .count()
    }

    pub fn stock_of(&self, country: &catalog::CountryDef, product: &str, operator: &str) -> u64 {
        self.stock
            .get(&(country.name.to_owned(), product.to_owned()))
            .copied()
            .unwrap_or_else(|| country.stock(product, operator))
    }

    /// What `product` costs through `operator` (`base`: its catalogue price).
    pub fn price_of(
        &self,
        country: &catalog::CountryDef,
        product: &str,
        base: i64,
        operator: &str,
    ) -> Decimal {
        self.prices
            .get(&(country.name.to_owned(), product.to_owned()))
            .copied()
            .unwrap_or_else(|| country.price(base, operator))
    }

    fn take_stock(&mut self, country: &catalog::CountryDef, product: &str, operator: &str) {
        let left = self.stock_of(country, product, operator).saturating_sub(1);
        self.stock
            .insert((country.name.to_owned(), product.to_owned()), left);
    }

    /// Buys a number. `product` is a service (activation) or a hosting length.
    #[allow(clippy::too_many_arguments)]
    pub fn buy(
        &mut self,
        now: i64,
        kind: Kind,
        country: &str,
        operator: &str,
        product: &str,
        max_price: Option<Decimal>,
        reusable: bool,
    ) -> EmResult<Order> {
        if country.is_empty() {
            return Err(refuse(400, "select country"));
        }
        if operator.is_empty() {
            return Err(refuse(400, "select operator"));
        }
        let c = catalog::country(country).ok_or(refuse(400, "bad country"))?;
        if operator != "any" && !c.has_operator(operator) {
            return Err(refuse(400, "bad operator"));
        }
        let (base, lifetime_ms) = match kind {
            Kind::Activation => (
                catalog::service(product)
                    .ok_or(refuse(400, "no product"))?
                    .1,
                ACTIVATION_LIFETIME_MS,
            ),
            Kind::Hosting => {
                let h = catalog::hosting(product).ok_or(refuse(400, "no product"))?;
                (h.2, i64::from(h.1) * 3_600_000)
            }
        };
        let no_phones = refuse(self.no_free_phones_status, "no free phones");
        // Pick the operator: the one asked for, or the cheapest in stock within maxPrice
        // (5SIM honours maxPrice only with operator `any`).
        let candidates: Vec<&str> = if operator == "any" {
            c.operators.to_vec()
        } else {
            vec![operator]
        };
        let chosen = candidates
            .into_iter()
            .filter(|op| kind == Kind::Activation || c.hosts(op))
            .filter(|op| self.stock_of(c, product, op) > 0)
            .map(|op| (op, self.price_of(c, product, base, op)))
            .filter(|(_, price)| operator != "any" || max_price.is_none_or(|m| *price <= m))
            .min_by_key(|(_, price)| *price);
        let Some((op, price)) = chosen else {
            return Err(no_phones);
        };
        let limit: i64 = self.rating.floor().try_into().unwrap_or(0);
        // Counting open orders walks them all: only when there could be enough to matter.
        if self.rating < Decimal::ONE
            || (self.orders.len() as i64 >= limit && self.open_orders() as i64 >= limit)
        {
            return Err(refuse(400, "not enough rating"));
        }
        if self.balance < price {
            return Err(refuse(400, "not enough user balance"));
        }
        self.balance -= price;
        self.take_stock(c, product, op);
        let id = self.next_order_id;
        self.next_order_id += 1;
        let digits = 10 - c.prefix.len().min(4) + 1;
        let local = catalog::hash(&[c.name, &id.to_string()]) % 10u64.pow(digits as u32);
        let order = Order {
            id,
            kind,
            phone: format!("{}{:0width$}", c.prefix, local, width = digits),
            country: c.name,
            operator: op.to_owned(),
            product: product.to_owned(),
            price,
            status: Status::Received,
            created_ms: now,
            expires_ms: now + lifetime_ms,
            ended_ms: None,
            reusable,
            sms: Vec::new(),
        };
        self.next_due_ms = self.next_due_ms.min(order.expires_ms);
        self.orders.insert(id, order.clone());
        Ok(order)
    }

    pub fn order(&self, id: i64) -> EmResult<&Order> {
        self.orders.get(&id).ok_or(refuse(404, "order not found"))
    }

    fn order_mut(&mut self, id: i64) -> EmResult<&mut Order> {
        self.orders
            .get_mut(&id)
            .ok_or(refuse(400, "order not found"))
    }

    /// Cancel (or ban, which also refunds): only before any SMS, never for hosting.
    pub fn cancel(&mut self, now: i64, id: i64, ban: bool) -> EmResult<Order> {
        let o = self.order_mut(id)?;
        if o.kind == Kind::Hosting {
            return Err(refuse(400, "hosting order"));
        }
        match o.status {
            Status::Canceled | Status::Banned => return Ok(o.clone()),
            Status::Timeout => return Err(refuse(400, "order expired")),
            Status::Finished if o.sms.is_empty() => return Err(refuse(400, "order expired")),
            _ => {}
        }
        if !o.sms.is_empty() {
            return Err(refuse(400, "order has sms"));
        }
        o.status = if ban {
            Status::Banned
        } else {
            Status::Canceled
        };
        o.ended_ms = Some(now);
        let (price, order) = (o.price, o.clone());
        self.balance += price;
        self.adjust_rating(Decimal::new(-125, 3));
        Ok(order)
    }

    /// Finish: an activation needs its SMS first; a hosting order may end early (no refund).
    pub fn finish(&mut self, now: i64, id: i64) -> EmResult<Order> {
        let o = self.order_mut(id)?;
        match o.status {
            Status::Finished => return Ok(o.clone()),
            Status::Timeout => return Err(refuse(400, "order expired")),
            Status::Canceled | Status::Banned => return Err(refuse(400, "order not found")),
            Status::Received => {}
        }
        if o.kind == Kind::Activation && o.sms.is_empty() {
            return Err(refuse(400, "order no sms"));
        }
        o.status = Status::Finished;
        o.ended_ms = Some(now);
        let order = o.clone();
        self.adjust_rating(Decimal::new(5, 1));
        Ok(order)
    }

    /// A new activation on a number bought with `reuse=1`, for the same product.
    pub fn reuse(&mut self, now: i64, product: &str, number: &str) -> EmResult<Order> {
        let previous = self
            .orders
            .values()
            .filter(|o| {
                o.kind == Kind::Activation
                    && o.phone.trim_start_matches('+') == number
                    && o.product == product
            })
            .max_by_key(|o| o.id)
            .cloned()
            .ok_or(refuse(400, "reuse not possible"))?;
        if !previous.reusable {
            return Err(refuse(400, "reuse false"));
        }
        if previous.status == Status::Received {
            return Err(refuse(400, "reuse not possible"));
        }
        if previous
            .ended_ms
            .is_some_and(|end| now - end > REUSE_WINDOW_MS)
        {
            return Err(refuse(400, "reuse expired"));
        }
        if self.balance < previous.price {
            return Err(refuse(400, "not enough user balance"));
        }
        self.balance -= previous.price;
        let id = self.next_order_id;
        self.next_order_id += 1;
        let order = Order {
            id,
            status: Status::Received,
            created_ms: now,
            expires_ms: now + ACTIVATION_LIFETIME_MS,
            ended_ms: None,
            sms: Vec::new(),
            ..previous
        };
        self.next_due_ms = self.next_due_ms.min(order.expires_ms);
        self.orders.insert(id, order.clone());
        Ok(order)
    }

    /// Delivers an SMS to the live order with `id`, or the live order on `phone`.
    pub fn deliver(
        &mut self,
        now: i64,
        id: Option<i64>,
        phone: Option<&str>,
        sender: &str,
        text: &str,
    ) -> Option<Order> {
        let digits = |p: &str| p.chars().filter(char::is_ascii_digit).collect::<String>();
        let target = self
            .orders
            .values_mut()
            .filter(|o| o.status == Status::Received)
            .filter(|o| id.is_none_or(|id| o.id == id))
            .filter(|o| phone.is_none_or(|p| digits(&o.phone) == digits(p)))
            .max_by_key(|o| o.id)?;
        let sms = Sms {
            id: self.next_sms_id,
            at_ms: now,
            sender: sender.to_owned(),
            text: text.to_owned(),
            code: extract_code(text).unwrap_or_default(),
        };
        self.next_sms_id += 1;
        target.sms.push(sms);
        Some(target.clone())
    }
}

/// RFC 3339 with nanoseconds, as 5SIM writes times.
pub use traffic::time;

fn money(d: Decimal) -> Value {
    // 5SIM writes prices and balances as JSON numbers.
    serde_json::from_str(&d.normalize().to_string()).unwrap_or(Value::Null)
}

impl Sms {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "created_at": time(self.at_ms),
            "date": time(self.at_ms),
            "sender": self.sender,
            "text": self.text,
            "code": self.code,
        })
    }
}

impl Order {
    pub fn json(&self) -> Value {
        json!({
            "id": self.id,
            "phone": self.phone,
            "operator": self.operator,
            "product": self.product,
            "price": money(self.price),
            "status": self.status.wire(),
            "expires": time(self.expires_ms),
            "sms": if self.sms.is_empty() && self.kind == Kind::Activation { Value::Null } else { Value::Array(self.sms.iter().map(Sms::json).collect()) },
            "created_at": time(self.created_ms),
            "forwarding": false,
            "forwarding_number": "",
            "country": self.country,
        })
    }

    /// The answer to a buy: 5SIM shows a fresh order as `PENDING`.
    pub fn json_as_bought(&self) -> Value {
        let mut v = self.json();
        v["status"] = json!("PENDING");
        v
    }
}

/// The emulator's own server: 5SIM's API under `/sandbox/5sim/v1`, and the control API for
/// callers the guard trusts under `CONTROL_PATH`.
pub fn router(em: FiveSimEmulator) -> axum::Router {
    let token = em.control_token.clone();
    super::emulator_router(
        "/sandbox/5sim/v1",
        api::router(em.clone()),
        CONTROL_PATH,
        control::router(em),
        token,
    )
}

/// Where the emulator's control API lives on any router that mounts it.
pub const CONTROL_PATH: &str = "/sandbox/5sim/control";

/// Serves the emulator on its own listener; returns the base URL the 5SIM client should use.
pub async fn serve(em: FiveSimEmulator, addr: std::net::SocketAddr) -> std::io::Result<String> {
    if em.auto_sms {
        control::spawn_rental_chatter(em.clone());
    }
    let local = super::listen(router(em), addr, "5SIM").await?;
    Ok(format!("http://{local}/sandbox/5sim/v1"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> MutexGuard<'static, State> {
        let em = Box::leak(Box::new(FiveSimEmulator::new("k", Clock::default(), false)));
        em.lock()
    }

    #[test]
    fn a_buy_charges_and_a_timeout_refunds() {
        let mut s = state();
        let before = s.balance;
        let o = s
            .buy(
                0,
                Kind::Activation,
                "england",
                "any",
                "telegram",
                None,
                false,
            )
            .unwrap();
        assert!(o.phone.starts_with("+44"));
        assert_eq!(s.balance, before - o.price);
        s.settle(ACTIVATION_LIFETIME_MS);
        assert_eq!(s.orders[&o.id].status, Status::Timeout);
        assert_eq!(s.balance, before);
        assert!(s.rating < Decimal::from(MAX_RATING));
    }

    #[test]
    fn cancel_is_refused_once_an_sms_arrived_and_finish_needs_one() {
        let mut s = state();
        let o = s
            .buy(0, Kind::Activation, "usa", "any", "google", None, false)
            .unwrap();
        assert_eq!(s.finish(1, o.id).unwrap_err().body, "order no sms");
        s.deliver(2, Some(o.id), None, "Google", "G-123456 is your code")
            .unwrap();
        assert_eq!(s.cancel(3, o.id, false).unwrap_err().body, "order has sms");
        assert_eq!(s.orders[&o.id].sms[0].code, "123456");
        assert_eq!(s.finish(4, o.id).unwrap().status, Status::Finished);
    }

    #[test]
    fn hosting_orders_refuse_cancel_and_last_their_product() {
        let mut s = state();
        let o = s
            .buy(0, Kind::Hosting, "england", "any", "1day", None, false)
            .unwrap();
        assert_eq!(o.expires_ms, 24 * 3_600_000);
        assert_eq!(s.cancel(1, o.id, false).unwrap_err().body, "hosting order");
        assert_eq!(
            s.buy(0, Kind::Hosting, "england", "any", "2days", None, false)
                .unwrap_err()
                .body,
            "no product"
        );
    }

    #[test]
    fn bad_input_is_named_like_5sim_does() {
        let mut s = state();
        assert_eq!(
            s.buy(
                0,
                Kind::Activation,
                "narnia",
                "any",
                "telegram",
                None,
                false
            )
            .unwrap_err(),
            refuse(400, "bad country")
        );
        assert_eq!(
            s.buy(
                0,
                Kind::Activation,
                "england",
                "nope",
                "telegram",
                None,
                false
            )
            .unwrap_err(),
            refuse(400, "bad operator")
        );
        assert_eq!(
            s.buy(0, Kind::Activation, "england", "any", "nope", None, false)
                .unwrap_err(),
            refuse(400, "no product")
        );
        s.stock.insert(("england".into(), "telegram".into()), 0);
        assert_eq!(
            s.buy(
                0,
                Kind::Activation,
                "england",
                "any",
                "telegram",
                None,
                false
            )
            .unwrap_err(),
            refuse(200, "no free phones")
        );
        s.balance = Decimal::ZERO;
        assert_eq!(
            s.buy(0, Kind::Activation, "england", "any", "google", None, false)
                .unwrap_err(),
            refuse(400, "not enough user balance")
        );
    }

    #[test]
    fn max_price_picks_a_cheap_enough_operator_or_none() {
        let mut s = state();
        let o = s.buy(
            0,
            Kind::Activation,
            "england",
            "any",
            "telegram",
            Some(Decimal::new(1, 2)),
            false,
        );
        assert_eq!(o.unwrap_err().body, "no free phones");
        let o = s
            .buy(
                0,
                Kind::Activation,
                "england",
                "any",
                "telegram",
                Some(Decimal::from(100)),
                false,
            )
            .unwrap();
        assert!(o.price <= Decimal::from(100));
    }

    #[test]
    fn reuse_follows_the_rules() {
        let mut s = state();
        let plain = s
            .buy(
                0,
                Kind::Activation,
                "england",
                "any",
                "telegram",
                None,
                false,
            )
            .unwrap();
        let number = plain.phone.trim_start_matches('+').to_owned();
        s.deliver(1, Some(plain.id), None, "Telegram", "12345")
            .unwrap();
        s.finish(2, plain.id).unwrap();
        assert_eq!(
            s.reuse(3, "telegram", &number).unwrap_err().body,
            "reuse false"
        );
        let r = s
            .buy(0, Kind::Activation, "germany", "any", "discord", None, true)
            .unwrap();
        let number = r.phone.trim_start_matches('+').to_owned();
        assert_eq!(
            s.reuse(1, "discord", &number).unwrap_err().body,
            "reuse not possible"
        );
        s.deliver(1, Some(r.id), None, "Discord", "654321").unwrap();
        s.finish(2, r.id).unwrap();
        let again = s.reuse(3, "discord", &number).unwrap();
        assert_eq!(again.phone, r.phone);
        assert_ne!(again.id, r.id);
        s.deliver(4, Some(again.id), None, "Discord", "111111")
            .unwrap();
        s.finish(5, again.id).unwrap();
        assert_eq!(
            s.reuse(5 + REUSE_WINDOW_MS + 1, "discord", &number)
                .unwrap_err()
                .body,
            "reuse expired"
        );
        assert_eq!(
            s.reuse(6, "telegram", "000").unwrap_err().body,
            "reuse not possible"
        );
    }

    #[test]
    fn rating_limits_open_orders() {
        let mut s = state();
        s.rating = Decimal::from(2);
        s.buy(
            0,
            Kind::Activation,
            "russia",
            "any",
            "telegram",
            None,
            false,
        )
        .unwrap();
        s.buy(
            0,
            Kind::Activation,
            "russia",
            "any",
            "telegram",
            None,
            false,
        )
        .unwrap();
        assert_eq!(
            s.buy(
                0,
                Kind::Activation,
                "russia",
                "any",
                "telegram",
                None,
                false
            )
            .unwrap_err()
            .body,
            "not enough rating"
        );
    }
}
