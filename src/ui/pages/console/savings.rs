//! `/admin/analytics/savings`: offers where another provider would have been cheaper at a
//! success rate at least as good, and what that would have saved.

use super::{csv_link, percent, range_words, ReportPage};
use crate::api::analytics::analytics_savings;
use crate::api::dto::{AnalyticsQuery, SavingsReport};
use leptos::prelude::*;

#[component]
pub fn SavingsPage() -> impl IntoView {
    view! {
        <ReportPage
            title="Savings"
            report="savings" filters=true
            fetch=analytics_savings
            show=|r, q| view! { <SavingsView r q /> }
        />
    }
}

#[component]
fn SavingsView(r: SavingsReport, q: AnalyticsQuery) -> impl IntoView {
    if r.savings.is_empty() {
        return view! {
            <p class="muted" data-testid="range">{range_words(&r.range)}</p>
            <p class="muted empty" data-testid="no-savings">"Every offer was bought from the cheapest provider that did as well."</p>
        }
        .into_any();
    }
    let rows = r
        .savings
        .iter()
        .map(|s| {
            view! {
                <tr>
                    <th scope="row">{format!("{} {} in {}", s.service, s.product, s.country)}</th>
                    <td>{s.provider.clone()}</td>
                    <td class="num">{s.purchases}</td>
                    <td class="num money">{s.average_cost.display()}</td>
                    <td class="num">{percent(Some(s.success_rate))}</td>
                    <td>{s.cheaper_provider.clone()}</td>
                    <td class="num money">{s.cheaper_average_cost.display()}</td>
                    <td class="num">{percent(Some(s.cheaper_success_rate))}</td>
                    <td class="num money">{s.saving.display()}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <p class="muted" data-testid="range">{range_words(&r.range)}</p>
        <section class="card figures">
            <dl class="stats">
                <div><dt>"Could have saved"</dt><dd class="money" data-testid="savings-total">{r.total.display()}</dd></div>
            </dl>
        </section>
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="savings">
                    <thead>
                        <tr>
                            <th scope="col">"Offer"</th>
                            <th scope="col">"Bought from"</th>
                            <th scope="col" class="num">"Times"</th>
                            <th scope="col" class="num">"Cost each"</th>
                            <th scope="col" class="num">"Got an SMS"</th>
                            <th scope="col">"Cheaper at"</th>
                            <th scope="col" class="num">"Cost each"</th>
                            <th scope="col" class="num">"Got an SMS"</th>
                            <th scope="col" class="num">"Saving"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
            <a class="chart-csv" href=csv_link("savings", &q, "savings") download>"CSV"</a>
        </section>
    }
    .into_any()
}
