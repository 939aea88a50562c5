//! What this instance's jobs have done since it started: passes, failures, the last pass's
//! time and outcome, and how late the pollers' last claims were. The console's system page
//! shows it (the same figures go to `/metrics` for graphs over time).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

/// One job, as seen by this instance.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JobRecord {
    pub passes: u64,
    pub failures: u64,
    /// When the last pass ended (ms since the epoch).
    pub last_at: Option<i64>,
    pub last_took: Duration,
    /// The last failure's message, while the passes after it keep failing.
    pub last_error: Option<String>,
    /// How overdue the most overdue item of the last claim was (pollers only).
    pub lag_ms: Option<i64>,
}

#[derive(Debug, Default)]
pub struct JobBoard {
    jobs: Mutex<BTreeMap<&'static str, JobRecord>>,
}

impl JobBoard {
    /// Notes a pass of `job` that ended at `at` after `took`; `error` when it failed.
    pub fn pass(&self, job: &'static str, at: i64, took: Duration, error: Option<String>) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        let record = jobs.entry(job).or_default();
        record.passes += 1;
        record.last_at = Some(at);
        record.last_took = took;
        if error.is_some() {
            record.failures += 1;
        }
        record.last_error = error;
    }

    /// Notes how overdue the most overdue item `job` just claimed was.
    pub fn lag(&self, job: &'static str, lag_ms: i64) {
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.entry(job).or_default().lag_ms = Some(lag_ms);
    }

    /// Every job that has run here, by name.
    pub fn snapshot(&self) -> Vec<(&'static str, JobRecord)> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.iter().map(|(k, v)| (*k, v.clone())).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_kept_until_a_pass_succeeds() {
        let board = JobBoard::default();
        board.pass("poller", 1, Duration::from_millis(3), Some("down".into()));
        board.lag("poller", 250);
        let (_, r) = board.snapshot().remove(0);
        assert_eq!((r.passes, r.failures), (1, 1));
        assert_eq!(r.last_error.as_deref(), Some("down"));
        assert_eq!(r.lag_ms, Some(250));
        board.pass("poller", 2, Duration::from_millis(1), None);
        let (name, r) = board.snapshot().remove(0);
        assert_eq!(name, "poller");
        assert_eq!((r.passes, r.failures, r.last_at), (2, 1, Some(2)));
        assert_eq!(r.last_error, None);
    }
}
