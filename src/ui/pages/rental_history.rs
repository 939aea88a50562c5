//! Every rental, past and present: filters (status, service, country, dates), search over
//! number and message text, pages. The filters are a plain GET form, so the page works the
//! same without JavaScript, and a filtered view is a link that can be shared or bookmarked.

use crate::api::dto::{HistoryQuery, RentalPage};
use crate::api::rentals::list_rentals;
use crate::domain::names::service_in;
use crate::ui::components::{format_time, query::encode, ErrorNotice};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

const PER_PAGE: u32 = 20;
const STATUSES: [&str; 4] = ["active", "expired", "released", "failed"];

fn to_query(q: &HistoryQuery) -> String {
    let pairs = [
        ("status", &q.status),
        ("service", &q.service),
        ("country", &q.country),
        ("provider", &q.provider),
        ("from", &q.from),
        ("to", &q.to),
        ("q", &q.q),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| {
            v.as_deref()
                .filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[component]
pub fn RentalHistoryPage() -> impl IntoView {
    let params = use_query_map();
    let query = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
        HistoryQuery {
            status: get("status"),
            service: get("service"),
            country: get("country"),
            provider: get("provider"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            page: get("page").and_then(|v| v.parse().ok()).filter(|p| *p > 0),
            per_page: Some(PER_PAGE),
        }
    };
    let page = Resource::new(query, list_rentals);
    let current = move || query();
    view! {
        <Title text="Rental history" />
        <div class="page-head">
            <h1>"Rental history"</h1>
            <A href="/rentals">"Active rentals"</A>
        </div>
        <section class="card">
            {move || {
                let q = current();
                let value = |v: &Option<String>| v.clone().unwrap_or_default();
                view! {
                    <Form method="GET" action="/rentals/history" attr:class="filters" attr:role="search">
                        <div class="field grow">
                            <label for="q">"Search number or message text"</label>
                            <input id="q" name="q" type="search" value=value(&q.q) prop:value=value(&q.q) placeholder="+44… or a word from an SMS" />
                        </div>
                        <div class="field">
                            <label for="status">"Status"</label>
                            <select id="status" name="status" prop:value=value(&q.status)>
                                <option value="" selected=q.status.is_none()>"Any"</option>
                                {STATUSES.iter().map(|s| {
                                    let chosen = q.status.as_deref() == Some(*s);
                                    view! { <option value=*s selected=chosen>{*s}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <div class="field">
                            <label for="service">"Service"</label>
                            <input id="service" name="service" type="text" value=value(&q.service) prop:value=value(&q.service) placeholder="telegram" />
                        </div>
                        <div class="field narrow">
                            <label for="country">"Country"</label>
                            <input id="country" name="country" type="text" value=value(&q.country) prop:value=value(&q.country) placeholder="GB" maxlength="2" />
                        </div>
                        <div class="field">
                            <label for="from">"From"</label>
                            <input id="from" name="from" type="date" value=value(&q.from) prop:value=value(&q.from) />
                        </div>
                        <div class="field">
                            <label for="to">"To"</label>
                            <input id="to" name="to" type="date" value=value(&q.to) prop:value=value(&q.to) />
                        </div>
                        <button type="submit" class="btn btn-primary">"Filter"</button>
                        <A href="/rentals/history" attr:class="btn">"Clear"</A>
                    </Form>
                }
            }}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = current();
                match page.await {
                    Ok(p) => view! { <HistoryTable page=p query=q /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn HistoryTable(page: RentalPage, query: HistoryQuery) -> impl IntoView {
    if page.rentals.is_empty() {
        return view! { <p class="muted empty" data-testid="history-empty">"No rentals match."</p> }.into_any();
    }
    let pages = page.total.div_ceil(u64::from(page.per_page)).max(1);
    let current = page.page;
    let base = to_query(&query);
    let link = move |n: u32| {
        if base.is_empty() {
            format!("/rentals/history?page={n}")
        } else {
            format!("/rentals/history?{base}&page={n}")
        }
    };
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="history">
                <thead>
                    <tr>
                        <th scope="col">"Number"</th>
                        <th scope="col">"Service"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"Rented"</th>
                        <th scope="col">"Ends"</th>
                        <th scope="col" class="num">"Messages"</th>
                        <th scope="col" class="num">"Paid"</th>
                    </tr>
                </thead>
                <tbody>
                    {page.rentals.into_iter().map(|r| view! {
                        <tr data-testid="history-row">
                            <td><A href=format!("/rentals/{}", r.id)><span class="phone">{r.phone_number.clone()}</span></A></td>
                            <td>{service_in(&r.service_name, &r.country_code)}</td>
                            <td><span class=format!("status status-{}", r.status.as_str())>{r.status.as_str()}</span></td>
                            <td>{format_time(&r.created_at)}</td>
                            <td>{format_time(&r.released_at.unwrap_or(r.expires_at))}</td>
                            <td class="num">{r.message_count}</td>
                            <td class="num money">{r.cost.display()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
        <nav class="pager" aria-label="History pages">
            {(current > 1).then(|| view! { <A href=link(current - 1)>"Newer"</A> })}
            <span class="muted" data-testid="history-summary">{format!("Page {current} of {pages} · {} rentals", page.total)}</span>
            {(u64::from(current) < pages).then(|| view! { <A href=link(current + 1)>"Older"</A> })}
        </nav>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_survive_paging() {
        let q = HistoryQuery {
            status: Some("released".into()),
            q: Some("code 12&x".into()),
            ..Default::default()
        };
        assert_eq!(to_query(&q), "status=released&q=code%2012%26x");
    }
}
