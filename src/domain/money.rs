//! Money: a `Decimal` with exactly four decimal places, stored as integer 1/10000 units.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The currency every balance, price and ledger row is kept in.
pub const CURRENCY: &str = "USD";

/// Decimal places kept for money (the seed's `DECIMAL(10,4)`).
pub const SCALE: u32 = 4;

/// An amount of money. Serialises as a decimal string with four places, e.g. `"12.5000"`.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
/// In JSON: a decimal string, e.g. `"1.5000"`.
#[cfg_attr(
    feature = "ssr",
    derive(utoipa::ToSchema),
    schema(value_type = String, example = "1.5000")
)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Money(Decimal);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidMoney {
    #[error("is not a decimal number")]
    NotANumber,
    #[error("has more than {SCALE} decimal places")]
    TooPrecise,
    #[error("is too large")]
    TooLarge,
}

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// From a count of 1/10000 units, as stored in the database.
    pub fn from_units(units: i64) -> Self {
        Money(Decimal::new(units, SCALE))
    }

    /// The count of 1/10000 units, as stored in the database.
    pub fn units(self) -> i64 {
        let scaled = self.0 * Decimal::new(10_i64.pow(SCALE), 0);
        // Construction guarantees at most SCALE places and an i64 range.
        i64::try_from(scaled.trunc()).unwrap_or(i64::MAX)
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_positive(self) -> bool {
        self.0.is_sign_positive() && !self.0.is_zero()
    }

    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0
            .checked_add(other.0)
            .and_then(|d| Money::try_from(d).ok())
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0
            .checked_sub(other.0)
            .and_then(|d| Money::try_from(d).ok())
    }

    /// `"12.50 USD"`: two places when the rest are zeros, all four otherwise.
    pub fn display(self) -> String {
        let two = self.0.round_dp(2);
        let shown = if two == self.0 { two } else { self.0 };
        format!("{:.*} {CURRENCY}", shown.scale().max(2) as usize, shown)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = InvalidMoney;

    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        let normalized = value.normalize();
        if normalized.scale() > SCALE {
            return Err(InvalidMoney::TooPrecise);
        }
        let mut fixed = normalized;
        fixed.rescale(SCALE);
        // Keep every amount within what an i64 count of units can hold.
        let limit = Decimal::new(i64::MAX / 10_i64.pow(SCALE), 0);
        if fixed.abs() > limit {
            return Err(InvalidMoney::TooLarge);
        }
        Ok(Money(fixed))
    }
}

impl From<Money> for Decimal {
    fn from(value: Money) -> Self {
        value.0
    }
}

impl FromStr for Money {
    type Err = InvalidMoney;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let d = Decimal::from_str_exact(s.trim()).map_err(|_| InvalidMoney::NotANumber)?;
        Money::try_from(d)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_round_trip_with_four_places() {
        let m = Money::from_units(125_000);
        assert_eq!(m.to_string(), "12.5000");
        assert_eq!(m.units(), 125_000);
        assert_eq!(Money::from_units(-1).to_string(), "-0.0001");
    }

    #[test]
    fn parses_and_rescales() {
        assert_eq!("12.5".parse::<Money>().unwrap().to_string(), "12.5000");
        assert_eq!("3".parse::<Money>().unwrap().units(), 30_000);
        assert_eq!("0.00001".parse::<Money>(), Err(InvalidMoney::TooPrecise));
        assert_eq!("abc".parse::<Money>(), Err(InvalidMoney::NotANumber));
        assert_eq!("1e3".parse::<Money>(), Err(InvalidMoney::NotANumber));
        assert_eq!(
            "99999999999999999999".parse::<Money>(),
            Err(InvalidMoney::TooLarge)
        );
    }

    #[test]
    fn serialises_as_a_string_and_rejects_excess_precision() {
        let m: Money = serde_json::from_str("\"7.25\"").unwrap();
        assert_eq!(serde_json::to_string(&m).unwrap(), "\"7.2500\"");
        assert!(serde_json::from_str::<Money>("\"7.123456\"").is_err());
    }

    #[test]
    fn display_for_people() {
        assert_eq!(Money::from_units(125_000).display(), "12.50 USD");
        assert_eq!(Money::from_units(125_001).display(), "12.5001 USD");
        assert_eq!(Money::ZERO.display(), "0.00 USD");
    }

    #[test]
    fn checked_arithmetic() {
        let a = Money::from_units(10);
        assert_eq!(
            a.checked_sub(Money::from_units(15)),
            Some(Money::from_units(-5))
        );
        assert!(Money::from_units(-5).is_negative());
        assert!(a.is_positive());
        assert!(!Money::ZERO.is_positive());
    }
}
