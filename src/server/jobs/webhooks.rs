//! The webhook delivery job: sends due deliveries, each holding one of the job's slots while
//! it waits on its endpoint, so a slow endpoint keeps only its own.

use super::pass;
use crate::server::services::webhooks;
use crate::server::state::AppState;
use crate::server::storage::webhooks as store;
use crate::server::ServerError;
use futures_util::stream::{self, StreamExt};
use std::sync::Arc;
use tokio::sync::Semaphore;

/// How long a claim on a delivery lasts: longer than an attempt can take.
const LEASE_MS: i64 = 60_000;
/// Deliveries sent per pass.
const BATCH: i64 = 32;

/// One pass, run by hand (tests, the sandbox's clock).
pub async fn deliver_once(state: &AppState) -> Result<usize, ServerError> {
    deliver(state, None).await
}

/// Claims due deliveries (no more than the free `slots`) and sends them all at once.
pub async fn deliver(
    state: &AppState,
    slots: Option<&Arc<Semaphore>>,
) -> Result<usize, ServerError> {
    let Some((batch, permits)) = pass::reserve(slots, BATCH) else {
        return Ok(0);
    };
    let now = state.clock.now_ms();
    let claimed = store::claim_due(&state.db, now, LEASE_MS, batch).await?;
    let count = claimed.len();
    stream::iter(pass::with_slots(claimed, permits))
        .for_each_concurrent(None, |((delivery, endpoint), slot)| async move {
            webhooks::deliver(state, delivery, endpoint, now + LEASE_MS).await;
            drop(slot);
        })
        .await;
    Ok(count)
}
