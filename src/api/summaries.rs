//! Each outcome in one line of words. The page shows the same line after an action whether the
//! answer came back to the browser's script or, posted without JavaScript, through the notice
//! cookie to the page the form returns to.

use super::dto::{BulkOutcome, Extended, Released, RentalView, VerificationView};
use crate::domain::rental::RentalStatus;
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
