//! One pass of a job over the rows it claimed: the work on each, at most `at_once` at a time,
//! each holding one of its poller's slots while it runs, and the rows given back with when
//! each is next due.

use crate::server::state::AppState;
use crate::server::storage::leases;
use futures_util::stream::{self, StreamExt};
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Rows claimed by one pass.
pub struct Claimed<R> {
    pub rows: Vec<(i64, R)>,
    /// The lease the claim holds them until: only rows still so held are given back.
    pub held_until: i64,
    /// The slots reserved for them (none for a pass run by hand).
    pub permits: Option<OwnedSemaphorePermit>,
}

/// Where the rows live.
pub struct Table {
    pub name: &'static str,
    pub id: &'static str,
}

/// How many rows a pass may claim now: `batch`, or as many of the poller's `slots` as are
/// free, with the permits that hold them (`batch` and no permits without slots: a pass run by
/// hand). `None` when every slot is taken.
pub fn reserve(
    slots: Option<&Arc<Semaphore>>,
    batch: i64,
) -> Option<(i64, Option<OwnedSemaphorePermit>)> {
    let Some(slots) = slots else {
        return Some((batch, None));
    };
    let free = slots
        .available_permits()
        .min(usize::try_from(batch).unwrap_or(0));
    let free = u32::try_from(free).ok().filter(|n| *n > 0)?;
    let permits = slots.clone().try_acquire_many_owned(free).ok()?;
    Some((i64::from(free), Some(permits)))
}

/// Pairs each claimed row with one slot of those reserved for the pass; the slots reserved
/// for rows the claim did not find go back at once.
pub fn with_slots<T>(
    rows: Vec<T>,
    mut permits: Option<OwnedSemaphorePermit>,
) -> Vec<(T, Option<OwnedSemaphorePermit>)> {
    rows.into_iter()
        .map(|row| (row, permits.as_mut().and_then(|p| p.split(1))))
        .collect()
}

/// Runs `work` on each claimed row, `at_once` at a time; `work` answers when the row is next
/// due. With `early`, each row is given back as soon as its work ends (what ended together,
/// together), so one slow row keeps only itself; otherwise all at the end, in one transaction.
/// A row's slot is freed when its work ends.
pub async fn finish<R, F, Fut>(
    state: &AppState,
    table: Table,
    claimed: Claimed<R>,
    at_once: usize,
    early: bool,
    work: F,
) where
    F: Fn(R) -> Fut,
    Fut: Future<Output = Option<i64>>,
{
    let Claimed {
        rows,
        held_until,
        permits,
    } = claimed;
    let at_once = at_once.max(1);
    let work = &work;
    let done = stream::iter(with_slots(rows, permits))
        .map(|((id, row), slot)| async move {
            let next = work(row).await;
            drop(slot);
            (id, next)
        })
        .buffer_unordered(at_once);
    let mut not_given_back = Vec::new();
    if early {
        // The rows' work and the giving back run side by side: a give-back waiting for the
        // database's write lock must not stop the work that holds it from being driven on.
        let (finished, mut to_give_back) = tokio::sync::mpsc::unbounded_channel();
        let work_all = done.for_each(move |row| {
            let _ = finished.send(row);
            async {}
        });
        let give_all = async {
            let mut failed = Vec::new();
            while let Some(first) = to_give_back.recv().await {
                // What finished together, together.
                let mut rows = vec![first];
                while let Ok(row) = to_give_back.try_recv() {
                    rows.push(row);
                }
                if give_back(state, &table, held_until, &rows).await.is_err() {
                    failed.extend(rows);
                }
            }
            failed
        };
        // The sender goes with `work_all`: once every row is done, the give-backs end.
        let ((), failed) = tokio::join!(work_all, give_all);
        not_given_back = failed;
    } else {
        let rows: Vec<_> = done.collect().await;
        if give_back(state, &table, held_until, &rows).await.is_err() {
            not_given_back = rows;
        }
    }
    if !not_given_back.is_empty()
        && give_back(state, &table, held_until, &not_given_back)
            .await
            .is_err()
    {
        tracing::error!(
            table = table.name,
            rows = not_given_back.len(),
            "claimed rows not given back: they are claimable again when their lease ends"
        );
    }
}

async fn give_back(
    state: &AppState,
    table: &Table,
    held_until: i64,
    rows: &[(i64, Option<i64>)],
) -> Result<(), sqlx::Error> {
    leases::release_all(&state.db, table.name, table.id, held_until, rows)
        .await
        .inspect_err(
            |e| tracing::warn!(table = table.name, error = %e, "could not give claimed rows back"),
        )
}
