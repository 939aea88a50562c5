//! Rentals: renting numbers (one or several, or from a saved preset), and the dashboard of
//! active numbers with live countdowns, last codes and unread counts, selectable for bulk
//! extension and release. Creating and releasing also work without JavaScript.

use crate::api::catalog::{list_countries, list_services};
use crate::api::dto::{BulkAction, BulkOutcome, BulkRequest, NewPreset, RentalView, ServiceList};
use crate::api::presets::{list_presets, DeletePreset, SavePreset, StartPreset};
use crate::api::rentals::{list_active_rentals, BulkRentals, CreateRentals, ReleaseRental};
use crate::api::AppError;
use crate::app::{refresh_session_after, SessionResource};
use crate::domain::rental::extension_quote;
use crate::domain::Money;
use crate::ui::components::{use_hydrated, CopyButton, Countdown, CountryPicker, ErrorNotice};
use crate::ui::live::RentalsVersion;
use crate::ui::pages::rental::ReleaseForm;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

#[component]
pub fn RentalsPage() -> impl IntoView {
    let RentalsVersion(live) = expect_context();
    let create = ServerAction::<CreateRentals>::new();
    let release = ServerAction::<ReleaseRental>::new();
    let bulk = ServerAction::<BulkRentals>::new();
    let start = ServerAction::<StartPreset>::new();
    let save = ServerAction::<SavePreset>::new();
    let delete = ServerAction::<DeletePreset>::new();
    for_each_paid(create, release, bulk, start);
    let rentals = Resource::new(
        move || {
            (
                live.get(),
                create.version().get(),
                release.version().get(),
                bulk.version().get(),
                start.version().get(),
            )
        },
        |_| list_active_rentals(),
    );
    let presets = Resource::new(
        move || (save.version().get(), delete.version().get()),
        |_| list_presets(),
    );
    let query = use_query_map();
    let country = move || {
        query
            .read()
            .get("country")
            .unwrap_or_else(|| "GB".to_owned())
            .to_uppercase()
    };
    let catalog = Resource::new(country, list_services);
    let countries = Resource::new(|| (), |_| list_countries());

    view! {
        <Title text="Rentals" />
        <div class="page-head">
            <h1>"Rentals"</h1>
            <A href="/rentals/history">"History and search"</A>
        </div>
        <section class="card">
            <h2>"Rent a number"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    let picker = match countries.await {
                        Ok(list) => view! { <CountryPicker countries=list.countries selected=country() action="/rentals" /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    let form = match catalog.await {
                        Ok(list) => view! { <CreateForm list create save /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    view! {
                        {picker}
                        {form}
                    }
                })}
            </Transition>
            {move || create.value().get().map(|outcome| view! { <Outcomes outcome verb="Rented" testid="create-outcomes" /> })}
        </section>
        <Presets presets start delete />
        <section>
            <h2>"Active numbers"</h2>
            {move || release.value().get().map(|outcome| match outcome {
                Ok(r) => view! {
                    <div class="notice notice-ok" role="status" data-testid="released">
                        {r.summary()}
                    </div>
                }
                .into_any(),
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
            })}
            {move || bulk.value().get().map(|outcome| view! { <Outcomes outcome verb="Done" testid="bulk-outcomes" /> })}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rentals.await {
                        Ok(list) if list.rentals.is_empty() => {
                            view! { <p class="muted empty">"No active numbers. Rent one above."</p> }.into_any()
                        }
                        Ok(list) => view! { <ActiveRentals rentals=list.rentals release bulk /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Every paid action refreshes the header balance when it completes.
fn for_each_paid(
    create: ServerAction<CreateRentals>,
    release: ServerAction<ReleaseRental>,
    bulk: ServerAction<BulkRentals>,
    start: ServerAction<StartPreset>,
) {
    refresh_session_after(create);
    refresh_session_after(release);
    refresh_session_after(bulk);
    refresh_session_after(start);
}

fn hours_label(hours: u32) -> String {
    match hours {
        h if h % 24 == 0 && h >= 48 => format!("{} days", h / 24),
        24 => "1 day".to_owned(),
        1 => "1 hour".to_owned(),
        h => format!("{h} hours"),
    }
}

#[component]
fn CreateForm(
    list: ServiceList,
    create: ServerAction<CreateRentals>,
    save: ServerAction<SavePreset>,
) -> impl IntoView {
    if list.rentals.is_empty() || list.services.is_empty() {
        return view! { <p class="muted">"No numbers can be rented in this country right now."</p> }.into_any();
    }
    let session = expect_context::<SessionResource>();
    let hydrated = use_hydrated();
    let first_hours = list
        .rentals
        .iter()
        .find(|r| r.hours == 24)
        .unwrap_or(&list.rentals[0])
        .hours;
    let service = RwSignal::new(list.services[0].service.clone());
    let hours = RwSignal::new(first_hours);
    let count = RwSignal::new(1u32);
    let auto_renew = RwSignal::new(false);
    let country = StoredValue::new(list.country.clone());
    let offers = StoredValue::new(list.rentals.clone());
    let balance = move || {
        session
            .get()
            .and_then(Result::ok)
            .and_then(|s| s.user)
            .map(|u| u.balance)
    };
    let summary = move || {
        let offer = offers.with_value(|o| o.iter().find(|o| o.hours == hours.get()).cloned())?;
        let n = count.get().max(1);
        let total = Money::from_units(offer.price.units() * i64::from(n));
        let stock = if offer.stock == 0 {
            "none in stock".to_owned()
        } else {
            format!("{} in stock", offer.stock)
        };
        let after = balance().map(|b| match b.checked_sub(total).filter(|a| !a.is_negative()) {
            Some(after) => view! { <span>{format!("balance after {}", after.display())}</span> }.into_any(),
            None => view! {
                <span class="shortfall" role="alert">
                    {format!("your balance is {}: add {} to rent this", b.display(), total.checked_sub(b).unwrap_or(total).display())}
                </span>
            }
            .into_any(),
        });
        Some(view! {
            <p class="quote" data-testid="create-quote">
                <strong class="money">{format!("Total {}", total.display())}</strong>
                {format!(" · {stock} · ")}
                {after}
            </p>
        })
    };
    view! {
        <ActionForm action=create attr:class="create-form">
            <input type="hidden" name="rental[country]" value=country.get_value() />
            <div class="field">
                <label for="service">"For"</label>
                <select id="service" name="rental[service]" on:change=move |ev| service.set(event_target_value(&ev))>
                    {list
                        .services
                        .into_iter()
                        .map(|s| view! { <option value=s.service.clone()>{s.service.clone()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="duration">"For how long"</label>
                <select
                    id="duration"
                    name="rental[duration_hours]"
                    on:change=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(first_hours))
                >
                    {list
                        .rentals
                        .into_iter()
                        .map(|r| {
                            let chosen = r.hours == first_hours;
                            let label = format!("{} · {}{}", hours_label(r.hours), r.price.display(), if r.stock == 0 { " · none left" } else { "" });
                            view! { <option value=r.hours.to_string() selected=chosen>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <div class="field narrow">
                <label for="count">"How many"</label>
                <input
                    id="count"
                    name="count"
                    type="number"
                    min="1"
                    max="20"
                    value="1"
                    required
                    on:input=move |ev| count.set(event_target_value(&ev).parse().unwrap_or(1))
                />
            </div>
            <label class="check">
                <input
                    type="checkbox"
                    name="rental[auto_renew]"
                    value="true"
                    on:change=move |ev| auto_renew.set(event_target_checked(&ev))
                />
                " Renew automatically"
            </label>
            {summary}
            <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                {move || match (create.pending().get(), count.get()) {
                    (true, _) => "Renting…",
                    (false, 0 | 1) => "Rent number",
                    (false, _) => "Rent numbers",
                }}
            </button>
        </ActionForm>
        <Show when=move || hydrated.get()>
            <SavePresetForm save country=country.get_value() service hours auto_renew />
        </Show>
    }
    .into_any()
}

/// Saves the create form's current choices under a name (needs JavaScript: it reads them).
#[component]
fn SavePresetForm(
    save: ServerAction<SavePreset>,
    country: String,
    service: RwSignal<String>,
    hours: RwSignal<u32>,
    auto_renew: RwSignal<bool>,
) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let country = StoredValue::new(country);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        save.dispatch(SavePreset {
            preset: NewPreset {
                name: name.get_untracked(),
                service: service.get_untracked(),
                country: country.get_value(),
                duration_hours: Some(hours.get_untracked()),
                auto_renew: Some(auto_renew.get_untracked()),
            },
        });
    };
    view! {
        <details class="preset-save">
            <summary>"Save these choices as a preset"</summary>
            <form class="inline-form" on:submit=submit>
                <div class="field grow">
                    <label for="preset-name">"Preset name"</label>
                    <input id="preset-name" type="text" maxlength="60" required bind:value=name />
                </div>
                <button type="submit" class="btn" disabled=move || save.pending().get()>"Save preset"</button>
            </form>
            {move || save.value().get().map(|outcome| match outcome {
                Ok(p) => view! { <div class="notice notice-ok" role="status">{format!("Saved \u{201c}{}\u{201d}", p.name)}</div> }.into_any(),
                Err(error) => view! { <ErrorNotice error /> }.into_any(),
            })}
        </details>
    }
}

#[component]
fn Presets(
    presets: Resource<Result<crate::api::dto::PresetList, AppError>>,
    start: ServerAction<StartPreset>,
    delete: ServerAction<DeletePreset>,
) -> impl IntoView {
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let list = presets.await.map(|l| l.presets).unwrap_or_default();
                (!list.is_empty()).then(|| view! {
                    <section class="card" data-testid="presets">
                        <h2>"Presets"</h2>
                        <ul class="presets">
                            {list.into_iter().map(|p| {
                                let (rent_label, delete_label) = (format!("Rent from {}", p.name), format!("Delete {}", p.name));
                                view! {
                                <li class="preset">
                                    <div>
                                        <strong>{p.name.clone()}</strong>
                                        <span class="muted">
                                            {format!(" {} · {} · {}{}", p.service, p.country, hours_label(p.duration_hours), if p.auto_renew { " · auto-renew" } else { "" })}
                                        </span>
                                    </div>
                                    <div class="actions">
                                        <ActionForm action=start>
                                            <input type="hidden" name="id" value=p.id.to_string() />
                                            <button type="submit" class="btn btn-small btn-primary" aria-label=rent_label>"Rent"</button>
                                        </ActionForm>
                                        <ActionForm action=delete>
                                            <input type="hidden" name="id" value=p.id.to_string() />
                                            <button type="submit" class="btn btn-small" aria-label=delete_label>"Delete"</button>
                                        </ActionForm>
                                    </div>
                                </li>
                            }}).collect_view()}
                        </ul>
                        {move || start.value().get().map(|outcome| match outcome {
                            Ok(r) => view! {
                                <div class="notice notice-ok" role="status" data-testid="rented">
                                    {r.rented_summary()}
                                </div>
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        })}
                    </section>
                })
            })}
        </Transition>
    }
}

/// The results of a bulk request, one line each.
#[component]
fn Outcomes(
    outcome: Result<crate::api::dto::BulkResults, AppError>,
    verb: &'static str,
    testid: &'static str,
) -> impl IntoView {
    match outcome {
        Ok(results) => view! {
            <ul class="outcomes" data-testid=testid>
                {results.results.into_iter().map(|r| view! { <OutcomeLine outcome=r verb /> }).collect_view()}
            </ul>
        }
        .into_any(),
        Err(error) => view! { <ErrorNotice error /> }.into_any(),
    }
}

#[component]
fn OutcomeLine(outcome: BulkOutcome, verb: &'static str) -> impl IntoView {
    let text = outcome.summary(verb);
    if outcome.rental.is_some() {
        view! { <li class="outcome ok" data-testid="outcome-ok">"✓ " {text}</li> }.into_any()
    } else {
        view! { <li class="outcome failed" data-testid="outcome-failed" role="alert">"✗ " {text}</li> }.into_any()
    }
}

#[component]
fn ActiveRentals(
    rentals: Vec<RentalView>,
    release: ServerAction<ReleaseRental>,
    bulk: ServerAction<BulkRentals>,
) -> impl IntoView {
    let hydrated = use_hydrated();
    let selected = RwSignal::new(Vec::<i64>::new());
    let all = StoredValue::new(rentals.clone());
    view! {
        <Show when=move || hydrated.get()>
            <BulkBar rentals=all selected bulk />
        </Show>
        <div class="rental-grid" data-testid="rentals">
            {rentals.into_iter().map(|r| view! { <RentalCard rental=r release selected hydrated /> }).collect_view()}
        </div>
    }
}

/// Acts on the selected rentals at once, showing the total price or refund first.
#[component]
fn BulkBar(
    rentals: StoredValue<Vec<RentalView>>,
    selected: RwSignal<Vec<i64>>,
    bulk: ServerAction<BulkRentals>,
) -> impl IntoView {
    let hours = RwSignal::new(1u32);
    let confirming = RwSignal::new(false);
    let chosen = move || {
        let ids = selected.get();
        rentals.with_value(|all| {
            all.iter()
                .filter(|r| ids.contains(&r.id))
                .cloned()
                .collect::<Vec<_>>()
        })
    };
    let sum = |amounts: Vec<Money>| Money::from_units(amounts.iter().map(|m| m.units()).sum());
    let extend_total = move || {
        sum(chosen()
            .iter()
            .map(|r| extension_quote(hours.get().max(1), r.extension_per_hour))
            .collect())
    };
    let refund_total = move || sum(chosen().iter().map(|r| r.refund_if_released).collect());
    let run = move |action: BulkAction| {
        let ids = selected.get_untracked();
        let hours = (action == BulkAction::Extend).then(|| hours.get_untracked());
        bulk.dispatch(BulkRentals {
            request: BulkRequest { action, ids, hours },
        });
        selected.set(Vec::new());
        confirming.set(false);
    };
    let every = move || rentals.with_value(|all| all.iter().map(|r| r.id).collect::<Vec<_>>());
    view! {
        <div class="bulk-bar card" data-testid="bulk-bar">
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || !selected.read().is_empty() && selected.read().len() == every().len()
                    on:change=move |ev| selected.set(if event_target_checked(&ev) { every() } else { Vec::new() })
                />
                " Select all"
            </label>
            <span class="muted" data-testid="selected-count">{move || format!("{} selected", selected.read().len())}</span>
            <div class="field narrow">
                <label for="bulk-hours">"Hours"</label>
                <input
                    id="bulk-hours"
                    type="number"
                    min="1"
                    max="720"
                    prop:value=move || hours.get().to_string()
                    on:input=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(1))
                />
            </div>
            <button
                type="button"
                class="btn btn-small"
                disabled=move || selected.read().is_empty() || bulk.pending().get()
                on:click=move |_| run(BulkAction::Extend)
            >
                {move || format!("Extend selected · {}", extend_total().display())}
            </button>
            {move || if confirming.get() {
                view! {
                    <span class="confirm-inline">
                        {format!("Refund {} ", refund_total().display())}
                        <button type="button" class="btn btn-small btn-danger" on:click=move |_| run(BulkAction::Release)>"Confirm release"</button>
                        <button type="button" class="btn btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
                    </span>
                }
                .into_any()
            } else {
                view! {
                    <button
                        type="button"
                        class="btn btn-small"
                        disabled=move || selected.read().is_empty() || bulk.pending().get()
                        on:click=move |_| confirming.set(true)
                    >
                        "Release selected…"
                    </button>
                }
                .into_any()
            }}
            {move || bulk.pending().get().then(|| view! { <span class="muted" role="status">"Working…"</span> })}
        </div>
    }
}

#[component]
fn RentalCard(
    rental: RentalView,
    release: ServerAction<ReleaseRental>,
    selected: RwSignal<Vec<i64>>,
    hydrated: ReadSignal<bool>,
) -> impl IntoView {
    let id = rental.id;
    let toggle = move |on: bool| {
        selected.update(|s| {
            s.retain(|x| *x != id);
            if on {
                s.push(id);
            }
        })
    };
    let unread = rental.unread_count;
    let select_label = format!("Select {}", rental.phone_number);
    view! {
        <article class="card rental" data-testid=format!("rental-{id}")>
            <div class="rental-number">
                <Show when=move || hydrated.get()>
                    <input
                        type="checkbox"
                        class="select"
                        aria-label=select_label.clone()
                        prop:checked=move || selected.read().contains(&id)
                        on:change=move |ev| toggle(event_target_checked(&ev))
                    />
                </Show>
                <span class="phone" data-testid="phone">{rental.phone_number.clone()}</span>
                <CopyButton text=rental.phone_number.clone() label="Copy number" />
            </div>
            <p class="muted">{format!("{} · {} · {}", rental.service_name, rental.country_code, rental.status.as_str())}</p>
            <p>"Ends " <Countdown seconds=rental.seconds_remaining until=rental.expires_at /></p>
            {rental.last_code.clone().map(|code| view! {
                <p class="code-line">"Last code " <span class="code" data-testid="last-code">{code.clone()}</span> <CopyButton text=code label="Copy code" /></p>
            })}
            <p class="muted">
                <span data-testid="message-count">
                    {format!("{} message{}", rental.message_count, if rental.message_count == 1 { "" } else { "s" })}
                </span>
                {(unread > 0).then(|| view! { <span class="badge" data-testid="unread">{format!("{unread} new")}</span> })}
            </p>
            <div class="actions">
                <A href=format!("/rentals/{id}") attr:class="btn btn-small">"Messages and options"</A>
                <ReleaseForm id refund=rental.refund_if_released.display() release />
            </div>
        </article>
    }
}
