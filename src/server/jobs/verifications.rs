//! The verification jobs: the poller (fast while a code is expected) and expiry (time out and
//! refund what received nothing; finish what received a code).

use crate::server::services::verifications as service;
use crate::server::state::AppState;
use crate::server::storage::verifications::{self as store, Due};
use crate::server::ServerError;

/// How long a claim lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Verifications handled per pass of one job.
const BATCH: i64 = 100;

pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    let rows =
        store::claim_due(&state.db, Due::Poll, state.clock.now_ms(), LEASE_MS, BATCH).await?;
    let count = rows.len();
    for row in rows {
        let id = row.verification_id;
        let next = match service::poll(state, &row).await {
            Ok(_) => service::next_poll(state, id).await?,
            Err(e) => {
                tracing::warn!(verification_id = id, error.cause_chain = ?e, "verification poll failed; will retry");
                Some(state.clock.now_ms() + 2_000)
            }
        };
        store::unlease(&state.db, id, next).await?;
    }
    Ok(count)
}

pub async fn expire_once(state: &AppState) -> Result<usize, ServerError> {
    let rows = store::claim_due(
        &state.db,
        Due::Expiry,
        state.clock.now_ms(),
        LEASE_MS,
        BATCH,
    )
    .await?;
    let count = rows.len();
    for row in rows {
        let id = row.verification_id;
        if let Err(e) = service::expire(state, row).await {
            tracing::warn!(verification_id = id, error.cause_chain = ?e, "verification expiry failed; will retry");
        }
        store::unlease(&state.db, id, None).await?;
    }
    Ok(count)
}
