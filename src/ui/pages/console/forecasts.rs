//! `/admin/analytics/forecasts`: the next two weeks' demand per service, the providers'
//! balance runway, and the customers whose balance runs out soonest.

use super::{money_figure, ReportNav};
use crate::api::analytics::analytics_forecasts;
use crate::api::dto::{DemandForecast, ForecastsReport};
use crate::ui::components::chart::{LineChart, Series};
use crate::ui::components::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ForecastsPage() -> impl IntoView {
    let report = Resource::new(|| (), |_| analytics_forecasts());
    view! {
        <Title text="Forecasts" />
        <h1>"Forecasts"</h1>
        <ReportNav current="forecasts" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <ForecastsView r /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn days(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |d| format!("{d:.1} days"))
}

#[component]
fn Demand(d: DemandForecast, index: usize) -> impl IntoView {
    // The last four weeks seen, then the days ahead.
    let seen: Vec<f64> = d
        .history
        .iter()
        .rev()
        .take(28)
        .rev()
        .map(|c| *c as f64)
        .collect();
    let n = seen.len();
    let mut labels: Vec<String> = (0..n).map(|i| format!("-{}", n - i)).collect();
    labels.extend(d.days.iter().map(|t| t.format("%d %b").to_string()));
    let mut past = seen.clone();
    past.extend(std::iter::repeat_n(f64::NAN, d.expected.len()));
    let mut ahead: Vec<f64> = vec![f64::NAN; n.saturating_sub(1)];
    ahead.extend(seen.last().copied());
    ahead.extend(d.expected.iter().copied());
    let error = match (d.mae, d.mape) {
        (Some(mae), Some(mape)) => format!(
            "on the last {} days held out: off by {mae:.1} a day ({mape:.0} %)",
            d.held_out_days
        ),
        (Some(mae), None) => format!(
            "on the last {} days held out: off by {mae:.1} a day",
            d.held_out_days
        ),
        _ => "no days to check it on yet".to_owned(),
    };
    let ids = [
        "demand-0", "demand-1", "demand-2", "demand-3", "demand-4", "demand-5", "demand-6",
        "demand-7",
    ];
    view! {
        <section class="card">
            <h2>{d.service.clone()}</h2>
            <p class="muted">{format!("{} ({})", d.method.replace('_', "-"), error)}</p>
            <LineChart
                id=ids[index.min(7)]
                title=format!("{}: purchases per day, and the next {} days", d.service, d.expected.len())
                description="Rentals and verifications started per day over the last four weeks, and the forecast".into()
                labels
                series=vec![
                    Series { name: "Seen".into(), values: past },
                    Series { name: "Expected".into(), values: ahead },
                ]
                csv="/api/admin/analytics/forecasts.csv?table=demand".into()
            />
        </section>
    }
}

#[component]
fn ForecastsView(r: ForecastsReport) -> impl IntoView {
    let providers = r
        .providers
        .iter()
        .map(|p| {
            view! {
                <tr>
                    <th scope="row">{p.provider.clone()}</th>
                    <td class="num">{format!("{} {}", p.balance.clone().unwrap_or_else(|| "—".into()), p.currency.clone().unwrap_or_default())}</td>
                    <td class="num">{format!("{:.2}", money_figure(&p.daily_spend))}</td>
                    <td class="num">{days(p.runway_days)}</td>
                </tr>
            }
        })
        .collect_view();
    let customers = r
        .customers
        .iter()
        .map(|c| {
            view! {
                <tr>
                    <th scope="row">{c.email.clone()}</th>
                    <td class="num money">{c.balance.display()}</td>
                    <td class="num money">{c.daily_spend.display()}</td>
                    <td class="num">{days(c.runway_days)}</td>
                    <td class="num money">{c.auto_renew_monthly.display()}</td>
                </tr>
            }
        })
        .collect_view();
    let demand = r
        .demand
        .into_iter()
        .enumerate()
        .map(|(index, d)| view! { <Demand d index /> })
        .collect_view();
    view! {
        <section class="card">
            <h2>"Provider balances"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="provider-runway">
                    <thead><tr><th scope="col">"Provider"</th><th scope="col" class="num">"Balance"</th><th scope="col" class="num">"Spent per day"</th><th scope="col" class="num">"Lasts"</th></tr></thead>
                    <tbody>{providers}</tbody>
                </table>
            </div>
            <a class="chart-csv" href="/api/admin/analytics/forecasts.csv?table=providers" download>"CSV"</a>
        </section>
        <section class="card">
            <h2>"Customers running out soonest"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="customer-runway">
                    <thead><tr><th scope="col">"Customer"</th><th scope="col" class="num">"Balance"</th><th scope="col" class="num">"Spends per day"</th><th scope="col" class="num">"Lasts"</th><th scope="col" class="num">"Auto-renew a month"</th></tr></thead>
                    <tbody>{customers}</tbody>
                </table>
            </div>
            <a class="chart-csv" href="/api/admin/analytics/forecasts.csv?table=customers" download>"CSV"</a>
        </section>
        <h2>{format!("Demand, the next {} days", r.horizon_days)}</h2>
        {demand}
    }
}
