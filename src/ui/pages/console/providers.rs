//! `/admin/analytics/providers`: each provider's delivery, faults, failovers, SMS rate and
//! speed, and cost per successful verification.

use super::{bucket_label, csv_link, percent, range_words, ReportPage};
use crate::api::analytics::analytics_providers;
use crate::api::dto::{AnalyticsQuery, ProviderFigures, ProvidersReport};
use crate::ui::components::chart::{LineChart, Series};
use leptos::prelude::*;

#[component]
pub fn ProviderStatsPage() -> impl IntoView {
    view! {
        <ReportPage
            title="Provider performance"
            report="providers"
            fetch=analytics_providers
            show=|r, q| view! { <ProvidersView r q /> }
        />
    }
}

fn secs(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |s| format!("{s:.0} s"))
}

#[component]
fn ProvidersView(r: ProvidersReport, q: AnalyticsQuery) -> impl IntoView {
    let g = r.range.granularity.clone();
    let mut buckets: Vec<String> = Vec::new();
    for p in &r.points {
        let label = bucket_label(&p.bucket, &g);
        if buckets.last() != Some(&label) {
            buckets.push(label);
        }
    }
    // A bucket it sold nothing in is a gap, not 0 %.
    let rate = |f: &ProviderFigures| f.sms_rate.map_or(f64::NAN, |r| r * 100.0);
    let series: Vec<Series> = r
        .providers
        .iter()
        .map(|p| Series {
            name: p.provider.clone(),
            values: r
                .points
                .iter()
                .filter(|x| x.figures.provider == p.provider)
                .map(|x| rate(&x.figures))
                .collect(),
        })
        .collect();
    let rows = r
        .providers
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <th scope="row">{p.provider.clone()}</th>
                    <td class="num">{p.attempts}</td>
                    <td class="num">{percent(p.delivery_rate)}</td>
                    <td class="num">{percent(p.fault_rate)}</td>
                    <td class="num">{p.failovers}</td>
                    <td class="num">{p.purchases}</td>
                    <td class="num">{percent(p.sms_rate)}</td>
                    <td class="num">{percent(p.verification_success_rate)}</td>
                    <td class="num">{format!("{} / {}", secs(p.first_sms_p50_secs), secs(p.first_sms_p95_secs))}</td>
                    <td class="num money">{p.cost_per_successful_verification.map_or("—".into(), |m| m.display())}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" data-testid="range">{range_words(&r.range)}</p>
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="provider-stats">
                    <thead>
                        <tr>
                            <th scope="col">"Provider"</th>
                            <th scope="col" class="num">"Asked"</th>
                            <th scope="col" class="num">"Delivered"</th>
                            <th scope="col" class="num">"Faults"</th>
                            <th scope="col" class="num">"Failovers"</th>
                            <th scope="col" class="num">"Sold"</th>
                            <th scope="col" class="num">"Got an SMS"</th>
                            <th scope="col" class="num">"Verified"</th>
                            <th scope="col" class="num">"First SMS p50 / p95"</th>
                            <th scope="col" class="num">"Cost per verification"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <a class="chart-csv" href=csv_link("providers", &q, "providers") download>"CSV"</a>
        </section>
        <section class="card">
            <h2>"Numbers that received an SMS (%)"</h2>
            <LineChart
                id="providers-sms-rate"
                title="SMS received, by provider (%)".into()
                description=format!("The share of numbers sold that received an SMS, by provider, {}", range_words(&r.range))
                labels=buckets
                series
                csv=csv_link("providers", &q, "points")
            />
        </section>
    }
}
