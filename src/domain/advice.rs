//! Advice on a customer's spending: what this month will cost at the current rate, and
//! suggestions that save money, each with the amount it saves. Pure: the service gathers the
//! facts (rentals, their prices now) and these rules decide.

use super::Money;
use serde::{Deserialize, Serialize};

/// A rental that received nothing for this long is worth releasing.
pub const QUIET_DAYS: i64 = 3;
const DAY_MS: i64 = 24 * 3_600_000;
/// The hours in the 30 days advice looks ahead over.
const MONTH_HOURS: u32 = 720;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SuggestionKind {
    /// Release a rental that has received nothing for days.
    ReleaseQuiet,
    /// Rent for 30 days instead of renewing a shorter rental.
    LongerRental,
    /// Buy a service's verifications in another country the customer uses, where they cost
    /// less.
    CheaperCountry,
}

impl SuggestionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionKind::ReleaseQuiet => "release_quiet",
            SuggestionKind::LongerRental => "longer_rental",
            SuggestionKind::CheaperCountry => "cheaper_country",
        }
    }
}

/// Something the customer could do, and what it would save them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Suggestion {
    pub kind: SuggestionKind,
    /// The rental it is about (none for a country's prices).
    pub rental_id: Option<i64>,
    pub message: String,
    /// Over the next 30 days.
    pub saves: Money,
}

/// What advice needs to know of one active rental.
#[derive(Clone, Debug, PartialEq)]
pub struct RentalFacts {
    pub id: i64,
    pub phone_number: String,
    pub service: String,
    pub country: String,
    /// The length it was rented for (and renews by).
    pub hours: u32,
    pub auto_renew: bool,
    /// Since its last message, or since it began when none came.
    pub quiet_ms: i64,
    /// Until it ends (and would renew).
    pub left_ms: i64,
    /// What releasing it now gives back.
    pub refund_if_released: Money,
    /// What its next renewal costs.
    pub renewal: Money,
    /// What a 30-day rental in its country costs this customer now, if one is on sale.
    pub month_price: Option<Money>,
}

/// The renewals of a rental of `hours` that ends in `left_ms` and start within the next 30
/// days, at `renewal` each: the first at its end, then one every `hours`.
fn month_of_renewals(hours: u32, left_ms: i64, renewal: Money) -> Money {
    let month_ms = i64::from(MONTH_HOURS) * 3_600_000;
    let period_ms = i64::from(hours.max(1)) * 3_600_000;
    let left_ms = left_ms.max(0);
    let renewals = if left_ms < month_ms {
        (month_ms - left_ms - 1) / period_ms + 1
    } else {
        0
    };
    Money::from_units(renewal.units().saturating_mul(renewals))
}

/// What advice needs to know of a service the customer verified with lately.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFacts {
    pub service: String,
    pub country: String,
    /// Verifications of it bought there in the last 30 days (not refunded).
    pub bought: i64,
    /// What one costs there now.
    pub price: Money,
    /// What one costs now in the other countries the customer uses.
    pub elsewhere: Vec<(String, Money)>,
}

/// The suggestions for these rentals and services, the largest saving first.
pub fn suggest(rentals: &[RentalFacts], services: &[ServiceFacts]) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for s in services.iter().filter(|s| s.bought >= 2) {
        let Some((there, cheaper)) = s
            .elsewhere
            .iter()
            .filter(|(country, _)| *country != s.country)
            .min_by_key(|(_, price)| *price)
        else {
            continue;
        };
        if *cheaper < s.price {
            let each = s.price.units() - cheaper.units();
            out.push(Suggestion {
                kind: SuggestionKind::CheaperCountry,
                rental_id: None,
                message: format!(
                    "A {} number costs {} in {there} against {} in {}, where you bought {} in 30 days.",
                    s.service,
                    cheaper.display(),
                    s.price.display(),
                    s.country,
                    s.bought
                ),
                saves: Money::from_units(each.saturating_mul(s.bought)),
            });
        }
    }
    for r in rentals {
        let renewals = if r.auto_renew {
            month_of_renewals(r.hours, r.left_ms, r.renewal)
        } else {
            Money::ZERO
        };
        if r.quiet_ms >= QUIET_DAYS * DAY_MS {
            let saves = Money::from_units(r.refund_if_released.units() + renewals.units());
            if saves.is_positive() {
                out.push(Suggestion {
                    kind: SuggestionKind::ReleaseQuiet,
                    rental_id: Some(r.id),
                    message: format!(
                        "{} ({} in {}) has received nothing for {} days: releasing it gives back {}{}.",
                        r.phone_number,
                        r.service,
                        r.country,
                        r.quiet_ms / DAY_MS,
                        r.refund_if_released.display(),
                        if r.auto_renew {
                            format!(" and stops its renewals ({} over 30 days)", renewals.display())
                        } else {
                            String::new()
                        }
                    ),
                    saves,
                });
                // Releasing it is the better advice: nothing more about this one.
                continue;
            }
        }
        if let Some(month) = r
            .month_price
            .filter(|_| r.auto_renew && r.hours < MONTH_HOURS)
        {
            if month < renewals {
                let saves = Money::from_units(renewals.units() - month.units());
                out.push(Suggestion {
                    kind: SuggestionKind::LongerRental,
                    rental_id: Some(r.id),
                    message: format!(
                        "{} ({} in {}) renews every {} h: a 30-day rental costs {}, less than its {} of renewals over 30 days.",
                        r.phone_number,
                        r.service,
                        r.country,
                        r.hours,
                        month.display(),
                        renewals.display()
                    ),
                    saves,
                });
            }
        }
    }
    out.sort_by_key(|s| std::cmp::Reverse(s.saves));
    out
}

/// What a month in which `spent` went out over `elapsed_ms` of its `month_ms` will have cost
/// by its end at that rate (counting at least a day gone, so one early purchase is not a
/// month of them).
pub fn project_month(spent: Money, elapsed_ms: i64, month_ms: i64) -> Money {
    let elapsed = elapsed_ms.clamp(DAY_MS, month_ms.max(DAY_MS));
    let projected = i128::from(spent.units()) * i128::from(month_ms) / i128::from(elapsed);
    Money::from_units(i64::try_from(projected).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn rental(id: i64) -> RentalFacts {
        RentalFacts {
            id,
            phone_number: format!("+4470000000{id}"),
            service: "telegram".into(),
            country: "GB".into(),
            hours: 24,
            auto_renew: true,
            quiet_ms: 0,
            // Twelve hours to go: renewals at 12 h, 36 h … 708 h, 30 of them in 30 days.
            left_ms: 12 * 3_600_000,
            refund_if_released: m("0.50"),
            renewal: m("1.125"),
            month_price: Some(m("30")),
        }
    }

    #[test]
    fn a_daily_renewal_costs_more_than_a_month_by_hand() {
        // 30 renewals at 1.125 = 33.75 against 30.00 for 30 days: 3.75 saved.
        let s = suggest(&[rental(1)], &[]);
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].kind, SuggestionKind::LongerRental);
        assert_eq!(s[0].saves, m("3.75"));
        assert!(
            s[0].message.contains("30.00 USD, less than its 33.75 USD"),
            "{}",
            s[0].message
        );
        // Not when the month costs more, not without auto-renew, not for 30 days already.
        let dear = RentalFacts {
            month_price: Some(m("40")),
            ..rental(1)
        };
        let manual = RentalFacts {
            auto_renew: false,
            ..rental(1)
        };
        let month = RentalFacts {
            hours: 720,
            ..rental(1)
        };
        assert!(suggest(&[dear, manual, month], &[]).is_empty());
    }

    #[test]
    fn a_quiet_rental_is_worth_releasing_and_the_biggest_saving_comes_first() {
        let quiet = RentalFacts {
            quiet_ms: 3 * DAY_MS,
            ..rental(2)
        };
        let s = suggest(&[rental(1), quiet.clone()], &[]);
        assert_eq!(s.len(), 2);
        // 0.50 back now and 33.75 of renewals not made.
        assert_eq!(
            (s[0].kind, s[0].rental_id, s[0].saves),
            (SuggestionKind::ReleaseQuiet, Some(2), m("34.25"))
        );
        assert!(s[0].message.contains("nothing for 3 days"));
        assert_eq!(s[1].rental_id, Some(1));
        // Quiet for a little less: no advice to release it.
        let recent = RentalFacts {
            quiet_ms: 3 * DAY_MS - 1,
            ..quiet
        };
        assert_eq!(
            suggest(&[recent], &[])[0].kind,
            SuggestionKind::LongerRental
        );
        // Nothing to give back and nothing to renew: nothing to save.
        let spent = RentalFacts {
            quiet_ms: 9 * DAY_MS,
            auto_renew: false,
            refund_if_released: Money::ZERO,
            ..rental(3)
        };
        assert!(suggest(&[spent], &[]).is_empty());
    }

    #[test]
    fn a_service_bought_often_where_it_costs_more_by_hand() {
        let telegram = ServiceFacts {
            service: "telegram".into(),
            country: "GB".into(),
            bought: 12,
            price: m("0.45"),
            elsewhere: vec![
                ("NL".into(), m("0.40")),
                ("RU".into(), m("0.30")),
                ("GB".into(), m("0.45")),
            ],
        };
        // 12 bought at 0.15 more than in RU: 1.80.
        let s = suggest(&[], std::slice::from_ref(&telegram));
        assert_eq!(
            (s[0].kind, s[0].rental_id, s[0].saves),
            (SuggestionKind::CheaperCountry, None, m("1.80"))
        );
        assert!(
            s[0].message
                .contains("0.30 USD in RU against 0.45 USD in GB"),
            "{}",
            s[0].message
        );
        // Once is not a habit; nowhere cheaper is nothing to say.
        let once = ServiceFacts {
            bought: 1,
            ..telegram.clone()
        };
        let dearer = ServiceFacts {
            elsewhere: vec![("NL".into(), m("0.50"))],
            ..telegram
        };
        assert!(suggest(&[], &[once, dearer]).is_empty());
    }

    #[test]
    fn renewals_are_counted_from_the_rentals_end() {
        let r = m("1");
        let h = 3_600_000;
        assert_eq!(month_of_renewals(24, 12 * h, r), m("30"));
        assert_eq!(month_of_renewals(24, 24 * h, r), m("29"));
        // A week ending in 3 days: renewals on days 3, 10, 17 and 24.
        assert_eq!(month_of_renewals(168, 72 * h, r), m("4"));
        // Ending beyond 30 days: none within them.
        assert_eq!(month_of_renewals(2160, 80 * 24 * h, r), Money::ZERO);
        assert_eq!(month_of_renewals(720, 720 * h, r), Money::ZERO);
    }

    #[test]
    fn a_month_is_projected_from_its_rate_so_far() {
        let month = 30 * DAY_MS;
        // 12.00 in 6 days of 30: 60.00 by the end.
        assert_eq!(project_month(m("12"), 6 * DAY_MS, month), m("60"));
        // An hour in, the rate counts a whole day.
        assert_eq!(project_month(m("2"), 3_600_000, month), m("60"));
        assert_eq!(project_month(m("45"), month, month), m("45"));
        assert_eq!(project_month(Money::ZERO, 10 * DAY_MS, month), Money::ZERO);
    }
}
