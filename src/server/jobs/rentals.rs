//! The rental jobs: auto-renew, expiry warnings, expiry, and the message poller.

use crate::server::services::rental_lifecycle as service;
use crate::server::state::AppState;
use crate::server::storage::rentals::{self as store, Due};
use crate::server::ServerError;
use futures_util::stream::{self, StreamExt};

/// How long a claim on a rental lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Rentals handled per pass of one job.
const BATCH: i64 = 100;
/// Claims up to `batch` due rentals and runs `work` on them, `at_once` at a time, and gives
/// each back as soon as its work is done, with when it is next due (or, if `work` failed,
/// retried after the lease).
async fn each(
    state: &AppState,
    due: Due,
    batch: i64,
    at_once: usize,
    work: impl AsyncFn(&AppState, store::RentalRow) -> Result<Option<i64>, ServerError>,
) -> Result<usize, ServerError> {
    let now = state.clock.now_ms();
    let rows = store::claim_due(&state.db, due, now, LEASE_MS, batch).await?;
    if matches!(due, Due::Poll) {
        super::note_lag(
            state,
            super::SMS_POLLER,
            now,
            rows.iter().map(|r| r.next_poll_at),
        );
    }
    let count = rows.len();
    let work = &work;
    let at_once = at_once.max(1);
    let mut done = stream::iter(rows)
        .map(|row| async move {
            let id = row.id;
            let next_poll = match work(state, row).await {
                Ok(next) => next,
                Err(e) => {
                    tracing::warn!(rental_id = id, ?due, error.cause_chain = ?e, "rental job failed; will retry");
                    Some(state.clock.now_ms() + LEASE_MS)
                }
            };
            (id, next_poll)
        })
        .buffer_unordered(at_once)
        .ready_chunks(at_once);
    // Given back as they finish (what finished together, together): one slow rental keeps
    // only itself leased.
    while let Some(finished) = done.next().await {
        store::unlease_all(&state.db, &finished).await?;
    }
    Ok(count)
}

pub async fn renew_once(state: &AppState) -> Result<usize, ServerError> {
    each(
        state,
        Due::Renewal {
            within_ms: service::RENEW_BEFORE_MS,
        },
        BATCH,
        1,
        async |state, row| service::auto_renew(state, row).await.map(|_| None),
    )
    .await
}

pub async fn warn_once(state: &AppState) -> Result<usize, ServerError> {
    each(
        state,
        Due::Warning {
            within_ms: service::WARN_BEFORE_MS,
        },
        BATCH,
        1,
        async |state, row| service::warn_expiring(state, row).await.map(|_| None),
    )
    .await
}

pub async fn expire_once(state: &AppState) -> Result<usize, ServerError> {
    each(state, Due::Expiry, BATCH, 1, async |state, row| {
        service::expire(state, row).await.map(|_| None)
    })
    .await
}

pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    let batch = super::poll_budget(state);
    each(
        state,
        Due::Poll,
        batch,
        batch as usize,
        async |state, row| {
            super::within_deadline(service::poll_messages(state, &row)).await?;
            let now = state.clock.now_ms();
            Ok(Some(now + service::next_poll_in(state, &row, now)))
        },
    )
    .await
}
