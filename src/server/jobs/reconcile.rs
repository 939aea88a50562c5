//! The reconciliation job (its rules are in `services::reconciliation`): a pass every
//! `RECONCILE_INTERVAL_SECS`, on one instance at a time.

use crate::server::metrics;
use crate::server::services::reconciliation::{self, Repairs};
use crate::server::state::AppState;
use crate::server::ServerError;
use std::time::Duration;

const NAME: &str = "reconcile";

/// Runs one pass now (`namaskah reconcile`), whether or not an instance is running one: two
/// passes at once are safe (every settlement is conditional), the lease only saves work.
pub async fn run_once(state: &AppState) -> Result<Repairs, ServerError> {
    let repairs = reconciliation::pass(state).await?;
    for (kind, count) in [
        ("adopted", repairs.adopted),
        ("reversed", repairs.reversed),
        ("orphans_closed", repairs.orphans_closed),
        ("upstream_closed", repairs.upstream_closed),
        ("keys_forgotten", repairs.keys_forgotten),
        ("failed", repairs.failed),
    ] {
        metrics::repairs(kind, count);
    }
    if repairs.any() {
        tracing::info!(?repairs, "reconciliation pass");
    }
    Ok(repairs)
}

/// Runs a pass whenever one is due (a pass that runs longer than its lease overlaps the next
/// one, which is safe: every settlement is conditional), until the process stops.
pub async fn run_until_stopped(state: AppState) {
    let every = Duration::from_secs(state.settings.reconcile_interval_secs);
    super::singleton(state, NAME, every, |state| async move {
        run_once(&state).await.map(drop)
    })
    .await;
}
