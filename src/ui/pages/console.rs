//! The operators' console: accounts, every account's rentals and verifications, the system's
//! state, and the analytics reports, one page each, with one range form (a plain GET form, so
//! a report is a link to share and works without JavaScript), charts drawn on the server, and
//! every table downloadable as CSV.

pub mod customers;
pub mod forecasts;
pub mod money;
pub mod orders;
pub mod pricing;
pub mod providers;
pub mod savings;
pub mod system;
pub mod usage;
pub mod users;

use crate::api::dto::{AnalyticsQuery, RangeView};
use crate::api::AppError;
use crate::app::SessionResource;
use crate::domain::{Money, Role};
use crate::ui::components::query::encode;
use crate::ui::components::ErrorNotice;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use serde::{de::DeserializeOwned, Serialize};
use std::future::Future;

/// The reports: (path segment, name, whether support sees it). Admins see every one.
const REPORTS: &[(&str, &str, bool)] = &[
    ("usage", "Usage", true),
    ("money", "Money", false),
    ("providers", "Providers", true),
    ("customers", "Customers", false),
    ("forecasts", "Forecasts", false),
    ("savings", "Savings", false),
];

/// The console's sections: (path, name, whether support sees it).
const SECTIONS: &[(&str, &str, bool)] = &[
    ("/admin/users", "Accounts", true),
    ("/admin/rentals", "Rentals", true),
    ("/admin/verifications", "Verifications", true),
    ("/admin/providers", "Providers", false),
    ("/admin/pricing", "Pricing", true),
    ("/admin/system", "System", true),
    ("/admin/analytics/usage", "Analytics", true),
];

/// The signed-in caller's role, once the session is read.
async fn caller_role() -> Option<Role> {
    let session = use_context::<SessionResource>()?;
    session.await.ok()?.user.map(|u| u.role)
}

/// Whether `role` sees a section or report that support `for_support` sees or not.
fn shown(role: Option<Role>, for_support: bool) -> bool {
    role == Some(Role::Admin) || (for_support && role == Some(Role::Support))
}

/// The console's sections, the current one marked; only those the caller may open.
#[component]
pub fn ConsoleNav(current: &'static str) -> impl IntoView {
    view! {
        <RoleTabs label="Console" class="tabs console-nav" tabs=SECTIONS href=|path| path.to_owned() current />
    }
}

/// Tabs as links, the current one marked, only those `tabs` (path, name, whether support sees
/// it) let the caller's role open; `href` makes each path a link.
#[component]
fn RoleTabs(
    label: &'static str,
    class: &'static str,
    tabs: &'static [(&'static str, &'static str, bool)],
    href: fn(&str) -> String,
    current: &'static str,
) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let role = caller_role().await;
                view! {
                    <nav class=class aria-label=label>
                        {tabs
                            .iter()
                            .filter(|(_, _, support)| shown(role, *support))
                            .map(|(path, name, _)| {
                                let here = *path == current;
                                view! {
                                    <A href=href(path) attr:aria-current=here.then_some("page") attr:class=if here { "tab active" } else { "tab" }>
                                        {*name}
                                    </A>
                                }
                            })
                            .collect_view()}
                    </nav>
                }
            })}
        </Transition>
    }
}

/// Page links for `total` rows at `per_page` a page: "Page 2 of 9", previous and next.
#[component]
pub fn Pager(
    page: u32,
    per_page: u32,
    total: u64,
    /// The page's address for page `n`.
    link: std::sync::Arc<dyn Fn(u32) -> String + Send + Sync>,
) -> impl IntoView {
    let pages = total.div_ceil(u64::from(per_page.max(1))).max(1);
    let previous = (page > 1).then(|| link(page - 1));
    let next = (u64::from(page) < pages).then(|| link(page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <A href=href attr:rel="prev">"← Newer"</A> })}
            <span class="muted">{format!("Page {page} of {pages} · {total} in all")}</span>
            {next.map(|href| view! { <A href=href attr:rel="next">"Older →"</A> })}
        </nav>
    }
}

/// A report's page: its title, the reports' tabs, the range form (with the service, country
/// and provider filter where it takes one), and the report as `show` draws it.
#[component]
pub fn ReportPage<R, F, Fut, V, IV>(
    title: &'static str,
    report: &'static str,
    #[prop(optional)] filters: bool,
    fetch: F,
    show: V,
) -> impl IntoView
where
    R: Clone + Serialize + DeserializeOwned + Send + Sync + 'static,
    F: Fn(AnalyticsQuery) -> Fut + Copy + Send + Sync + 'static,
    Fut: Future<Output = Result<R, AppError>> + Send + 'static,
    V: Fn(R, AnalyticsQuery) -> IV + Copy + Send + Sync + 'static,
    IV: IntoView + 'static,
{
    let query = use_analytics_query();
    let data = Resource::new(move || query.get(), fetch);
    view! {
        <Title text=title />
        <ConsoleNav current="/admin/analytics/usage" />
        <h1>{title}</h1>
        <ReportNav current=report />
        <section class="card">
            <RangeForm report query filters />
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(r) => show(r, query.get_untracked()).into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The query the page's URL asks for.
pub fn use_analytics_query() -> Memo<AnalyticsQuery> {
    let params = use_query_map();
    Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
        AnalyticsQuery {
            from: get("from"),
            to: get("to"),
            granularity: get("granularity"),
            service: get("service"),
            country: get("country"),
            provider: get("provider"),
            table: None,
        }
    })
}

/// The query string for `q` (with `table` when it names one), for CSV links.
pub fn query_string(q: &AnalyticsQuery, table: Option<&str>) -> String {
    let pairs = [
        ("from", q.from.as_deref()),
        ("to", q.to.as_deref()),
        ("granularity", q.granularity.as_deref()),
        ("service", q.service.as_deref()),
        ("country", q.country.as_deref()),
        ("provider", q.provider.as_deref()),
        ("table", table),
    ];
    pairs
        .iter()
        .filter_map(|(k, v)| v.map(|v| format!("{k}={}", encode(v))))
        .collect::<Vec<_>>()
        .join("&")
}

/// Where a table of `report` downloads as CSV.
pub fn csv_link(report: &str, q: &AnalyticsQuery, table: &str) -> String {
    format!(
        "/api/admin/analytics/{report}.csv?{}",
        query_string(q, Some(table))
    )
}

/// The reports, the current one marked; only those the caller may open.
#[component]
pub fn ReportNav(current: &'static str) -> impl IntoView {
    view! {
        <RoleTabs label="Reports" class="tabs" tabs=REPORTS href=|path| format!("/admin/analytics/{path}") current />
    }
}

/// The range form: from, to, granularity, and (where the report takes one) a filter.
#[component]
pub fn RangeForm(
    report: &'static str,
    query: Memo<AnalyticsQuery>,
    #[prop(optional)] filters: bool,
) -> impl IntoView {
    move || {
        let q = query.get();
        let value = |v: &Option<String>| v.clone().unwrap_or_default();
        let granularity = q.granularity.clone().unwrap_or_else(|| "day".into());
        view! {
            <Form method="GET" action=format!("/admin/analytics/{report}") attr:class="filters" attr:role="search">
                <div class="field">
                    <label for="from">"From"</label>
                    <input id="from" name="from" type="date" value=value(&q.from) prop:value=value(&q.from) />
                </div>
                <div class="field">
                    <label for="to">"To"</label>
                    <input id="to" name="to" type="date" value=value(&q.to) prop:value=value(&q.to) />
                </div>
                <div class="field">
                    <label for="granularity">"By"</label>
                    <select id="granularity" name="granularity" prop:value=granularity.clone()>
                        {["hour", "day", "week", "month"]
                            .iter()
                            .map(|g| view! { <option value=*g selected=granularity == *g>{*g}</option> })
                            .collect_view()}
                    </select>
                </div>
                {filters.then(|| view! {
                    <div class="field">
                        <label for="service">"Service"</label>
                        <input id="service" name="service" type="text" value=value(&q.service) prop:value=value(&q.service) placeholder="any" />
                    </div>
                    <div class="field narrow">
                        <label for="country">"Country"</label>
                        <input id="country" name="country" type="text" value=value(&q.country) prop:value=value(&q.country) placeholder="any" maxlength="2" />
                    </div>
                    <div class="field">
                        <label for="provider">"Provider"</label>
                        <input id="provider" name="provider" type="text" value=value(&q.provider) prop:value=value(&q.provider) placeholder="any" />
                    </div>
                })}
                <button type="submit" class="btn btn-primary">"Show"</button>
            </Form>
        }
    }
}

/// A bucket's start as a chart label: the hour, the day, the week's Monday or the month.
pub fn bucket_label(at: &DateTime<Utc>, granularity: &str) -> String {
    match granularity {
        "hour" => at.format("%d %b %H:00").to_string(),
        "month" => at.format("%b %Y").to_string(),
        _ => at.format("%d %b").to_string(),
    }
}

/// What the report covers, in words.
pub fn range_words(r: &RangeView) -> String {
    let mut words = format!(
        "{} to {}, by {}",
        r.from.format("%d %b %Y"),
        (r.to - chrono::Duration::milliseconds(1)).format("%d %b %Y"),
        r.granularity
    );
    if let Some(f) = &r.filter {
        words.push_str(&format!(", {} {}", f.dimension, f.value));
    }
    words
}

/// Money as a chart's figure (a float is fine for drawing; the tables show the exact value).
pub fn money_figure(m: &Money) -> f64 {
    m.decimal().to_string().parse().unwrap_or(0.0)
}

/// A share as a percentage, or a dash.
pub fn percent(v: Option<f64>) -> String {
    v.map_or_else(|| "—".to_owned(), |v| format!("{:.1} %", v * 100.0))
}
