//! Prices. [`price`] is the one place a purchase's price is computed, from the provider's
//! cost, the markup (`PRICE_MARKUP`), the operators' [`PricingPolicy`] (duration bands, tiers,
//! volume discounts) and the customer's [`Standing`] under it. The catalogue shows what it
//! returns and the purchase charges what it returns, so the quote shown is the amount charged.
//!
//! A rental's hours are charged in bands, like tax brackets: its first 24 hours at the hourly
//! band's rate, the hours up to a week at the daily band's, up to 30 days at the weekly band's,
//! and beyond at the monthly band's, each a fraction of the provider's hourly price times the
//! markup. Rates may only fall from band to band, so a longer rental never costs less in all
//! and never more per hour: a 30-day rental costs less per hour than 30 one-day rentals once
//! the bands are below the hourly one. The tier's discount, then the volume discount, apply
//! once each; no price is ever below what the provider charges.

use super::rental::UpstreamProduct;
use super::Money;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

/// Where each duration band starts, in hours: hourly, daily, weekly, monthly.
pub const BAND_STARTS: [u32; 4] = [0, 24, 168, 720];
/// The tier every customer is in until an operator moves them.
pub const STANDARD_TIER: &str = "standard";
/// The largest discount a tier or a volume step may give.
pub const MOST_DISCOUNT: Decimal = Decimal::from_parts(9, 0, 0, false, 1);
/// The most tiers and volume steps a policy may have.
pub const MOST_TIERS: usize = 20;
pub const MOST_VOLUME_STEPS: usize = 20;

/// Each band's rate, as a fraction of the provider's hourly price times the markup.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct BandRates {
    /// The first 24 hours.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "1"))]
    pub hourly: Decimal,
    /// Hours 24 to 168 (a week).
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.9"))]
    pub daily: Decimal,
    /// Hours 168 to 720 (30 days).
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.8"))]
    pub weekly: Decimal,
    /// Hours from 720 on.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.7"))]
    pub monthly: Decimal,
}

impl BandRates {
    fn in_order(&self) -> [Decimal; 4] {
        [self.hourly, self.daily, self.weekly, self.monthly]
    }
}

/// A customer tier and the discount it gives on every purchase.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Tier {
    pub name: String,
    /// A fraction: `0.1` takes 10 % off.
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.1"))]
    pub discount: Decimal,
}

/// A discount for customers who spent at least `min_spend` in the last 30 days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct VolumeStep {
    pub min_spend: Money,
    #[cfg_attr(feature = "ssr", schema(value_type = String, example = "0.05"))]
    pub discount: Decimal,
}

/// What operators set: the duration bands, the tiers and the volume discounts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct PricingPolicy {
    pub bands: BandRates,
    pub tiers: Vec<Tier>,
    /// Ascending by `min_spend`; the highest step reached applies.
    pub volume: Vec<VolumeStep>,
}

impl Default for PricingPolicy {
    /// Flat bands, three tiers, no volume discounts: prices are the provider's times the
    /// markup until operators set otherwise.
    fn default() -> Self {
        let rate = |r: i64, scale: u32| Decimal::new(r, scale);
        PricingPolicy {
            bands: BandRates {
                hourly: Decimal::ONE,
                daily: Decimal::ONE,
                weekly: Decimal::ONE,
                monthly: Decimal::ONE,
            },
            tiers: vec![
                Tier {
                    name: STANDARD_TIER.to_owned(),
                    discount: Decimal::ZERO,
                },
                Tier {
                    name: "pro".to_owned(),
                    discount: rate(5, 2),
                },
                Tier {
                    name: "reseller".to_owned(),
                    discount: rate(1, 1),
                },
            ],
            volume: Vec::new(),
        }
    }
}

/// What is wrong with a policy: the field (`bands.daily`, `tiers[1].name` …) and why.
pub type PolicyError = (String, String);

impl PricingPolicy {
    /// Checks it can price: band rates positive and never rising; tiers named, unique, with
    /// `standard` among them; discounts from 0 to 0.9; volume steps rising.
    pub fn check(&self) -> Result<(), PolicyError> {
        let names = ["hourly", "daily", "weekly", "monthly"];
        let rates = self.bands.in_order();
        for (i, (name, rate)) in names.iter().zip(rates).enumerate() {
            let field = format!("bands.{name}");
            if rate <= Decimal::ZERO || rate > Decimal::TWO {
                return Err((field, "must be more than 0 and at most 2".to_owned()));
            }
            if i > 0 && rate > rates[i - 1] {
                return Err((
                    field,
                    format!("must not be above the {} band's rate", names[i - 1]),
                ));
            }
        }
        if self.tiers.len() > MOST_TIERS {
            return Err(("tiers".into(), format!("at most {MOST_TIERS}")));
        }
        for (i, tier) in self.tiers.iter().enumerate() {
            let valid = (1..=32).contains(&tier.name.len())
                && tier
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
            if !valid {
                return Err((
                    format!("tiers[{i}].name"),
                    "must be 1 to 32 lower-case letters, digits or hyphens".to_owned(),
                ));
            }
            if self.tiers[..i].iter().any(|t| t.name == tier.name) {
                return Err((format!("tiers[{i}].name"), "is named twice".to_owned()));
            }
            check_discount(tier.discount, format!("tiers[{i}].discount"))?;
        }
        if self.tier(STANDARD_TIER).is_none() {
            return Err((
                "tiers".into(),
                format!("must include `{STANDARD_TIER}`, every customer's tier until moved"),
            ));
        }
        if self.volume.len() > MOST_VOLUME_STEPS {
            return Err(("volume".into(), format!("at most {MOST_VOLUME_STEPS}")));
        }
        for (i, step) in self.volume.iter().enumerate() {
            if !step.min_spend.is_positive() {
                return Err((format!("volume[{i}].min_spend"), "must be positive".into()));
            }
            check_discount(step.discount, format!("volume[{i}].discount"))?;
            if let Some(before) = i.checked_sub(1).map(|j| &self.volume[j]) {
                if step.min_spend <= before.min_spend || step.discount < before.discount {
                    return Err((
                        format!("volume[{i}]"),
                        "steps must rise: each spends more than the one before and gives no less"
                            .into(),
                    ));
                }
            }
        }
        Ok(())
    }

    pub fn tier(&self, name: &str) -> Option<&Tier> {
        self.tiers.iter().find(|t| t.name == name)
    }

    /// A customer's standing: their tier's discount (a tier no longer in the policy counts as
    /// none) and the volume discount their last 30 days of spend reach.
    pub fn standing(&self, tier: &str, spend_30_days: Money) -> Standing {
        Standing {
            tier_discount: self.tier(tier).map_or(Decimal::ZERO, |t| t.discount),
            volume_discount: self
                .volume
                .iter()
                .rev()
                .find(|s| spend_30_days >= s.min_spend)
                .map_or(Decimal::ZERO, |s| s.discount),
        }
    }
}

/// The policy as the console's form holds it: each band's rate, and the tiers and volume
/// steps one per line (`pro 0.05`, `100.00 0.05`).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PolicyForm {
    pub hourly: String,
    pub daily: String,
    pub weekly: String,
    pub monthly: String,
    pub tiers: String,
    pub volume: String,
}

impl PolicyForm {
    pub fn of(policy: &PricingPolicy) -> Self {
        let b = &policy.bands;
        PolicyForm {
            hourly: b.hourly.normalize().to_string(),
            daily: b.daily.normalize().to_string(),
            weekly: b.weekly.normalize().to_string(),
            monthly: b.monthly.normalize().to_string(),
            tiers: policy
                .tiers
                .iter()
                .map(|t| format!("{} {}", t.name, t.discount.normalize()))
                .collect::<Vec<_>>()
                .join("\n"),
            volume: policy
                .volume
                .iter()
                .map(|s| {
                    format!(
                        "{} {}",
                        s.min_spend.decimal().round_dp(2),
                        s.discount.normalize()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        }
    }

    /// The policy it describes, checked; the error names the field (`bands.daily`, `tiers`).
    pub fn policy(&self) -> Result<PricingPolicy, PolicyError> {
        let rate = |name: &str, raw: &str| {
            raw.trim().parse::<Decimal>().map_err(|_| {
                (
                    format!("bands.{name}"),
                    "must be a number such as 0.9".to_owned(),
                )
            })
        };
        let policy = PricingPolicy {
            bands: BandRates {
                hourly: rate("hourly", &self.hourly)?,
                daily: rate("daily", &self.daily)?,
                weekly: rate("weekly", &self.weekly)?,
                monthly: rate("monthly", &self.monthly)?,
            },
            tiers: lines(&self.tiers, "tiers", |name, discount| {
                Some(Tier {
                    name: name.to_owned(),
                    discount: discount.parse().ok()?,
                })
            })?,
            volume: lines(&self.volume, "volume", |spend, discount| {
                Some(VolumeStep {
                    min_spend: spend.parse().ok()?,
                    discount: discount.parse().ok()?,
                })
            })?,
        };
        // The form has one field per list: an entry's fault names the list and the entry.
        policy
            .check()
            .map_err(|(field, message)| match field.split_once('[') {
                None => (field, message),
                Some((list, rest)) => {
                    let (index, part) = rest.split_once(']').unwrap_or((rest, ""));
                    let entry = index.parse::<usize>().map_or(0, |i| i + 1);
                    let part = part.trim_start_matches('.');
                    let part = if part.is_empty() {
                        String::new()
                    } else {
                        format!(", {part}")
                    };
                    (list.to_owned(), format!("(entry {entry}{part}) {message}"))
                }
            })?;
        Ok(policy)
    }
}

/// The non-blank lines of `text`, each two words read by `read`; a line that is not names
/// `field` and its number.
fn lines<T>(
    text: &str,
    field: &str,
    read: impl Fn(&str, &str) -> Option<T>,
) -> Result<Vec<T>, PolicyError> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            let words: Vec<&str> = line.split_whitespace().collect();
            match words[..] {
                [a, b] => read(a, b),
                _ => None,
            }
            .ok_or_else(|| {
                (
                    field.to_owned(),
                    format!("line {} must be two values, like the examples", i + 1),
                )
            })
        })
        .collect()
}

fn check_discount(discount: Decimal, field: String) -> Result<(), PolicyError> {
    if discount < Decimal::ZERO || discount > MOST_DISCOUNT {
        return Err((field, "must be from 0 to 0.9".to_owned()));
    }
    Ok(())
}

/// The discounts a customer gets, as fractions.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Standing {
    pub tier_discount: Decimal,
    pub volume_discount: Decimal,
}

/// What is being priced.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Item {
    /// A verification the provider sells at `cost`.
    Activation { cost: Decimal },
    /// A rental of `hours` bought as the upstream `product` (which covers them).
    Rental {
        hours: u32,
        product: UpstreamProduct,
    },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Price {
    /// What the customer pays.
    pub amount: Money,
    /// Before the customer's discounts.
    pub list: Money,
    /// A rental's own hourly price after its bands and discounts: what its extensions and
    /// early-release refunds are measured in (zero for a verification).
    pub hourly: Decimal,
}

/// The price of `item` for a customer of `standing`, under `policy`, at `markup`.
pub fn price(markup: Decimal, policy: &PricingPolicy, standing: Standing, item: Item) -> Price {
    let keep = (Decimal::ONE - standing.tier_discount) * (Decimal::ONE - standing.volume_discount);
    match item {
        Item::Activation { cost } => {
            let list = cost * markup;
            Price {
                amount: money_up((list * keep).max(cost)),
                list: money_up(list.max(cost)),
                hourly: Decimal::ZERO,
            }
        }
        Item::Rental { hours, product } => {
            let hours = hours.clamp(1, product.hours.max(1));
            let base = product.price * markup / Decimal::from(product.hours.max(1));
            let banded = banded_hours(&policy.bands, hours) * base;
            let discounted = banded * keep;
            // Its hourly rate, which extensions and refunds are measured in, is never below
            // what the provider charges for those hours (so a renewal is never sold at a
            // loss), and never above what was paid for them.
            let at_cost =
                product.price * Decimal::from(hours) / Decimal::from(product.hours.max(1));
            Price {
                amount: money_up(discounted.max(product.price)),
                list: money_up(banded.max(product.price)),
                hourly: discounted.max(at_cost) / Decimal::from(hours),
            }
        }
    }
}

/// What a 30-day rental costs as a share of thirty 1-day rentals, under `bands` (before
/// discounts and the cost floor): 1 while the bands are flat.
pub fn thirty_days_share(bands: &BandRates) -> Decimal {
    let day = banded_hours(bands, 24);
    if day.is_zero() {
        return Decimal::ONE;
    }
    banded_hours(bands, 720) / (day * Decimal::from(30))
}

/// `hours` weighted by the rate of the band each falls in.
fn banded_hours(bands: &BandRates, hours: u32) -> Decimal {
    let rates = bands.in_order();
    (0..BAND_STARTS.len())
        .map(|i| {
            let start = BAND_STARTS[i];
            let end = BAND_STARTS.get(i + 1).copied().unwrap_or(u32::MAX);
            let inside = hours.min(end).saturating_sub(start);
            Decimal::from(inside) * rates[i]
        })
        .sum()
}

/// Up to the next 1/10000, never negative: we never sell below a price by rounding (nor, out
/// of range, for nothing: such a price is the most there is, which nobody can pay).
pub fn money_up(d: Decimal) -> Money {
    let rounded = d
        .round_dp_with_strategy(4, RoundingStrategy::AwayFromZero)
        .max(Decimal::ZERO);
    Money::try_from(rounded).unwrap_or(Money::from_units(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn banded() -> PricingPolicy {
        PricingPolicy {
            bands: BandRates {
                hourly: d("1"),
                daily: d("0.9"),
                weekly: d("0.8"),
                monthly: d("0.7"),
            },
            volume: vec![
                VolumeStep {
                    min_spend: "100".parse().unwrap(),
                    discount: d("0.05"),
                },
                VolumeStep {
                    min_spend: "500".parse().unwrap(),
                    discount: d("0.1"),
                },
            ],
            ..PricingPolicy::default()
        }
    }

    fn month(price: &str) -> UpstreamProduct {
        UpstreamProduct {
            hours: 720,
            price: d(price),
        }
    }

    fn rental(hours: u32, product: UpstreamProduct) -> Item {
        Item::Rental { hours, product }
    }

    #[test]
    fn a_hand_computed_month_in_bands_with_a_tier_and_volume() {
        // 72.00 for 720 h at markup 1.5: 0.15 an hour before bands.
        let product = month("72");
        let standard = Standing::default();
        // 24 h at 1.0 = 3.60; 24 h is all in the first band.
        let day = price(d("1.5"), &banded(), standard, rental(24, product));
        assert_eq!(
            day.amount.to_string(),
            "72.0000",
            "floored at the provider's 72.00"
        );
        // 720 h: 24×1 + 144×0.9 + 552×0.8 = 24 + 129.6 + 441.6 = 595.2 hours' worth × 0.15
        // = 89.28.
        let whole = price(d("1.5"), &banded(), standard, rental(720, product));
        assert_eq!(whole.amount.to_string(), "89.2800");
        assert_eq!(whole.list, whole.amount);
        // Reseller (10 %) with 600.00 spent (10 %): 89.28 × 0.9 × 0.9 = 72.3168.
        let reseller = banded().standing("reseller", "600".parse().unwrap());
        let cheaper = price(d("1.5"), &banded(), reseller, rental(720, product));
        assert_eq!(cheaper.amount.to_string(), "72.3168");
        assert_eq!(cheaper.list.to_string(), "89.2800");
        assert_eq!(cheaper.hourly, d("72.3168") / d("720"));
        // A verification at 0.50 and markup 1.5 is 0.75; a pro customer (5 %) pays 0.7125.
        let pro = banded().standing("pro", Money::ZERO);
        let v = price(
            d("1.5"),
            &banded(),
            pro,
            Item::Activation { cost: d("0.5") },
        );
        assert_eq!(
            (v.amount.to_string(), v.list.to_string()),
            ("0.7125".into(), "0.7500".into())
        );
    }

    #[test]
    fn the_default_policy_keeps_the_provider_price_times_the_markup() {
        let day = UpstreamProduct {
            hours: 24,
            price: d("2.40"),
        };
        let p = price(
            d("1.5"),
            &PricingPolicy::default(),
            Standing::default(),
            rental(20, day),
        );
        assert_eq!(p.amount.to_string(), "3.0000");
        assert_eq!(p.hourly, d("0.15"));
        let p = price(
            d("1.5"),
            &PricingPolicy::default(),
            Standing::default(),
            rental(4, day),
        );
        assert_eq!(
            p.amount.to_string(),
            "2.4000",
            "never below the provider's price"
        );
    }

    #[test]
    fn thirty_days_cost_less_than_thirty_one_day_rentals_once_later_bands_are_cheaper() {
        assert_eq!(
            thirty_days_share(&PricingPolicy::default().bands),
            Decimal::ONE
        );
        // (24 + 144 × 0.9 + 552 × 0.8) / 720 = 595.2 / 720.
        assert_eq!(thirty_days_share(&banded().bands), d("595.2") / d("720"));
    }

    #[test]
    fn rounding_is_up_to_the_next_ten_thousandth() {
        let p = |cost: &str, markup: &str| {
            price(
                d(markup),
                &PricingPolicy::default(),
                Standing::default(),
                Item::Activation { cost: d(cost) },
            )
            .amount
            .to_string()
        };
        assert_eq!(p("0.32", "1.5"), "0.4800");
        assert_eq!(p("0.33333", "1"), "0.3334", "never below cost by rounding");
    }

    #[test]
    fn the_consoles_form_reads_back_what_it_shows() {
        let form = PolicyForm::of(&banded());
        assert_eq!(form.daily, "0.9");
        assert_eq!(form.tiers, "standard 0\npro 0.05\nreseller 0.1");
        assert_eq!(form.volume, "100.00 0.05\n500.00 0.1");
        assert_eq!(form.policy(), Ok(banded()));
        let broken = |change: fn(&mut PolicyForm)| {
            let mut f = PolicyForm::of(&banded());
            change(&mut f);
            f.policy().unwrap_err()
        };
        assert_eq!(broken(|f| f.weekly = "lots".into()).0, "bands.weekly");
        let (field, message) = broken(|f| f.tiers = "standard 0\n\npro five".into());
        assert_eq!(
            (field.as_str(), message.as_str()),
            ("tiers", "line 3 must be two values, like the examples")
        );
        assert_eq!(broken(|f| f.volume = "100 0.05 extra".into()).0, "volume");
        let (field, message) = broken(|f| f.tiers = "standard 0\nPro 0.1".into());
        assert_eq!(field, "tiers");
        assert!(message.starts_with("(entry 2, name) must be"), "{message}");
        // Checked as any policy is.
        assert_eq!(broken(|f| f.daily = "1.5".into()).0, "bands.daily");
        let mut empty = PolicyForm::of(&banded());
        empty.volume = "  \n".into();
        assert_eq!(empty.policy().unwrap().volume, vec![]);
    }

    #[test]
    fn standings_come_from_the_tier_and_the_highest_step_reached() {
        let policy = banded();
        let m = |s: &str| s.parse::<Money>().unwrap();
        assert_eq!(policy.standing("standard", m("99.99")), Standing::default());
        assert_eq!(
            policy.standing("standard", m("100")).volume_discount,
            d("0.05")
        );
        assert_eq!(policy.standing("pro", m("1000")).volume_discount, d("0.1"));
        assert_eq!(policy.standing("pro", m("0")).tier_discount, d("0.05"));
        assert_eq!(policy.standing("gone", m("0")).tier_discount, Decimal::ZERO);
    }

    #[test]
    fn a_policy_is_checked_field_by_field() {
        assert_eq!(PricingPolicy::default().check(), Ok(()));
        assert_eq!(banded().check(), Ok(()));
        let field = |change: fn(&mut PricingPolicy)| {
            let mut p = banded();
            change(&mut p);
            p.check().unwrap_err().0
        };
        assert_eq!(field(|p| p.bands.daily = d("1.1")), "bands.daily");
        assert_eq!(field(|p| p.bands.hourly = d("0")), "bands.hourly");
        assert_eq!(field(|p| p.bands.monthly = d("-1")), "bands.monthly");
        assert_eq!(field(|p| p.tiers[1].name = "Pro!".into()), "tiers[1].name");
        assert_eq!(field(|p| p.tiers[2].name = "pro".into()), "tiers[2].name");
        assert_eq!(
            field(|p| p.tiers[1].discount = d("0.95")),
            "tiers[1].discount"
        );
        assert_eq!(field(|p| p.tiers.retain(|t| t.name != "standard")), "tiers");
        assert_eq!(
            field(|p| p.volume[1].min_spend = "50".parse().unwrap()),
            "volume[1]"
        );
        assert_eq!(
            field(|p| p.volume[0].min_spend = Money::ZERO),
            "volume[0].min_spend"
        );
        assert_eq!(
            field(|p| p.volume[0].discount = d("-0.1")),
            "volume[0].discount"
        );
    }

    fn policy_strategy() -> impl Strategy<Value = PricingPolicy> {
        // Four falling rates from 2.00 down, two tiers, up to two rising volume steps.
        (
            prop::array::uniform4(0i64..=100),
            0i64..=90,
            prop::collection::vec((1i64..100_000, 0i64..=45), 0..=2),
        )
            .prop_map(|(falls, tier_pct, steps)| {
                let mut rate = Decimal::TWO;
                let mut rates = [Decimal::ZERO; 4];
                for (r, fall) in rates.iter_mut().zip(falls) {
                    rate = (rate - Decimal::new(fall, 2)).max(Decimal::new(1, 2));
                    *r = rate;
                }
                let mut volume = Vec::new();
                let (mut spend, mut discount) = (0i64, 0i64);
                for (more, pct) in steps {
                    spend += more;
                    discount += pct;
                    volume.push(VolumeStep {
                        min_spend: Money::from_units(spend * 10_000),
                        discount: Decimal::new(discount.min(90), 2),
                    });
                }
                PricingPolicy {
                    bands: BandRates {
                        hourly: rates[0],
                        daily: rates[1],
                        weekly: rates[2],
                        monthly: rates[3],
                    },
                    tiers: vec![
                        Tier {
                            name: STANDARD_TIER.into(),
                            discount: Decimal::ZERO,
                        },
                        Tier {
                            name: "t".into(),
                            discount: Decimal::new(tier_pct, 2),
                        },
                    ],
                    volume,
                }
            })
    }

    proptest! {
        #[test]
        fn never_below_cost_and_never_cheaper_for_longer(
            policy in policy_strategy(),
            markup_pct in 100i64..400,
            cost_cents in 1i64..1_000_000,
            product_hours in prop::sample::select(vec![1u32, 4, 24, 168, 720, 2160]),
            hours in 1u32..=2160,
            spend in 0i64..300_000,
        ) {
            prop_assert_eq!(policy.check(), Ok(()));
            let markup = Decimal::new(markup_pct, 2);
            let product = UpstreamProduct { hours: product_hours.max(hours), price: Decimal::new(cost_cents, 2) };
            let standing = policy.standing("t", Money::from_units(spend * 10_000));
            let now = price(markup, &policy, standing, rental(hours, product));
            prop_assert!(now.amount.decimal() >= product.price, "never below cost");
            prop_assert!(now.amount <= now.list, "discounts never raise a price");
            // Its hourly rate covers the provider's for those hours, and never exceeds what
            // was paid (exactly, but for the last of 28 digits).
            let hours_d = Decimal::from(hours);
            let tiny = Decimal::new(1, 20);
            prop_assert!(now.hourly * hours_d + tiny >= product.price * hours_d / Decimal::from(product.hours));
            prop_assert!(now.hourly * hours_d <= now.amount.decimal() + tiny);
            if hours < product.hours {
                let longer = price(markup, &policy, standing, rental(hours + 1, product));
                prop_assert!(longer.amount >= now.amount, "monotone in duration");
                // Never more per hour for longer (exactly, but for the last of 28 digits).
                prop_assert!(longer.hourly <= now.hourly + Decimal::new(1, 20));
            }
            let cost = Decimal::new(cost_cents, 4);
            let v = price(markup, &policy, standing, Item::Activation { cost });
            prop_assert!(v.amount.decimal() >= cost);
        }

        #[test]
        fn each_discount_applies_once(
            policy in policy_strategy(),
            markup_pct in 150i64..400,
            cost_cents in 100i64..1_000_000,
            hours in 1u32..=720,
            spend in 0i64..300_000,
        ) {
            let markup = Decimal::new(markup_pct, 2);
            let product = UpstreamProduct { hours: 720, price: Decimal::new(cost_cents, 2) };
            let none = price(markup, &policy, Standing::default(), rental(hours, product));
            let standing = policy.standing("t", Money::from_units(spend * 10_000));
            let both = price(markup, &policy, standing, rental(hours, product));
            let keep = (Decimal::ONE - standing.tier_discount) * (Decimal::ONE - standing.volume_discount);
            // The list price is the same; the discounted one is list × (1 − tier) × (1 − volume),
            // unless that would be below cost.
            prop_assert_eq!(both.list, none.list);
            let banded = banded_hours(&policy.bands, hours) * product.price * markup / Decimal::from(720);
            prop_assert_eq!(both.amount, money_up((banded * keep).max(product.price)));
        }
    }
}
