//! `/admin/analytics/money`: revenue, refunds, provider cost and margin over time and by
//! service, country and provider.

use super::{bucket_label, csv_link, money_figure, range_words, ReportPage};
use crate::api::analytics::analytics_money;
use crate::api::dto::{AnalyticsQuery, MoneyReport, MoneyShare};
use crate::ui::components::chart::{BarChart, LineChart, Series};
use leptos::prelude::*;

#[component]
pub fn MoneyPage() -> impl IntoView {
    view! {
        <ReportPage
            title="Money"
            report="money" filters=true
            fetch=analytics_money
            show=|r, q| view! { <MoneyView r q /> }
        />
    }
}

#[component]
fn MoneyView(r: MoneyReport, q: AnalyticsQuery) -> impl IntoView {
    let g = r.range.granularity.clone();
    let labels: Vec<String> = r
        .points
        .iter()
        .map(|p| bucket_label(&p.bucket, &g))
        .collect();
    let line = |name: &str, f: fn(&crate::api::dto::MoneyFigures) -> f64| Series {
        name: name.to_owned(),
        values: r.points.iter().map(|p| f(&p.figures)).collect(),
    };
    let series = vec![
        line("Revenue", |f| money_figure(&f.revenue)),
        line("Net revenue", |f| money_figure(&f.net_revenue)),
        line("Provider cost", |f| money_figure(&f.provider_cost)),
        line("Margin", |f| money_figure(&f.margin)),
    ];
    let t = &r.totals;
    let bars = |list: &[MoneyShare]| {
        list.iter()
            .take(12)
            .map(|s| {
                (
                    s.key.clone(),
                    money_figure(&s.figures.margin).max(0.0),
                    s.figures.margin.display(),
                )
            })
            .collect::<Vec<_>>()
    };
    let refunds = r
        .refunds_by_reason
        .iter()
        .map(|x| {
            view! {
                <tr>
                    <th scope="row">{x.reason.replace('_', " ")}</th>
                    <td class="num">{x.count}</td>
                    <td class="num money">{x.amount.display()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" data-testid="range">{range_words(&r.range)}</p>
        <section class="card figures">
            <dl class="stats">
                <div><dt>"Revenue"</dt><dd class="money" data-testid="revenue">{t.revenue.display()}</dd></div>
                <div><dt>"Refunds"</dt><dd class="money">{t.refunds.display()}</dd></div>
                <div><dt>"Provider cost"</dt><dd class="money">{t.provider_cost.display()}</dd></div>
                <div><dt>"Margin"</dt><dd class="money" data-testid="margin">{t.margin.display()}</dd></div>
                <div><dt>"Paying customers"</dt><dd>{r.paying_customers}</dd></div>
                <div><dt>"Net revenue per customer"</dt><dd class="money">{r.arpu.display()}</dd></div>
            </dl>
        </section>
        <section class="card">
            <h2>"Over time"</h2>
            <LineChart
                id="money-series"
                title=format!("Revenue, cost and margin ({})", r.currency)
                description=format!("Revenue, net revenue, provider cost and margin, {}", range_words(&r.range))
                labels
                series
                csv=csv_link("money", &q, "points")
            />
        </section>
        <div class="grid-2">
            <section class="card">
                <h2>"Margin by provider"</h2>
                <BarChart
                    id="money-providers"
                    title="Margin by provider".into()
                    description="Net revenue less provider cost, by provider".into()
                    bars=bars(&r.by_provider)
                    csv=csv_link("money", &q, "by_provider")
                />
            </section>
            <section class="card">
                <h2>"Refunds"</h2>
                <div class="table-wrap">
                    <table class="table" data-testid="refunds">
                        <thead><tr><th scope="col">"Why"</th><th scope="col" class="num">"How many"</th><th scope="col" class="num">"Amount"</th></tr></thead>
                        <tbody>{refunds}</tbody>
                    </table>
                </div>
                <a class="chart-csv" href=csv_link("money", &q, "refunds_by_reason") download>"CSV"</a>
            </section>
        </div>
        <div class="grid-2">
            <section class="card">
                <h2>"Margin by service"</h2>
                <BarChart
                    id="money-services"
                    title="Margin by service".into()
                    description="Net revenue less provider cost, by service".into()
                    bars=bars(&r.by_service)
                    csv=csv_link("money", &q, "by_service")
                />
            </section>
            <section class="card">
                <h2>"Margin by country"</h2>
                <BarChart
                    id="money-countries"
                    title="Margin by country".into()
                    description="Net revenue less provider cost, by country".into()
                    bars=bars(&r.by_country)
                    csv=csv_link("money", &q, "by_country")
                />
            </section>
        </div>
    }
}
