//! The account: who you are, your balance and the full ledger, page by page, its sessions and
//! password, and its security events.

use crate::api::accounts::{list_security_events, SendEmailVerification};
use crate::api::billing::list_transactions;
use crate::api::dto::{SecurityEventList, SessionView, TransactionPage};
use crate::app::SessionResource;
use crate::ui::components::{
    error_of, format_time, query::query_value, ErrorNotice, FormError, SignInPrompt,
    TransactionsTable,
};
use crate::ui::islands::LiveBalance;
use crate::ui::pages::sessions::{PasswordSection, SessionsSection};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn AccountPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    let page = query_value::<u32>("page");
    let page = move || page.get().filter(|p| *p > 0).unwrap_or(1);
    let transactions = Resource::new(page, |page| list_transactions(Some(page), Some(20)));
    let events_before = query_value::<i64>("events_before");
    let events = Resource::new(move || events_before.get(), list_security_events);
    view! {
        <Title text="Account" />
        <h1>"Account"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(SessionView { user: Some(user), .. }) => view! {
                        <section class="card">
                            <dl class="facts">
                                <dt>"Email"</dt>
                                <dd>
                                    {user.email}
                                    <EmailConfirmation confirmed=user.email_verified />
                                </dd>
                                <dt>"Role"</dt>
                                <dd>{user.role.as_str()}</dd>
                                <dt>"Balance"</dt>
                                <dd class="money" data-testid="account-balance"><LiveBalance balance=user.balance /></dd>
                                <dt>"Two-factor sign-in"</dt>
                                <dd><A href="/account/mfa">"Manage"</A></dd>
                            </dl>
                        </section>
                    }
                    .into_any(),
                    Ok(_) => view! { <SignInPrompt /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Transactions"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match transactions.await {
                        Ok(page) => view! { <Ledger page /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
        <SessionsSection />
        <PasswordSection />
        <section class="card">
            <h2 id="security">"Security events"</h2>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match events.await {
                        Ok(list) => view! { <SecurityEvents list /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

/// Whether the address is confirmed, and a button for a new link while it is not.
#[component]
fn EmailConfirmation(confirmed: bool) -> impl IntoView {
    if confirmed {
        return view! { <span class="badge" data-testid="email-confirmed">"confirmed"</span> }
            .into_any();
    }
    let send = ServerAction::<SendEmailVerification>::new();
    let error = error_of(send);
    view! {
        <span class="badge badge-warn" data-testid="email-unconfirmed">"not confirmed"</span>
        <ActionForm action=send>
            <FormError error />
            <button type="submit" class="btn btn-small">"Mail me the link again"</button>
        </ActionForm>
    }
    .into_any()
}

/// Sign-ins, failed attempts, keys and roles: where each came from, newest first.
#[component]
fn SecurityEvents(list: SecurityEventList) -> impl IntoView {
    if list.events.is_empty() {
        return view! { <p class="muted">"Nothing yet."</p> }.into_any();
    }
    let older = list.next_before;
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="security-events">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"What"</th>
                        <th scope="col">"From"</th>
                        <th scope="col">"Browser or client"</th>
                    </tr>
                </thead>
                <tbody>
                    {list
                        .events
                        .into_iter()
                        .map(|e| {
                            view! {
                                <tr data-action=e.action>
                                    <td class="tabular">{format_time(&e.at)}</td>
                                    <td>{e.summary}</td>
                                    <td class="tabular">{e.ip}</td>
                                    <td class="muted">{e.user_agent}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
        {older
            .map(|id| {
                view! {
                    <nav class="pager" aria-label="Security event pages">
                        <A href=format!("/account?events_before={id}#security")>"Older"</A>
                    </nav>
                }
            })}
    }
    .into_any()
}

#[component]
fn Ledger(page: TransactionPage) -> impl IntoView {
    let pages = page.total.div_ceil(u64::from(page.per_page)).max(1);
    let current = page.page;
    view! {
        <TransactionsTable transactions=page.transactions />
        <nav class="pager" aria-label="Transaction pages">
            {(current > 1).then(|| view! { <A href=format!("/account?page={}", current - 1)>"Newer"</A> })}
            <span class="muted">{format!("Page {current} of {pages} · {} transactions", page.total)}</span>
            {(u64::from(current) < pages).then(|| view! { <A href=format!("/account?page={}", current + 1)>"Older"</A> })}
        </nav>
    }
}
