//! Rentals: the dashboard of active numbers (live), renting a new one, and one rental's page
//! with its messages, extension, auto-renew and release. Every form also works without
//! JavaScript; SMS text is always rendered as text.

use crate::api::catalog::{list_countries, list_services};
use crate::api::dto::{MessageView, RentalView, ServiceList};
use crate::api::rentals::{
    get_rental, list_active_rentals, list_rental_messages, CreateRental, ExtendRental,
    ReleaseRental, SetRentalAutoRenew,
};
use crate::app::refresh_session_after;
use crate::ui::components::{format_time, CopyButton, ErrorNotice};
use crate::ui::live::RentalsVersion;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::{use_params_map, use_query_map};

/// "in 3 h 12 min" for a number of seconds.
pub fn remaining(seconds: i64) -> String {
    if seconds <= 0 {
        return "ended".to_owned();
    }
    let (d, h, m) = (
        seconds / 86_400,
        seconds % 86_400 / 3_600,
        seconds % 3_600 / 60,
    );
    match (d, h) {
        (0, 0) => format!("in {} min", m.max(1)),
        (0, _) => format!("in {h} h {m} min"),
        _ => format!("in {d} d {h} h"),
    }
}

#[component]
pub fn RentalsPage() -> impl IntoView {
    let RentalsVersion(live) = expect_context();
    let create = ServerAction::<CreateRental>::new();
    let release = ServerAction::<ReleaseRental>::new();
    refresh_session_after(create);
    refresh_session_after(release);
    let rentals = Resource::new(
        move || (live.get(), create.version().get(), release.version().get()),
        |_| list_active_rentals(),
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
        <h1>"Rentals"</h1>
        <section class="card">
            <h2>"Rent a number"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading the catalogue…"</p> }>
                {move || Suspend::new(async move {
                    let countries = countries.await;
                    let selected = country();
                    let picker = match countries {
                        Ok(list) => view! {
                            <form method="get" action="/rentals" class="inline-form">
                                <div class="field grow">
                                    <label for="country">"Country"</label>
                                    <select id="country" name="country">
                                        {list
                                            .countries
                                            .into_iter()
                                            .map(|c| {
                                                let chosen = c.code == selected;
                                                view! { <option value=c.code.clone() selected=chosen>{format!("{} ({})", c.name, c.code)}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                </div>
                                <button type="submit" class="btn">"Show prices"</button>
                            </form>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    let form = match catalog.await {
                        Ok(list) => view! { <CreateForm list create /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    view! {
                        {picker}
                        {form}
                    }
                })}
            </Transition>
            {move || {
                create
                    .value()
                    .get()
                    .map(|outcome| match outcome {
                        Ok(r) => view! {
                            <div class="notice notice-ok" role="status" data-testid="rented">
                                {format!("Rented {} until {} · charged {}", r.phone_number, format_time(&r.expires_at), r.cost.display())}
                            </div>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    })
            }}
        </section>
        <section>
            <h2>"Active numbers"</h2>
            {move || {
                release
                    .value()
                    .get()
                    .map(|outcome| match outcome {
                        Ok(r) => view! {
                            <div class="notice notice-ok" role="status" data-testid="released">
                                {format!("Released {} · refunded {}", r.rental.phone_number, r.refund.display())}
                            </div>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    })
            }}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match rentals.await {
                        Ok(list) if list.rentals.is_empty() => {
                            view! { <p class="muted empty">"No active numbers. Rent one above."</p> }.into_any()
                        }
                        Ok(list) => view! {
                            <div class="rental-grid" data-testid="rentals">
                                {list.rentals.into_iter().map(|r| view! { <RentalCard rental=r release /> }).collect_view()}
                            </div>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn CreateForm(list: ServiceList, create: ServerAction<CreateRental>) -> impl IntoView {
    if list.rentals.is_empty() {
        return view! { <p class="muted">"No numbers can be rented in this country right now."</p> }.into_any();
    }
    view! {
        <ActionForm action=create attr:class="create-form">
            <input type="hidden" name="rental[country]" value=list.country.clone() />
            <div class="field">
                <label for="service">"For"</label>
                <select id="service" name="rental[service]">
                    {list
                        .services
                        .into_iter()
                        .map(|s| view! { <option value=s.service.clone()>{s.service.clone()}</option> })
                        .collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="duration">"For how long"</label>
                <select id="duration" name="rental[duration_hours]">
                    {list
                        .rentals
                        .into_iter()
                        .map(|r| {
                            let chosen = r.hours == 24;
                            let label = format!("{} · {}{}", hours_label(r.hours), r.price.display(), if r.stock == 0 { " · none left" } else { "" });
                            view! { <option value=r.hours.to_string() selected=chosen>{label}</option> }
                        })
                        .collect_view()}
                </select>
            </div>
            <label class="check">
                <input type="checkbox" name="rental[auto_renew]" value="true" />
                " Renew automatically"
            </label>
            <button type="submit" class="btn btn-primary" disabled=move || create.pending().get()>
                {move || if create.pending().get() { "Renting…" } else { "Rent number" }}
            </button>
        </ActionForm>
    }
    .into_any()
}

fn hours_label(hours: u32) -> String {
    match hours {
        h if h % 24 == 0 && h >= 48 => format!("{} days", h / 24),
        24 => "1 day".to_owned(),
        h => format!("{h} hours"),
    }
}

#[component]
fn RentalCard(rental: RentalView, release: ServerAction<ReleaseRental>) -> impl IntoView {
    let id = rental.id;
    view! {
        <article class="card rental" data-testid=format!("rental-{id}")>
            <div class="rental-number">
                <span class="phone" data-testid="phone">{rental.phone_number.clone()}</span>
                <CopyButton text=rental.phone_number.clone() label="Copy number" />
            </div>
            <p class="muted">{format!("{} · {}", rental.service_name, rental.country_code)}</p>
            <p title=format_time(&rental.expires_at)>{format!("Ends {}", remaining(rental.seconds_remaining))}</p>
            {rental.last_code.clone().map(|code| view! {
                <p class="code-line">"Last code " <span class="code" data-testid="last-code">{code.clone()}</span> <CopyButton text=code label="Copy code" /></p>
            })}
            <p class="muted" data-testid="message-count">
                {format!("{} message{}", rental.message_count, if rental.message_count == 1 { "" } else { "s" })}
            </p>
            <div class="actions">
                <A href=format!("/rentals/{id}") attr:class="btn btn-small">"Messages and options"</A>
                <ReleaseForm id release />
            </div>
        </article>
    }
}

/// Release, behind a confirmation that works without JavaScript.
#[component]
fn ReleaseForm(id: i64, release: ServerAction<ReleaseRental>) -> impl IntoView {
    view! {
        <details class="confirm">
            <summary class="btn btn-small">"Release…"</summary>
            <ActionForm action=release>
                <input type="hidden" name="id" value=id.to_string() />
                <p>"Give the number back now. Unused whole hours are partly refunded."</p>
                <button type="submit" class="btn btn-small btn-danger">"Release number"</button>
            </ActionForm>
        </details>
    }
}

#[component]
pub fn RentalPage() -> impl IntoView {
    let RentalsVersion(live) = expect_context();
    let params = use_params_map();
    let id = move || {
        params
            .read()
            .get("id")
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(0)
    };
    let extend = ServerAction::<ExtendRental>::new();
    let auto = ServerAction::<SetRentalAutoRenew>::new();
    let release = ServerAction::<ReleaseRental>::new();
    refresh_session_after(extend);
    refresh_session_after(release);
    let changed = move || {
        (
            live.get(),
            extend.version().get(),
            auto.version().get(),
            release.version().get(),
        )
    };
    let rental = Resource::new(move || (id(), changed()), |(id, _)| get_rental(id));
    let messages = Resource::new(
        move || (id(), changed()),
        |(id, _)| list_rental_messages(id),
    );

    view! {
        <Title text="Rental" />
        <p><A href="/rentals">"← All rentals"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match rental.await {
                    Ok(r) => view! { <RentalDetail rental=r extend auto release /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        {move || {
            let notice = |text: String| view! { <div class="notice notice-ok" role="status">{text}</div> }.into_any();
            match (extend.value().get(), release.value().get()) {
                (_, Some(Ok(r))) => Some(notice(format!("Released · refunded {}", r.refund.display()))),
                (_, Some(Err(error))) => Some(view! { <ErrorNotice error /> }.into_any()),
                (Some(Ok(x)), _) => Some(notice(format!("Extended until {} · charged {}", format_time(&x.rental.expires_at), x.charged.display()))),
                (Some(Err(error)), _) => Some(view! { <ErrorNotice error /> }.into_any()),
                _ => None,
            }
        }}
        <section class="card">
            <h2>"Messages"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match messages.await {
                        Ok(list) if list.messages.is_empty() => view! { <p class="muted empty">"No messages yet. They appear here as they arrive."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="messages" data-testid="messages">
                                {list.messages.into_iter().map(|m| view! { <Message message=m /> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Message(message: MessageView) -> impl IntoView {
    view! {
        <li class="message">
            <div class="message-head">
                <strong>{message.sender}</strong>
                <span class="muted">{format_time(&message.received_at)}</span>
            </div>
            // Attacker-controlled: rendered as text, never as HTML.
            <p class="message-text">{message.text}</p>
            {message.code.map(|code| view! { <p class="code-line">"Code " <span class="code">{code.clone()}</span> <CopyButton text=code label="Copy code" /></p> })}
        </li>
    }
}

#[component]
fn RentalDetail(
    rental: RentalView,
    extend: ServerAction<ExtendRental>,
    auto: ServerAction<SetRentalAutoRenew>,
    release: ServerAction<ReleaseRental>,
) -> impl IntoView {
    let id = rental.id;
    let active = rental.seconds_remaining > 0;
    view! {
        <section class="card">
            <div class="rental-number">
                <span class="phone big" data-testid="phone">{rental.phone_number.clone()}</span>
                <CopyButton text=rental.phone_number.clone() label="Copy number" />
            </div>
            <dl class="facts">
                <dt>"For"</dt>
                <dd>{format!("{} · {}", rental.service_name, rental.country_code)}</dd>
                <dt>"Status"</dt>
                <dd data-testid="status">{format!("{:?}", rental.status).to_lowercase()}</dd>
                <dt>"Ends"</dt>
                <dd title=format_time(&rental.expires_at)>{format!("{} ({})", remaining(rental.seconds_remaining), format_time(&rental.expires_at))}</dd>
                <dt>"Can be kept until"</dt>
                <dd>{format_time(&rental.keepable_until)}</dd>
                <dt>"Paid"</dt>
                <dd class="money">{rental.cost.display()}</dd>
            </dl>
            {active.then(|| view! {
                <div class="actions">
                    <ActionForm action=extend attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <div class="field">
                            <label for="hours">"Extend by (hours)"</label>
                            <input id="hours" name="hours" type="number" min="1" max="720" value="1" required />
                        </div>
                        <button type="submit" class="btn">"Extend"</button>
                    </ActionForm>
                    <ActionForm action=auto>
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="auto_renew" value=(!rental.auto_renew).to_string() />
                        <button type="submit" class="btn">
                            {if rental.auto_renew { "Turn auto-renew off" } else { "Turn auto-renew on" }}
                        </button>
                    </ActionForm>
                    <ReleaseForm id release />
                </div>
            })}
        </section>
    }
}
