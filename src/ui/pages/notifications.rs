//! The notification centre (`/notifications`): what the customer has been told, newest first,
//! unread ones marked; mark one or all read.

use crate::api::dto::{NotificationList, NotificationView};
use crate::api::notifications::{
    list_notifications, MarkNotificationsRead, SetLowBalanceThreshold, SetNotificationEmail,
};
use crate::domain::Money;
use crate::ui::components::{error_of, format_time, query::query_value, ErrorNotice, FieldError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let before = query_value::<i64>("before");
    let list = Resource::new(move || before.get(), list_notifications);
    view! {
        <Title text="Notifications" />
        <h1>"Notifications"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match list.await {
                    Ok((list, prefs)) => view! {
                        <ByEmail on=prefs.email confirmed=prefs.email_confirmed />
                        <LowBalance threshold=prefs.low_balance_threshold.unwrap_or(Money::ZERO) />
                        <Notifications list />
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

/// The choice to get them by email too.
#[component]
fn ByEmail(on: bool, confirmed: bool) -> impl IntoView {
    let save = ServerAction::<SetNotificationEmail>::new();
    view! {
        <section class="card">
            <ActionForm action=save attr:class="inline-form">
                <label class="check">
                    <input type="checkbox" name="on" value="yes" checked=on />
                    " Also send them to my email"
                </label>
                <button type="submit" class="btn btn-small">"Save"</button>
            </ActionForm>
            {(!confirmed)
                .then(|| {
                    view! {
                        <p class="muted" data-testid="email-unconfirmed">
                            "Mail goes only to a confirmed address: confirm yours with the link we sent, or ask for a new one on "
                            <A href="/account">"your account"</A>
                            "."
                        </p>
                    }
                })}
        </section>
    }
}

/// Below what balance the customer is told (0: never).
#[component]
fn LowBalance(threshold: Money) -> impl IntoView {
    let save = ServerAction::<SetLowBalanceThreshold>::new();
    let error = error_of(save);
    // As typed: `1.00`, or all four places when they are needed.
    let d = threshold.decimal();
    let shown = if d.round_dp(2) == d {
        format!("{d:.2}")
    } else {
        d.normalize().to_string()
    };
    view! {
        <section class="card">
            <ActionForm action=save attr:class="inline-form">
                <div class="field">
                    <label for="low-balance">"Tell me when my balance falls below"</label>
                    <input
                        id="low-balance"
                        name="threshold"
                        type="text"
                        inputmode="decimal"
                        value=shown
                        data-testid="low-balance-threshold"
                        required
                    />
                    <FieldError field="low_balance_threshold" error />
                </div>
                <button type="submit" class="btn btn-small">"Save"</button>
            </ActionForm>
            <p class="muted">
                "After a purchase takes your balance below it, you get a notification (and your webhooks a "
                <code>"balance.low"</code>
                " event). 0 turns it off."
            </p>
        </section>
    }
}

#[component]
fn Notifications(list: NotificationList) -> impl IntoView {
    let mark = ServerAction::<MarkNotificationsRead>::new();
    if list.notifications.is_empty() {
        return view! { <section class="card"><p class="muted">"Nothing to tell you yet."</p></section> }
            .into_any();
    }
    let older = list.next_before;
    view! {
        <section class="card">
            <p data-testid="unread-summary">{format!("{} unread.", list.unread)}</p>
            {(list.unread > 0)
                .then(|| {
                    view! {
                        <ActionForm action=mark>
                            <button type="submit" class="btn">"Mark all read"</button>
                        </ActionForm>
                    }
                })}
            <ul class="notifications" data-testid="notifications">
                {list
                    .notifications
                    .into_iter()
                    .map(|n| view! { <Notification n mark /> })
                    .collect_view()}
            </ul>
            {older
                .map(|id| {
                    view! {
                        <nav class="pager" aria-label="Notification pages">
                            <A href=format!("/notifications?before={id}")>"Older"</A>
                        </nav>
                    }
                })}
        </section>
    }
    .into_any()
}

#[component]
fn Notification(n: NotificationView, mark: ServerAction<MarkNotificationsRead>) -> impl IntoView {
    let unread = !n.read;
    view! {
        <li class="notification" class:unread=unread data-kind=n.kind data-read=n.read.to_string()>
            <p>
                {unread.then(|| view! { <span class="badge">"new"</span> " " })}
                {n.message}
            </p>
            <p class="muted">
                <time datetime=n.created_at.to_rfc3339()>{format_time(&n.created_at)}</time>
                {n.rental_id.map(|id| view! { " · " <A href=format!("/rentals/{id}")>"the rental"</A> })}
            </p>
            {unread
                .then(|| {
                    view! {
                        <ActionForm action=mark>
                            <input type="hidden" name="id" value=n.id.to_string() />
                            <button type="submit" class="btn btn-small">"Mark read"</button>
                        </ActionForm>
                    }
                })}
        </li>
    }
}
