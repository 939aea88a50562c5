//! The rules of the operators' analytics that need no database: time buckets, the bands of
//! time to a first SMS and the percentiles read from them, and customer segments (RFM).

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::{Deserialize, Serialize};

pub const HOUR_MS: i64 = 3_600_000;
pub const DAY_MS: i64 = 86_400_000;
/// 1970-01-01 was a Thursday: weeks (starting on Monday) are offset by 3 days from the epoch.
const WEEK_OFFSET_MS: i64 = 3 * DAY_MS;
const WEEK_MS: i64 = 7 * DAY_MS;

/// How wide each point of a series is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Hour,
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn parse(s: &str) -> Option<Granularity> {
        match s {
            "hour" => Some(Granularity::Hour),
            "day" => Some(Granularity::Day),
            "week" => Some(Granularity::Week),
            "month" => Some(Granularity::Month),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Granularity::Hour => "hour",
            Granularity::Day => "day",
            Granularity::Week => "week",
            Granularity::Month => "month",
        }
    }

    /// The start of the bucket that holds `ms` (UTC; weeks start on Monday).
    pub fn floor(self, ms: i64) -> i64 {
        match self {
            Granularity::Hour => ms - ms.rem_euclid(HOUR_MS),
            Granularity::Day => ms - ms.rem_euclid(DAY_MS),
            Granularity::Week => ms - (ms + WEEK_OFFSET_MS).rem_euclid(WEEK_MS),
            Granularity::Month => {
                let t = at(ms);
                Utc.with_ymd_and_hms(t.year(), t.month(), 1, 0, 0, 0)
                    .single()
                    .map_or(ms, |m| m.timestamp_millis())
            }
        }
    }

    /// The start of the bucket after the one that starts at `start`.
    pub fn next(self, start: i64) -> i64 {
        match self {
            Granularity::Hour => start + HOUR_MS,
            Granularity::Day => start + DAY_MS,
            Granularity::Week => start + WEEK_MS,
            Granularity::Month => {
                let t = at(start);
                let (y, m) = if t.month() == 12 {
                    (t.year() + 1, 1)
                } else {
                    (t.year(), t.month() + 1)
                };
                Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0)
                    .single()
                    .map_or(start + 31 * DAY_MS, |m| m.timestamp_millis())
            }
        }
    }

    /// Every bucket start from the one holding `from` up to (not including) `to`.
    pub fn buckets(self, from: i64, to: i64) -> Vec<i64> {
        let mut out = Vec::new();
        let mut b = self.floor(from);
        while b < to {
            out.push(b);
            b = self.next(b);
        }
        out
    }
}

fn at(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// The most points a series may have (ten years by week, a month and a half by hour).
pub const MOST_POINTS: usize = 1_100;

/// A range of time asked for: `[from, to)`, widened to whole buckets of its granularity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub from: i64,
    pub to: i64,
    pub granularity: Granularity,
}

/// Why a range cannot be served, with the parameter at fault.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeError {
    pub field: &'static str,
    pub message: String,
}

impl Range {
    /// `from`..`to` in whole buckets of `granularity`; refused when empty or longer than
    /// [`MOST_POINTS`] buckets.
    pub fn new(from: i64, to: i64, granularity: Granularity) -> Result<Range, RangeError> {
        if to <= from {
            return Err(RangeError {
                field: "to",
                message: "must be after `from`".into(),
            });
        }
        let from = granularity.floor(from);
        let last = granularity.floor(to - 1);
        let to = granularity.next(last);
        let points = estimated_points(from, to, granularity);
        if points > MOST_POINTS {
            return Err(RangeError {
                field: "granularity",
                message: format!(
                    "{} points of {} are too many (at most {MOST_POINTS}); ask for a shorter range or a wider granularity",
                    points,
                    granularity.as_str()
                ),
            });
        }
        Ok(Range {
            from,
            to,
            granularity,
        })
    }

    pub fn buckets(&self) -> Vec<i64> {
        self.granularity.buckets(self.from, self.to)
    }

    /// How many days the range spans (at least one).
    pub fn days(&self) -> i64 {
        ((self.to - self.from) / DAY_MS).max(1)
    }
}

fn estimated_points(from: i64, to: i64, g: Granularity) -> usize {
    let width = match g {
        Granularity::Hour => HOUR_MS,
        Granularity::Day => DAY_MS,
        Granularity::Week => WEEK_MS,
        Granularity::Month => 28 * DAY_MS,
    };
    usize::try_from((to - from) / width).unwrap_or(usize::MAX)
}

/// The bands the time from a purchase to its first SMS is counted in: each band's upper end,
/// in seconds (the last band is open).
pub const DELAY_BANDS_SECS: &[i64] = &[
    5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 300, 450, 600, 900, 1200, 1800, 3600,
];

/// The band label of a delay (`le_30` for "30 s or less", `gt_3600` past the last).
pub fn delay_band(delay_ms: i64) -> String {
    let secs = (delay_ms.max(0) + 999) / 1000;
    DELAY_BANDS_SECS
        .iter()
        .find(|&&upper| secs <= upper)
        .map_or_else(
            || format!("gt_{}", DELAY_BANDS_SECS[DELAY_BANDS_SECS.len() - 1]),
            |upper| format!("le_{upper}"),
        )
}

/// The `q` quantile (0.5 for the median) of delays counted by band, in seconds: the upper end
/// of the band it falls in, interpolated within the band. `None` without any count.
pub fn quantile_from_bands(counts: &[(String, i64)], q: f64) -> Option<f64> {
    let mut by_band: Vec<(i64, i64, i64)> = Vec::new(); // (lower, upper, count)
    let last = DELAY_BANDS_SECS[DELAY_BANDS_SECS.len() - 1];
    for (label, n) in counts {
        let (lower, upper) = if let Some(u) = label.strip_prefix("le_") {
            let Ok(upper) = u.parse::<i64>() else {
                continue;
            };
            let lower = DELAY_BANDS_SECS
                .iter()
                .rev()
                .find(|&&b| b < upper)
                .copied()
                .unwrap_or(0);
            (lower, upper)
        } else if label.starts_with("gt_") {
            (last, last * 2)
        } else {
            continue;
        };
        match by_band.iter_mut().find(|b| b.1 == upper) {
            Some(b) => b.2 += n,
            None => by_band.push((lower, upper, *n)),
        }
    }
    by_band.sort_by_key(|b| b.1);
    let total: i64 = by_band.iter().map(|b| b.2).sum();
    if total <= 0 {
        return None;
    }
    let target = q * total as f64;
    let mut seen = 0.0;
    for (lower, upper, n) in &by_band {
        let next = seen + *n as f64;
        if next >= target && *n > 0 {
            let within = (target - seen) / *n as f64;
            return Some(*lower as f64 + within * (*upper - *lower) as f64);
        }
        seen = next;
    }
    by_band.last().map(|b| b.1 as f64)
}

/// A customer segment from their recency, frequency and monetary scores (1 to 5 each, 5 the
/// best: bought most recently, most often, for the most).
pub fn rfm_segment(r: i64, f: i64, m: i64) -> &'static str {
    let fm = (f + m) as f64 / 2.0;
    match (r, fm) {
        (5, fm) if fm >= 4.0 => "champions",
        (4..=5, fm) if fm >= 3.0 => "loyal",
        (4..=5, _) => "new_or_promising",
        (3, fm) if fm >= 3.0 => "needs_attention",
        (3, _) => "about_to_sleep",
        (1..=2, fm) if fm >= 4.0 => "cannot_lose",
        (1..=2, fm) if fm >= 2.5 => "at_risk",
        _ => "hibernating",
    }
}

/// Every segment, in the order the console shows them.
pub const SEGMENTS: &[&str] = &[
    "champions",
    "loyal",
    "new_or_promising",
    "needs_attention",
    "about_to_sleep",
    "cannot_lose",
    "at_risk",
    "hibernating",
];

/// An RFC 3339 time for a bucket start.
pub fn iso(ms: i64) -> String {
    at(ms).to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A day's start `days` after `ms`'s day.
pub fn days_after(ms: i64, days: i64) -> i64 {
    (at(ms) + Duration::days(days)).timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis()
    }

    #[test]
    fn buckets_start_on_the_hour_day_monday_and_first_of_the_month() {
        let t = ms("2026-12-02T15:42:10Z"); // a Wednesday
        assert_eq!(iso(Granularity::Hour.floor(t)), "2026-12-02T15:00:00Z");
        assert_eq!(iso(Granularity::Day.floor(t)), "2026-12-02T00:00:00Z");
        assert_eq!(iso(Granularity::Week.floor(t)), "2026-11-30T00:00:00Z");
        assert_eq!(iso(Granularity::Month.floor(t)), "2026-12-01T00:00:00Z");
        assert_eq!(
            iso(Granularity::Month.next(ms("2026-12-01T00:00:00Z"))),
            "2027-01-01T00:00:00Z"
        );
        let months =
            Granularity::Month.buckets(ms("2026-01-15T00:00:00Z"), ms("2026-04-01T00:00:00Z"));
        assert_eq!(
            months.into_iter().map(iso).collect::<Vec<_>>(),
            [
                "2026-01-01T00:00:00Z",
                "2026-02-01T00:00:00Z",
                "2026-03-01T00:00:00Z"
            ]
        );
    }

    #[test]
    fn a_range_is_widened_to_whole_buckets_and_refused_when_empty_or_too_long() {
        let r = Range::new(
            ms("2026-12-02T15:42:10Z"),
            ms("2026-12-04T01:00:00Z"),
            Granularity::Day,
        )
        .unwrap();
        assert_eq!(iso(r.from), "2026-12-02T00:00:00Z");
        assert_eq!(iso(r.to), "2026-12-05T00:00:00Z");
        assert_eq!(r.buckets().len(), 3);
        assert_eq!(Range::new(5, 5, Granularity::Day).unwrap_err().field, "to");
        let year = Range::new(
            ms("2026-01-01T00:00:00Z"),
            ms("2027-01-01T00:00:00Z"),
            Granularity::Hour,
        );
        assert_eq!(year.unwrap_err().field, "granularity");
    }

    #[test]
    fn delays_fall_in_bands_and_quantiles_interpolate_within_them() {
        assert_eq!(delay_band(0), "le_5");
        assert_eq!(delay_band(5_000), "le_5");
        assert_eq!(delay_band(5_001), "le_10");
        assert_eq!(delay_band(7_200_000), "gt_3600");
        // Ten delays in (10, 15] and ten in (30, 45]: the median is at the top of the first
        // band, the 95th percentile nine tenths into the second.
        let counts = vec![("le_15".to_owned(), 10), ("le_45".to_owned(), 10)];
        assert_eq!(quantile_from_bands(&counts, 0.5), Some(15.0));
        assert_eq!(quantile_from_bands(&counts, 0.95), Some(43.5));
        assert_eq!(quantile_from_bands(&[], 0.5), None);
    }

    #[test]
    fn segments_follow_the_scores() {
        assert_eq!(rfm_segment(5, 5, 5), "champions");
        assert_eq!(rfm_segment(4, 3, 3), "loyal");
        assert_eq!(rfm_segment(5, 1, 1), "new_or_promising");
        assert_eq!(rfm_segment(1, 5, 5), "cannot_lose");
        assert_eq!(rfm_segment(2, 3, 2), "at_risk");
        assert_eq!(rfm_segment(1, 1, 1), "hibernating");
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    assert!(SEGMENTS.contains(&rfm_segment(r, f, m)));
                }
            }
        }
    }
}
