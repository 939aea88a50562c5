//! Charts drawn on the server as SVG, in one style: a line chart for series over time and a
//! bar chart for breakdowns. Each is an accessible image (a title and a description), shows
//! each point's figure on hover (SVG `<title>`, no script needed), and carries its data as a
//! table beneath, so it reads with JavaScript off and in a screen reader.

use leptos::prelude::*;

/// One line of a line chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    pub values: Vec<f64>,
}

const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 220.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 12.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;
/// At most this many labels along the bottom.
const X_LABELS: usize = 8;

/// The top of the axis and its step: a round number at or above `max` (1, 2 or 5 times a power
/// of ten per step, four steps or so).
pub fn nice_scale(max: f64) -> (f64, f64) {
    if !max.is_finite() || max <= 0.0 {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power);
    ((max / step).ceil() * step, step)
}

/// A figure as the axis and the tooltips show it: whole numbers as they are, others to two
/// places.
pub fn figure(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        format!("{v:.2}")
    }
}

fn x_at(i: usize, n: usize) -> f64 {
    let plot = WIDTH - LEFT - RIGHT;
    if n <= 1 {
        LEFT + plot / 2.0
    } else {
        LEFT + plot * i as f64 / (n - 1) as f64
    }
}

fn y_at(v: f64, top: f64) -> f64 {
    let plot = HEIGHT - TOP - BOTTOM;
    TOP + plot * (1.0 - (v / top).clamp(0.0, 1.0))
}

/// Series over time: `labels` name the points (dates), each series has one value per label.
#[component]
pub fn LineChart(
    /// Unique on the page (the ids of the title and description).
    id: &'static str,
    title: String,
    description: String,
    labels: Vec<String>,
    series: Vec<Series>,
    /// Where the chart's data downloads as CSV.
    #[prop(optional)]
    csv: Option<String>,
) -> impl IntoView {
    let max = series
        .iter()
        .flat_map(|s| s.values.iter().copied())
        .fold(0.0, f64::max);
    let (top, step) = nice_scale(max);
    let n = labels.len();
    let ticks: Vec<f64> = (0..)
        .map(|k| k as f64 * step)
        .take_while(|t| *t <= top + step / 2.0)
        .collect();
    let every = n.div_ceil(X_LABELS).max(1);
    let grid = ticks
        .into_iter()
        .map(|t| {
            let y = y_at(t, top);
            view! {
                <line class="chart-grid" x1=LEFT x2=WIDTH - RIGHT y1=y y2=y />
                <text class="chart-tick" x=LEFT - 6.0 y=y + 4.0 text-anchor="end">{figure(t)}</text>
            }
        })
        .collect_view();
    let x_labels = labels
        .iter()
        .enumerate()
        .filter(|(i, _)| i % every == 0)
        .map(|(i, l)| {
            view! {
                <text class="chart-tick" x=x_at(i, n) y=HEIGHT - 8.0 text-anchor="middle">{l.clone()}</text>
            }
        })
        .collect_view();
    let lines = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            // A value that is not a number (NaN) is a gap: the line stops and starts again.
            let mut runs: Vec<Vec<String>> = vec![Vec::new()];
            for (i, v) in s.values.iter().enumerate() {
                if v.is_finite() {
                    if let Some(run) = runs.last_mut() {
                        run.push(format!("{:.1},{:.1}", x_at(i, n), y_at(*v, top)));
                    }
                } else if runs.last().is_some_and(|r| !r.is_empty()) {
                    runs.push(Vec::new());
                }
            }
            let polylines = runs
                .into_iter()
                .filter(|r| !r.is_empty())
                .map(|r| view! { <polyline fill="none" points=r.join(" ") /> })
                .collect_view();
            let dots = s
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| v.is_finite())
                .map(|(i, v)| {
                    let tip = format!(
                        "{}, {}: {}",
                        s.name,
                        labels.get(i).cloned().unwrap_or_default(),
                        figure(*v)
                    );
                    view! {
                        <circle class="chart-dot" cx=x_at(i, n) cy=y_at(*v, top) r="3">
                            <title>{tip}</title>
                        </circle>
                    }
                })
                .collect_view();
            view! {
                <g class=format!("chart-series s{}", k % 6)>
                    {polylines}
                    {dots}
                </g>
            }
        })
        .collect_view();
    let legend = series
        .iter()
        .enumerate()
        .map(|(k, s)| {
            view! {
                <li class=format!("chart-key s{}", k % 6)>
                    <span class="chart-swatch" aria-hidden="true"></span>
                    {s.name.clone()}
                </li>
            }
        })
        .collect_view();
    let head = series
        .iter()
        .map(|s| view! { <th scope="col" class="num">{s.name.clone()}</th> })
        .collect_view();
    let rows = labels
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let cells = series
                .iter()
                .map(|s| {
                    let shown = s
                        .values
                        .get(i)
                        .filter(|v| v.is_finite())
                        .map(|v| figure(*v));
                    view! { <td class="num">{shown.unwrap_or_default()}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{l.clone()}</th>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    view! {
        <figure class="chart" data-testid=id>
            <svg
                class="chart-svg"
                viewBox=format!("0 0 {WIDTH} {HEIGHT}")
                role="img"
                aria-labelledby=title_id.clone()
                aria-describedby=desc_id.clone()
            >
                <title id=title_id.clone()>{title.clone()}</title>
                <desc id=desc_id.clone()>{description}</desc>
                <g class="chart-axis">{grid}</g>
                <g class="chart-axis">{x_labels}</g>
                <line class="chart-baseline" x1=LEFT x2=WIDTH - RIGHT y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM />
                {lines}
            </svg>
            <figcaption>
                <ul class="chart-legend">{legend}</ul>
                {csv.map(|href| view! { <a class="chart-csv" href=href download>"CSV"</a> })}
            </figcaption>
            <details class="chart-data">
                <summary>{format!("{title}: the figures")}</summary>
                <div class="table-wrap">
                    <table class="table">
                        <thead>
                            <tr>
                                <th scope="col">""</th>
                                {head}
                            </tr>
                        </thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// A breakdown: one bar per item, longest first as given.
#[component]
pub fn BarChart(
    id: &'static str,
    title: String,
    description: String,
    /// (name, value, the value as shown: `12.50 USD`).
    bars: Vec<(String, f64, String)>,
    #[prop(optional)] csv: Option<String>,
) -> impl IntoView {
    let max = bars.iter().map(|b| b.1).fold(0.0, f64::max);
    let (top, _) = nice_scale(max);
    let row = 22.0;
    let height = TOP + row * bars.len().max(1) as f64 + 4.0;
    let label_width = 120.0;
    let plot = WIDTH - label_width - RIGHT - 80.0;
    let shapes = bars
        .iter()
        .enumerate()
        .map(|(i, (name, value, shown))| {
            let y = TOP + row * i as f64;
            let w = (plot * (value / top).clamp(0.0, 1.0)).max(1.0);
            view! {
                <g class="chart-bar">
                    <text class="chart-tick" x=label_width - 6.0 y=y + 14.0 text-anchor="end">{name.clone()}</text>
                    <rect x=label_width y=y + 3.0 width=w height=row - 6.0>
                        <title>{format!("{name}: {shown}")}</title>
                    </rect>
                    <text class="chart-tick" x=label_width + w + 6.0 y=y + 14.0>{shown.clone()}</text>
                </g>
            }
        })
        .collect_view();
    let rows = bars
        .iter()
        .map(|(name, _, shown)| {
            view! {
                <tr>
                    <th scope="row">{name.clone()}</th>
                    <td class="num">{shown.clone()}</td>
                </tr>
            }
        })
        .collect_view();
    let title_id = format!("{id}-title");
    let desc_id = format!("{id}-desc");
    view! {
        <figure class="chart" data-testid=id>
            <svg
                class="chart-svg"
                viewBox=format!("0 0 {WIDTH} {height}")
                role="img"
                aria-labelledby=title_id.clone()
                aria-describedby=desc_id.clone()
            >
                <title id=title_id.clone()>{title.clone()}</title>
                <desc id=desc_id.clone()>{description}</desc>
                {shapes}
            </svg>
            <figcaption>
                {csv.map(|href| view! { <a class="chart-csv" href=href download>"CSV"</a> })}
            </figcaption>
            <details class="chart-data">
                <summary>{format!("{title}: the figures")}</summary>
                <div class="table-wrap">
                    <table class="table">
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_end_on_round_numbers() {
        assert_eq!(nice_scale(0.0), (1.0, 0.25));
        assert_eq!(nice_scale(7.0), (8.0, 2.0));
        assert_eq!(nice_scale(100.0), (100.0, 50.0));
        let (top, step) = nice_scale(1234.0);
        assert!(top >= 1234.0 && (top / step - (top / step).round()).abs() < 1e-9);
        assert_eq!(figure(3.0), "3");
        assert_eq!(figure(2.5), "2.50");
    }
}
