//! Top-ups: adding money to the balance by card. What amount may be asked for, and the
//! states a top-up goes through.

use super::Money;
use serde::{Deserialize, Serialize};

/// Where a top-up is. `Pending` until the payment provider's signed event says it was paid
/// (the only way money is credited), declined, or that its checkout expired.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TopupStatus {
    /// The checkout is open: the customer has not paid (yet).
    Pending,
    /// Paid, and the amount credited to the balance (once).
    Paid,
    /// The last card tried was declined; the checkout stays open for another.
    Declined,
    /// The checkout expired (or was abandoned) unpaid: nothing was charged.
    Expired,
    /// Paid, then refunded: the amount was taken back from the balance.
    Refunded,
}

impl TopupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TopupStatus::Pending => "pending",
            TopupStatus::Paid => "paid",
            TopupStatus::Declined => "declined",
            TopupStatus::Expired => "expired",
            TopupStatus::Refunded => "refunded",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => TopupStatus::Pending,
            "paid" => TopupStatus::Paid,
            "declined" => TopupStatus::Declined,
            "expired" => TopupStatus::Expired,
            "refunded" => TopupStatus::Refunded,
            _ => return None,
        })
    }

    /// Whether the customer can still pay it at its checkout.
    pub fn is_open(self) -> bool {
        matches!(self, TopupStatus::Pending | TopupStatus::Declined)
    }

    /// How the customer's pages say it.
    pub fn label(self) -> &'static str {
        match self {
            TopupStatus::Pending => "Awaiting payment",
            TopupStatus::Paid => "Paid",
            TopupStatus::Declined => "Card declined",
            TopupStatus::Expired => "Expired",
            TopupStatus::Refunded => "Refunded",
        }
    }
}

/// Checks an amount asked for: whole cents (cards are charged in cents), from `min` to `max`.
/// The error says what is wrong, for the `amount` field.
pub fn check_amount(amount: Money, min: Money, max: Money) -> Result<Money, String> {
    if amount.decimal().round_dp(2) != amount.decimal() {
        return Err("must be in whole cents, e.g. 20.00".to_owned());
    }
    if amount < min || amount > max {
        return Err(format!(
            "must be from {} to {}",
            min.display(),
            max.display()
        ));
    }
    Ok(amount)
}

/// The amount in cents, as card payments are counted (`amount` is in whole cents).
pub fn cents(amount: Money) -> i64 {
    amount.units() / 100
}

/// Cents back to money.
pub fn from_cents(cents: i64) -> Money {
    Money::from_units(cents.saturating_mul(100))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    #[test]
    fn amounts_are_whole_cents_within_the_limits() {
        let (min, max) = (m("5"), m("1000"));
        assert_eq!(check_amount(m("20.00"), min, max), Ok(m("20")));
        assert_eq!(check_amount(m("5"), min, max), Ok(m("5")));
        assert_eq!(check_amount(m("1000"), min, max), Ok(m("1000")));
        assert!(check_amount(m("20.001"), min, max)
            .unwrap_err()
            .contains("whole cents"));
        assert!(check_amount(m("4.99"), min, max)
            .unwrap_err()
            .contains("from 5.00 USD to 1000.00 USD"));
        assert!(check_amount(m("1000.01"), min, max).is_err());
        assert!(check_amount(m("-10"), min, max).is_err());
    }

    #[test]
    fn cents_round_trip() {
        assert_eq!(cents(m("20.50")), 2050);
        assert_eq!(from_cents(2050), m("20.50"));
        assert_eq!(from_cents(cents(m("1000"))), m("1000"));
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            TopupStatus::Pending,
            TopupStatus::Paid,
            TopupStatus::Declined,
            TopupStatus::Expired,
            TopupStatus::Refunded,
        ] {
            assert_eq!(TopupStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TopupStatus::parse("nope"), None);
    }
}
