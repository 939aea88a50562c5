//! Operators: every provider's account, health and circuit breaker, and the orders it holds
//! for us (`/admin/providers`).

use crate::api::dto::{ProviderHealthView, ProviderStatusView};
use crate::api::providers::admin_providers;
use crate::ui::components::{format_time, ErrorNotice};
use crate::ui::pages::console::ConsoleNav;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ProvidersPage() -> impl IntoView {
    let providers = Resource::new(|| (), |_| admin_providers());
    view! {
        <Title text="Providers" />
        <ConsoleNav current="/admin/providers" />
        <h1>"Providers"</h1>
        <p class="lead">
            "Each offer is bought from the cheapest provider with numbers; a provider whose calls keep failing is skipped until a purchase probes it again."
        </p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match providers.await {
                    Ok(list) => view! { <ProviderTable providers=list.providers /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ProviderTable(providers: Vec<ProviderStatusView>) -> impl IntoView {
    view! {
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="providers">
                    <thead>
                        <tr>
                            <th scope="col">"Provider"</th>
                            <th scope="col">"Sells"</th>
                            <th scope="col" class="num">"Balance"</th>
                            <th scope="col">"Breaker"</th>
                            <th scope="col" class="num">"Success"</th>
                            <th scope="col" class="num">"Latency p50 / p95"</th>
                            <th scope="col">"Last success"</th>
                            <th scope="col" class="num">"In flight"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {providers.into_iter().map(|p| view! { <ProviderRow p /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn ProviderRow(p: ProviderStatusView) -> impl IntoView {
    let mut sells = Vec::new();
    if p.activations {
        sells.push("verifications".to_owned());
    }
    if !p.rental_hours.is_empty() {
        let lengths: Vec<String> = p.rental_hours.iter().map(|h| format!("{h} h")).collect();
        let how = if p.native_extension {
            "extendable"
        } else {
            "within the order"
        };
        sells.push(format!("rentals of {} ({how})", lengths.join(", ")));
    }
    let balance = match (&p.balance, &p.currency, &p.balance_error) {
        (Some(b), Some(c), _) => format!("{} {c}", b.normalize()),
        (_, _, Some(e)) => format!("unreadable: {e}"),
        _ => "—".to_owned(),
    };
    let low = p.balance_low;
    let h: ProviderHealthView = p.health;
    let breaker = match h.breaker.as_str() {
        "open" => "open: skipped",
        "half_open" => "half-open: next purchase probes it",
        _ => "closed",
    };
    let success = h.success_rate.map_or("—".to_owned(), |r| {
        format!("{:.1} % of {}", r * 100.0, h.calls)
    });
    let latency = match (h.latency_p50_ms, h.latency_p95_ms) {
        (Some(a), Some(b)) => format!("{a} / {b} ms"),
        _ => "—".to_owned(),
    };
    let last = h
        .last_success_at
        .as_ref()
        .map_or("never".to_owned(), format_time);
    let fault = h.last_fault.clone();
    view! {
        <tr data-provider=p.name.clone()>
            <th scope="row">{p.name.clone()}</th>
            <td>{sells.join("; ")}</td>
            <td class="num">
                {balance}
                {low.then(|| view! { <span class="badge badge-warn">" low"</span> })}
            </td>
            <td data-testid="breaker" class=format!("breaker breaker-{}", h.breaker)>
                {breaker}
                {fault.map(|f| view! { <div class="muted small">"Last fault: " {f}</div> })}
            </td>
            <td class="num">{success}</td>
            <td class="num">{latency}</td>
            <td>{last}</td>
            <td class="num">
                {format!("{} rentals, {} verifications", p.rentals_active, p.verifications_open)}
            </td>
        </tr>
    }
}
