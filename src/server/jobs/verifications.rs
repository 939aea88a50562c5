//! The verification jobs: the poller (fast while a code is expected) and expiry (time out and
//! refund what received nothing; finish what received a code).

use crate::server::services::verifications as service;
use crate::server::state::AppState;
use crate::server::storage::verifications::{self as store, Due};
use crate::server::ServerError;
use futures_util::stream::{self, StreamExt};

/// How long a claim lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Verifications expired per pass.
const BATCH: i64 = 100;

/// Polls as many due verifications as the request limit allows per tick, all at once, and
/// gives each back as soon as its poll is done, with when it is next due.
pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    let batch = super::poll_budget(state);
    let now = state.clock.now_ms();
    let rows = store::claim_due(&state.db, Due::Poll, now, LEASE_MS, batch).await?;
    super::note_lag(
        state,
        super::VERIFICATION_POLLER,
        now,
        rows.iter().map(|r| r.next_poll_at),
    );
    let count = rows.len();
    let mut done = stream::iter(rows)
        .map(|row| async move {
            let id = row.verification_id;
            let polled = async {
                super::within_deadline(service::poll(state, &row)).await?;
                service::next_poll(state, id).await
            };
            let next = polled.await.unwrap_or_else(|e| {
                tracing::warn!(verification_id = id, error.cause_chain = ?e, "verification poll failed; will retry");
                Some(state.clock.now_ms() + 2_000)
            });
            (id, next)
        })
        .buffer_unordered(batch as usize)
        .ready_chunks(batch as usize);
    // Given back as they finish: one slow poll keeps only its own verification leased.
    while let Some(finished) = done.next().await {
        store::unlease_all(&state.db, &finished).await?;
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
