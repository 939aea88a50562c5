//! The verification jobs: the poller (fast while a code is expected) and expiry (time out and
//! refund what received nothing; finish what received a code).

use super::pass::{self, Claimed, Table};
use crate::server::providers::ProviderError;
use crate::server::services::verifications as service;
use crate::server::state::AppState;
use crate::server::storage::verifications::{self as store, Due};
use crate::server::ServerError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// How long a claim lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Verifications expired per pass.
const BATCH: i64 = 100;
/// A failed poll is tried again this soon (a customer is waiting on the code)…
const RETRY_MS: i64 = 2_000;
const VERIFICATIONS: Table = Table {
    name: "verification",
    id: "verification_id",
};

/// One pass of the poller, run by hand (tests, the sandbox's clock).
pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    poll(state, None).await
}

/// Polls as many due verifications as the request limit allows per tick (and the poller's
/// free `slots`), all at once, and gives each back as soon as its poll is done, with when it
/// is next due.
pub async fn poll(state: &AppState, slots: Option<&Arc<Semaphore>>) -> Result<usize, ServerError> {
    let Some((batch, permits)) = pass::reserve(slots, super::poll_budget(state)) else {
        return Ok(0);
    };
    let now = state.clock.now_ms();
    let rows = store::claim_due(&state.db, Due::Poll, now, LEASE_MS, batch).await?;
    super::note_lag(
        state,
        super::VERIFICATION_POLLER,
        now,
        rows.iter().map(|r| r.next_poll_at),
    );
    let count = rows.len();
    let claimed = Claimed {
        rows: rows.into_iter().map(|r| (r.verification_id, r)).collect(),
        held_until: now + LEASE_MS,
        permits,
    };
    pass::finish(state, VERIFICATIONS, claimed, count, true, |row| async move {
        let id = row.verification_id;
        let polled = async {
            service::poll(state, &row).await?;
            service::next_poll(state, id).await
        };
        polled.await.unwrap_or_else(|e| {
            tracing::warn!(verification_id = id, error.cause_chain = ?e, "verification poll failed; will retry");
            // …unless the provider hangs: then not before the lease would have ended.
            let wait = match e {
                ServerError::Provider(ProviderError::Timeout(_)) => LEASE_MS,
                _ => RETRY_MS,
            };
            Some(state.clock.now_ms() + wait)
        })
    })
    .await;
    Ok(count)
}

pub async fn expire_once(state: &AppState) -> Result<usize, ServerError> {
    let now = state.clock.now_ms();
    let rows = store::claim_due(&state.db, Due::Expiry, now, LEASE_MS, BATCH).await?;
    let count = rows.len();
    for row in rows {
        let id = row.verification_id;
        if let Err(e) = service::expire(state, row).await {
            tracing::warn!(verification_id = id, error.cause_chain = ?e, "verification expiry failed; will retry");
        }
        store::unlease(&state.db, now + LEASE_MS, id, None).await?;
    }
    Ok(count)
}
