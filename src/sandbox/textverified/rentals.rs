//! The emulator's rentals, bought through a sale: non-renewable lines, extended by the
//! contract's durations, and renewable ones, each in its own billing cycle. At the end of a
//! cycle the lines it includes for renewal are renewed and charged; one the balance cannot
//! pay for is overdue for a day (renewable by hand meanwhile), then expired. A cycle can also
//! be renewed early (`POST /billing-cycles/{id}/renew`), whether or not its line is included
//! in the automatic renewal. Billing-cycle webhooks are not sent.

use super::{catalog, refuse, short_of_money, EmResult, State, ANY_SERVICE, DURATIONS};
use rust_decimal::Decimal;

const HOUR_MS: i64 = 3_600_000;
pub const REFUND_WINDOW_MS: i64 = HOUR_MS;
/// How long a renewable line its cycle could not pay for stays overdue before it expires.
pub const OVERDUE_GRACE_MS: i64 = 24 * HOUR_MS;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RentalState {
    Active,
    /// Renewable only: its cycle ended unpaid; renewable by hand until the grace ends.
    Overdue,
    Expired,
    Refunded,
}

impl RentalState {
    /// Still takes SMS.
    pub fn is_open(self) -> bool {
        matches!(self, RentalState::Active | RentalState::Overdue)
    }
}

#[derive(Clone, Debug)]
pub struct Rental {
    pub id: String,
    pub number: String,
    pub service: String,
    pub state: RentalState,
    pub cost: Decimal,
    pub created_ms: i64,
    pub ends_ms: i64,
    /// A renewable line's billing cycle.
    pub billing_cycle: Option<String>,
    /// Whether the cycle's automatic renewal includes this line (`includeForRenewal`).
    pub included: bool,
    /// The duration it was bought for (what a reactivation buys again).
    pub duration: &'static str,
    /// Reactivated already: its number is in a newer rental.
    pub reactivated: bool,
}

impl Rental {
    pub fn renewable(&self) -> bool {
        self.billing_cycle.is_some()
    }

    /// The path segment of its kind: `renewable` or `nonrenewable`.
    pub fn kind(&self) -> &'static str {
        if self.renewable() {
            "renewable"
        } else {
            "nonrenewable"
        }
    }

    /// Its `ReservationState` on the wire.
    pub fn wire_state(&self) -> &'static str {
        match (self.renewable(), self.state) {
            (false, RentalState::Active) => "nonrenewableActive",
            (false, RentalState::Overdue | RentalState::Expired) => "nonrenewableExpired",
            (false, RentalState::Refunded) => "nonrenewableRefunded",
            (true, RentalState::Active) => "renewableActive",
            (true, RentalState::Overdue) => "renewableOverdue",
            (true, RentalState::Expired) => "renewableExpired",
            (true, RentalState::Refunded) => "renewableRefunded",
        }
    }
}

#[derive(Clone, Debug)]
pub struct BillingCycle {
    pub id: String,
    pub rental_id: String,
    pub hours: u32,
    /// What each renewal costs.
    pub price: Decimal,
    pub renewals: u32,
}

#[derive(Clone, Debug)]
pub struct Sale {
    pub id: String,
    pub created_ms: i64,
    pub total: Decimal,
    pub rental_id: String,
    pub service: String,
}

/// A rental's price (and a non-renewable extension's) for `duration`; renewable lines cost a
/// tenth less per cycle.
pub fn rental_price(duration: &str, renewable: bool) -> Option<Decimal> {
    let units: i64 = match duration {
        "oneDay" => 20_000,
        "threeDay" => 45_000,
        "sevenDay" => 80_000,
        "fourteenDay" => 140_000,
        "thirtyDay" => 250_000,
        _ => return None,
    };
    let units = if renewable { units * 9 / 10 } else { units };
    Some(Decimal::new(units, 4))
}

pub fn hours_of(duration: &str) -> Option<u32> {
    DURATIONS
        .iter()
        .find(|(d, _)| *d == duration)
        .map(|(_, h)| *h)
}

fn not_found<T>() -> EmResult<T> {
    refuse(404, "NotFound", "No such rental.")
}

impl State {
    /// Ends what ran out and renews the cycles due, as of `now`.
    pub(super) fn settle_rentals(&mut self, now: i64) {
        let due: Vec<String> = self
            .rentals
            .values()
            .filter(|r| match r.state {
                RentalState::Active => now >= r.ends_ms,
                RentalState::Overdue => now >= r.ends_ms + OVERDUE_GRACE_MS,
                _ => false,
            })
            .map(|r| r.id.clone())
            .collect();
        for id in due {
            loop {
                let r = &self.rentals[&id];
                if r.state == RentalState::Overdue {
                    self.set_state(&id, RentalState::Expired);
                    break;
                }
                if !(r.renewable() && r.included) {
                    self.set_state(&id, RentalState::Expired);
                    break;
                }
                if self.renew(&id).is_err() {
                    let overdue = now < self.rentals[&id].ends_ms + OVERDUE_GRACE_MS;
                    let state = if overdue {
                        RentalState::Overdue
                    } else {
                        RentalState::Expired
                    };
                    self.set_state(&id, state);
                    break;
                }
                if now < self.rentals[&id].ends_ms {
                    break;
                }
            }
        }
    }

    fn set_state(&mut self, id: &str, state: RentalState) {
        if let Some(r) = self.rentals.get_mut(id) {
            r.state = state;
        }
    }

    /// One more cycle for a renewable line, charged now.
    fn renew(&mut self, id: &str) -> EmResult<()> {
        let Some(cycle) = self.rentals[id].billing_cycle.clone() else {
            return refuse(400, "ProcessingError", "Only renewable rentals renew.");
        };
        let (price, hours) = {
            let c = &self.billing_cycles[&cycle];
            (c.price, c.hours)
        };
        if self.balance < price {
            return short_of_money();
        }
        self.balance -= price;
        let r = self.rentals.get_mut(id).expect("renewing a known rental");
        r.ends_ms += i64::from(hours) * HOUR_MS;
        r.cost += price;
        r.state = RentalState::Active;
        self.billing_cycles
            .get_mut(&cycle)
            .expect("the rental's cycle")
            .renewals += 1;
        Ok(())
    }

    pub fn create_rental(
        &mut self,
        now: i64,
        service: &str,
        duration: &str,
        renewable: bool,
    ) -> EmResult<Sale> {
        let (Some(price), Some(_)) = (rental_price(duration, renewable), hours_of(duration)) else {
            return refuse(
                400,
                "InvalidDuration",
                format!("Unknown duration {duration}."),
            );
        };
        if service != ANY_SERVICE && catalog::service(service).is_none() {
            return refuse(
                400,
                "InvalidServiceName",
                format!("Unknown service {service}."),
            );
        }
        let duration = DURATIONS
            .iter()
            .map(|(d, _)| *d)
            .find(|d| *d == duration)
            .expect("a duration with a price");
        let number = self.take(ANY_SERVICE, price)?;
        self.new_rental(now, service, duration, renewable, price, number)
    }

    /// A rental on `number`, and the sale it was bought in.
    fn new_rental(
        &mut self,
        now: i64,
        service: &str,
        duration: &'static str,
        renewable: bool,
        price: Decimal,
        number: String,
    ) -> EmResult<Sale> {
        let hours = hours_of(duration).expect("a known duration");
        let id = self.next_id("ren");
        let billing_cycle = renewable.then(|| {
            let cycle = BillingCycle {
                id: self.next_id("bc"),
                rental_id: id.clone(),
                hours,
                price,
                renewals: 0,
            };
            let cycle_id = cycle.id.clone();
            self.billing_cycles.insert(cycle_id.clone(), cycle);
            cycle_id
        });
        let rental = Rental {
            id: id.clone(),
            number,
            service: service.to_owned(),
            state: RentalState::Active,
            cost: price,
            created_ms: now,
            ends_ms: now + i64::from(hours) * HOUR_MS,
            billing_cycle,
            included: renewable,
            duration,
            reactivated: false,
        };
        let sale = Sale {
            id: self.next_id("sale"),
            created_ms: now,
            total: price,
            rental_id: id,
            service: service.to_owned(),
        };
        self.rentals.insert(rental.id.clone(), rental);
        self.sales.insert(sale.id.clone(), sale.clone());
        Ok(sale)
    }

    pub fn rental(&self, id: &str) -> EmResult<&Rental> {
        self.rentals.get(id).map_or_else(not_found, Ok)
    }

    /// A rental under its own kind's paths only (`renewable` or not).
    pub fn rental_of_kind(&self, id: &str, renewable: bool) -> EmResult<&Rental> {
        match self.rentals.get(id) {
            Some(r) if r.renewable() == renewable => Ok(r),
            _ => not_found(),
        }
    }

    pub fn can_refund(&self, r: &Rental, now: i64) -> bool {
        r.state.is_open() && now <= r.created_ms + REFUND_WINDOW_MS
    }

    pub fn refund(&mut self, now: i64, id: &str, renewable: bool) -> EmResult<()> {
        let r = self.rental_of_kind(id, renewable)?.clone();
        if !self.can_refund(&r, now) {
            return refuse(400, "NotRefundable", "This rental cannot be refunded.");
        }
        self.balance += r.cost;
        self.set_state(id, RentalState::Refunded);
        Ok(())
    }

    /// `duration` more for an active non-renewable rental, charged now and not refundable.
    pub fn extend(&mut self, now: i64, id: &str, duration: &str) -> EmResult<serde_json::Value> {
        let r = self.rental(id)?.clone();
        let (Some(price), Some(hours)) = (rental_price(duration, false), hours_of(duration)) else {
            return refuse(
                400,
                "InvalidDuration",
                format!("Unknown duration {duration}."),
            );
        };
        if r.state != RentalState::Active || r.renewable() {
            return refuse(
                400,
                "ProcessingError",
                "Only an active non-renewable rental can be extended.",
            );
        }
        if self.balance < price {
            return short_of_money();
        }
        self.balance -= price;
        let new_end = r.ends_ms + i64::from(hours) * HOUR_MS;
        self.rentals.get_mut(id).expect("found above").ends_ms = new_end;
        Ok(serde_json::json!({
            "id": self.next_id("ext"),
            "reservationId": id,
            "extensionAmount": format!("{}.00:00:00", hours / 24),
            "cost": super::number(price),
            "createdAt": super::time(now),
            "originalEndsAt": super::time(r.ends_ms),
            "newEndsAt": super::time(new_end),
        }))
    }

    /// What reactivating the expired line `id` costs: its duration again, non-renewable.
    pub fn reactivation_price(&self, id: &str) -> EmResult<Decimal> {
        let r = self.rental(id)?;
        if r.state != RentalState::Expired || r.reactivated {
            return refuse(400, "ProcessingError", "This rental cannot be reactivated.");
        }
        Ok(rental_price(r.duration, false).expect("a duration with a price"))
    }

    /// `POST /reservations/rental/{id}/reactivate`: the expired line's number rented again
    /// for its duration, as a new non-renewable rental, at no more than `max_price`.
    pub fn reactivate(&mut self, now: i64, id: &str, max_price: Decimal) -> EmResult<Sale> {
        let price = self.reactivation_price(id)?;
        if price > max_price {
            return refuse(
                400,
                "PricingFailure",
                format!("Reactivating costs {price}, above maxPrice."),
            );
        }
        if self.balance < price {
            return short_of_money();
        }
        self.balance -= price;
        let old = self.rental(id)?.clone();
        self.rentals.get_mut(id).expect("found above").reactivated = true;
        self.new_rental(now, &old.service, old.duration, false, price, old.number)
    }

    /// `POST /billing-cycles/{id}/renew`: the cycle's line renewed now, for one more cycle.
    pub fn renew_cycle(&mut self, cycle: &str) -> EmResult<()> {
        let Some(rental) = self.billing_cycles.get(cycle).map(|c| c.rental_id.clone()) else {
            return refuse(404, "NotFound", "No such billing cycle.");
        };
        if !self.rentals[&rental].state.is_open() {
            return refuse(
                400,
                "ProcessingError",
                "This billing cycle has no active rental.",
            );
        }
        self.renew(&rental)
    }

    /// `POST /reservations/rental/renewable/{id}/renew`: an overdue line only.
    pub fn renew_overdue(&mut self, id: &str) -> EmResult<()> {
        if self.rental_of_kind(id, true)?.state != RentalState::Overdue {
            return refuse(
                400,
                "ProcessingError",
                "Only an overdue rental can be renewed.",
            );
        }
        self.renew(id)
    }

    /// `POST /reservations/rental/renewable/{id}`: `includeForRenewal`.
    pub fn include_for_renewal(&mut self, id: &str, included: bool) -> EmResult<()> {
        self.rental_of_kind(id, true)?;
        self.rentals.get_mut(id).expect("found above").included = included;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::time;
    use super::*;

    const DAY_MS: i64 = 24 * HOUR_MS;

    #[test]
    fn non_renewable_rentals_refund_in_their_first_hour_and_extend() {
        let mut s = State::new(1);
        let sale = s.create_rental(0, ANY_SERVICE, "oneDay", false).unwrap();
        let id = sale.rental_id.clone();
        let extended = s.extend(1, &id, "threeDay").unwrap();
        assert_eq!(extended["newEndsAt"], time(96 * HOUR_MS));
        assert_eq!(
            s.refund(REFUND_WINDOW_MS + 1, &id, false).unwrap_err().code,
            "NotRefundable"
        );
        let other = s
            .create_rental(0, ANY_SERVICE, "oneDay", false)
            .unwrap()
            .rental_id;
        let before = s.balance;
        s.refund(60_000, &other, false).unwrap();
        assert_eq!(s.balance, before + rental_price("oneDay", false).unwrap());
        assert_eq!(
            s.extend(2, &other, "oneDay").unwrap_err().code,
            "ProcessingError"
        );
    }

    #[test]
    fn renewable_rentals_renew_with_their_cycle_fall_overdue_unpaid_and_expire_after_grace() {
        let mut s = State::new(1);
        let price = rental_price("oneDay", true).unwrap();
        let id = s
            .create_rental(0, ANY_SERVICE, "oneDay", true)
            .unwrap()
            .rental_id;
        assert_eq!(s.rentals[&id].wire_state(), "renewableActive");
        assert_eq!(
            s.extend(1, &id, "oneDay").unwrap_err().code,
            "ProcessingError"
        );
        assert_eq!(s.rental_of_kind(&id, false).unwrap_err().status, 404);

        // Included: renewed and charged at the end of each cycle, two cycles at once too.
        let before = s.balance;
        s.settle_rentals(2 * DAY_MS + 5);
        assert_eq!(s.rentals[&id].ends_ms, 3 * DAY_MS);
        assert_eq!(s.balance, before - price - price);

        // Renewed early by hand: one more cycle from the end.
        let cycle = s.rentals[&id].billing_cycle.clone().unwrap();
        s.renew_cycle(&cycle).unwrap();
        assert_eq!(s.rentals[&id].ends_ms, 4 * DAY_MS);

        // The balance runs out: overdue, renewable by hand, and expired after the grace.
        s.balance = Decimal::ZERO;
        s.settle_rentals(4 * DAY_MS);
        assert_eq!(s.rentals[&id].wire_state(), "renewableOverdue");
        s.balance = price;
        s.renew_overdue(&id).unwrap();
        assert_eq!(s.rentals[&id].wire_state(), "renewableActive");
        assert_eq!(s.rentals[&id].ends_ms, 5 * DAY_MS);
        s.balance = Decimal::ZERO;
        s.settle_rentals(5 * DAY_MS + OVERDUE_GRACE_MS);
        assert_eq!(s.rentals[&id].wire_state(), "renewableExpired");
        assert_eq!(s.renew_cycle(&cycle).unwrap_err().code, "ProcessingError");

        // Expired: its number can be rented again, once, for its duration.
        assert_eq!(
            s.reactivation_price(&id).unwrap(),
            rental_price("oneDay", false).unwrap()
        );
        s.balance = Decimal::TEN;
        let number = s.rentals[&id].number.clone();
        let again = s
            .reactivate(6 * DAY_MS, &id, Decimal::TEN)
            .unwrap()
            .rental_id;
        assert_eq!(s.rentals[&again].number, number);
        assert_eq!(s.rentals[&again].ends_ms, 7 * DAY_MS);
        assert_eq!(s.rentals[&again].wire_state(), "nonrenewableActive");
        assert_eq!(
            s.reactivate(6 * DAY_MS, &id, Decimal::TEN)
                .unwrap_err()
                .code,
            "ProcessingError"
        );
        assert_eq!(
            s.reactivation_price(&again).unwrap_err().code,
            "ProcessingError",
            "an active line is not reactivated"
        );

        // Not included: runs out at the end of its cycle.
        s.balance = price;
        let other = s
            .create_rental(0, ANY_SERVICE, "oneDay", true)
            .unwrap()
            .rental_id;
        s.include_for_renewal(&other, false).unwrap();
        s.settle_rentals(DAY_MS);
        assert_eq!(s.rentals[&other].wire_state(), "renewableExpired");
    }
}
