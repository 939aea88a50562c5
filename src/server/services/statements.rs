//! Receipts for paid top-ups, monthly statements, and the ledger as CSV: what a customer's
//! bookkeeping needs, from the ledger itself.

use super::billing::transaction_view;
use super::history::date_ms;
use super::topups;
use crate::api::dto::{Issuer, Receipt, Statement};
use crate::domain::statement::{tax_included, Month};
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::csv;
use crate::server::state::AppState;
use crate::server::storage::{ledger, topups as topup_store, users};
use crate::server::ServerError;
use rust_decimal::Decimal;

/// The most rows a statement lists; the CSV export has every one.
pub const MAX_STATEMENT_ROWS: i64 = 5_000;
/// The most rows one CSV export holds.
pub const MAX_EXPORT_ROWS: i64 = 100_000;

/// What a receipt says beside the amounts, kept on the top-up when it is paid.
#[derive(serde::Serialize, serde::Deserialize)]
struct ReceiptTerms {
    tax_rate: Decimal,
    issuer: Issuer,
}

/// The receipt terms in force now.
fn current_terms(state: &AppState) -> ReceiptTerms {
    ReceiptTerms {
        tax_rate: state.settings.tax_rate,
        issuer: issuer(state),
    }
}

/// The receipt terms in force now, as the top-up keeps them (JSON).
pub(super) fn receipt_terms(state: &AppState) -> String {
    serde_json::to_string(&current_terms(state)).unwrap_or_default()
}

fn issuer(state: &AppState) -> Issuer {
    let s = &state.settings;
    Issuer {
        name: s.business_name.clone(),
        address: s
            .business_address
            .split(';')
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect(),
        tax_id: Some(s.business_tax_id.trim().to_owned()).filter(|t| !t.is_empty()),
    }
}

async fn email(state: &AppState, user_id: i64) -> Result<String, ServerError> {
    Ok(users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?
        .email)
}

/// This month and the `n - 1` before it, newest first (`YYYY-MM`).
pub fn recent_months(state: &AppState, n: usize) -> Vec<String> {
    let mut month = Month::of(from_ms(state.clock.now_ms()));
    let mut months = Vec::with_capacity(n);
    for _ in 0..n {
        months.push(month.to_string());
        month = month.previous();
    }
    months
}

/// The receipt for one of the customer's top-ups, once it is paid (404 before: there is
/// nothing to receipt, and another's is not found either).
pub async fn receipt(
    state: &AppState,
    user_id: i64,
    topup_id: i64,
) -> Result<Receipt, ServerError> {
    let row = match topup_store::find(&state.db.pool, topup_id).await? {
        Some(row) if row.user_id == user_id => row,
        _ => return Err(ServerError::NotFound("top-up")),
    };
    let payment = row.payment_id.clone();
    // As when it was paid; top-ups paid before terms were kept use today's.
    let terms = row
        .receipt_terms
        .as_deref()
        .and_then(|t| serde_json::from_str::<ReceiptTerms>(t).ok())
        .unwrap_or_else(|| current_terms(state));
    let topup = topups::view(row, state.clock.now_ms());
    // Paid: also when refunded or disputed since (the receipt shows what was taken back).
    if topup.paid_at.is_none() {
        return Err(ServerError::NotFound("receipt (the top-up is not paid)"));
    }
    let rate = terms.tax_rate;
    let tax = tax_included(topup.amount, rate);
    Ok(Receipt {
        number: format!("R-{topup_id:06}"),
        issuer: terms.issuer,
        customer_email: email(state, user_id).await?,
        net: topup.amount.checked_sub(tax).unwrap_or(topup.amount),
        tax,
        tax_rate: rate.normalize().to_string(),
        topup,
        payment_reference: payment,
    })
}

/// The statement for `month` (`YYYY-MM`), which must have begun.
pub async fn statement(
    state: &AppState,
    user_id: i64,
    month: &str,
) -> Result<Statement, ServerError> {
    let month = Month::parse(month)
        .ok_or_else(|| ServerError::validation("month", "is not a month like 2026-12"))?;
    let now = from_ms(state.clock.now_ms());
    if month.start() > now {
        return Err(ServerError::validation("month", "has not begun yet"));
    }
    let (from, to) = (
        month.start().timestamp_millis(),
        month.end().timestamp_millis(),
    );
    let db = &state.db.pool;
    let opening = ledger::balance_before(db, user_id, from).await?;
    let closing = ledger::balance_before(db, user_id, to).await?;
    // Top-ups net of what was taken back from them (refunds, disputes) and given back.
    let (money_in, money_out, topped_up, count) = ledger::flows(
        db,
        user_id,
        from,
        to,
        &["topup", "topup_refund", "dispute", "dispute_won"],
    )
    .await?;
    let rows = ledger::between(db, user_id, from, to, MAX_STATEMENT_ROWS).await?;
    let rate = state.settings.tax_rate;
    let topups = Money::from_units(topped_up);
    Ok(Statement {
        month: month.to_string(),
        title: month.name(),
        issuer: issuer(state),
        customer_email: email(state, user_id).await?,
        from: month.start(),
        to: month.end(),
        opening_balance: Money::from_units(opening),
        closing_balance: Money::from_units(closing),
        money_in: Money::from_units(money_in),
        money_out: Money::from_units(money_out),
        topups,
        tax_rate: rate.normalize().to_string(),
        tax_on_topups: tax_included(topups, rate),
        truncated: count > MAX_STATEMENT_ROWS,
        transactions: rows.into_iter().map(transaction_view).collect(),
    })
}

/// The customer's ledger from `from` to `to` (dates, the last one whole, or RFC 3339 times;
/// the whole of it by default) as CSV, oldest first:
/// `id,created_at,kind,amount,balance_after,reference,note`.
pub async fn ledger_csv(
    state: &AppState,
    user_id: i64,
    from: Option<&str>,
    to: Option<&str>,
) -> Result<String, ServerError> {
    let from = from.map(|f| date_ms("from", f, false)).transpose()?;
    let to = to.map(|t| date_ms("to", t, true)).transpose()?;
    let (from, to) = (from.unwrap_or(0), to.unwrap_or(i64::MAX));
    if from >= to {
        return Err(ServerError::validation("to", "must be after from"));
    }
    let rows = ledger::between(&state.db.pool, user_id, from, to, MAX_EXPORT_ROWS).await?;
    let mut out = csv::Writer::new(&[
        "id",
        "created_at",
        "kind",
        "amount",
        "balance_after",
        "reference",
        "note",
    ]);
    for r in rows.into_iter().map(transaction_view) {
        out.row(&[
            &r.id.to_string(),
            &r.created_at.to_rfc3339(),
            &r.kind,
            &r.amount.to_string(),
            &r.balance_after.to_string(),
            r.reference.as_deref().unwrap_or(""),
            &r.note,
        ]);
    }
    Ok(out.finish())
}
