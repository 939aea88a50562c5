//! One rental: its number, its messages (as text, live), extension with the price shown first,
//! auto-renew, and release with the refund shown first. The forms post without JavaScript;
//! the facts and the messages follow live events.

use crate::api::dto::{MessageView, RentalView};
use crate::api::rentals::{
    get_rental, list_rental_messages, ExtendRental, MarkRentalRead, ReleaseRental,
    SetRentalAutoRenew,
};
use crate::domain::rental::RentalStatus;
use crate::ui::components::{
    action_error, format_time, CopyButton, Countdown, ErrorNotice, IdempotencyKey,
};
use crate::ui::islands::ExtendHours;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn RentalPage() -> impl IntoView {
    let params = use_params_map();
    let id = params
        .read_untracked()
        .get("id")
        .and_then(|v| v.parse::<i64>().ok())
        .unwrap_or(0);
    let extend = ServerAction::<ExtendRental>::new();
    let auto = ServerAction::<SetRentalAutoRenew>::new();
    let release = ServerAction::<ReleaseRental>::new();
    let mark_read = ServerAction::<MarkRentalRead>::new();
    let rental = Resource::new(move || id, get_rental);
    let messages = Resource::new(move || id, list_rental_messages);

    view! {
        <Title text="Rental" />
        <p class="crumbs"><A href="/rentals">"← Active rentals"</A> " · " <A href="/rentals/history">"History"</A></p>
        {action_error(extend)}
        {action_error(auto)}
        {action_error(release)}
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match rental.await {
                    Ok(r) => view! { <RentalDetail rental=r extend auto release /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Messages"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    let unread = rental.await.map(|r| r.unread_count).unwrap_or(0);
                    let shown = match messages.await {
                        Ok(list) if list.messages.is_empty() => view! { <p class="muted empty">"No messages yet. They appear here as they arrive."</p> }.into_any(),
                        Ok(list) => view! {
                            <ul class="messages" data-testid="messages">
                                {list.messages.into_iter().map(|m| view! { <Message message=m /> }).collect_view()}
                            </ul>
                        }
                        .into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    };
                    view! {
                        <div data-live="messages">
                            {(unread > 0).then(|| view! { <MarkReadForm id mark_read /> })}
                            {shown}
                        </div>
                    }
                })}
            </Transition>
        </section>
    }
}

/// Marks the messages as seen: the page script sends it as soon as the page is shown (a page
/// load itself never changes anything); without JavaScript it is a button.
#[component]
fn MarkReadForm(id: i64, mark_read: ServerAction<MarkRentalRead>) -> impl IntoView {
    view! {
        <ActionForm action=mark_read attr:class="inline-form" attr:data-mark-read="">
            <input type="hidden" name="id" value=id.to_string() />
            <button type="submit" class="btn btn-small">"Mark as read"</button>
        </ActionForm>
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
    let active = rental.status == RentalStatus::Active && rental.seconds_remaining > 0;
    view! {
        <section class="card">
            <div class="rental-number">
                <span class="phone big" data-testid="phone">{rental.phone_number.clone()}</span>
                <CopyButton text=rental.phone_number.clone() label="Copy number" />
            </div>
            // Live: the status, the end and what was paid change with extensions, renewals and
            // releases made elsewhere.
            <dl class="facts" data-live="rental">
                <dt>"For"</dt>
                <dd>{format!("{} · {}", rental.service_name, rental.country_code)}</dd>
                <dt>"Status"</dt>
                <dd data-testid="status">{rental.status.as_str()}</dd>
                <dt>"Ends"</dt>
                <dd>
                    {if active {
                        view! { <Countdown seconds=rental.seconds_remaining until=rental.expires_at /> }.into_any()
                    } else {
                        view! { <span>{format_time(&rental.expires_at)}</span> }.into_any()
                    }}
                </dd>
                <dt>"Can be kept until"</dt>
                <dd>{format_time(&rental.keepable_until)}</dd>
                <dt>"Auto-renew"</dt>
                <dd data-testid="auto-renew">{if rental.auto_renew { "on" } else { "off" }}</dd>
                <dt>"Paid"</dt>
                <dd class="money" data-testid="cost">{rental.cost.display()}</dd>
            </dl>
            {active.then(|| view! {
                <div class="actions">
                    <ActionForm action=extend attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <IdempotencyKey scope=format!("extend-{id}") />
                        <ExtendHours per_hour=rental.extension_per_hour />
                        <button type="submit" class="btn">"Extend"</button>
                    </ActionForm>
                    <ActionForm action=auto>
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="auto_renew" value=(!rental.auto_renew).to_string() />
                        <button type="submit" class="btn">
                            {if rental.auto_renew { "Turn auto-renew off" } else { "Turn auto-renew on" }}
                        </button>
                    </ActionForm>
                    <ReleaseForm id refund=rental.refund_if_released.display() release />
                </div>
            })}
        </section>
    }
}

/// Release, behind a confirmation that shows the refund.
#[component]
pub fn ReleaseForm(id: i64, refund: String, release: ServerAction<ReleaseRental>) -> impl IntoView {
    view! {
        <details class="confirm" id=format!("release-{id}")>
            <summary class="btn btn-small">"Release…"</summary>
            <ActionForm action=release>
                <input type="hidden" name="id" value=id.to_string() />
                <p>{format!("Give the number back now and get {refund} back (unused whole hours, partly refunded).")}</p>
                <button type="submit" class="btn btn-small btn-danger">"Release number"</button>
            </ActionForm>
        </details>
    }
}
