//! Every account's rentals (`/admin/rentals`) and verifications (`/admin/verifications`),
//! with the customers' history filters plus the provider and the account, page by page, and
//! (admins) a refund of any of them with its reason. The filters are a plain GET form and the
//! refund a plain form post, so both work without JavaScript.

use super::{ConsoleNav, Pager};
use crate::api::dto::{HistoryQuery, StaffRentalPage, StaffVerificationPage};
use crate::api::staff::{staff_rentals, staff_verifications, StaffRefund};
use crate::domain::{Money, Role};
use crate::ui::components::{error_of, format_time, query::encode, ErrorNotice};
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

const PER_PAGE: u32 = 25;

/// One kind of order: where its page is, what it is called, and its statuses.
#[derive(Clone, Copy)]
struct Kind {
    order: &'static str,
    path: &'static str,
    title: &'static str,
    statuses: &'static [&'static str],
}

const RENTALS: Kind = Kind {
    order: "rental",
    path: "/admin/rentals",
    title: "Rentals",
    statuses: &["active", "expired", "released", "failed"],
};

const VERIFICATIONS: Kind = Kind {
    order: "verification",
    path: "/admin/verifications",
    title: "Verifications",
    statuses: &["waiting", "received", "finished", "cancelled", "timed_out"],
};

/// One row of either table (the page's data, serialised into it for hydration).
#[derive(Clone, Serialize, Deserialize)]
struct Row {
    id: i64,
    user_id: i64,
    email: String,
    number: String,
    service: String,
    country: String,
    provider: String,
    status: String,
    created_at: DateTime<Utc>,
    paid: Money,
    refunded: Money,
    /// Ended (only an ended order can be refunded by an operator), and not refunded by one.
    refundable: bool,
}

fn rental_rows(p: StaffRentalPage) -> (Vec<Row>, u32, u32, u64) {
    let rows = p
        .rentals
        .into_iter()
        .map(|r| Row {
            id: r.rental.id,
            user_id: r.user_id,
            email: r.email,
            number: r.rental.phone_number,
            service: r.rental.service_name,
            country: r.rental.country_code,
            provider: r.rental.provider,
            status: r.rental.status.as_str().to_owned(),
            created_at: r.rental.created_at,
            paid: r.rental.cost,
            refunded: r.refunded,
            refundable: r.rental.status.as_str() != "active" && !r.operator_refunded,
        })
        .collect();
    (rows, p.page, p.per_page, p.total)
}

fn verification_rows(p: StaffVerificationPage) -> (Vec<Row>, u32, u32, u64) {
    let rows = p
        .verifications
        .into_iter()
        .map(|v| Row {
            id: v.verification.id,
            user_id: v.user_id,
            email: v.email,
            number: v.verification.phone_number,
            service: v.verification.service_name,
            country: v.verification.country_code,
            provider: v.verification.provider,
            status: v.verification.status.as_str().to_owned(),
            created_at: v.verification.created_at,
            paid: v.verification.cost,
            refunded: v.refunded,
            refundable: v.verification.status.is_terminal() && !v.operator_refunded,
        })
        .collect();
    (rows, p.page, p.per_page, p.total)
}

/// The filters the page's URL asks for, and the account.
fn use_filters() -> Memo<(HistoryQuery, Option<String>)> {
    let params = use_query_map();
    Memo::new(move |_| {
        let p = params.read();
        let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
        let query = HistoryQuery {
            status: get("status"),
            service: get("service"),
            country: get("country"),
            provider: get("provider"),
            from: get("from"),
            to: get("to"),
            q: get("q"),
            page: get("page").and_then(|v| v.parse().ok()).filter(|p| *p > 0),
            per_page: Some(PER_PAGE),
        };
        (query, get("user"))
    })
}

fn to_query(q: &HistoryQuery, user: Option<String>) -> String {
    let pairs = [
        ("status", &q.status),
        ("service", &q.service),
        ("country", &q.country),
        ("provider", &q.provider),
        ("from", &q.from),
        ("to", &q.to),
        ("q", &q.q),
        ("user", &user),
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
pub fn StaffRentalsPage() -> impl IntoView {
    let filters = use_filters();
    let refund = ServerAction::<StaffRefund>::new();
    let page = Resource::new(
        move || (filters.get(), refund.version().get()),
        |((q, user), _)| async move { staff_rentals(q, user).await.map(rental_rows) },
    );
    view! { <OrdersPage kind=RENTALS filters page refund /> }
}

#[component]
pub fn StaffVerificationsPage() -> impl IntoView {
    let filters = use_filters();
    let refund = ServerAction::<StaffRefund>::new();
    let page = Resource::new(
        move || (filters.get(), refund.version().get()),
        |((q, user), _)| async move { staff_verifications(q, user).await.map(verification_rows) },
    );
    view! { <OrdersPage kind=VERIFICATIONS filters page refund /> }
}

type OrderPage = Resource<Result<(Vec<Row>, u32, u32, u64), crate::api::AppError>>;

#[component]
fn OrdersPage(
    kind: Kind,
    filters: Memo<(HistoryQuery, Option<String>)>,
    page: OrderPage,
    refund: ServerAction<StaffRefund>,
) -> impl IntoView {
    let path = kind.path;
    view! {
        <Title text=kind.title />
        <ConsoleNav current=path />
        <h1>{kind.title}</h1>
        <section class="card">
            {move || {
                let (q, user) = filters.get();
                view! { <Filters kind q user /> }
            }}
        </section>
        <RefundRefusal refund />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let (q, user) = filters.get_untracked();
                match page.await {
                    Ok((rows, _, _, _)) if rows.is_empty() => view! { <p class="muted empty" data-testid="orders-empty">"Nothing matches."</p> }.into_any(),
                    Ok((rows, page, per_page, total)) => {
                        let base = to_query(&q, user);
                        let link: Arc<dyn Fn(u32) -> String + Send + Sync> = Arc::new(move |n| {
                            if base.is_empty() { format!("{path}?page={n}") } else { format!("{path}?{base}&page={n}") }
                        });
                        view! {
                            <OrderTable kind rows refund />
                            <Pager page per_page total link />
                        }.into_any()
                    }
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Filters(kind: Kind, q: HistoryQuery, user: Option<String>) -> impl IntoView {
    let value = |v: &Option<String>| v.clone().unwrap_or_default();
    let user = user.unwrap_or_default();
    view! {
        <Form method="GET" action=kind.path attr:class="filters" attr:role="search">
            <div class="field grow">
                <label for="q">"Number or message text"</label>
                <input id="q" name="q" type="search" value=value(&q.q) prop:value=value(&q.q) />
            </div>
            <div class="field">
                <label for="status">"Status"</label>
                <select id="status" name="status" prop:value=value(&q.status)>
                    <option value="" selected=q.status.is_none()>"Any"</option>
                    {kind.statuses.iter().map(|s| {
                        let chosen = q.status.as_deref() == Some(*s);
                        view! { <option value=*s selected=chosen>{*s}</option> }
                    }).collect_view()}
                </select>
            </div>
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
            <div class="field narrow">
                <label for="user">"Account #"</label>
                <input id="user" name="user" type="text" inputmode="numeric" value=user.clone() prop:value=user />
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
            <A href=kind.path attr:class="btn">"Clear"</A>
        </Form>
    }
}

#[component]
fn OrderTable(kind: Kind, rows: Vec<Row>, refund: ServerAction<StaffRefund>) -> impl IntoView {
    view! {
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="orders">
                    <thead>
                        <tr>
                            <th scope="col">"#"</th>
                            <th scope="col">"Account"</th>
                            <th scope="col">"Number"</th>
                            <th scope="col">"For"</th>
                            <th scope="col">"Provider"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col">"Bought"</th>
                            <th scope="col" class="num">"Paid"</th>
                            <th scope="col" class="num">"Refunded"</th>
                            <th scope="col"><span class="sr-only">"Refund"</span></th>
                        </tr>
                    </thead>
                    <tbody>
                        {rows.into_iter().map(|r| view! { <OrderRow kind r refund /> }).collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
fn OrderRow(kind: Kind, r: Row, refund: ServerAction<StaffRefund>) -> impl IntoView {
    let left = Money::from_units(r.paid.units() - r.refunded.units());
    view! {
        <tr data-testid="order-row" data-order=r.id.to_string()>
            <td class="tabular">{r.id}</td>
            <td><A href=format!("/admin/users/{}", r.user_id)>{r.email.clone()}</A></td>
            <td><span class="phone">{r.number.clone()}</span></td>
            <td>{crate::domain::names::service_in(&r.service, &r.country)}</td>
            <td>{r.provider.clone()}</td>
            <td><span class=format!("status status-{}", r.status)>{r.status.replace('_', " ")}</span></td>
            <td class="tabular">{format_time(&r.created_at)}</td>
            <td class="num money">{r.paid.display()}</td>
            <td class="num money" data-testid="refunded">{r.refunded.display()}</td>
            <td>
                {(r.refundable && left.is_positive()).then(|| view! { <RefundForm kind id=r.id left refund /> })}
            </td>
        </tr>
    }
}

/// Why the last refund was refused, whatever it names (the form is one of many rows').
#[component]
fn RefundRefusal(refund: ServerAction<StaffRefund>) -> impl IntoView {
    let error = error_of(refund);
    move || {
        error.get().map(|e| {
            let what = e
                .field
                .map(|f| format!("{}: ", f.replace('_', " ")))
                .unwrap_or_default();
            view! {
                <div class="notice notice-error" role="alert" data-testid="refund-refused">
                    {format!("Not refunded. {what}{}", e.message)}
                </div>
            }
        })
    }
}

/// Admins only: a refund of what is left, or part of it, with the reason.
#[component]
fn RefundForm(
    kind: Kind,
    id: i64,
    left: Money,
    refund: ServerAction<StaffRefund>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                (super::caller_role().await == Some(Role::Admin)).then(|| {
                    let amount_id = format!("refund-amount-{id}");
                    let reason_id = format!("refund-reason-{id}");
                    view! {
                        <details class="row-action">
                            <summary class="btn btn-small">"Refund…"</summary>
                            <ActionForm action=refund attr:class="stacked-form">
                                <input type="hidden" name="order" value=kind.order />
                                <input type="hidden" name="id" value=id />
                                <label for=amount_id.clone()>{format!("Amount (at most {})", left.display())}</label>
                                <input id=amount_id name="amount" type="text" inputmode="decimal" placeholder=left.to_string() />
                                <label for=reason_id.clone()>"Reason"</label>
                                <input id=reason_id name="reason" type="text" required placeholder="number never worked" />
                                <button type="submit" class="btn btn-primary btn-small">"Refund"</button>
                            </ActionForm>
                        </details>
                    }
                })
            })}
        </Transition>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::verification::VerificationStatus;

    #[test]
    fn every_status_can_be_filtered_on() {
        let all: Vec<&str> = VerificationStatus::ALL.iter().map(|s| s.as_str()).collect();
        assert_eq!(VERIFICATIONS.statuses, all.as_slice());
    }

    #[test]
    fn filters_survive_paging() {
        let q = HistoryQuery {
            provider: Some("5sim".into()),
            q: Some("a&b".into()),
            ..Default::default()
        };
        assert_eq!(
            to_query(&q, Some("7".into())),
            "provider=5sim&q=a%26b&user=7"
        );
    }
}
