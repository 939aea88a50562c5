//! Rental rules: what a rental costs, what extending it costs, what releasing it early gives
//! back, and the states it moves through. Pure, so the UI can show the same numbers it will
//! be charged.

use crate::domain::pricing::money_up;
use crate::domain::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

pub const MS_PER_HOUR: i64 = 3_600_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RentalStatus {
    Active,
    Expired,
    Released,
    /// The provider never delivered a number; nothing was charged.
    Failed,
}

impl RentalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RentalStatus::Active => "active",
            RentalStatus::Expired => "expired",
            RentalStatus::Released => "released",
            RentalStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(RentalStatus::Active),
            "expired" => Some(RentalStatus::Expired),
            "released" => Some(RentalStatus::Released),
            "failed" => Some(RentalStatus::Failed),
            _ => None,
        }
    }
}

/// The rates that turn provider prices into ours (from the environment).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RentalRates {
    /// `PRICE_MARKUP`: our price is the provider's times this (≥ 1).
    pub markup: Decimal,
    /// `RENTAL_EXTENSION_RATE`: an extra hour costs this fraction of the rental's hourly price.
    pub extension: Decimal,
    /// `RENTAL_RELEASE_REFUND_RATE`: an unused hour is refunded at this fraction of it.
    pub release_refund: Decimal,
}

/// The upstream product a rental is bought as: its length and the provider's price for it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct UpstreamProduct {
    pub hours: u32,
    pub price: Decimal,
}

/// The rental lengths we sell, in hours, wherever an upstream product covers them. A length
/// shorter than its product leaves room in the upstream order to extend into.
pub const STANDARD_HOURS: [u32; 12] = [1, 2, 3, 6, 12, 24, 48, 72, 168, 240, 360, 720];

/// The shortest product that covers `hours`.
pub fn covering(products: &[UpstreamProduct], hours: u32) -> Option<UpstreamProduct> {
    products
        .iter()
        .filter(|p| p.hours >= hours)
        .min_by_key(|p| p.hours)
        .copied()
}

/// The lengths on sale given the provider's products: each standard length some product
/// covers, and each product's own length; shortest first, each with the product it is bought as.
pub fn offered_lengths(products: &[UpstreamProduct]) -> Vec<(u32, UpstreamProduct)> {
    let mut hours: Vec<u32> = STANDARD_HOURS
        .iter()
        .copied()
        .chain(products.iter().map(|p| p.hours))
        .collect();
    hours.sort_unstable();
    hours.dedup();
    hours
        .into_iter()
        .filter_map(|h| covering(products, h).map(|p| (h, p)))
        .collect()
}

fn money_down(d: Decimal) -> Money {
    let rounded = d
        .round_dp_with_strategy(4, RoundingStrategy::ToZero)
        .max(Decimal::ZERO);
    Money::try_from(rounded).unwrap_or(Money::ZERO)
}

/// The price of `hours` more: that many hours at the rental's hourly price times the extension
/// rate, never below what the provider charges for them (`provider_cost`, zero when the time
/// is already paid upstream).
pub fn extension_price(
    hours: u32,
    hourly: Decimal,
    rates: RentalRates,
    provider_cost: Decimal,
) -> Money {
    let ours = hourly * rates.extension * Decimal::from(hours);
    money_up(ours.max(provider_cost))
}

/// What `hours` more cost at `per_hour` (a rental's hourly price times the extension rate),
/// rounded as the server charges them; the UI shows it before the customer confirms.
pub fn extension_quote(hours: u32, per_hour: Decimal) -> Money {
    money_up(per_hour * Decimal::from(hours))
}

/// What a rental of `hours` bought at `price` costs over its first 30 days if it auto-renews
/// by its own length at `renewal` each time: every period that starts within the 30 days.
pub fn month_with_renewals(hours: u32, price: Money, renewal: Money) -> Money {
    let hours = hours.max(1);
    let periods = 720u32.div_ceil(hours).max(1);
    Money::from_units(
        price
            .units()
            .saturating_add(renewal.units().saturating_mul(i64::from(periods - 1))),
    )
}

/// What releasing early gives back: the unused *whole* hours at the hourly price times the
/// refund rate, never more than was paid and never negative.
pub fn release_refund(
    now_ms: i64,
    expires_ms: i64,
    hourly: Decimal,
    rates: RentalRates,
    paid: Money,
) -> Money {
    let unused_hours = ((expires_ms - now_ms).max(0) / MS_PER_HOUR) as u64;
    let refund = money_down(hourly * rates.release_refund * Decimal::from(unused_hours));
    refund.min(paid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pricing::{price, Item, Price, PricingPolicy, Standing};
    use proptest::prelude::*;

    /// A rental's price under the default policy, for a standard customer.
    fn quote(hours: u32, product: UpstreamProduct, rates: RentalRates) -> Price {
        price(
            rates.markup,
            &PricingPolicy::default(),
            Standing::default(),
            Item::Rental { hours, product },
        )
    }

    fn rates() -> RentalRates {
        RentalRates {
            markup: Decimal::new(15, 1),
            extension: Decimal::new(5, 1),
            release_refund: Decimal::new(5, 1),
        }
    }

    fn day(price: &str) -> UpstreamProduct {
        UpstreamProduct {
            hours: 24,
            price: price.parse().unwrap(),
        }
    }

    #[test]
    fn a_whole_product_costs_its_price_times_the_markup() {
        let q = quote(24, day("2.40"), rates());
        assert_eq!(q.amount.to_string(), "3.6000");
        assert_eq!(q.hourly, "0.15".parse().unwrap());
    }

    #[test]
    fn part_of_a_product_is_pro_rata_but_never_below_cost() {
        assert_eq!(quote(20, day("2.40"), rates()).amount.to_string(), "3.0000");
        assert_eq!(
            quote(4, day("2.40"), rates()).amount.to_string(),
            "2.4000",
            "floored at the provider's price"
        );
    }

    #[test]
    fn lengths_on_sale_are_the_standard_ones_each_product_covers() {
        let products = [
            UpstreamProduct {
                hours: 24,
                price: Decimal::ONE,
            },
            UpstreamProduct {
                hours: 3,
                price: Decimal::ONE,
            },
            UpstreamProduct {
                hours: 100,
                price: Decimal::ONE,
            },
        ];
        let lengths: Vec<(u32, u32)> = offered_lengths(&products)
            .iter()
            .map(|(h, p)| (*h, p.hours))
            .collect();
        assert_eq!(
            lengths,
            [
                (1, 3),
                (2, 3),
                (3, 3),
                (6, 24),
                (12, 24),
                (24, 24),
                (48, 100),
                (72, 100),
                (100, 100)
            ]
        );
        assert_eq!(covering(&products, 101), None);
    }

    #[test]
    fn a_month_of_renewals_by_hand() {
        let m = |s: &str| s.parse::<Money>().unwrap();
        // A day at 3.00 renewed at 1.50: 30 periods start within 30 days, 29 of them renewals.
        assert_eq!(month_with_renewals(24, m("3"), m("1.5")), m("46.5"));
        // A week: periods start on days 0, 7, 14, 21 and 28.
        assert_eq!(month_with_renewals(168, m("10"), m("5")), m("30"));
        // 30 days or more: the purchase alone.
        assert_eq!(month_with_renewals(720, m("40"), m("20")), m("40"));
        assert_eq!(month_with_renewals(2160, m("90"), m("45")), m("90"));
    }

    #[test]
    fn extensions_and_refunds() {
        let q = quote(20, day("2.40"), rates());
        assert_eq!(
            extension_price(4, q.hourly, rates(), Decimal::ZERO).to_string(),
            "0.3000"
        );
        assert_eq!(
            extension_price(4, q.hourly, rates(), Decimal::ONE).to_string(),
            "1.0000"
        );
        // 10.5 hours left: 10 whole hours refunded at half the hourly price.
        let r = release_refund(
            0,
            10 * MS_PER_HOUR + MS_PER_HOUR / 2,
            q.hourly,
            rates(),
            q.amount,
        );
        assert_eq!(r.to_string(), "0.7500");
        assert_eq!(
            release_refund(5, 0, q.hourly, rates(), q.amount),
            Money::ZERO
        );
    }

    proptest! {
        #[test]
        fn the_quote_shown_before_extending_is_what_is_charged(
            price_cents in 1i64..100_000,
            hours in 1u32..=720,
            extra in 1u32..=720,
        ) {
            let product = UpstreamProduct { hours: 720, price: Decimal::new(price_cents, 2) };
            let q = quote(hours, product, rates());
            prop_assert_eq!(
                extension_quote(extra, q.hourly * rates().extension),
                extension_price(extra, q.hourly, rates(), Decimal::ZERO)
            );
        }

        #[test]
        fn refunds_are_never_negative_nor_more_than_paid(
            price_cents in 1i64..100_000,
            hours in 1u32..=720,
            product_hours in prop::sample::select(vec![3u32, 24, 240, 720]),
            used_ms in 0i64..(800 * MS_PER_HOUR),
            markup_pct in 100i64..400,
            refund_pct in 0i64..=100,
        ) {
            let rates = RentalRates {
                markup: Decimal::new(markup_pct, 2),
                extension: Decimal::new(5, 1),
                release_refund: Decimal::new(refund_pct, 2),
            };
            let product = UpstreamProduct { hours: product_hours.max(hours), price: Decimal::new(price_cents, 2) };
            let q = quote(hours, product, rates);
            prop_assert!(q.amount.decimal() >= product.price, "never below the provider's price");
            let expires = i64::from(hours) * MS_PER_HOUR;
            let refund = release_refund(used_ms, expires, q.hourly, rates, q.amount);
            prop_assert!(!refund.is_negative());
            prop_assert!(refund <= q.amount);
        }

        #[test]
        fn an_extension_is_never_quoted_below_its_cost(
            hourly_units in 0i64..1_000_000,
            hours in 1u32..=720,
            cost_units in 0i64..10_000_000,
            rate_pct in 0i64..=200,
        ) {
            let rates = RentalRates { markup: Decimal::ONE, extension: Decimal::new(rate_pct, 2), release_refund: Decimal::ONE };
            let cost = Decimal::new(cost_units, 4);
            let price = extension_price(hours, Decimal::new(hourly_units, 4), rates, cost);
            prop_assert!(price.decimal() >= cost);
            prop_assert!(!price.is_negative());
        }
    }
}
