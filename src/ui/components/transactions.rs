use crate::api::dto::TransactionView;
use crate::ui::components::format_time;
use leptos::prelude::*;

/// Ledger rows, newest first: every change to the balance and why.
#[component]
pub fn TransactionsTable(transactions: Vec<TransactionView>) -> impl IntoView {
    if transactions.is_empty() {
        return view! { <p class="muted empty">"No transactions yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="transactions">
                <thead>
                    <tr>
                        <th scope="col">"When"</th>
                        <th scope="col">"What"</th>
                        <th scope="col" class="num">"Amount"</th>
                        <th scope="col" class="num">"Balance after"</th>
                    </tr>
                </thead>
                <tbody>
                    {transactions
                        .into_iter()
                        .map(|t| {
                            let class = if t.amount.is_negative() { "num money debit" } else { "num money credit" };
                            let what = if t.note.is_empty() { t.kind.clone() } else { format!("{} · {}", t.kind, t.note) };
                            view! {
                                <tr>
                                    <td>{format_time(&t.created_at)}</td>
                                    <td>{what}</td>
                                    <td class=class>{t.amount.display()}</td>
                                    <td class="num money">{t.balance_after.display()}</td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
