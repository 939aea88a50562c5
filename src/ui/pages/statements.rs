//! Documents to print or keep: a paid top-up's receipt (`/billing/topups/:id/receipt`) and a
//! month's statement (`/billing/statements/:month`). Printed, only the document shows
//! (`.document` and the print rules in the stylesheet).

use crate::api::billing::{get_receipt, get_statement};
use crate::api::dto::{Issuer, Receipt, Statement};
use crate::ui::components::{format_time, query::path_id, ErrorNotice, TransactionsTable};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn ReceiptPage() -> impl IntoView {
    let id = path_id("id");
    let receipt = Resource::new(move || id.get(), get_receipt);
    view! {
        <Title text="Receipt" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match receipt.await {
                    Ok(r) => view! { <ReceiptView r /> }.into_any(),
                    Err(error) => view! { <h1>"Receipt"</h1> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn IssuerBlock(issuer: Issuer) -> impl IntoView {
    view! {
        <address class="issuer">
            <strong>{issuer.name}</strong>
            {issuer.address.into_iter().map(|line| view! { <br />{line} }).collect_view()}
            {issuer.tax_id.map(|id| view! { <br />{format!("Tax ID: {id}")} })}
        </address>
    }
}

fn percent(rate: &str) -> String {
    let pct = rate
        .parse::<rust_decimal::Decimal>()
        .map(|r| {
            (r * rust_decimal::Decimal::ONE_HUNDRED)
                .normalize()
                .to_string()
        })
        .unwrap_or_default();
    format!("{pct} %")
}

#[component]
fn ReceiptView(r: Receipt) -> impl IntoView {
    let paid_at = r
        .topup
        .paid_at
        .as_ref()
        .map(format_time)
        .unwrap_or_default();
    view! {
        <p class="no-print"><A href="/billing">"← Wallet"</A></p>
        <article class="card document" data-testid="receipt">
            <header class="document-head">
                <div>
                    <h1>{format!("Receipt {}", r.number)}</h1>
                    <p class="muted">{format!("Paid {paid_at}")}</p>
                </div>
                <IssuerBlock issuer=r.issuer />
            </header>
            <p>{format!("Received from {}", r.customer_email)}</p>
            <table class="table">
                <tbody>
                    <tr><th scope="row">"Balance top-up by card"</th><td class="num money" data-testid="receipt-amount">{r.topup.amount.display()}</td></tr>
                    <tr><th scope="row">"Net"</th><td class="num money">{r.net.display()}</td></tr>
                    <tr><th scope="row">{format!("Tax included ({})", percent(&r.tax_rate))}</th><td class="num money" data-testid="receipt-tax">{r.tax.display()}</td></tr>
                    <tr><th scope="row">"Total paid"</th><td class="num money"><strong>{r.topup.amount.display()}</strong></td></tr>
                </tbody>
            </table>
            {r.topup.refunded.is_positive().then(|| view! {
                <p data-testid="receipt-refunded">{format!("Refunded since: {}", r.topup.refunded.display())}</p>
            })}
            {r.topup.disputed.is_positive().then(|| view! {
                <p data-testid="receipt-disputed">{format!("Disputed with the card's bank: {}", r.topup.disputed.display())}</p>
            })}
            {r.payment_reference.map(|p| view! { <p class="muted">{format!("Card payment {p}")}</p> })}
        </article>
        <PrintHint />
    }
}

/// How to keep it: the browser prints, or saves as PDF.
#[component]
fn PrintHint() -> impl IntoView {
    view! {
        <p class="no-print muted">"Print this page, or save it as a PDF, from your browser's print dialog."</p>
    }
}

#[component]
pub fn StatementPage() -> impl IntoView {
    let params = use_params_map();
    let month = Memo::new(move |_| params.read().get("month").unwrap_or_default());
    let statement = Resource::new(move || month.get(), get_statement);
    view! {
        <Title text="Statement" />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match statement.await {
                    Ok(s) => view! { <StatementView s /> }.into_any(),
                    Err(error) => view! { <h1>"Statement"</h1> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn StatementView(s: Statement) -> impl IntoView {
    let csv = format!(
        "/api/billing/transactions.csv?from={}&to={}",
        s.from.format("%Y-%m-%d"),
        (s.to - chrono::Duration::days(1)).format("%Y-%m-%d")
    );
    view! {
        <p class="no-print"><A href="/billing">"← Wallet"</A></p>
        <article class="card document" data-testid="statement">
            <header class="document-head">
                <div>
                    <h1>{format!("Statement for {}", s.title)}</h1>
                    <p class="muted">{s.customer_email}</p>
                </div>
                <IssuerBlock issuer=s.issuer />
            </header>
            <table class="table">
                <tbody>
                    <tr><th scope="row">"Opening balance"</th><td class="num money" data-testid="opening">{s.opening_balance.display()}</td></tr>
                    <tr><th scope="row">"Money in"</th><td class="num money credit">{s.money_in.display()}</td></tr>
                    <tr><th scope="row">"Money out"</th><td class="num money debit">{s.money_out.display()}</td></tr>
                    <tr><th scope="row">"Closing balance"</th><td class="num money" data-testid="closing"><strong>{s.closing_balance.display()}</strong></td></tr>
                    <tr><th scope="row">{format!("Card top-ups (tax included, {}: {})", percent(&s.tax_rate), s.tax_on_topups.display())}</th><td class="num money">{s.topups.display()}</td></tr>
                </tbody>
            </table>
            <h2>"Transactions"</h2>
            <TransactionsTable transactions=s.transactions />
            {s.truncated.then(|| view! { <p class="muted">"More transactions than a statement lists: the CSV has every one."</p> })}
        </article>
        <p class="no-print"><a href=csv download="">"Download this month as CSV"</a></p>
        <PrintHint />
    }
}
