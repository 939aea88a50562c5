//! The wallet. Every balance change is a ledger row written in the same transaction as the
//! change itself. No purchase takes the balance below zero; only a payment provider taking
//! money back (a refund or dispute of a card top-up) can, and a negative balance then blocks
//! purchases until a top-up settles it.

use crate::api::dto::{BalanceView, TransactionPage, TransactionView};
use crate::domain::{Email, Money, CURRENCY};
use crate::server::clock::from_ms;
use crate::server::error::OnConstraint;
use crate::server::services::audit::{self, action, Actor};
use crate::server::state::AppState;
use crate::server::storage::{ledger, users};
use crate::server::ServerError;
use sqlx::AnyConnection;

pub const DEFAULT_PER_PAGE: u32 = 20;
pub const MAX_PER_PAGE: u32 = 100;

/// One money movement, posted inside the caller's transaction.
pub struct Posting<'a> {
    pub user_id: i64,
    pub amount: Money,
    pub kind: &'a str,
    /// A unique key for movements that must happen at most once (`refund:rental:{id}`).
    pub reference: Option<&'a str>,
    pub note: &'a str,
}

/// Applies a posting on `conn` (inside a transaction). Returns the new balance. Refuses with
/// `InsufficientBalance` when a debit would take the balance below zero (or it is already),
/// and with `Conflict` when the reference was already used: a second refund is impossible,
/// not merely unlikely.
pub async fn post(
    conn: &mut AnyConnection,
    now: i64,
    p: Posting<'_>,
) -> Result<Money, ServerError> {
    posting(conn, now, p, false).await
}

/// Takes money back that a payment provider took back from us (a refund or dispute of a card
/// top-up), whatever the balance: it may go below zero. `Conflict` on a used reference.
pub async fn reverse(
    conn: &mut AnyConnection,
    now: i64,
    p: Posting<'_>,
) -> Result<Money, ServerError> {
    posting(conn, now, p, true).await
}

async fn posting(
    conn: &mut AnyConnection,
    now: i64,
    p: Posting<'_>,
    may_overdraw: bool,
) -> Result<Money, ServerError> {
    let entry = ledger::NewEntry {
        may_overdraw,
        user_id: p.user_id,
        amount_units: p.amount.units(),
        kind: p.kind,
        reference: p.reference,
        note: p.note,
        now,
    };
    match ledger::post(&mut *conn, entry)
        .await
        .on_unique_violation(|| ServerError::conflict("this payment was already made"))?
    {
        Some(balance) => Ok(Money::from_units(balance)),
        None => {
            let available = users::balance_units(&mut *conn, p.user_id)
                .await?
                .ok_or(ServerError::NotFound("account"))?;
            Err(ServerError::InsufficientBalance {
                needed: Money::from_units(-p.amount.units()),
                available: Money::from_units(available),
            })
        }
    }
}

pub async fn balance(state: &AppState, user_id: i64) -> Result<BalanceView, ServerError> {
    let units = users::balance_units(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    Ok(BalanceView {
        balance: Money::from_units(units),
        currency: CURRENCY.to_owned(),
    })
}

pub async fn transactions(
    state: &AppState,
    user_id: i64,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<TransactionPage, ServerError> {
    let paging = super::history::Paging::parse(page, per_page)?;
    let rows = ledger::page(&state.db.pool, user_id, paging.limit(), paging.offset()).await?;
    let total = ledger::count(&state.db.pool, user_id).await?;
    Ok(TransactionPage {
        transactions: rows.into_iter().map(transaction_view).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

/// A ledger row as the customer sees it.
pub fn transaction_view(r: ledger::LedgerEntryRow) -> TransactionView {
    TransactionView {
        id: r.ledger_entry_id,
        amount: Money::from_units(r.amount_units),
        balance_after: Money::from_units(r.balance_after_units),
        kind: r.kind,
        reference: r.reference,
        note: r.note,
        created_at: from_ms(r.created_at),
    }
}

/// An operator's manual credit (or, with a negative amount, a correction), from the CLI.
/// Returns the new balance.
#[tracing::instrument(skip(state, note))]
pub async fn credit(
    state: &AppState,
    actor: &Actor,
    email: &str,
    amount: &str,
    note: &str,
) -> Result<Money, ServerError> {
    let email = Email::parse(email).map_err(|e| ServerError::validation("email", e))?;
    let amount: Money = amount
        .parse()
        .map_err(|e| ServerError::validation("amount", e))?;
    let user = users::find_by_email(&state.db.pool, email.as_ref())
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    credit_user(state, actor, user.user_id, amount, note).await
}

/// A manual credit (or, negative, a correction) to `user_id`'s wallet: a ledger row and its
/// audit entry, in one transaction.
pub async fn credit_user(
    state: &AppState,
    actor: &Actor,
    user_id: i64,
    amount: Money,
    note: &str,
) -> Result<Money, ServerError> {
    if amount == Money::ZERO {
        return Err(ServerError::validation("amount", "must not be zero"));
    }
    if note.trim().is_empty() {
        return Err(ServerError::validation("note", "is required"));
    }
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    let mut tx = state.db.begin_write().await?;
    let kind = if amount.is_positive() {
        "credit"
    } else {
        "adjustment"
    };
    let now = state.clock.now_ms();
    let balance = post(
        &mut tx,
        now,
        Posting {
            user_id: user.user_id,
            amount,
            kind,
            reference: None,
            note: note.trim(),
        },
    )
    .await?;
    crate::server::failpoints::failpoint("credit-after-ledger");
    audit::record(
        &mut *tx,
        audit::Entry {
            action: if amount.is_positive() {
                action::BALANCE_CREDITED
            } else {
                action::BALANCE_ADJUSTED
            },
            target: format!("user:{}", user.user_id),
            subject: Some(user.user_id),
            before: Some(serde_json::json!({
                "balance": Money::from_units(balance.units() - amount.units()).to_string(),
            })),
            after: Some(serde_json::json!({
                "balance": balance.to_string(),
                "amount": amount.to_string(),
                "note": note.trim(),
            })),
            now,
            actor,
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user_id = user.user_id, %amount, %balance, "operator credit");
    Ok(balance)
}
