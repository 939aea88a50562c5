//! The rental jobs: auto-renew, expiry warnings, expiry, and the message poller.

use crate::server::services::rentals as service;
use crate::server::state::AppState;
use crate::server::storage::rentals::{self as store, Due};
use crate::server::ServerError;

/// How long a claim on a rental lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Rentals handled per pass of one job.
const BATCH: i64 = 100;
/// Rentals polled per pass: a pass waits on the provider's request limit, so a small batch
/// keeps every pass short and leaves room for the verifications' polls in the next one.
const POLL_BATCH: i64 = 10;

async fn each(
    state: &AppState,
    due: Due,
    batch: i64,
    work: impl AsyncFn(&AppState, store::RentalRow) -> Result<Option<i64>, ServerError>,
) -> Result<usize, ServerError> {
    let now = state.clock.now_ms();
    let rows = store::claim_due(&state.db, due, now, LEASE_MS, batch).await?;
    let count = rows.len();
    for row in rows {
        let id = row.id;
        let next_poll = match work(state, row).await {
            Ok(next) => next,
            Err(e) => {
                tracing::warn!(rental_id = id, ?due, error.cause_chain = ?e, "rental job failed; will retry");
                Some(state.clock.now_ms() + LEASE_MS)
            }
        };
        store::unlease(&state.db, id, next_poll).await?;
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
        async |state, row| service::warn_expiring(state, row).await.map(|_| None),
    )
    .await
}

pub async fn expire_once(state: &AppState) -> Result<usize, ServerError> {
    each(state, Due::Expiry, BATCH, async |state, row| {
        service::expire(state, row).await.map(|_| None)
    })
    .await
}

pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    each(state, Due::Poll, POLL_BATCH, async |state, row| {
        service::poll_messages(state, &row).await?;
        let now = state.clock.now_ms();
        Ok(Some(now + service::poll_interval_ms(now - row.created_at)))
    })
    .await
}
