//! Verifications: pick a country and a service (price and stock shown), get a number, watch
//! the code arrive live, copy it, finish; cancel before any SMS for a full refund; verify
//! again on the same number. Below, the history with search. Every form posts without
//! JavaScript; the open numbers follow live events.

use crate::api::catalog::{list_countries, list_services, my_choices};
use crate::api::dto::{Choices, HistoryQuery, ServiceList, VerificationPage};
use crate::api::verifications::{
    list_open_verifications, list_verifications, CancelVerification, CreateVerification,
    FinishVerification, ReuseVerification,
};
use crate::domain::verification::VerificationStatus;
use crate::ui::components::{
    action_error, Choice, CountryPicker, ErrorNotice, FormNonce, IdempotencyKey, PickKind, Picker,
};
use crate::ui::islands::{status_label, VerificationBoard, VerificationTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn VerificationsPage() -> impl IntoView {
    let create = ServerAction::<CreateVerification>::new();
    // The cards' forms come back here with their errors.
    let cancel = ServerAction::<CancelVerification>::new();
    let finish = ServerAction::<FinishVerification>::new();
    let reuse = ServerAction::<ReuseVerification>::new();
    let nonce = use_context::<FormNonce>().map(|n| n.0);
    let open = Resource::new(|| (), |_| list_open_verifications());
    let params = use_query_map();
    let country = move || {
        params
            .read()
            .get("country")
            .unwrap_or_else(|| "GB".to_owned())
            .to_uppercase()
    };
    let query = move || {
        let p = params.read();
        let get = |k: &str| p.get(k).filter(|v| !v.trim().is_empty());
        HistoryQuery {
            status: get("status"),
            q: get("q"),
            page: get("page").and_then(|v| v.parse().ok()).filter(|p| *p > 0),
            per_page: Some(10),
            ..Default::default()
        }
    };
    let history = Resource::new(query, list_verifications);
    let catalog = Resource::new(country, list_services);
    let countries = Resource::new(|| (), |_| list_countries());
    let memory = Resource::new(|| (), |_| my_choices());

    view! {
        <Title text="Verifications" />
        <h1>"Verifications"</h1>
        // Its islands hydrate when the customer comes to the form (`load_islands.js`).
        <section class="card" data-hydrate="interaction">
            <h2>"Get a number for a code"</h2>
            <p class="muted">"Pay once; if no SMS arrives in time, or you cancel before one does, the full price comes back."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    let memory = memory.await.unwrap_or_default();
                    let picker = match countries.await {
                        Ok(list) => view! { <CountryPicker countries=list.countries selected=country() action="/verifications" memory=memory.clone() /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    let form = match catalog.await {
                        Ok(list) => view! { <BuyForm list create memory /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    view! {
                        {picker}
                        {form}
                    }
                })}
            </Transition>
            {action_error(create)}
        </section>
        {action_error(cancel)}
        {action_error(finish)}
        {action_error(reuse)}
        <Transition fallback=|| ()>
            {move || {
                let nonce = nonce.clone();
                Suspend::new(async move {
                match open.await {
                    Ok(list) => view! { <VerificationBoard verifications=list.verifications form_nonce=nonce /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}}
        </Transition>
        // The history's rows hydrate when the customer comes to it, or when the live data
        // changes (`load_islands.js`).
        <section class="card" data-hydrate="interaction live">
            <h2>"History"</h2>
            {move || {
                let q = query();
                let search = q.q.clone().unwrap_or_default();
                let status = q.status.clone().unwrap_or_default();
                view! {
                    <Form method="GET" action="/verifications" attr:class="filters" attr:role="search">
                        <div class="field grow">
                            <label for="vq">"Search number, code or message"</label>
                            <input id="vq" name="q" type="search" value=search.clone() prop:value=search />
                        </div>
                        <div class="field">
                            <label for="vstatus">"Status"</label>
                            <select id="vstatus" name="status" prop:value=status.clone()>
                                <option value="" selected=status.is_empty()>"Any"</option>
                                {VerificationStatus::ALL.iter().map(|s| {
                                    let chosen = status == s.as_str();
                                    view! { <option value=s.as_str() selected=chosen>{status_label(*s)}</option> }
                                }).collect_view()}
                            </select>
                        </div>
                        <button type="submit" class="btn">"Search"</button>
                    </Form>
                }
            }}
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let q = query();
                    match history.await {
                        Ok(page) => view! { <History page query=q /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn BuyForm(
    list: ServiceList,
    create: ServerAction<CreateVerification>,
    memory: Choices,
) -> impl IntoView {
    if list.services.is_empty() {
        return view! { <p class="muted">"No numbers for codes in this country right now."</p> }
            .into_any();
    }
    view! {
        <ActionForm action=create attr:class="create-form">
            <input type="hidden" name="verification[country]" value=list.country.clone() />
            <IdempotencyKey scope="verify" />
            <Picker
                id="vservice"
                name="verification[service]"
                label="Service"
                kind=PickKind::Service
                choices=list.services.iter().map(Choice::service).collect()
                memory
            />
            <div class="field">
                <label for="max-price">"Pay at most (optional)"</label>
                <input id="max-price" name="verification[max_price]" type="text" inputmode="decimal" placeholder="0.50" />
            </div>
            <button type="submit" class="btn btn-primary">"Get number"</button>
        </ActionForm>
    }
    .into_any()
}

#[component]
fn History(page: VerificationPage, query: HistoryQuery) -> impl IntoView {
    let takes_new = page.page <= 1 && query.q.is_none() && query.status.is_none();
    if page.verifications.is_empty() && !takes_new {
        return view! { <p class="muted empty" data-testid="verification-history-empty">"Nothing yet."</p> }.into_any();
    }
    let pages = page.total.div_ceil(u64::from(page.per_page)).max(1);
    let current = page.page;
    let mut base = String::new();
    if let Some(q) = &query.q {
        base.push_str(&format!("q={}&", crate::ui::components::query::encode(q)));
    }
    if let Some(s) = &query.status {
        base.push_str(&format!("status={s}&"));
    }
    let link = move |n: u32| format!("/verifications?{base}page={n}");
    view! {
        <VerificationTable verifications=page.verifications takes_new />
        {(page.total > 0).then(|| view! {
            <nav class="pager" aria-label="Verification pages">
                {(current > 1).then(|| view! { <A href=link(current - 1)>"Newer"</A> })}
                <span class="muted">{format!("Page {current} of {pages} · {} verifications", page.total)}</span>
                {(u64::from(current) < pages).then(|| view! { <A href=link(current + 1)>"Older"</A> })}
            </nav>
        })}
    }
    .into_any()
}
