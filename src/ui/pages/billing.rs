//! The wallet (`/billing`): the balance, adding money by card, and the top-ups so far. Coming
//! back from the payment page (`?topup=`), it says what became of that payment.

use crate::api::billing::{get_wallet, list_transactions, StartTopup};
use crate::api::dto::{SessionView, TopupOptions, TopupView, Wallet};
use crate::app::SessionResource;
use crate::domain::statement::Month;
use crate::domain::topup::TopupStatus;
use crate::ui::components::{
    error_of, format_time, query::query_value, ErrorNotice, FieldError, TransactionsTable,
};
use crate::ui::islands::LiveBalance;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

#[component]
pub fn BillingPage() -> impl IntoView {
    let topup = query_value::<i64>("topup");
    let cancelled = query_value::<String>("cancelled");
    let overview = Resource::new(move || topup.get(), get_wallet);
    let session = expect_context::<SessionResource>();
    let recent = Resource::new(|| (), |_| list_transactions(Some(1), Some(10)));
    view! {
        <Title text="Wallet" />
        <h1>"Wallet"</h1>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                let balance = match session.await {
                    Ok(SessionView { user: Some(user), .. }) => user.balance,
                    Ok(_) => return view! { <crate::ui::components::SignInPrompt /> }.into_any(),
                    Err(error) => return view! { <ErrorNotice error /> }.into_any(),
                };
                match overview.await {
                    Ok(Wallet { options, topups, returned, months }) => view! {
                        {returned.map(|t| view! { <Returned topup=t cancelled=cancelled.get_untracked().is_some() /> })}
                        {balance.is_negative().then(|| view! {
                            <p class="notice notice-error" role="alert" data-testid="negative-balance">
                                {format!(
                                    "Your balance is below zero ({}) because a card payment was refunded or disputed. Purchases are paused until you add money to bring it back above zero.",
                                    balance.display()
                                )}
                            </p>
                        })}
                        <div class="grid">
                            <section class="card stat">
                                <h2 class="stat-label">"Balance"</h2>
                                <p class="stat-value money" data-testid="balance"><LiveBalance balance /></p>
                            </section>
                            <TopUp options />
                        </div>
                        <Topups topups />
                        <Statements months />
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        <section class="card">
            <div class="card-head">
                <h2>"Transactions"</h2>
                <A href="/account">"All transactions"</A>
            </div>
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    recent.await.ok().map(|page| view! { <TransactionsTable transactions=page.transactions /> })
                })}
            </Transition>
        </section>
    }
}

/// What became of the payment the customer has just come back from.
#[component]
fn Returned(topup: TopupView, cancelled: bool) -> impl IntoView {
    let amount = topup.amount.display();
    let (class, text) = match topup.status {
        TopupStatus::Paid => (
            "notice notice-ok",
            format!("Payment received: {amount} was added to your balance."),
        ),
        TopupStatus::Declined => (
            "notice notice-error",
            format!(
                "The card was declined{}; nothing was charged. You can try another card.",
                topup
                    .failure
                    .as_deref()
                    .map(|f| format!(" ({})", f.trim_end_matches('.')))
                    .unwrap_or_default()
            ),
        ),
        TopupStatus::Pending if cancelled => (
            "notice",
            "You left the payment page without paying; nothing was charged.".to_owned(),
        ),
        TopupStatus::Pending => (
            "notice",
            format!("Waiting for the card payment of {amount} to be confirmed: your balance goes up as soon as it is (reload to see)."),
        ),
        TopupStatus::Expired => (
            "notice",
            "That payment page has expired; nothing was charged.".to_owned(),
        ),
        TopupStatus::Refunded => (
            "notice",
            format!("That top-up of {amount} was refunded."),
        ),
        TopupStatus::Disputed => (
            "notice notice-error",
            format!("The payment for that top-up of {amount} is disputed with your bank."),
        ),
    };
    let resume = topup
        .checkout_url
        .is_some()
        .then(|| format!("/billing/topups/{}/pay", topup.id));
    view! {
        <p class=class role="status" data-testid="topup-returned">
            {text}
            {resume.map(|url| view! { " " <a href=url data-leaves-app="">"Return to the payment page"</a> })}
        </p>
    }
}

/// The form that starts a top-up: it leaves the app for the payment provider's page.
#[component]
fn TopUp(options: TopupOptions) -> impl IntoView {
    if !options.enabled {
        return view! {
            <section class="card">
                <h2>"Add money"</h2>
                <p class="muted" data-testid="topups-off">
                    "Card top-ups are not set up on this server. An operator can credit your balance."
                </p>
            </section>
        }
        .into_any();
    }
    let start = ServerAction::<StartTopup>::new();
    let error = error_of(start);
    let (min, max) = (options.min.display(), options.max.display());
    view! {
        <section class="card">
            <h2>"Add money"</h2>
            <ActionForm action=start attr:class="inline-form" attr:data-leaves-app="">
                <div class="field">
                    <label for="topup-amount">{format!("Amount ({})", options.currency)}</label>
                    <input
                        id="topup-amount"
                        name="amount"
                        type="text"
                        inputmode="decimal"
                        value="20.00"
                        required
                        data-testid="topup-amount"
                    />
                    <FieldError field="amount" error />
                </div>
                <button type="submit" class="btn btn-primary">"Pay by card"</button>
            </ActionForm>
            <p class="muted">
                {format!("From {min} to {max}. You pay on the card payment page; your balance goes up as soon as the payment is confirmed.")}
            </p>
            {options.sandbox.then(|| view! {
                <p class="muted" data-testid="topup-sandbox">
                    "Sandbox mode: the payment page is a test one and no card is charged."
                </p>
            })}
        </section>
    }
    .into_any()
}

/// The latest top-ups.
#[component]
fn Topups(topups: Vec<TopupView>) -> impl IntoView {
    if topups.is_empty() {
        return ().into_any();
    }
    view! {
        <section class="card">
            <h2>"Top-ups"</h2>
            <div class="table-wrap">
                <table class="table" data-testid="topups">
                    <thead>
                        <tr>
                            <th scope="col">"Started"</th>
                            <th scope="col" class="num">"Amount"</th>
                            <th scope="col">"Status"</th>
                            <th scope="col"></th>
                        </tr>
                    </thead>
                    <tbody>
                        {topups
                            .into_iter()
                            .map(|t| {
                                let pay = t.checkout_url.is_some().then(|| format!("/billing/topups/{}/pay", t.id));
                                let receipt = t.paid_at.is_some().then(|| format!("/billing/topups/{}/receipt", t.id));
                                let status = if t.status == TopupStatus::Paid && t.refunded.is_positive() {
                                    format!("Paid · {} refunded", t.refunded.display())
                                } else {
                                    t.status.label().to_owned()
                                };
                                view! {
                                    <tr data-status=t.status.as_str()>
                                        <td>{format_time(&t.created_at)}</td>
                                        <td class="num money">{t.amount.display()}</td>
                                        <td>{status}</td>
                                        <td>
                                            {pay.map(|url| view! { <a href=url data-leaves-app="">"Pay"</a> })}
                                            {receipt.map(|url| view! { <A href=url>"Receipt"</A> })}
                                        </td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </div>
        </section>
    }
    .into_any()
}

/// Statements of the last months, and the whole ledger as CSV.
#[component]
fn Statements(months: Vec<String>) -> impl IntoView {
    view! {
        <section class="card">
            <h2>"Statements"</h2>
            <ul class="inline-list" data-testid="statements">
                {months
                    .into_iter()
                    .map(|m| {
                        let name = Month::parse(&m).map(Month::name).unwrap_or_else(|| m.clone());
                        view! { <li><A href=format!("/billing/statements/{m}")>{name}</A></li> }
                    })
                    .collect_view()}
            </ul>
            <p><a href="/api/billing/transactions.csv" download="">"Download the whole ledger (CSV)"</a></p>
        </section>
    }
}
