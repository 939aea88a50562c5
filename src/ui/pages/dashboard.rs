//! The home page: the balance and recent activity when signed in, what the product is otherwise.

use crate::api::analytics::get_account_forecast;
use crate::api::billing::list_transactions;
use crate::api::dto::{AccountForecast, MeView, SessionView};
use crate::app::SessionResource;
use crate::ui::components::{ErrorNotice, TransactionsTable};
use crate::ui::islands::LiveBalance;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let session = expect_context::<SessionResource>();
    view! {
        <Title text="Dashboard" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match session.await {
                    Ok(SessionView { user: Some(user), .. }) => view! { <Overview user /> }.into_any(),
                    Ok(_) => view! { <Welcome /> }.into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn Overview(user: MeView) -> impl IntoView {
    let recent = Resource::new(|| (), |_| list_transactions(Some(1), Some(5)));
    let forecast = Resource::new(|| (), |_| get_account_forecast());
    view! {
        <h1>"Dashboard"</h1>
        <div class="grid">
            <section class="card stat">
                <h2 class="stat-label">"Balance"</h2>
                <p class="stat-value money" data-testid="balance"><LiveBalance balance=user.balance /></p>
                <p class="muted">"Numbers are paid from this balance; every change to it is listed below."</p>
                <A href="/billing" attr:class="btn btn-small" attr:data-testid="add-money">"Add money"</A>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        forecast.await.ok().map(|f| view! { <Runway f /> })
                    })}
                </Transition>
            </section>
            <section class="card">
                <h2>"Use the API"</h2>
                <p class="muted">"Everything here is also an HTTP API. Create a key and send it as a bearer token."</p>
                <A href="/keys" attr:class="btn">"Manage API keys"</A>
                " "
                <A href="/docs/api" attr:class="btn">"API reference"</A>
            </section>
        </div>
        <section class="card">
            <div class="card-head">
                <h2>"Recent transactions"</h2>
                <A href="/account">"All transactions"</A>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match recent.await {
                        Ok(page) => view! { <TransactionsTable transactions=page.transactions /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Welcome() -> impl IntoView {
    view! {
        <section class="hero">
            <h1>"Phone numbers for verification codes, on demand"</h1>
            <p class="lead">
                "Buy a number for a one-time code and pay only if the code arrives, or rent a number for hours to months and watch its messages arrive live. Every feature is also an HTTP API."
            </p>
            <div class="actions">
                <A href="/register" attr:class="btn btn-primary">"Create account"</A>
                <A href="/login" attr:class="btn">"Sign in"</A>
            </div>
        </section>
    }
}

/// How long the balance lasts at the last 30 days' spend, and what auto-renewals cost a month.
#[component]
fn Runway(f: AccountForecast) -> impl IntoView {
    let lasts = match f.runway_days {
        _ if f.balance.is_negative() => {
            "Your balance is below zero: purchases are paused until you add money.".to_owned()
        }
        Some(days) => format!(
            "At your last 30 days' spend ({} a day), it lasts about {days:.0} days.",
            f.daily_spend.display()
        ),
        None => "You have spent nothing in the last 30 days.".to_owned(),
    };
    let month = format!(
        "Spent this month: {}; at this rate, {} by the month's end.",
        f.spent_this_month.display(),
        f.projected_this_month.display()
    );
    let suggestions = f.suggestions;
    view! {
        <p class="muted" data-testid="month-spend">{month}</p>
        <p class="muted" data-testid="runway">{lasts}</p>
        {(!suggestions.is_empty()).then(|| view! {
            <div class="suggestions" data-testid="suggestions">
                <h3>"Ways to spend less"</h3>
                <ul>
                    {suggestions
                        .into_iter()
                        .map(|s| view! {
                            <li data-kind=s.kind.as_str()>
                                {s.message}
                                " "
                                <strong class="money">{format!("Saves {}", s.saves.display())}</strong>
                                {s.rental_id.map(|id| view! { " · " <A href=format!("/rentals/{id}")>"Open the rental"</A> })}
                            </li>
                        })
                        .collect_view()}
                </ul>
            </div>
        })}
        {(f.auto_renewing > 0).then(|| view! {
            <p class="muted" data-testid="auto-renew-monthly">
                {format!(
                    "Your {} auto-renewing rental{} cost{} {} a month at today's prices.",
                    f.auto_renewing,
                    if f.auto_renewing == 1 { "" } else { "s" },
                    if f.auto_renewing == 1 { "s" } else { "" },
                    f.auto_renew_monthly.display()
                )}
            </p>
        })}
    }
}
