//! `/admin/analytics/customers`: new and returning customers, cohorts, segments and the top
//! spenders.

use super::{bucket_label, csv_link, money_figure, range_words, ReportPage};
use crate::api::analytics::analytics_customers;
use crate::api::dto::{AnalyticsQuery, CustomersReport};
use crate::ui::components::chart::{BarChart, LineChart, Series};
use leptos::prelude::*;

#[component]
pub fn CustomersPage() -> impl IntoView {
    view! {
        <ReportPage
            title="Customers"
            report="customers"
            fetch=analytics_customers
            show=|r, q| view! { <CustomersView r q /> }
        />
    }
}

#[component]
fn CustomersView(r: CustomersReport, q: AnalyticsQuery) -> impl IntoView {
    let g = r.range.granularity.clone();
    let labels: Vec<String> = r
        .points
        .iter()
        .map(|p| bucket_label(&p.bucket, &g))
        .collect();
    let series = vec![
        Series {
            name: "New".into(),
            values: r.points.iter().map(|p| p.new as f64).collect(),
        },
        Series {
            name: "Returning".into(),
            values: r.points.iter().map(|p| p.returning as f64).collect(),
        },
    ];
    let longest = r.cohorts.iter().map(|c| c.active.len()).max().unwrap_or(0);
    let head = (0..longest)
        .map(|m| view! { <th scope="col" class="num">{format!("+{m}")}</th> })
        .collect_view();
    let cohorts = r
        .cohorts
        .iter()
        .map(|c| {
            let cells = c
                .retention
                .iter()
                .zip(&c.active)
                .map(|(share, n)| {
                    // The cell's shade (in tenths: the page allows no inline style) says how
                    // many stayed; the figure says it too.
                    let shade = format!("num cohort-cell shade-{}", (share * 10.0).round().clamp(0.0, 10.0) as u8);
                    view! { <td class=shade title=format!("{n} customers")>{format!("{:.0} %", share * 100.0)}</td> }
                })
                .collect_view();
            view! {
                <tr>
                    <th scope="row">{c.cohort.format("%b %Y").to_string()}</th>
                    <td class="num">{c.size}</td>
                    {cells}
                </tr>
            }
        })
        .collect_view();
    let segments = r
        .segments
        .iter()
        .map(|s| {
            (
                s.segment.replace('_', " "),
                s.customers as f64,
                format!("{} · {}", s.customers, s.spend.display()),
            )
        })
        .collect::<Vec<_>>();
    let top = r
        .top
        .iter()
        .map(|t| {
            view! {
                <tr>
                    <th scope="row">{t.email.clone()}</th>
                    <td class="num">{t.purchases}</td>
                    <td class="num money">{t.spend.display()}</td>
                </tr>
            }
        })
        .collect_view();
    let spent: f64 = r.top.iter().map(|t| money_figure(&t.spend)).sum();
    view! {
        <p class="muted" data-testid="range">{range_words(&r.range)}</p>
        <section class="card">
            <h2>"New and returning"</h2>
            <LineChart
                id="customers-series"
                title="New and returning customers".into()
                description=format!("Customers who bought for the first time, and those who came back, {}", range_words(&r.range))
                labels
                series
                csv=csv_link("customers", &q, "points")
            />
        </section>
        <section class="card">
            <h2>"Cohorts"</h2>
            <p class="muted">"By the month of their first purchase: the share who bought again in each month since."</p>
            <div class="table-wrap">
                <table class="table cohorts" data-testid="cohorts">
                    <thead><tr><th scope="col">"First bought"</th><th scope="col" class="num">"Customers"</th>{head}</tr></thead>
                    <tbody>{cohorts}</tbody>
                </table>
            </div>
            <a class="chart-csv" href=csv_link("customers", &q, "cohorts") download>"CSV"</a>
        </section>
        <div class="grid-2">
            <section class="card">
                <h2>"Segments"</h2>
                <BarChart
                    id="customers-segments"
                    title="Customers by segment".into()
                    description="Every customer now, by how recently, how often and how much they bought".into()
                    bars=segments
                    csv=csv_link("customers", &q, "segments")
                />
            </section>
            <section class="card">
                <h2>"Top customers"</h2>
                <div class="table-wrap">
                    <table class="table" data-testid="top-customers">
                        <thead><tr><th scope="col">"Customer"</th><th scope="col" class="num">"Purchases"</th><th scope="col" class="num">"Spent"</th></tr></thead>
                        <tbody>{top}</tbody>
                    </table>
                </div>
                <p class="muted">{format!("Together: {spent:.2}")}</p>
                <a class="chart-csv" href=csv_link("customers", &q, "top") download>"CSV"</a>
            </section>
        </div>
    }
}
