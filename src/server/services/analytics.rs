//! The operators' analytics (`/api/admin/analytics/…`): each report reads the rollups for a
//! range, after folding what is not yet counted, and builds its figures from the sums.

mod customers;
mod forecasts;
mod money;
mod providers;
mod savings;
mod usage;

pub use customers::customers;
pub use forecasts::{customer_forecast, forecasts};
pub use money::money;
pub use providers::providers;
pub use savings::savings;
pub use usage::usage;

use crate::api::dto::{AnalyticsQuery, FilterView, RangeView};
use crate::domain::analytics::{Granularity, Range, DAY_MS};
use crate::server::clock::from_ms;
use crate::server::state::AppState;
use crate::server::storage::activity;
use crate::server::storage::analytics::SumRow;
use crate::server::ServerError;
use chrono::{DateTime, NaiveDate};
use std::collections::BTreeMap;

/// The range, granularity and filter a query asks for, checked.
#[derive(Clone, Debug)]
pub struct Asked {
    pub range: Range,
    /// (`service` | `country` | `provider`, value) when one is looked at alone.
    pub filter: Option<(&'static str, String)>,
}

impl Asked {
    /// The rollup dimension and value the series are read from.
    pub fn dim(&self) -> (&'static str, Option<&str>) {
        match &self.filter {
            Some((dim, value)) => (dim, Some(value.as_str())),
            None => ("all", None),
        }
    }

    pub fn view(&self) -> RangeView {
        RangeView {
            from: from_ms(self.range.from),
            to: from_ms(self.range.to),
            granularity: self.range.granularity.as_str().to_owned(),
            filter: self.filter.as_ref().map(|(d, v)| FilterView {
                dimension: (*d).to_owned(),
                value: v.clone(),
            }),
        }
    }
}

/// How long a range may be by default: the last 30 days.
const DEFAULT_DAYS: i64 = 30;

/// Reads `q`: `from`/`to` as RFC 3339 times or dates (UTC), the granularity, and at most one
/// filter; every fault names its parameter.
pub fn asked(state: &AppState, q: &AnalyticsQuery) -> Result<Asked, ServerError> {
    let granularity = match q.granularity.as_deref() {
        None | Some("") => Granularity::Day,
        Some(g) => Granularity::parse(g).ok_or_else(|| {
            ServerError::validation("granularity", "must be hour, day, week or month")
        })?,
    };
    let to = match q.to.as_deref() {
        None | Some("") => state.clock.now_ms() + 1,
        Some(t) => time("to", t)?,
    };
    let from = match q.from.as_deref() {
        // The last 30 days, today among them.
        None | Some("") => Granularity::Day.floor(to - 1) - (DEFAULT_DAYS - 1) * DAY_MS,
        Some(f) => time("from", f)?,
    };
    let range = Range::new(from, to, granularity)
        .map_err(|e| ServerError::validation(e.field, e.message))?;
    let filters: Vec<(&'static str, &String)> = [
        ("service", q.service.as_ref()),
        ("country", q.country.as_ref()),
        ("provider", q.provider.as_ref()),
    ]
    .into_iter()
    .filter_map(|(d, v)| v.filter(|v| !v.is_empty()).map(|v| (d, v)))
    .collect();
    let filter = match filters.as_slice() {
        [] => None,
        [(dim, value)] => Some((*dim, (*value).clone())),
        [_, (dim, _), ..] => {
            return Err(ServerError::validation(
                dim,
                "look at one of service, country or provider at a time",
            ))
        }
    };
    Ok(Asked { range, filter })
}

/// An RFC 3339 time or a `YYYY-MM-DD` date (its midnight, UTC), in ms.
fn time(field: &'static str, raw: &str) -> Result<i64, ServerError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Ok(t.timestamp_millis());
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp_millis())
        .ok_or_else(|| {
            ServerError::validation(
                field,
                format!("expected an RFC 3339 time or a YYYY-MM-DD date, got {raw:?}"),
            )
        })
}

/// The most activity rows one catch-up folds before answering (the job folds the rest).
const MOST_FOLDED: u64 = 200_000;
const FOLD_BATCH: i64 = 5_000;

/// Folds what is not yet counted, so a report includes everything that has happened. Another
/// instance folding at the same moment is no failure: it counts those rows.
pub async fn catch_up(state: &AppState) -> Result<(), ServerError> {
    let mut folded = 0;
    while folded < MOST_FOLDED {
        match activity::fold(&state.db, FOLD_BATCH).await {
            Ok(0) => break,
            Ok(n) => folded += n,
            Err(e) if activity::folded_elsewhere(&e) => break,
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Sums by kind of event: `(product, event, detail)` → (events, amount, cost, time).
#[derive(Clone, Debug, Default)]
pub struct Tally(BTreeMap<(String, String, String), [i64; 4]>);

impl Tally {
    pub fn add(&mut self, row: &SumRow) {
        let entry = self
            .0
            .entry((row.product.clone(), row.event.clone(), row.detail.clone()))
            .or_default();
        entry[0] += row.events;
        entry[1] += row.amount_units;
        entry[2] += row.cost_units;
        entry[3] += row.value_ms;
    }

    pub fn of<'a>(rows: impl IntoIterator<Item = &'a SumRow>) -> Tally {
        let mut t = Tally::default();
        for r in rows {
            t.add(r);
        }
        t
    }

    /// The sums of `event` (of `product`, or of both when `None`), whatever its detail, or of
    /// one detail.
    pub fn sum(&self, product: Option<&str>, event: &str, detail: Option<&str>) -> [i64; 4] {
        let mut out = [0; 4];
        for ((p, e, d), v) in &self.0 {
            if e == event
                && product.is_none_or(|want| p == want)
                && detail.is_none_or(|want| d == want)
            {
                for i in 0..4 {
                    out[i] += v[i];
                }
            }
        }
        out
    }

    pub fn count(&self, product: Option<&str>, event: &str) -> i64 {
        self.sum(product, event, None)[0]
    }

    /// Every detail of `event` with its sums.
    pub fn details(&self, product: Option<&str>, event: &str) -> BTreeMap<String, [i64; 4]> {
        let mut out: BTreeMap<String, [i64; 4]> = BTreeMap::new();
        for ((p, e, d), v) in &self.0 {
            if e == event && product.is_none_or(|want| p == want) {
                let slot = out.entry(d.clone()).or_default();
                for i in 0..4 {
                    slot[i] += v[i];
                }
            }
        }
        out
    }

    /// The sum of every event's provider cost.
    pub fn cost(&self, product: Option<&str>) -> i64 {
        self.0
            .iter()
            .filter(|((p, _, _), _)| product.is_none_or(|want| p == want))
            .map(|(_, v)| v[2])
            .sum()
    }
}

/// Rows grouped by bucket, one tally per bucket of the range (empty ones too).
pub fn by_bucket(range: &Range, rows: &[SumRow]) -> Vec<(i64, Tally)> {
    let mut tallies: BTreeMap<i64, Tally> = range
        .buckets()
        .into_iter()
        .map(|b| (b, Tally::default()))
        .collect();
    for row in rows {
        if let Some(t) = tallies.get_mut(&row.bucket) {
            t.add(row);
        }
    }
    tallies.into_iter().collect()
}

/// The range's sums by service, by country and by provider (the reports' breakdowns, which
/// always cover everything in the range).
pub async fn breakdowns(
    state: &AppState,
    range: &Range,
) -> Result<[BTreeMap<String, Tally>; 3], ServerError> {
    let mut out: [BTreeMap<String, Tally>; 3] = Default::default();
    for (slot, dim) in out.iter_mut().zip(["service", "country", "provider"]) {
        let q = crate::server::storage::analytics::Sums {
            by_value: true,
            ..crate::server::storage::analytics::Sums::total(dim, None, range)
        };
        *slot = by_value(&crate::server::storage::analytics::sums(&state.db, q).await?);
    }
    Ok(out)
}

/// Rows grouped by the dimension's value.
pub fn by_value(rows: &[SumRow]) -> BTreeMap<String, Tally> {
    let mut out: BTreeMap<String, Tally> = BTreeMap::new();
    for row in rows {
        out.entry(row.dim_value.clone()).or_default().add(row);
    }
    out
}

/// `a / b`, or `None` when there is nothing to divide by.
pub fn ratio(a: i64, b: i64) -> Option<f64> {
    (b != 0).then(|| a as f64 / b as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tally_sums_by_event_and_detail() {
        let row = |product: &str, event: &str, detail: &str, n: i64| SumRow {
            bucket: 0,
            dim_value: String::new(),
            product: product.into(),
            event: event.into(),
            detail: detail.into(),
            events: n,
            amount_units: 10 * n,
            cost_units: n,
            value_ms: 0,
        };
        let t = Tally::of(&[
            row("rental", "refunded", "early_release", 2),
            row("verification", "refunded", "cancelled", 3),
            row("verification", "refunded", "timed_out", 1),
        ]);
        assert_eq!(t.count(None, "refunded"), 6);
        assert_eq!(t.count(Some("verification"), "refunded"), 4);
        assert_eq!(t.sum(None, "refunded", Some("cancelled")), [3, 30, 3, 0]);
        assert_eq!(t.details(None, "refunded").len(), 3);
        assert_eq!(t.cost(Some("rental")), 2);
        assert_eq!(ratio(1, 0), None);
    }
}
