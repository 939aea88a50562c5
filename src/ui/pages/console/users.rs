//! Accounts: find one by email (`/admin/users`), then read it (`/admin/users/{id}`): its
//! balance and role, its ledger page by page, its rentals and verifications, and (admins) a
//! credit or debit with the reason kept in the ledger and the audit log.

use super::{ConsoleNav, Pager};
use crate::api::dto::{StaffUserView, TransactionPage};
use crate::api::pricing::{get_pricing, SetUserTier};
use crate::api::staff::{staff_transactions, staff_user, staff_users, StaffCredit};
use crate::domain::Role;
use crate::ui::components::query::{path_id, query_value};
use crate::ui::components::transactions::TransactionsTable;
use crate::ui::components::{error_of, format_time, ErrorNotice, FieldError, FormError};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;
use std::sync::Arc;

#[component]
pub fn UsersPage() -> impl IntoView {
    let params = use_query_map();
    let q = Memo::new(move |_| params.read().get("q").filter(|v| !v.trim().is_empty()));
    let users = Resource::new(move || q.get(), staff_users);
    view! {
        <Title text="Accounts" />
        <ConsoleNav current="/admin/users" />
        <h1>"Accounts"</h1>
        <section class="card">
            {move || {
                let value = q.get().unwrap_or_default();
                view! {
                    <Form method="GET" action="/admin/users" attr:class="filters" attr:role="search">
                        <div class="field grow">
                            <label for="q">"Email contains"</label>
                            <input id="q" name="q" type="search" value=value.clone() prop:value=value placeholder="name@ or a domain" />
                        </div>
                        <button type="submit" class="btn btn-primary">"Find"</button>
                    </Form>
                }
            }}
        </section>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match users.await {
                    Ok(list) if list.users.is_empty() => view! { <p class="muted empty">"No account matches."</p> }.into_any(),
                    Ok(list) => view! { <UserTable users=list.users /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn UserTable(users: Vec<StaffUserView>) -> impl IntoView {
    view! {
        <section class="card">
            <div class="table-wrap">
                <table class="table" data-testid="accounts">
                    <thead>
                        <tr>
                            <th scope="col">"Account"</th>
                            <th scope="col">"Role"</th>
                            <th scope="col" class="num">"Balance"</th>
                            <th scope="col">"Joined"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {users
                            .into_iter()
                            .map(|u| view! {
                                <tr>
                                    <th scope="row"><A href=format!("/admin/users/{}", u.id)>{u.email}</A></th>
                                    <td>{u.role.as_str()}</td>
                                    <td class="num money">{u.balance.display()}</td>
                                    <td class="tabular">{format_time(&u.created_at)}</td>
                                </tr>
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
}

#[component]
pub fn UserPage() -> impl IntoView {
    let id = path_id("id");
    let page = query_value::<u32>("page");
    let page = Memo::new(move |_| page.get().filter(|p| *p > 0));
    let credit = ServerAction::<StaffCredit>::new();
    let tier = ServerAction::<SetUserTier>::new();
    let account = Resource::new(
        move || (id.get(), credit.version().get(), tier.version().get()),
        |(id, _, _)| staff_user(id),
    );
    let ledger = Resource::new(
        move || (id.get(), page.get(), credit.version().get()),
        |(id, page, _)| staff_transactions(id, page),
    );
    view! {
        <Title text="Account" />
        <ConsoleNav current="/admin/users" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match account.await {
                    Ok(user) => view! { <Account user credit tier /> }.into_any(),
                    Err(error) => view! { <h1>"Account"</h1> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <h2>"Ledger"</h2>
            <p class="muted">"Every change to the balance, newest first."</p>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    let id = id.get_untracked();
                    match ledger.await {
                        Ok(p) => view! { <Ledger id page=p /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Account(
    user: StaffUserView,
    credit: ServerAction<StaffCredit>,
    tier: ServerAction<SetUserTier>,
) -> impl IntoView {
    let id = user.id;
    let current_tier = user.tier.clone();
    view! {
        <div class="page-head">
            <h1 data-testid="account-email">{user.email.clone()}</h1>
            <span class="muted">{format!("Account #{id}")}</span>
        </div>
        <section class="card">
            <dl class="facts">
                <dt>"Balance"</dt>
                <dd class="money" data-testid="account-balance">{user.balance.display()}</dd>
                <dt>"Role"</dt>
                <dd>{user.role.as_str()}</dd>
                <dt>"Pricing tier"</dt>
                <dd data-testid="account-tier">{user.tier.clone()}</dd>
                <dt>"Joined"</dt>
                <dd class="tabular">{format_time(&user.created_at)}</dd>
            </dl>
            <p>
                <A href=format!("/admin/rentals?user={id}")>"Their rentals"</A>
                " · "
                <A href=format!("/admin/verifications?user={id}")>"Their verifications"</A>
            </p>
        </section>
        <CreditForm id credit />
        <TierForm id current=current_tier tier />
    }
}

/// Admins only: moves the account to another of the pricing policy's tiers.
#[component]
fn TierForm(id: i64, current: String, tier: ServerAction<SetUserTier>) -> impl IntoView {
    let error = error_of(tier);
    let policy = Resource::new(|| (), |_| get_pricing());
    view! {
        <Transition fallback=|| ()>
            {move || {
                let current = current.clone();
                Suspend::new(async move {
                    if super::caller_role().await != Some(Role::Admin) {
                        return None;
                    }
                    let tiers = policy.await.ok()?.policy.tiers;
                    Some(view! {
                        <section class="card">
                            <h2>"Pricing tier"</h2>
                            <p class="muted">"Its discount prices this account's purchases from now on; written to the audit log."</p>
                            <ActionForm action=tier attr:class="inline-form" attr:data-testid="tier-form">
                                <FormError error />
                                <input type="hidden" name="id" value=id />
                                <div class="field">
                                    <label for="tier">"Tier"</label>
                                    <select id="tier" name="tier">
                                        {tiers
                                            .into_iter()
                                            .map(|t| {
                                                let selected = t.name == current;
                                                let label = format!("{} ({}% off)", t.name, (t.discount * rust_decimal::Decimal::ONE_HUNDRED).normalize());
                                                view! { <option value=t.name selected=selected>{label}</option> }
                                            })
                                            .collect_view()}
                                    </select>
                                    <FieldError field="tier" error />
                                </div>
                                <button type="submit" class="btn btn-primary">"Move"</button>
                            </ActionForm>
                        </section>
                    })
                })
            }}
        </Transition>
    }
}

/// Admins only: the form is not shown to support (the server refuses them anyway).
#[component]
fn CreditForm(id: i64, credit: ServerAction<StaffCredit>) -> impl IntoView {
    let error = error_of(credit);
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                (super::caller_role().await == Some(Role::Admin)).then(|| view! {
                    <section class="card">
                        <h2>"Credit or debit"</h2>
                        <p class="muted">"A ledger row with the reason, written to the audit log. A debit never takes the balance below zero."</p>
                        <ActionForm action=credit attr:class="inline-form" attr:data-testid="credit-form">
                            <FormError error />
                            <input type="hidden" name="id" value=id />
                            <div class="field">
                                <label for="direction">"Direction"</label>
                                <select id="direction" name="direction">
                                    <option value="credit" selected=true>"credit (add)"</option>
                                    <option value="debit">"debit (take back)"</option>
                                </select>
                            </div>
                            <div class="field narrow">
                                <label for="amount">"Amount"</label>
                                <input id="amount" name="amount" type="text" inputmode="decimal" required placeholder="10.00" />
                                <FieldError field="amount" error />
                                <FieldError field="direction" error />
                            </div>
                            <div class="field grow">
                                <label for="note">"Reason"</label>
                                <input id="note" name="note" type="text" required placeholder="goodwill for ticket #123" />
                                <FieldError field="note" error />
                            </div>
                            <button type="submit" class="btn btn-primary">"Apply"</button>
                        </ActionForm>
                    </section>
                })
            })}
        </Transition>
    }
}

#[component]
fn Ledger(id: i64, page: TransactionPage) -> impl IntoView {
    let link: Arc<dyn Fn(u32) -> String + Send + Sync> =
        Arc::new(move |n| format!("/admin/users/{id}?page={n}"));
    view! {
        <TransactionsTable transactions=page.transactions />
        <Pager page=page.page per_page=page.per_page total=page.total link />
    }
}
