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
    /// Paid, then refunded in full: the amount was taken back from the balance.
    Refunded,
    /// Paid, then disputed by the cardholder (a chargeback): the amount is taken back from
    /// the balance unless the dispute is won.
    Disputed,
}

impl TopupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TopupStatus::Pending => "pending",
            TopupStatus::Paid => "paid",
            TopupStatus::Declined => "declined",
            TopupStatus::Expired => "expired",
            TopupStatus::Refunded => "refunded",
            TopupStatus::Disputed => "disputed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => TopupStatus::Pending,
            "paid" => TopupStatus::Paid,
            "declined" => TopupStatus::Declined,
            "expired" => TopupStatus::Expired,
            "refunded" => TopupStatus::Refunded,
            "disputed" => TopupStatus::Disputed,
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
            TopupStatus::Disputed => "Disputed",
        }
    }
}

/// Where a dispute (a chargeback) of a payment is, as the payment provider reports it.
/// Inquiries, which withdraw nothing, are not disputes here until they withdraw funds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DisputeStatus {
    /// Opened by the cardholder's bank: the amount is withdrawn while it is decided.
    Open,
    /// Decided for us (or closed as an inquiry): the amount comes back.
    Won,
    /// Decided for the cardholder: the amount stays withdrawn.
    Lost,
}

impl DisputeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DisputeStatus::Open => "open",
            DisputeStatus::Won => "won",
            DisputeStatus::Lost => "lost",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => DisputeStatus::Open,
            "won" => DisputeStatus::Won,
            "lost" => DisputeStatus::Lost,
            _ => return None,
        })
    }

    /// What a dispute of `amount` holds back from the balance in this status.
    pub fn holds(self, amount: Money) -> Money {
        match self {
            DisputeStatus::Open | DisputeStatus::Lost => amount,
            DisputeStatus::Won => Money::ZERO,
        }
    }
}

/// A dispute as it stands after a report: its status, what it holds back from the balance,
/// and how the balance moves now (negative: taken back; positive: given back).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DisputeChange {
    pub status: DisputeStatus,
    pub held: Money,
    pub movement: Money,
}

/// A report that a dispute of `amount` is `reported`, applied to what is known of it
/// (`known`: its status and what it holds; `None` before any report). Reports may come in any
/// order and more than once: `None` when this one changes nothing (a repeat, or a late "open"
/// for a dispute already decided). A decision reported before the opening is taken as both.
pub fn dispute_change(
    known: Option<(DisputeStatus, Money)>,
    reported: DisputeStatus,
    amount: Money,
) -> Option<DisputeChange> {
    let (held_before, held) = match (known, reported) {
        (None, reported) => (Money::ZERO, reported.holds(amount)),
        (Some((DisputeStatus::Won | DisputeStatus::Lost, _)), _) => return None,
        (Some((DisputeStatus::Open, _)), DisputeStatus::Open) => return None,
        // Lost keeps what the opening took (whatever amount this report carries).
        (Some((DisputeStatus::Open, held)), DisputeStatus::Lost) => (held, held),
        (Some((DisputeStatus::Open, held)), DisputeStatus::Won) => (held, Money::ZERO),
    };
    Some(DisputeChange {
        status: reported,
        held,
        movement: Money::from_units(held_before.units() - held.units()),
    })
}

/// A report that `total` of a payment of `paid` has been refunded so far, when `before` had
/// been: what to take back from the balance now. `Ok(None)` for a report that adds nothing
/// (a repeat, or one overtaken by a later, larger total); an error for a total beyond the
/// payment, which no provider should report.
pub fn refund_change(paid: Money, before: Money, total: Money) -> Result<Option<Money>, String> {
    if total > paid {
        return Err(format!(
            "a refund of {} in all, of a payment of {}",
            total.display(),
            paid.display()
        ));
    }
    Ok((total > before).then(|| Money::from_units(total.units() - before.units())))
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
            TopupStatus::Disputed,
        ] {
            assert_eq!(TopupStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(TopupStatus::parse("nope"), None);
        for s in [DisputeStatus::Open, DisputeStatus::Won, DisputeStatus::Lost] {
            assert_eq!(DisputeStatus::parse(s.as_str()), Some(s));
        }
    }

    #[test]
    fn refunds_take_back_the_running_total_once() {
        let paid = m("20");
        assert_eq!(refund_change(paid, m("0"), m("5")), Ok(Some(m("5"))));
        assert_eq!(refund_change(paid, m("5"), m("20")), Ok(Some(m("15"))));
        // Repeated, or overtaken by a larger total that came first.
        assert_eq!(refund_change(paid, m("20"), m("20")), Ok(None));
        assert_eq!(refund_change(paid, m("20"), m("5")), Ok(None));
        assert!(refund_change(paid, m("0"), m("20.01")).is_err());
    }

    #[test]
    fn a_dispute_holds_its_amount_until_won() {
        use DisputeStatus::*;
        let amount = m("20");
        let change = |status, held: &str, movement: &str| {
            Some(DisputeChange {
                status,
                held: m(held),
                movement: m(movement),
            })
        };
        // Opened, then won: taken, then given back.
        assert_eq!(
            dispute_change(None, Open, amount),
            change(Open, "20", "-20")
        );
        assert_eq!(
            dispute_change(Some((Open, amount)), Won, amount),
            change(Won, "0", "20")
        );
        // Opened, then lost: taken once, even when the decision names another amount.
        assert_eq!(
            dispute_change(Some((Open, amount)), Lost, amount),
            change(Lost, "20", "0")
        );
        assert_eq!(
            dispute_change(Some((Open, amount)), Lost, m("25")),
            change(Lost, "20", "0")
        );
        assert_eq!(
            dispute_change(Some((Open, m("15"))), Won, amount),
            change(Won, "0", "15")
        );
        // Repeats, and an opening that arrives after the decision, change nothing.
        assert_eq!(dispute_change(Some((Open, amount)), Open, amount), None);
        for decided in [Won, Lost] {
            for reported in [Open, Won, Lost] {
                assert_eq!(
                    dispute_change(Some((decided, decided.holds(amount))), reported, amount),
                    None
                );
            }
        }
        // A decision before its opening: won moves nothing, lost takes the amount.
        assert_eq!(dispute_change(None, Won, amount), change(Won, "0", "0"));
        assert_eq!(
            dispute_change(None, Lost, amount),
            change(Lost, "20", "-20")
        );
    }
}
