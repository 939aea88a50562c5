//! Verification rules: the states a one-shot activation number moves through, what may
//! happen in each, and which message's code counts. Pure, shared with the browser.

use serde::{Deserialize, Serialize};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// A number is issued; no SMS yet.
    Waiting,
    /// At least one SMS arrived; the code is shown. Charged.
    Received,
    /// Done: the customer (or the expiry) closed it after a code. Charged.
    Finished,
    /// Cancelled before any SMS: refunded in full.
    Cancelled,
    /// The provider's time ran out with no SMS: refunded in full.
    TimedOut,
}

impl VerificationStatus {
    pub const ALL: [VerificationStatus; 5] = [
        VerificationStatus::Waiting,
        VerificationStatus::Received,
        VerificationStatus::Finished,
        VerificationStatus::Cancelled,
        VerificationStatus::TimedOut,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            VerificationStatus::Waiting => "waiting",
            VerificationStatus::Received => "received",
            VerificationStatus::Finished => "finished",
            VerificationStatus::Cancelled => "cancelled",
            VerificationStatus::TimedOut => "timed_out",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    /// No further change: nothing to poll, nothing to cancel or finish.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            VerificationStatus::Finished
                | VerificationStatus::Cancelled
                | VerificationStatus::TimedOut
        )
    }

    /// Whether the money came back (the customer paid nothing in the end).
    pub fn is_refunded(self) -> bool {
        matches!(
            self,
            VerificationStatus::Cancelled | VerificationStatus::TimedOut
        )
    }

    /// Cancelling is for a number that never received anything.
    pub fn can_cancel(self, messages: u64) -> bool {
        self == VerificationStatus::Waiting && messages == 0
    }

    /// Finishing needs a code first.
    pub fn can_finish(self) -> bool {
        self == VerificationStatus::Received
    }

    /// The state after `messages` SMS have arrived (none: unchanged).
    pub fn after_messages(self, messages: u64) -> Self {
        match self {
            VerificationStatus::Waiting if messages > 0 => VerificationStatus::Received,
            other => other,
        }
    }
}

/// How soon to look for messages again, by how long the number has been waiting: fast while
/// a code is expected (the first minutes), slower after; codes arrive early or not at all.
pub fn poll_interval_ms(age_ms: i64, status: VerificationStatus) -> i64 {
    match (status, age_ms) {
        (VerificationStatus::Waiting, a) if a < 2 * 60_000 => 500,
        (VerificationStatus::Waiting, a) if a < 10 * 60_000 => 1_500,
        (VerificationStatus::Waiting, _) => 5_000,
        // A code is shown; later messages (a second code) are still collected, unhurried.
        _ => 5_000,
    }
}

#[cfg(test)]
mod tests {
    use super::VerificationStatus::*;
    use super::*;

    #[test]
    fn statuses_round_trip_and_only_unused_numbers_cancel() {
        for s in VerificationStatus::ALL {
            assert_eq!(VerificationStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(VerificationStatus::parse("RECEIVED"), None);
        assert!(Waiting.can_cancel(0));
        assert!(!Waiting.can_cancel(1), "not after an SMS");
        assert!(!Received.can_cancel(1));
        assert!(!TimedOut.can_cancel(0));
        assert!(Received.can_finish());
        assert!(!Waiting.can_finish(), "no code yet");
        assert_eq!(Waiting.after_messages(0), Waiting);
        assert_eq!(Waiting.after_messages(2), Received);
        assert_eq!(Cancelled.after_messages(2), Cancelled);
        assert!(Cancelled.is_refunded() && TimedOut.is_refunded() && !Finished.is_refunded());
    }

    #[test]
    fn waiting_numbers_are_polled_fast_then_slower() {
        assert_eq!(poll_interval_ms(10_000, Waiting), 500);
        assert_eq!(poll_interval_ms(5 * 60_000, Waiting), 1_500);
        assert!(poll_interval_ms(15 * 60_000, Waiting) > 1_500);
        assert!(poll_interval_ms(0, Received) > 1_000);
    }
}
