//! Cost optimisation: for each offer (rental or verification of a service in a country), the
//! providers that sold it and
//! what each cost us per purchase and how often what it sold received an SMS; where another
//! provider sold it for less at a success rate at least as good, the money that would have
//! saved.

use super::{asked, by_value, catch_up, Tally};
use crate::api::dto::{AnalyticsQuery, Saving, SavingsReport};
use crate::domain::analytics::Granularity;
use crate::domain::Money;
use crate::server::services::activity::{RENTAL, VERIFICATION};
use crate::server::state::AppState;
use crate::server::storage::analytics::{self as store, Sums};
use crate::server::ServerError;
use std::collections::BTreeMap;

/// Purchases a provider needs in the range before its figures are trusted as the cheaper one.
pub const MIN_PURCHASES: i64 = 5;

/// One provider's record on one offer.
#[derive(Clone, Debug, PartialEq)]
struct Record {
    provider: String,
    purchases: i64,
    cost_units: i64,
    success: f64,
}

impl Record {
    fn average(&self) -> i64 {
        self.cost_units / self.purchases.max(1)
    }
}

pub async fn savings(state: &AppState, q: &AnalyticsQuery) -> Result<SavingsReport, ServerError> {
    let asked = asked(state, q)?;
    catch_up(state).await?;
    // Offers are summed by day.
    let range = asked.range;
    let rows = store::sums(
        &state.db,
        Sums {
            by_value: true,
            granularity: match range.granularity {
                Granularity::Hour => Granularity::Day,
                g => g,
            },
            ..Sums::total("offer", None, &range)
        },
    )
    .await?;
    let mut offers: BTreeMap<(&'static str, String, String), Vec<Record>> = BTreeMap::new();
    for (key, t) in by_value(&rows) {
        let mut parts = key.splitn(3, '/');
        let (Some(service), Some(country), Some(provider)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        // A service or a country narrows the offers compared; a provider narrows only whose
        // purchases could have been cheaper (below): it is compared with the others still.
        if let Some((dim, value)) = &asked.filter {
            let matches = match *dim {
                "service" => service == value,
                "country" => country == value,
                _ => true,
            };
            if !matches {
                continue;
            }
        }
        for product in [RENTAL, VERIFICATION] {
            if let Some(r) = record(product, provider, &t) {
                offers
                    .entry((product, service.to_owned(), country.to_owned()))
                    .or_default()
                    .push(r);
            }
        }
    }
    let mut savings: Vec<Saving> = offers
        .into_iter()
        .flat_map(|((product, service, country), records)| {
            records
                .iter()
                .filter(|r| match &asked.filter {
                    Some(("provider", value)) => r.provider == *value,
                    _ => true,
                })
                .filter_map(|r| {
                    let better = records
                        .iter()
                        .filter(|o| {
                            o.provider != r.provider
                                && o.purchases >= MIN_PURCHASES
                                && o.success >= r.success
                                && o.average() < r.average()
                        })
                        .min_by_key(|o| o.average())?;
                    Some(Saving {
                        product: product.to_owned(),
                        service: service.clone(),
                        country: country.clone(),
                        provider: r.provider.clone(),
                        purchases: r.purchases,
                        average_cost: Money::from_units(r.average()),
                        success_rate: r.success,
                        cheaper_provider: better.provider.clone(),
                        cheaper_average_cost: Money::from_units(better.average()),
                        cheaper_success_rate: better.success,
                        saving: Money::from_units((r.average() - better.average()) * r.purchases),
                    })
                })
                .collect::<Vec<_>>()
        })
        .collect();
    savings.sort_by_key(|s| std::cmp::Reverse(s.saving.decimal()));
    let total = savings.iter().map(|s| s.saving.units()).sum();
    Ok(SavingsReport {
        range: asked.view(),
        savings,
        total: Money::from_units(total),
    })
}

/// A provider's purchases of one product of an offer: what buying them cost us (less what
/// the provider gave back; extensions are not purchases and are left out), and the share that
/// received an SMS.
fn record(product: &str, provider: &str, t: &Tally) -> Option<Record> {
    let purchases = t.count(Some(product), "started");
    (purchases > 0).then(|| Record {
        provider: provider.to_owned(),
        purchases,
        cost_units: t.sum(Some(product), "started", None)[2]
            + t.sum(Some(product), "refunded", None)[2],
        success: t.count(Some(product), "first_sms") as f64 / purchases as f64,
    })
}
