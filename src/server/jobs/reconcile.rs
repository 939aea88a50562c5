//! The reconciliation job (its rules are in `services::reconciliation`): a pass every
//! `RECONCILE_INTERVAL_SECS`, on one instance at a time.

use crate::server::services::reconciliation::{self, Repairs};
use crate::server::state::AppState;
use crate::server::storage::leases;
use crate::server::ServerError;
use std::time::Duration;

const NAME: &str = "reconcile";
/// How long a pass holds the job: if its instance dies mid-way, another takes over then. A
/// pass that runs longer overlaps the next one, which is safe (every settlement is
/// conditional), only wasted work.
const LEASE_MS: i64 = 30_000;

/// Runs one pass now (`namaskah reconcile`), whether or not an instance is running one: two
/// passes at once are safe (every settlement is conditional), the lease only saves work.
pub async fn run_once(state: &AppState) -> Result<Repairs, ServerError> {
    let repairs = reconciliation::pass(state).await?;
    if repairs.any() {
        tracing::info!(?repairs, "reconciliation pass");
    }
    Ok(repairs)
}

/// A scheduled pass, if it is due and no other instance is running one.
async fn run_due(state: &AppState) -> Result<Option<Repairs>, ServerError> {
    let now = state.clock.now_ms();
    if !leases::claim_job(&state.db, NAME, now, now + LEASE_MS).await? {
        return Ok(None);
    }
    let outcome = reconciliation::pass(state).await;
    let done = state.clock.now_ms();
    let interval = i64::try_from(state.settings.reconcile_interval_secs * 1000).unwrap_or(60_000);
    leases::finish_job(&state.db, NAME, done, done + interval).await?;
    let repairs = outcome?;
    if repairs.any() {
        tracing::info!(?repairs, "reconciliation pass");
    }
    Ok(Some(repairs))
}

/// Runs a pass whenever one is due, until the process stops.
pub async fn run_until_stopped(state: AppState) {
    let every = Duration::from_secs(state.settings.reconcile_interval_secs);
    loop {
        if let Err(e) = run_due(&state).await {
            tracing::error!(job = "reconciliation", error.cause_chain = ?e, "job pass failed");
        }
        tokio::time::sleep(every).await;
    }
}
