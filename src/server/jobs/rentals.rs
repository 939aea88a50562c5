//! The rental jobs: auto-renew, expiry warnings, expiry, and the message poller.

use super::pass::{self, Claimed, Table};
use crate::server::services::rental_lifecycle as service;
use crate::server::state::AppState;
use crate::server::storage::rentals::{self as store, Due};
use crate::server::ServerError;
use std::sync::Arc;
use tokio::sync::Semaphore;

/// How long a claim on a rental lasts if its holder dies mid-way.
const LEASE_MS: i64 = 30_000;
/// Rentals handled per pass of one job.
const BATCH: i64 = 100;
const RENTALS: Table = Table {
    name: "rentals",
    id: "id",
};

/// Claims up to `batch` due rentals (fewer when the poller's `slots` are taken) and runs
/// `work` on them, `at_once` at a time; each is given back with when it is next due (or, if
/// `work` failed, retried after the lease): as its work ends when `at_once` > 1, else all
/// together.
async fn each(
    state: &AppState,
    due: Due,
    batch: i64,
    at_once: usize,
    slots: Option<&Arc<Semaphore>>,
    work: impl AsyncFn(&AppState, store::RentalRow) -> Result<Option<i64>, ServerError>,
) -> Result<usize, ServerError> {
    let Some((batch, permits)) = pass::reserve(slots, batch) else {
        return Ok(0);
    };
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
    let claimed = Claimed {
        rows: rows.into_iter().map(|r| (r.id, r)).collect(),
        held_until: now + LEASE_MS,
        permits,
    };
    let work = &work;
    pass::finish(state, RENTALS, claimed, at_once, at_once > 1, |row| async move {
        let id = row.id;
        work(state, row).await.unwrap_or_else(|e| {
            tracing::warn!(rental_id = id, ?due, error.cause_chain = ?e, "rental job failed; will retry");
            Some(state.clock.now_ms() + LEASE_MS)
        })
    })
    .await;
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
        None,
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
        None,
        async |state, row| service::warn_expiring(state, row).await.map(|_| None),
    )
    .await
}

pub async fn expire_once(state: &AppState) -> Result<usize, ServerError> {
    each(state, Due::Expiry, BATCH, 1, None, async |state, row| {
        service::expire(state, row).await.map(|_| None)
    })
    .await
}

/// One pass of the message poller, run by hand (tests, the sandbox's clock).
pub async fn poll_once(state: &AppState) -> Result<usize, ServerError> {
    poll(state, None).await
}

/// One pass of the message poller: as many due rentals as the request limit allows per tick
/// and the poller's free `slots`, all at once.
pub async fn poll(state: &AppState, slots: Option<&Arc<Semaphore>>) -> Result<usize, ServerError> {
    let batch = super::poll_budget(state);
    each(
        state,
        Due::Poll,
        batch,
        batch as usize,
        slots,
        async |state, row| {
            service::poll_messages(state, &row).await?;
            let now = state.clock.now_ms();
            Ok(Some(now + service::next_poll_in(state, &row, now)))
        },
    )
    .await
}
