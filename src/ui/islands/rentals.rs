//! Rentals as live views: the board of active numbers, one rental's facts, and its messages.
//! Each renders from the tab's live store (`ui::live`), seeded from its props, so an event
//! changes what is shown in place. Their forms are plain forms to the server functions: they
//! work without JavaScript, and the client sends them itself (`actions`).

use super::call;
use super::lifetime::ends_with_its_element;
use super::live::showing_messages_of;
use super::quotes::ExtendHours;
use crate::api::dto::{MessageView, RentalView};
use crate::api::rentals::{ExtendRental, MarkRentalRead, ReleaseRental, SetRentalAutoRenew};
use crate::domain::names::service_in;
use crate::domain::rental::RentalStatus;
use crate::ui::components::{format_time, CopyButton, Countdown};
use crate::ui::live::{follow, follow_drawn, store};
use leptos::either::Either;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// Every active rental, soonest to end first; rentals rented elsewhere join, released and
/// expired ones leave.
#[island]
pub fn RentalBoard(rentals: Vec<RentalView>) -> impl IntoView {
    ends_with_its_element();
    let store = StoredValue::new(store());
    let ids = store.with_value(|s| follow(s.board(rentals)));
    view! {
        <Show
            when=move || !ids.read().is_empty()
            fallback=|| view! { <p class="muted empty">"No active numbers. Rent one above."</p> }
        >
            <div class="rental-grid" data-testid="rentals">
                <For each=move || ids.get() key=|id| *id let:id>
                    {store.with_value(|s| s.rental_by_id(id)).map(|r| view! { <RentalCard rental=follow(r) /> })}
                </For>
            </div>
        </Show>
    }
}

fn messages_label(n: u64) -> String {
    format!("{n} message{}", if n == 1 { "" } else { "s" })
}

#[component]
fn RentalCard(rental: RwSignal<RentalView>) -> impl IntoView {
    let (id, phone) = rental.with_untracked(|r| (r.id, r.phone_number.clone()));
    let select_label = format!("Select {phone}");
    view! {
        <article class="card rental" data-testid=format!("rental-{id}")>
            <div class="rental-number">
                // Counted by the bulk bar, which needs JavaScript.
                <input
                    type="checkbox"
                    class="select needs-js"
                    id=format!("select-{id}")
                    value=id.to_string()
                    aria-label=select_label
                    data-per-hour=move || rental.read().extension_per_hour.to_string()
                    data-refund=move || rental.read().refund_if_released.to_string()
                />
                <span class="phone" data-testid="phone">{phone.clone()}</span>
                <CopyButton text=phone label="Copy number" />
            </div>
            <p class="muted">
                {move || {
                    let r = rental.read();
                    format!("{} · {}", service_in(&r.service_name, &r.country_code), r.status.as_str())
                }}
            </p>
            <p>
                "Ends "
                {move || {
                    let r = rental.read();
                    view! { <Countdown seconds=r.seconds_remaining until=r.expires_at /> }
                }}
            </p>
            {move || {
                rental
                    .read()
                    .last_code
                    .clone()
                    .map(|code| {
                        view! {
                            <p class="code-line">
                                "Last code " <span class="code" data-testid="last-code">{code.clone()}</span>
                                " " <CopyButton text=code label="Copy code" />
                            </p>
                        }
                    })
            }}
            <p class="muted">
                <span data-testid="message-count">{move || messages_label(rental.read().message_count)}</span>
                {move || {
                    let unread = rental.read().unread_count;
                    (unread > 0).then(|| view! { <span class="badge" data-testid="unread">{format!("{unread} new")}</span> })
                }}
            </p>
            <div class="actions">
                <a href=format!("/rentals/{id}") class="btn btn-small">"Messages and options"</a>
                <ReleaseForm id refund=Signal::derive(move || rental.read().refund_if_released.display()) />
            </div>
        </article>
    }
}

/// Release, behind a confirmation that shows the refund.
#[component]
pub fn ReleaseForm(id: i64, #[prop(into)] refund: Signal<String>) -> impl IntoView {
    view! {
        <details class="confirm" id=format!("release-{id}")>
            <summary class="btn btn-small">"Release…"</summary>
            <form method="post" action=ReleaseRental::url()>
                <input type="hidden" name="id" value=id.to_string() />
                <p>
                    {move || {
                        format!(
                            "Give the number back now and get {} back (unused whole hours, partly refunded).",
                            refund.get(),
                        )
                    }}
                </p>
                <button type="submit" class="btn btn-small btn-danger">"Release number"</button>
            </form>
        </details>
    }
}

/// One rental's status, end, auto-renew and what was paid, following extensions, renewals and
/// releases made anywhere.
///
/// In the main module, not lazy: split into its own chunk, its hydration sometimes ran the
/// wrong code for its countdown (a hydration panic on one page change in about ten, depending
/// on which other islands' chunks the tab had loaded before; cargo-leptos 0.3.11's
/// `--split`). In the main module it costs little and hydrates every time.
#[island]
pub fn RentalFacts(rental: RentalView) -> impl IntoView {
    ends_with_its_element();
    let rental = follow(store().rental(rental));
    let fact = move |f: fn(&RentalView) -> String| move || f(&rental.read());
    view! {
        <dl class="facts">
            <dt>"For"</dt>
            <dd>{fact(|r| service_in(&r.service_name, &r.country_code))}</dd>
            <dt>"Status"</dt>
            <dd data-testid="status">{fact(|r| r.status.as_str().to_owned())}</dd>
            <dt>"Ends"</dt>
            <dd>
                {move || {
                    let r = rental.read();
                    if r.status == RentalStatus::Active && r.seconds_remaining > 0 {
                        Either::Left(view! { <Countdown seconds=r.seconds_remaining until=r.expires_at /> })
                    } else {
                        Either::Right(view! { <span>{format_time(&r.expires_at)}</span> })
                    }
                }}
            </dd>
            <dt>"Can be kept until"</dt>
            <dd>{fact(|r| format_time(&r.keepable_until))}</dd>
            <dt>"Auto-renew"</dt>
            <dd data-testid="auto-renew">{fact(|r| if r.auto_renew { "on" } else { "off" }.to_owned())}</dd>
            <dt>"Paid"</dt>
            <dd class="money" data-testid="cost">{fact(|r| r.cost.display())}</dd>
        </dl>
    }
}

/// What can be done with a rental while it is active: extend it (with the price as you
/// choose), turn auto-renew on or off, release it. Follows the rental, so the forms go once it
/// ends (released here or anywhere) and the auto-renew button says what it would do now.
/// `form_nonce`: this rendering's `FormNonce`, for the extension's idempotency key.
#[island(lazy)]
pub fn RentalActions(rental: RentalView, form_nonce: Option<String>) -> impl IntoView {
    ends_with_its_element();
    let rental = follow_drawn(rental.clone(), store().rental(rental));
    let (id, per_hour) = rental.with_untracked(|r| (r.id, r.extension_per_hour));
    let key = form_nonce.map(|n| format!("{n}:extend-{id}"));
    view! {
        <Show when=move || rental.read().status == RentalStatus::Active>
            <div class="actions">
                <form class="inline-form" method="post" action=ExtendRental::url()>
                    <input type="hidden" name="id" value=id.to_string() />
                    {key.clone().map(|key| view! { <input type="hidden" name="idempotency_key" value=key /> })}
                    <ExtendHours per_hour />
                    <button type="submit" class="btn">"Extend"</button>
                </form>
                <form method="post" action=SetRentalAutoRenew::url()>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="auto_renew" value=move || (!rental.read().auto_renew).to_string() />
                    <button type="submit" class="btn">
                        {move || if rental.read().auto_renew { "Turn auto-renew off" } else { "Turn auto-renew on" }}
                    </button>
                </form>
                <ReleaseForm id refund=Signal::derive(move || rental.read().refund_if_released.display()) />
            </div>
        </Show>
    }
}

/// A rental's messages, newest first, as text (the sender controls it). Messages shown are
/// messages seen: the rental's unread count is cleared when the list is shown and whenever it
/// grows.
#[island(lazy)]
pub fn MessageList(rental_id: i64, messages: Vec<MessageView>, unread: bool) -> impl IntoView {
    ends_with_its_element();
    let list = follow(store().messages(rental_id, messages));
    Effect::new(move |before: Option<usize>| {
        let now = list.read().len();
        showing_messages_of(rental_id);
        if before.map_or(unread, |before| now > before) {
            mark_read(rental_id);
        }
        now
    });
    view! {
        <Show
            when=move || !list.read().is_empty()
            fallback=|| view! { <p class="muted empty">"No messages yet. They appear here as they arrive."</p> }
        >
            <ul class="messages" data-testid="messages">
                <For each=move || list.get() key=|m| m.id let:message>
                    <Message message />
                </For>
            </ul>
        </Show>
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
            {message.code.map(|code| view! { <p class="code-line">"Code " <span class="code">{code.clone()}</span> " " <CopyButton text=code label="Copy code" /></p> })}
        </li>
    }
}

/// Posts the mark-read form in the background; the event it causes updates the cards.
fn mark_read(rental_id: i64) {
    let Ok(args) = web_sys::UrlSearchParams::new() else {
        return;
    };
    args.append("id", &rental_id.to_string());
    leptos::task::spawn_local(async move {
        let _ = call::post::<MarkRentalRead>(&args).await;
    });
}
