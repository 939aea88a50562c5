//! Usage: rentals and verifications started, extended, ended and active, over time and by
//! service, country and provider.

use super::{asked, breakdowns, by_bucket, catch_up, ratio, Tally};
use crate::api::dto::{
    AnalyticsQuery, RentalCounts, UsagePoint, UsageReport, UsageShare, UsageTotals,
    VerificationCounts,
};
use crate::domain::analytics::{Granularity, HOUR_MS};
use crate::server::clock::from_ms;
use crate::server::services::activity::{RENTAL, VERIFICATION};
use crate::server::state::AppState;
use crate::server::storage::analytics::{self as store, Sums};
use crate::server::ServerError;

pub async fn usage(state: &AppState, q: &AnalyticsQuery) -> Result<UsageReport, ServerError> {
    let asked = asked(state, q)?;
    catch_up(state).await?;
    let range = asked.range;
    let (dim, value) = asked.dim();
    let rows = store::sums(
        &state.db,
        Sums {
            by_bucket: true,
            ..Sums::total(dim, value, &range)
        },
    )
    .await?;
    // Open at the range's start: open now, less what opened (net) since.
    let (rentals_now, verifications_now) = store::open_now(&state.db, dim, value).await?;
    let until = Granularity::Hour.next(Granularity::Hour.floor(state.clock.now_ms()));
    let since =
        Tally::of(&store::between(&state.db, dim, value, range.from, until.max(range.from)).await?);
    let mut rentals_active = rentals_now - rentals_open(&since);
    let mut verifications_active = verifications_now - verifications_open(&since);
    let mut points = Vec::new();
    for (bucket, t) in by_bucket(&range, &rows) {
        rentals_active += rentals_open(&t);
        verifications_active += verifications_open(&t);
        points.push(UsagePoint {
            bucket: from_ms(bucket),
            rentals: rental_counts(&t, rentals_active),
            verifications: verification_counts(&t, verifications_active),
        });
    }
    let all = Tally::of(&rows);
    let rentals = rental_counts(&all, rentals_active);
    let ended =
        all.sum(Some(RENTAL), "released", None)[3] + all.sum(Some(RENTAL), "expired", None)[3];
    let ended_count = rentals.released + rentals.expired;
    let totals = UsageTotals {
        average_rental_hours: ratio(ended, ended_count).map(|ms| ms / HOUR_MS as f64),
        extension_rate: ratio(rentals.extended, rentals.started),
        auto_renew_rate: ratio(
            all.sum(Some(RENTAL), "started", Some("auto_renew"))[0],
            rentals.started,
        ),
        verifications: verification_counts(&all, verifications_active),
        rentals,
    };
    let [by_service, by_country, by_provider] = breakdowns(state, &range).await?.map(|values| {
        let mut list: Vec<UsageShare> = values
            .into_iter()
            .map(|(key, t)| UsageShare {
                key,
                rentals_started: t.count(Some(RENTAL), "started"),
                rentals_extended: t.count(Some(RENTAL), "extended"),
                verifications_started: t.count(Some(VERIFICATION), "started"),
                verifications_finished: t.count(Some(VERIFICATION), "finished"),
            })
            .filter(|s| s.rentals_started + s.rentals_extended + s.verifications_started > 0)
            .collect();
        list.sort_by(|a, b| {
            (b.rentals_started + b.verifications_started)
                .cmp(&(a.rentals_started + a.verifications_started))
                .then_with(|| a.key.cmp(&b.key))
        });
        list
    });
    Ok(UsageReport {
        range: asked.view(),
        points,
        totals,
        by_service,
        by_country,
        by_provider,
    })
}

/// Rentals started less those that ended.
fn rentals_open(t: &Tally) -> i64 {
    t.count(Some(RENTAL), "started")
        - t.count(Some(RENTAL), "released")
        - t.count(Some(RENTAL), "expired")
}

/// Verifications bought less those that ended.
fn verifications_open(t: &Tally) -> i64 {
    t.count(Some(VERIFICATION), "started")
        - t.count(Some(VERIFICATION), "finished")
        - t.count(Some(VERIFICATION), "cancelled")
        - t.count(Some(VERIFICATION), "timed_out")
}

fn rental_counts(t: &Tally, active: i64) -> RentalCounts {
    RentalCounts {
        started: t.count(Some(RENTAL), "started"),
        extended: t.count(Some(RENTAL), "extended"),
        auto_renewed: t.sum(Some(RENTAL), "extended", Some("auto_renew"))[0],
        released: t.count(Some(RENTAL), "released"),
        expired: t.count(Some(RENTAL), "expired"),
        active,
    }
}

fn verification_counts(t: &Tally, active: i64) -> VerificationCounts {
    VerificationCounts {
        started: t.count(Some(VERIFICATION), "started"),
        finished: t.count(Some(VERIFICATION), "finished"),
        cancelled: t.count(Some(VERIFICATION), "cancelled"),
        timed_out: t.count(Some(VERIFICATION), "timed_out"),
        active,
    }
}
