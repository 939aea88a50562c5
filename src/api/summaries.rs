//! Each outcome in one line of words: what the API's callers can show, and the notice the
//! page a form returns to shows (through the notice cookie).

use super::dto::{
    BulkOutcome, BulkResults, CreditView, Extended, OperatorRefundView, PresetView, Released,
    RentalView, VerificationView,
};
use crate::domain::rental::RentalStatus;
use crate::domain::Money;
use crate::ui::components::format_time;

impl RentalView {
    /// "Rented +44… until … · charged …", for a rental just bought.
    pub fn rented_summary(&self) -> String {
        format!(
            "Rented {} until {} · charged {}",
            self.phone_number,
            format_time(&self.expires_at),
            self.cost.display()
        )
    }
}

impl Released {
    pub fn summary(&self) -> String {
        format!(
            "Released {} · refunded {}",
            self.rental.phone_number,
            self.refund.display()
        )
    }
}

impl Extended {
    pub fn summary(&self) -> String {
        format!(
            "Extended until {} · charged {}",
            format_time(&self.rental.expires_at),
            self.charged.display()
        )
    }
}

impl BulkOutcome {
    /// One line per rental of a bulk request: what happened to it (`verb` is "Rented" for
    /// purchases), or why not.
    pub fn summary(&self, verb: &str) -> String {
        let money = self.amount.map(|a| a.display()).unwrap_or_default();
        match (&self.rental, &self.error) {
            (Some(r), _) => match (verb, r.status) {
                ("Rented", _) => r.rented_summary(),
                (_, RentalStatus::Released) => {
                    format!("{}: released · refunded {money}", r.phone_number)
                }
                _ => format!(
                    "{}: extended until {} · charged {money}",
                    r.phone_number,
                    format_time(&r.expires_at)
                ),
            },
            (None, error) => {
                let what = self
                    .id
                    .map(|id| format!("Rental {id}: "))
                    .unwrap_or_default();
                let why = error
                    .as_ref()
                    .map(|e| e.message.clone())
                    .unwrap_or_else(|| "failed".to_owned());
                format!("{what}{why}")
            }
        }
    }
}

impl BulkResults {
    /// One line per rental, marked ✓ or ✗.
    pub fn lines(&self, verb: &str) -> Vec<String> {
        self.results
            .iter()
            .map(|r| format!("{} {}", if r.ok { "✓" } else { "✗" }, r.summary(verb)))
            .collect()
    }
}

impl PresetView {
    pub fn saved_summary(&self) -> String {
        format!("Saved \u{201c}{}\u{201d}", self.name)
    }
}

impl VerificationView {
    /// For a number just bought (or bought again) for a code.
    pub fn bought_summary(&self) -> String {
        format!(
            "Your number is {} · charged {}",
            self.phone_number,
            self.cost.display()
        )
    }

    /// For a verification cancelled (refunded in full) or finished.
    pub fn closed_summary(&self) -> String {
        match (self.refunded, self.code.as_deref()) {
            (true, _) => format!(
                "Cancelled {} · refunded {}",
                self.phone_number,
                self.cost.display()
            ),
            (false, Some(code)) => format!("Finished {} · code {code}", self.phone_number),
            (false, None) => format!("Finished {}", self.phone_number),
        }
    }
}

impl CreditView {
    /// "Credited … to account #7 · balance now …".
    pub fn summary(&self) -> String {
        let what = if self.amount.is_negative() {
            format!(
                "Debited {} from",
                Money::from_units(-self.amount.units()).display()
            )
        } else {
            format!("Credited {} to", self.amount.display())
        };
        format!(
            "{what} account #{} · balance now {}",
            self.user_id,
            self.balance.display()
        )
    }
}

impl OperatorRefundView {
    /// "Refunded … of rental #12 · … refunded in all".
    pub fn summary(&self) -> String {
        format!(
            "Refunded {} of {} #{} · {} refunded in all",
            self.amount.display(),
            self.order,
            self.id,
            self.refunded.display()
        )
    }
}
