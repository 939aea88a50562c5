//! Providers: how often each sold a number when asked, failed, was failed over from; how
//! often what it sold received an SMS, and how soon; what a successful verification cost.

use super::{asked, by_value, catch_up, ratio, Tally};
use crate::api::dto::{AnalyticsQuery, ProviderFigures, ProviderPoint, ProvidersReport};
use crate::domain::analytics::quantile_from_bands;
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::services::activity::VERIFICATION;
use crate::server::state::AppState;
use crate::server::storage::analytics::{self as store, Sums};
use crate::server::ServerError;
use std::collections::BTreeMap;

/// Attempt outcomes that say the provider failed (as its circuit breaker counts them).
const FAULTS: &[&str] = &[
    "timeout",
    "upstream_fault",
    "rate_limited",
    "unauthorized",
    "decode",
    "unconfirmed",
    "insufficient_balance",
];

pub async fn providers(
    state: &AppState,
    q: &AnalyticsQuery,
) -> Result<ProvidersReport, ServerError> {
    let asked = asked(state, q)?;
    catch_up(state).await?;
    let range = asked.range;
    // Always by provider: a provider filter keeps that one.
    let only = asked
        .filter
        .as_ref()
        .filter(|(d, _)| *d == "provider")
        .map(|(_, v)| v.as_str());
    let rows = store::sums(
        &state.db,
        Sums {
            by_bucket: true,
            by_value: true,
            ..Sums::total("provider", only, &range)
        },
    )
    .await?;
    let providers = by_value(&rows)
        .into_iter()
        .map(|(name, t)| figures(name, &t))
        .collect();
    let names: Vec<String> = by_value(&rows).into_keys().collect();
    let mut tallies: BTreeMap<(i64, &str), Tally> = BTreeMap::new();
    for row in &rows {
        tallies
            .entry((row.bucket, row.dim_value.as_str()))
            .or_default()
            .add(row);
    }
    let empty = Tally::default();
    let mut points = Vec::new();
    for bucket in range.buckets() {
        for name in &names {
            points.push(ProviderPoint {
                bucket: from_ms(bucket),
                figures: figures(
                    name.clone(),
                    tallies.get(&(bucket, name.as_str())).unwrap_or(&empty),
                ),
            });
        }
    }
    Ok(ProvidersReport {
        range: asked.view(),
        providers,
        points,
    })
}

fn figures(provider: String, t: &Tally) -> ProviderFigures {
    let attempts = t.count(None, "attempt");
    let delivered = t.sum(None, "attempt", Some("ok"))[0];
    let faults: i64 = FAULTS
        .iter()
        .map(|f| t.sum(None, "attempt", Some(f))[0])
        .sum();
    let purchases = t.count(None, "started");
    let with_sms = t.count(None, "first_sms");
    let finished = t.count(Some(VERIFICATION), "finished");
    let ended = finished
        + t.count(Some(VERIFICATION), "cancelled")
        + t.count(Some(VERIFICATION), "timed_out");
    let bands: Vec<(String, i64)> = t
        .details(None, "first_sms")
        .into_iter()
        .map(|(band, v)| (band, v[0]))
        .collect();
    let verification_cost = t.cost(Some(VERIFICATION));
    ProviderFigures {
        provider,
        attempts,
        delivered,
        delivery_rate: ratio(delivered, attempts),
        faults,
        fault_rate: ratio(faults, attempts),
        failovers: t.count(None, "failover"),
        purchases,
        with_sms,
        sms_rate: ratio(with_sms, purchases),
        verifications_finished: finished,
        verifications_ended: ended,
        verification_success_rate: ratio(finished, ended),
        first_sms_p50_secs: quantile_from_bands(&bands, 0.5),
        first_sms_p95_secs: quantile_from_bands(&bands, 0.95),
        cost_per_successful_verification: (finished > 0)
            .then(|| Money::from_units(verification_cost / finished)),
    }
}
