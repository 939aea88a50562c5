//! What analytics count of each business event: one `activity` row, written in the
//! transaction that makes the event happen, so the counts are exactly what happened (the
//! analytics job folds them into the rollups the console reads).

use crate::domain::analytics::delay_band;
use crate::server::providers::router::Attempt;
use crate::server::state::AppState;
use crate::server::storage::activity::{self as store, Activity};
use crate::server::storage::rentals::RentalRow;
use crate::server::storage::verifications::VerificationRow;
use sqlx::AnyConnection;

pub const RENTAL: &str = "rental";
pub const VERIFICATION: &str = "verification";

/// `event` of the rental `row` at `at`, with no money or time (set those that apply).
pub fn rental<'a>(row: &'a RentalRow, event: &'static str, at: i64) -> Activity<'a> {
    Activity {
        at,
        product: RENTAL,
        event,
        user_id: row.user_id,
        service: &row.service_name,
        country: &row.country_code,
        provider: &row.provider,
        detail: "",
        amount_units: 0,
        cost_units: 0,
        value_ms: 0,
    }
}

/// `event` of the verification `row` at `at`.
pub fn verification<'a>(row: &'a VerificationRow, event: &'static str, at: i64) -> Activity<'a> {
    Activity {
        at,
        product: VERIFICATION,
        event,
        user_id: row.user_id,
        service: &row.service_name,
        country: &row.country_code,
        provider: &row.provider,
        detail: "",
        amount_units: 0,
        cost_units: 0,
        value_ms: 0,
    }
}

/// The first SMS of a rental or verification bought at `created_at`, stored at `now`: the
/// time it took, counted in its delay band.
pub async fn first_sms(
    conn: &mut AnyConnection,
    base: Activity<'_>,
    created_at: i64,
) -> Result<(), sqlx::Error> {
    let delay = (base.at - created_at).max(0);
    let band = delay_band(delay);
    store::insert(
        conn,
        &Activity {
            detail: &band,
            value_ms: delay,
            ..base
        },
    )
    .await
}

/// The providers a purchase of `product` (`service` in `country`) asked, in turn: an
/// `attempt` each, with its outcome, and a `failover` for each that failed and handed over to
/// the next. Written on their own: they happened whatever becomes of the purchase.
pub async fn attempts(
    state: &AppState,
    product: &'static str,
    user_id: i64,
    service: &str,
    country: &str,
    attempts: &[Attempt],
) {
    let now = state.clock.now_ms();
    let mut rows = Vec::new();
    for (i, a) in attempts.iter().enumerate() {
        let base = Activity {
            at: now,
            product,
            event: "attempt",
            user_id,
            service,
            country,
            provider: a.provider,
            detail: a.outcome,
            amount_units: 0,
            cost_units: 0,
            value_ms: 0,
        };
        if i + 1 < attempts.len() {
            rows.push(Activity {
                event: "failover",
                ..base.clone()
            });
        }
        rows.push(base);
    }
    for row in &rows {
        if let Err(e) = store::insert_on(&state.db.pool, row).await {
            tracing::warn!(error = %e, "could not record a purchase attempt for analytics");
        }
    }
}

pub use store::{insert as record, insert_on as record_on};
