//! Receipts and monthly statements: the tax a price includes, and which month a statement is.

use super::Money;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use rust_decimal::{Decimal, RoundingStrategy};

/// The tax included in `gross` at `rate` (0.2 for 20 %), to the cent (half away from zero):
/// `gross × rate / (1 + rate)`. What was paid is `gross`; the rest is the net amount.
pub fn tax_included(gross: Money, rate: Decimal) -> Money {
    if rate <= Decimal::ZERO {
        return Money::ZERO;
    }
    let tax = (gross.decimal() * rate / (Decimal::ONE + rate))
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    Money::try_from(tax).unwrap_or(Money::ZERO)
}

/// A calendar month (UTC), as `YYYY-MM`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month {
    pub year: i32,
    pub month: u32,
}

impl Month {
    /// `2026-12`; `None` for anything else (or a month before 2000 or after 9999).
    pub fn parse(s: &str) -> Option<Month> {
        let (year, month) = s.split_once('-')?;
        if year.len() != 4 || month.len() != 2 {
            return None;
        }
        let (year, month) = (year.parse().ok()?, month.parse().ok()?);
        NaiveDate::from_ymd_opt(year, month, 1)?;
        (2000..=9999)
            .contains(&year)
            .then_some(Month { year, month })
    }

    pub fn of(t: DateTime<Utc>) -> Month {
        Month {
            year: t.year(),
            month: t.month(),
        }
    }

    pub fn previous(self) -> Month {
        if self.month == 1 {
            Month {
                year: self.year - 1,
                month: 12,
            }
        } else {
            Month {
                year: self.year,
                month: self.month - 1,
            }
        }
    }

    fn next(self) -> Month {
        if self.month == 12 {
            Month {
                year: self.year + 1,
                month: 1,
            }
        } else {
            Month {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    /// Its first instant.
    pub fn start(self) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(self.year, self.month, 1, 0, 0, 0)
            .single()
            .unwrap_or_default()
    }

    /// The first instant after it.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    /// `December 2026`.
    pub fn name(self) -> String {
        self.start().format("%B %Y").to_string()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn tax_included_in_a_price_to_the_cent() {
        // 20.00 at 20 %: 16.67 net and 3.33 tax (20 / 1.2 = 16.666…).
        assert_eq!(tax_included(m("20"), "0.2".parse().unwrap()), m("3.33"));
        // 100.00 at 19 %: 15.966… → 15.97.
        assert_eq!(tax_included(m("100"), "0.19".parse().unwrap()), m("15.97"));
        assert_eq!(tax_included(m("20"), Decimal::ZERO), Money::ZERO);
        // Half a cent rounds away from zero: 0.21 at 5 % is 0.01 (0.0100).
        assert_eq!(tax_included(m("0.21"), "0.05".parse().unwrap()), m("0.01"));
    }

    #[test]
    fn months_parse_and_bound() {
        let dec = Month::parse("2026-12").unwrap();
        assert_eq!(dec.to_string(), "2026-12");
        assert_eq!(dec.name(), "December 2026");
        assert_eq!(dec.start().to_rfc3339(), "2026-12-01T00:00:00+00:00");
        assert_eq!(dec.end().to_rfc3339(), "2027-01-01T00:00:00+00:00");
        assert_eq!(Month::parse("2027-01").unwrap().previous(), dec);
        for bad in [
            "2026-13", "2026-00", "26-12", "2026-1", "2026/12", "", "1999-12", "x-y",
        ] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
    }
}
