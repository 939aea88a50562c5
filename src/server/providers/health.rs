//! How each provider is doing, from every call made to it: a rolling window of outcomes and
//! latencies, the time of the last success, and a circuit breaker for purchases. The breaker
//! opens after `FAULTS_TO_OPEN` purchases in a row fail with a fault (timeouts, 5xx, rate
//! limits, refused keys, unreadable answers; "no numbers" and refusals of a request are
//! answers, not faults, and leave the run as it is), turns purchases away for `cooldown`, then
//! lets one purchase through as a probe (half-open): its success closes the breaker, its fault
//! opens it again. Only purchases close it: a provider that answers reads but fails every
//! purchase stays skipped.

use super::ProviderError;
use serde::Serialize;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Calls remembered for the success rate and latencies.
const WINDOW: usize = 200;
pub const FAULTS_TO_OPEN: u32 = 5;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// A provider's health as operators see it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HealthView {
    /// Calls in the window, and the share that were not faults.
    pub calls: usize,
    pub success_rate: Option<f64>,
    pub latency_p50_ms: Option<u64>,
    pub latency_p95_ms: Option<u64>,
    /// Milliseconds since the epoch.
    pub last_success_at: Option<i64>,
    pub last_fault: Option<String>,
    pub consecutive_faults: u32,
    pub breaker: BreakerState,
}

#[derive(Debug)]
struct Inner {
    outcomes: VecDeque<(bool, Duration)>,
    last_success: Option<SystemTime>,
    last_fault: Option<String>,
    consecutive_faults: u32,
    /// Open until then.
    open_until: Option<Instant>,
    /// When the probe now out (half-open) was let through. A probe whose outcome never comes
    /// (its request was dropped) is given up after a cooldown, and another is let through.
    probing: Option<Instant>,
}

#[derive(Debug)]
pub struct Health {
    inner: Mutex<Inner>,
    cooldown: Duration,
}

/// What a call was, for the breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Call {
    /// A number bought (what the breaker guards).
    Purchase,
    Other,
}

/// Whether an answer says the provider is failing (rather than answering "no").
pub fn is_fault(e: &ProviderError) -> bool {
    matches!(
        e,
        ProviderError::Timeout(_)
            | ProviderError::Upstream { .. }
            | ProviderError::RateLimited
            | ProviderError::Unauthorized
            | ProviderError::Decode(_)
            | ProviderError::Unconfirmed(_)
            | ProviderError::InsufficientProviderBalance
    )
}

impl Health {
    pub fn new(cooldown: Duration) -> Self {
        Health {
            inner: Mutex::new(Inner {
                outcomes: VecDeque::with_capacity(WINDOW),
                last_success: None,
                last_fault: None,
                consecutive_faults: 0,
                open_until: None,
                probing: None,
            }),
            cooldown,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().expect("health lock")
    }

    /// Notes one call's outcome.
    pub fn record(&self, call: Call, fault: Option<&ProviderError>, latency: Duration) {
        self.record_at(Instant::now(), call, fault, latency);
    }

    pub fn record_at(
        &self,
        now: Instant,
        call: Call,
        fault: Option<&ProviderError>,
        latency: Duration,
    ) {
        let mut h = self.lock();
        if h.outcomes.len() == WINDOW {
            h.outcomes.pop_front();
        }
        h.outcomes.push_back((fault.is_none(), latency));
        let probe = call == Call::Purchase && h.probing.take().is_some();
        match fault {
            None => {
                h.last_success = Some(SystemTime::now());
                if call == Call::Purchase {
                    h.consecutive_faults = 0;
                    h.open_until = None;
                }
            }
            // Only purchases open the breaker (or keep it open): a poll that fails now and then
            // says little about whether a number can be bought.
            Some(e) => {
                h.last_fault = Some(e.to_string());
                if call == Call::Purchase {
                    h.consecutive_faults += 1;
                    if probe || h.consecutive_faults >= FAULTS_TO_OPEN {
                        h.open_until = Some(now + self.cooldown);
                    }
                }
            }
        }
    }

    /// Whether a purchase may be sent now: always while closed, never while open, and one at a
    /// time once the cooldown has passed (the probe).
    pub fn admits(&self) -> bool {
        self.admits_at(Instant::now())
    }

    pub fn admits_at(&self, now: Instant) -> bool {
        let mut h = self.lock();
        match h.open_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) if h.probing.is_some_and(|since| now < since + self.cooldown) => false,
            Some(_) => {
                h.probing = Some(now);
                true
            }
        }
    }

    pub fn state_at(&self, now: Instant) -> BreakerState {
        let h = self.lock();
        match h.open_until {
            None => BreakerState::Closed,
            Some(until) if now < until => BreakerState::Open,
            Some(_) => BreakerState::HalfOpen,
        }
    }

    pub fn view(&self) -> HealthView {
        let state = self.state_at(Instant::now());
        let h = self.lock();
        let calls = h.outcomes.len();
        let ok = h.outcomes.iter().filter(|(ok, _)| *ok).count();
        let mut latencies: Vec<Duration> = h.outcomes.iter().map(|(_, l)| *l).collect();
        latencies.sort_unstable();
        let percentile = |p: usize| {
            (!latencies.is_empty()).then(|| {
                let i = ((latencies.len() * p).div_ceil(100)).saturating_sub(1);
                latencies[i.min(latencies.len() - 1)].as_millis() as u64
            })
        };
        HealthView {
            calls,
            success_rate: (calls > 0).then(|| ok as f64 / calls as f64),
            latency_p50_ms: percentile(50),
            latency_p95_ms: percentile(95),
            last_success_at: h.last_success.and_then(|t| {
                t.duration_since(UNIX_EPOCH)
                    .ok()
                    .map(|d| d.as_millis() as i64)
            }),
            last_fault: h.last_fault.clone(),
            consecutive_faults: h.consecutive_faults,
            breaker: state,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fault() -> ProviderError {
        ProviderError::Timeout(Duration::from_secs(1))
    }

    #[test]
    fn the_breaker_opens_after_faults_in_a_row_and_a_probe_closes_it() {
        let h = Health::new(Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..FAULTS_TO_OPEN - 1 {
            h.record_at(
                t0,
                Call::Purchase,
                Some(&fault()),
                Duration::from_millis(10),
            );
        }
        assert!(h.admits_at(t0), "still closed one fault short");
        // Reads neither break the run nor add to it; a purchase does.
        h.record_at(t0, Call::Other, None, Duration::from_millis(10));
        h.record_at(t0, Call::Other, Some(&fault()), Duration::from_millis(10));
        assert_eq!(h.state_at(t0), BreakerState::Closed);
        h.record_at(t0, Call::Purchase, None, Duration::from_millis(10));
        h.record_at(
            t0,
            Call::Purchase,
            Some(&fault()),
            Duration::from_millis(10),
        );
        assert_eq!(h.state_at(t0), BreakerState::Closed);
        for _ in 0..FAULTS_TO_OPEN {
            h.record_at(
                t0,
                Call::Purchase,
                Some(&fault()),
                Duration::from_millis(10),
            );
        }
        assert_eq!(h.state_at(t0), BreakerState::Open);
        assert!(!h.admits_at(t0 + Duration::from_secs(29)));
        let later = t0 + Duration::from_secs(31);
        assert_eq!(h.state_at(later), BreakerState::HalfOpen);
        assert!(h.admits_at(later), "one probe");
        assert!(!h.admits_at(later), "one at a time");
        // A probe whose outcome never came (its request was dropped) is given up.
        let lost = later + Duration::from_secs(31);
        assert!(h.admits_at(lost), "another probe after a cooldown");
        h.record_at(later, Call::Purchase, None, Duration::from_millis(10));
        assert_eq!(h.state_at(later), BreakerState::Closed);
        assert!(h.admits_at(later));
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let h = Health::new(Duration::from_secs(30));
        let t0 = Instant::now();
        for _ in 0..FAULTS_TO_OPEN {
            h.record_at(
                t0,
                Call::Purchase,
                Some(&fault()),
                Duration::from_millis(10),
            );
        }
        let later = t0 + Duration::from_secs(31);
        assert!(h.admits_at(later));
        h.record_at(
            later,
            Call::Purchase,
            Some(&fault()),
            Duration::from_millis(10),
        );
        assert_eq!(h.state_at(later), BreakerState::Open);
        assert!(!h.admits_at(later + Duration::from_secs(1)));
    }

    #[test]
    fn the_view_has_the_rate_and_latencies_of_the_window() {
        let h = Health::new(Duration::from_secs(30));
        assert_eq!(h.view().success_rate, None);
        for ms in 1..=100 {
            h.record(Call::Other, None, Duration::from_millis(ms));
        }
        h.record(
            Call::Other,
            Some(&ProviderError::RateLimited),
            Duration::from_millis(500),
        );
        let v = h.view();
        assert_eq!(v.calls, 101);
        assert!((v.success_rate.unwrap() - 100.0 / 101.0).abs() < 1e-9);
        assert_eq!(v.latency_p50_ms, Some(51));
        assert_eq!(v.latency_p95_ms, Some(96));
        assert!(v.last_success_at.is_some());
        assert_eq!(
            v.last_fault.as_deref(),
            Some("rate limited by the provider")
        );
        assert_eq!(
            v.consecutive_faults, 0,
            "a read's fault does not count toward opening"
        );
        assert!(!is_fault(&ProviderError::NoNumbers));
    }
}
