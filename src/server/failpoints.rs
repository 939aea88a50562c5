//! Named failpoints at each step where a crash could strand money: after the hold, after the
//! provider sold a number, after recording it, around the idempotency bookkeeping. They are
//! compiled in only with the `failpoints` feature (tests), through the `fail` crate, and armed
//! with `FAILPOINTS=<name>=return` in the environment.
//!
//! An armed failpoint stops the request where it stands: it writes `failpoint reached: <name>`
//! to stderr and blocks that thread for good, so that the crash tests can `kill -9` the process
//! at exactly that step.

/// Marks the step `name`; a no-op unless the `failpoints` feature is on and `name` is armed.
#[inline]
pub fn failpoint(name: &'static str) {
    #[cfg(feature = "failpoints")]
    fail::fail_point!(name, |_| pause(name));
    #[cfg(not(feature = "failpoints"))]
    let _ = name;
}

#[cfg(feature = "failpoints")]
fn pause(name: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "failpoint reached: {name}");
    let _ = err.flush();
    loop {
        std::thread::sleep(std::time::Duration::from_secs(3600));
    }
}

/// Reads `FAILPOINTS` from the environment (keep the guard for the life of the process).
#[cfg(feature = "failpoints")]
pub fn setup() -> fail::FailScenario<'static> {
    fail::FailScenario::setup()
}
