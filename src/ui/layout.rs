//! The frame of every page: header with balance and account menu, navigation, sandbox banner,
//! and the tab's script. A page change in the browser replaces `<main>` and the navigation;
//! the rest stays, with its islands (the balance, the event stream).

use crate::api::accounts::{take_notice, SignOut};
use crate::api::dto::SessionView;
use crate::app::SessionResource;
use crate::domain::Role;
use crate::ui::islands::{LiveBalance, LiveCursor, PageScript, RenderedAt};
use leptos::prelude::*;
use leptos_router::components::A;

#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Boundaries await their resources inside `Suspend`, as every page does: several
    // boundaries reading one resource with `.get()` is the shape of an open Leptos bug where
    // a server render never finishes (leptos-rs/leptos#4578).
    let session = expect_context::<SessionResource>();
    let events_after = use_context::<LiveCursor>().and_then(|c| c.0);
    let rendered_at = use_context::<RenderedAt>().map(|r| r.0);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                session.await.ok().filter(|s| s.sandbox).map(|_| {
                    view! {
                        <div class="sandbox-banner" role="status">
                            <strong>"Sandbox mode."</strong>
                            " No real SMS provider is connected and no real money moves."
                        </div>
                    }
                })
            })}
        </Transition>
        <header class="topbar">
            <div class="topbar-inner">
                <A href="/" attr:class="brand">
                    <span class="brand-mark" aria-hidden="true">"N"</span>
                    <span>"Namaskah SMS"</span>
                </A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        session.await.ok().map(|s| view! { <Nav session=s /> })
                    })}
                </Transition>
            </div>
        </header>
        // Page changes replace `<main>` and nothing else: the data it carries is the page's own.
        <main class="page" data-events-after=events_after data-now=rendered_at>
            <Notice />
            {children()}
        </main>
        <footer class="footer">
            "Namaskah SMS · temporary numbers and verification codes · "
            <a href="/docs/api">"API reference"</a>
        </footer>
        // Last, so the browser hydrates it after every other island on the page.
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let signed_in = session.await.ok().is_some_and(|s| s.user.is_some());
                view! { <PageScript signed_in events_after /> }
            })}
        </Transition>
    }
}

/// What a posted form did, on the page it returned to. Gone once the visitor moves on.
#[component]
fn Notice() -> impl IntoView {
    let notice = Resource::new(|| (), |_| take_notice());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let lines = notice.await.unwrap_or_default();
                (!lines.is_empty()).then(|| {
                    view! {
                        <div class="notice notice-ok" role="status" data-testid="notice">
                            {lines.into_iter().map(|line| view! { <p>{line}</p> }).collect_view()}
                        </div>
                    }
                })
            })}
        </Transition>
    }
}

#[component]
fn Nav(session: SessionView) -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    match session.user {
        Some(user) => view! {
            // Whose pages these are: a page change to a page of another session (signing in or
            // out) loads the document afresh.
            <nav class="nav" aria-label="Main" data-session=user.id.to_string()>
                <A href="/" exact=true>"Dashboard"</A>
                <A href="/verifications">"Verifications"</A>
                <A href="/rentals">"Rentals"</A>
                <A href="/billing">"Wallet"</A>
                <A href="/keys">"API keys"</A>
                <A href="/account">"Account"</A>
                {(user.role != Role::User).then(|| view! { <A href="/admin/users">"Console"</A> })}
            </nav>
            <div class="account-menu">
                <A href="/notifications" attr:class="bell" attr:title="Notifications" attr:data-testid="bell">
                    <svg aria-hidden="true" viewBox="0 0 24 24" width="18" height="18"><path fill="currentColor" d="M12 22a2.5 2.5 0 0 0 2.45-2h-4.9A2.5 2.5 0 0 0 12 22Zm7-6V11a7 7 0 0 0-5.5-6.84V3.5a1.5 1.5 0 0 0-3 0v.66A7 7 0 0 0 5 11v5l-2 2v1h18v-1l-2-2Z"/></svg>
                    <span class="sr-only">"Notifications, unread: "</span>
                    // Kept current by the page script from `notification.created` events.
                    <span class="bell-count" data-testid="unread" data-unread="">
                        {(session.unread_notifications > 0).then(|| session.unread_notifications.to_string())}
                    </span>
                </A>
                <A href="/billing" attr:class="balance-pill" attr:title="Your balance: add money">
                    <span class="sr-only">"Balance: "</span>
                    <span class="money" data-testid="header-balance"><LiveBalance balance=user.balance /></span>
                </A>
                <details class="menu">
                    <summary aria-label="Account menu">{user.email.clone()}</summary>
                    <div class="menu-body">
                        <p class="muted">{user.email}</p>
                        <A href="/account">"Account and transactions"</A>
                        <A href="/billing">"Wallet: add money"</A>
                        <A href="/keys">"API keys"</A>
                        <A href="/webhooks">"Webhooks"</A>
                        <A href="/docs/api">"API reference"</A>
                        <ActionForm action=sign_out>
                            <button type="submit" class="btn btn-small">"Sign out"</button>
                        </ActionForm>
                    </div>
                </details>
            </div>
        }
        .into_any(),
        None => view! {
            <nav class="nav" aria-label="Main" data-session="">
                <A href="/docs/api">"API"</A>
                <A href="/login">"Sign in"</A>
                <A href="/register" attr:class="btn btn-primary btn-small">"Create account"</A>
            </nav>
        }
        .into_any(),
    }
}
