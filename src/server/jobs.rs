//! Background work: each job has a `run_once` (what tests and the sandbox clock call) and runs
//! in a loop in `serve`. Jobs claim rows with leases, so several instances never process the
//! same rental at once.

pub mod board;
mod pass;
pub mod reconcile;
pub mod rentals;
pub mod verifications;
pub mod webhooks;

use super::metrics;
use super::state::AppState;
use super::storage::leases;
use super::ServerError;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// What one pass of every job did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    pub renewed: usize,
    pub warned: usize,
    pub expired: usize,
    pub polled: usize,
    pub verifications_expired: usize,
    pub verifications_polled: usize,
    pub webhooks_sent: usize,
}

/// Runs every job once, in the order that keeps the rules: verifications (a customer is
/// waiting on those), then rentals: renew before warning, warn before expiring, and poll what
/// is still active.
pub async fn run_due(state: &AppState) -> Report {
    prune_events(state).await;
    // Verifications first: a code is awaited right now, and their polls must not queue
    // behind a pass over many long rentals at the provider's request limit.
    let verifications_expired = timed(
        state,
        "verification_expiry",
        verifications::expire_once(state),
    )
    .await;
    let verifications_polled =
        timed(state, VERIFICATION_POLLER, verifications::poll_once(state)).await;
    Report {
        renewed: timed(state, "auto_renew", rentals::renew_once(state)).await,
        warned: timed(state, "expiry_warning", rentals::warn_once(state)).await,
        expired: timed(state, "rental_expiry", rentals::expire_once(state)).await,
        polled: timed(state, SMS_POLLER, rentals::poll_once(state)).await,
        verifications_expired,
        verifications_polled,
        webhooks_sent: timed(state, WEBHOOK_SENDER, webhooks::deliver_once(state)).await,
    }
}

/// Notes how late the most overdue of the polls a pass claimed at `now` was.
fn note_lag(state: &AppState, job: &'static str, now: i64, due: impl Iterator<Item = i64>) {
    let oldest = due.min().unwrap_or(now);
    metrics::job_lag(job, now - oldest);
    state.jobs.lag(job, now - oldest);
}

/// The pollers' names, as logs and metrics give them.
pub const SMS_POLLER: &str = "sms_poller";
pub const VERIFICATION_POLLER: &str = "verification_poller";
pub const WEBHOOK_SENDER: &str = "webhook_sender";

/// Forgets stored events older than a day, webhook deliveries done with for a month, the rate
/// limits' refilled keys and the sign-in failures of a day ago, at most once a minute.
async fn prune_events(state: &AppState) {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = state.clock.now_ms();
    if now - LAST.load(Ordering::Relaxed) < 60_000 {
        return;
    }
    LAST.store(now, Ordering::Relaxed);
    state.rate_limits.prune();
    if let Err(e) = super::services::sign_in_throttle::prune(state).await {
        tracing::warn!(error = %e, "could not prune the sign-in backoff");
    }
    if let Err(e) = super::storage::events::prune(&state.db.pool, now - 24 * 3_600_000).await {
        tracing::warn!(error = %e, "could not prune old events");
    }
    let kept_from = now - super::services::webhooks::KEEP_DELIVERIES_MS;
    if let Err(e) = super::storage::webhooks::prune(&state.db.pool, kept_from).await {
        tracing::warn!(error = %e, "could not prune old webhook deliveries");
    }
}

/// Runs one pass of `job`, counted and timed in the metrics; a failure is logged (and the
/// next pass tries again).
async fn timed<T: Default>(
    state: &AppState,
    job: &'static str,
    pass: impl Future<Output = Result<T, ServerError>>,
) -> T {
    let started = std::time::Instant::now();
    let outcome = pass.await;
    let took = started.elapsed();
    metrics::job_pass(job, outcome.is_ok(), took);
    let error = outcome.as_ref().err().map(ToString::to_string);
    state.jobs.pass(job, state.clock.now_ms(), took, error);
    outcome.unwrap_or_else(|e| {
        tracing::error!(job, error.cause_chain = ?e, "job pass failed");
        T::default()
    })
}

/// The most rentals or verifications polled in one pass (and at once).
const MOST_POLLED_PER_PASS: i64 = 32;

/// How many to poll per pass, all at once: as many as the provider's request limit allows per
/// tick (5 at 5SIM's 50/s), so a pass never queues on the limit and the next job's polls are
/// not kept waiting; at most `MOST_POLLED_PER_PASS`.
fn poll_budget(state: &AppState) -> i64 {
    let rate = state
        .settings
        .provider_rate(state.settings.fivesim_rate_limit);
    let per_tick = i64::from(rate) * TICK_MS as i64 / 1000;
    per_tick.clamp(1, MOST_POLLED_PER_PASS)
}

/// How often the jobs look for due work. With fresh rentals polled every 600 ms, a new SMS
/// reaches the page within about 0.8 s of the provider having it.
pub const TICK_MS: u64 = 100;

/// Runs the jobs ten times a second until the process stops (a pass with nothing due is one
/// indexed read per job, and takes no write lock), and the reconciliation job on its own
/// schedule. The two pollers, the webhook sender and the rest of the rentals' lifecycle run
/// side by side, so a provider (or a customer's endpoint) that hangs holds up only its own
/// orders (see `poller`).
pub async fn run_until_stopped(state: AppState) {
    tokio::spawn(reconcile::run_until_stopped(state.clone()));
    tokio::spawn(singleton(
        state.clone(),
        "provider-balances",
        PROVIDER_BALANCE_EVERY,
        |state| async move {
            super::services::provider_alerts::check(&state)
                .await
                .map(drop)
        },
    ));
    tokio::spawn(fold_analytics(state.clone()));
    tokio::spawn(poller(
        state.clone(),
        VERIFICATION_POLLER,
        |state, slots| async move { verifications::poll(&state, Some(&slots)).await },
    ));
    tokio::spawn(poller(
        state.clone(),
        WEBHOOK_SENDER,
        |state, slots| async move { webhooks::deliver(&state, Some(&slots)).await },
    ));
    tokio::spawn(poller(
        state.clone(),
        SMS_POLLER,
        |state, slots| async move { rentals::poll(&state, Some(&slots)).await },
    ));
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        prune_events(&state).await;
        timed(
            &state,
            "verification_expiry",
            verifications::expire_once(&state),
        )
        .await;
        timed(&state, "auto_renew", rentals::renew_once(&state)).await;
        timed(&state, "expiry_warning", rentals::warn_once(&state)).await;
        timed(&state, "rental_expiry", rentals::expire_once(&state)).await;
    }
}

/// The most polls of one poller in flight at once, on one instance.
const POLLS_IN_FLIGHT: usize = 256;

/// Starts a pass of a poller every tick without waiting for the previous one. Each poll holds
/// one of the poller's `POLLS_IN_FLIGHT` slots while it runs, and a pass claims no more rows
/// than there are free slots: polls waiting on a slow provider keep only their own slots and
/// orders, while the next ticks' passes claim and poll the others. (A provider's read gives up
/// after `providers::POLL_DEADLINE`, well within the lease.)
async fn poller<F, Fut>(state: AppState, job: &'static str, pass: F)
where
    F: Fn(AppState, Arc<Semaphore>) -> Fut,
    Fut: Future<Output = Result<usize, ServerError>> + Send + 'static,
{
    let slots = Arc::new(Semaphore::new(POLLS_IN_FLIGHT));
    let mut tick = tokio::time::interval(Duration::from_millis(TICK_MS));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        if slots.available_permits() == 0 {
            continue;
        }
        let running = pass(state.clone(), slots.clone());
        let state = state.clone();
        tokio::spawn(async move { timed(&state, job, running).await });
    }
}

/// How often new activity is folded into the analytics rollups (a report folds what is left
/// before it answers, so this only keeps that work small).
const ANALYTICS_EVERY: Duration = Duration::from_secs(5);

/// Folds new activity into the rollups every few seconds, until the process stops. Any
/// instance may: two folds at once never count a row twice (see `storage::activity::fold`).
async fn fold_analytics(state: AppState) {
    let mut tick = tokio::time::interval(ANALYTICS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        timed(
            &state,
            "analytics_fold",
            super::services::analytics::catch_up(&state),
        )
        .await;
    }
}

/// How often the providers' balances are checked against `PROVIDER_BALANCE_ALERT`.
const PROVIDER_BALANCE_EVERY: Duration = Duration::from_secs(300);

/// How long a singleton job's pass holds it: if its instance dies mid-way, another takes over
/// then.
const SINGLETON_LEASE_MS: i64 = 30_000;

/// A job that runs on one instance at a time: every `every`, the instance that claims it (a
/// lease in `job_lease`) runs `pass`, until the process stops.
async fn singleton<F, Fut>(state: AppState, name: &'static str, every: Duration, pass: F)
where
    F: Fn(AppState) -> Fut,
    Fut: Future<Output = Result<(), ServerError>>,
{
    let every_ms = i64::try_from(every.as_millis()).unwrap_or(i64::MAX);
    loop {
        let now = state.clock.now_ms();
        match leases::claim_job(&state.db, name, now, now + SINGLETON_LEASE_MS).await {
            Ok(true) => {
                timed(&state, name, pass(state.clone())).await;
                let done = state.clock.now_ms();
                if let Err(e) = leases::finish_job(&state.db, name, done, done + every_ms).await {
                    tracing::error!(job = name, error.cause_chain = ?e, "could not schedule the next pass");
                }
            }
            Ok(false) => {}
            Err(e) => {
                tracing::error!(job = name, error.cause_chain = ?e, "could not claim the job")
            }
        }
        tokio::time::sleep(every).await;
    }
}
