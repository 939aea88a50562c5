//! Demand forecasts: additive Holt-Winters (level, trend and a weekly season) over daily
//! counts, its smoothing factors chosen by least squares of the one-step errors, and its
//! error measured on the last days held out of the fit.

use serde::{Deserialize, Serialize};

/// A forecast and how good the method was on days it had not seen.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Forecast {
    /// `holt_winters` or, for a short history, `mean` (the mean of what there is).
    pub method: String,
    pub alpha: f64,
    pub beta: f64,
    pub gamma: f64,
    /// The next days, from the day after the series ends.
    pub points: Vec<f64>,
    /// What a fit without the held-out days predicted for them, and what they were.
    pub held_out: Vec<(f64, f64)>,
    /// Mean absolute error on the held-out days.
    pub mae: Option<f64>,
    /// Mean absolute percentage error on the held-out days that were not zero.
    pub mape: Option<f64>,
}

/// The factors tried for each of alpha, beta and gamma.
const GRID: [f64; 9] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/// Forecasts `horizon` days after `series` (daily counts, oldest first), with a season of
/// `season` days; the last `holdout` days are first held out to measure the error.
pub fn forecast(series: &[f64], season: usize, horizon: usize, holdout: usize) -> Forecast {
    let holdout = holdout.min(series.len().saturating_sub(1));
    let train = &series[..series.len() - holdout];
    let actual = &series[series.len() - holdout..];
    let (method, fit) = if train.len() >= 2 * season && season > 0 {
        ("holt_winters", best_fit(train, season))
    } else {
        ("mean", None)
    };
    let predicted = match fit {
        Some(f) => f.ahead(train, season, holdout),
        None => vec![mean(train); holdout],
    };
    let held_out: Vec<(f64, f64)> = predicted
        .iter()
        .copied()
        .zip(actual.iter().copied())
        .collect();
    let mae = (!held_out.is_empty())
        .then(|| held_out.iter().map(|(p, a)| (p - a).abs()).sum::<f64>() / held_out.len() as f64);
    let nonzero: Vec<&(f64, f64)> = held_out.iter().filter(|(_, a)| *a != 0.0).collect();
    let mape = (!nonzero.is_empty()).then(|| {
        100.0
            * nonzero
                .iter()
                .map(|(p, a)| ((p - a) / a).abs())
                .sum::<f64>()
            / nonzero.len() as f64
    });
    // The forecast itself is fitted on everything.
    let full = (method == "holt_winters")
        .then(|| best_fit(series, season))
        .flatten();
    let points = match full {
        Some(f) => f.ahead(series, season, horizon),
        None => vec![mean(series); horizon],
    };
    let f = full.unwrap_or_default();
    Forecast {
        method: method.to_owned(),
        alpha: f.alpha,
        beta: f.beta,
        gamma: f.gamma,
        points,
        held_out,
        mae,
        mape,
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq)]
struct Factors {
    alpha: f64,
    beta: f64,
    gamma: f64,
}

/// The factors with the least sum of squared one-step errors over `series`.
fn best_fit(series: &[f64], season: usize) -> Option<Factors> {
    let mut best: Option<(f64, Factors)> = None;
    for alpha in GRID {
        for beta in GRID {
            for gamma in GRID {
                let f = Factors { alpha, beta, gamma };
                let sse = f.run(series, season).0;
                if best.is_none_or(|(b, _)| sse < b) {
                    best = Some((sse, f));
                }
            }
        }
    }
    best.map(|(_, f)| f)
}

impl Factors {
    /// Runs the smoothing over `series`: the sum of squared one-step errors, and the final
    /// level, trend and seasonal terms.
    fn run(&self, series: &[f64], season: usize) -> (f64, f64, f64, Vec<f64>) {
        let first = mean(&series[..season]);
        let second = mean(&series[season..2 * season]);
        let mut level = first;
        let mut trend = (second - first) / season as f64;
        let mut seasonal: Vec<f64> = series[..season].iter().map(|x| x - first).collect();
        let mut sse = 0.0;
        for (t, &x) in series.iter().enumerate().skip(season) {
            let s = t % season;
            let predicted = level + trend + seasonal[s];
            sse += (x - predicted).powi(2);
            let previous = level;
            level = self.alpha * (x - seasonal[s]) + (1.0 - self.alpha) * (level + trend);
            trend = self.beta * (level - previous) + (1.0 - self.beta) * trend;
            seasonal[s] = self.gamma * (x - level) + (1.0 - self.gamma) * seasonal[s];
        }
        (sse, level, trend, seasonal)
    }

    /// The `horizon` values after `series`, never below zero.
    fn ahead(&self, series: &[f64], season: usize, horizon: usize) -> Vec<f64> {
        let (_, level, trend, seasonal) = self.run(series, season);
        let n = series.len();
        (0..horizon)
            .map(|k| (level + (k + 1) as f64 * trend + seasonal[(n + k) % season]).max(0.0))
            .collect()
    }
}

fn mean(xs: &[f64]) -> f64 {
    if xs.is_empty() {
        0.0
    } else {
        xs.iter().sum::<f64>() / xs.len() as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_weekly_pattern_with_a_trend_is_carried_forward() {
        // Weekdays 100, weekends 40, growing by 1 a day: exactly additive.
        let series: Vec<f64> = (0..56)
            .map(|d| if d % 7 >= 5 { 40.0 } else { 100.0 } + d as f64)
            .collect();
        let f = forecast(&series, 7, 14, 14);
        assert_eq!(f.method, "holt_winters");
        assert_eq!(f.points.len(), 14);
        for (k, p) in f.points.iter().enumerate() {
            let d = 56 + k;
            let truth = if d % 7 >= 5 { 40.0 } else { 100.0 } + d as f64;
            assert!((p - truth).abs() < 3.0, "day {d}: {p} vs {truth}");
        }
        assert_eq!(f.held_out.len(), 14);
        assert!(f.mae.unwrap() < 3.0, "{:?}", f.mae);
        assert!(f.mape.unwrap() < 5.0, "{:?}", f.mape);
    }

    #[test]
    fn a_short_history_falls_back_to_its_mean() {
        let f = forecast(&[3.0, 5.0, 4.0], 7, 3, 1);
        assert_eq!(f.method, "mean");
        assert_eq!(f.points, vec![4.0, 4.0, 4.0]);
        assert_eq!(f.held_out, vec![(4.0, 4.0)]);
        assert_eq!(f.mae, Some(0.0));
    }

    #[test]
    fn forecasts_never_go_below_zero() {
        let series: Vec<f64> = (0..28).map(|d| (60 - 2 * d).max(0) as f64).collect();
        let f = forecast(&series, 7, 14, 7);
        assert!(f.points.iter().all(|p| *p >= 0.0));
    }
}
