//! Bulk rentals: extend or release several rentals, or rent several identical numbers, in one
//! request. Each item succeeds or fails on its own and says which; one failure never undoes
//! or blocks the others.

use super::{idempotency, rentals};
use crate::api::dto::{BulkAction, BulkOutcome, BulkRequest, BulkResults, NewRentals};
use crate::api::AppError;
use crate::server::state::AppState;
use crate::server::ServerError;

/// The most rentals one bulk request may name.
pub const MAX_BULK_IDS: usize = 50;
/// The most rentals one bulk create may make.
pub const MAX_BULK_CREATE: u32 = 20;

fn outcome(
    id: Option<i64>,
    result: Result<(crate::api::dto::RentalView, crate::domain::Money), ServerError>,
) -> BulkOutcome {
    match result {
        Ok((rental, amount)) => BulkOutcome {
            id: Some(rental.id),
            ok: true,
            rental: Some(rental),
            amount: Some(amount),
            error: None,
        },
        Err(e) => BulkOutcome {
            id,
            ok: false,
            rental: None,
            amount: None,
            error: Some(AppError::from(e)),
        },
    }
}

/// Extends or releases each named rental in turn (duplicates once), in the order given.
#[tracing::instrument(skip_all, fields(user_id, action = ?req.action, n = req.ids.len()))]
pub async fn apply(
    state: &AppState,
    user_id: i64,
    req: &BulkRequest,
) -> Result<BulkResults, ServerError> {
    let mut ids: Vec<i64> = Vec::with_capacity(req.ids.len());
    for id in &req.ids {
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() {
        return Err(ServerError::validation(
            "ids",
            "must name at least one rental",
        ));
    }
    if ids.len() > MAX_BULK_IDS {
        return Err(ServerError::validation(
            "ids",
            format!("must name at most {MAX_BULK_IDS} rentals"),
        ));
    }
    let hours = match (req.action, req.hours) {
        (BulkAction::Extend, None) => {
            return Err(ServerError::validation("hours", "is required to extend"))
        }
        (_, hours) => hours.unwrap_or_default(),
    };
    let mut results = Vec::with_capacity(ids.len());
    for id in ids {
        let result = match req.action {
            BulkAction::Extend => rentals::extend(state, user_id, id, hours)
                .await
                .map(|x| (x.rental, x.charged)),
            BulkAction::Release => rentals::release(state, user_id, id)
                .await
                .map(|r| (r.rental, r.refund)),
        };
        results.push(outcome(Some(id), result));
    }
    Ok(BulkResults { results })
}

/// Rents `count` identical numbers, one after another; each is charged on its own.
#[tracing::instrument(skip_all, fields(user_id, count = req.count))]
pub async fn create(
    state: &AppState,
    user_id: i64,
    req: &NewRentals,
) -> Result<BulkResults, ServerError> {
    if req.count == 0 || req.count > MAX_BULK_CREATE {
        return Err(ServerError::validation(
            "count",
            format!("must be between 1 and {MAX_BULK_CREATE}"),
        ));
    }
    let mut results = Vec::new();
    for i in 0..req.count {
        // Each number is its own paid step: a retry after a crash rents only those not rented.
        let rent = rentals::create(state, user_id, &req.rental);
        let result = idempotency::step(state, &format!("bulk.create:{i}"), &i, rent)
            .await
            .map(|r| {
                let cost = r.cost;
                (r, cost)
            });
        // Bad input fails the same way every time: answer it once, as a whole.
        if results.is_empty() {
            if let Err(e @ ServerError::Validation { .. }) = result {
                return Err(e);
            }
        }
        results.push(outcome(None, result));
    }
    Ok(BulkResults { results })
}
