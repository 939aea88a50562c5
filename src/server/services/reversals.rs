//! Money a payment provider takes back from a paid top-up: refunds, and disputes (chargebacks)
//! until they are won. Each is taken from the balance whatever it is, so a customer who spent
//! the money goes below zero, and a negative balance blocks purchases until a top-up settles
//! it. Reports come signed, in any order and more than once: each movement is a ledger row
//! with a unique reference (`topup-refund:{provider}:{payment}:{total}`,
//! `dispute:{provider}:{dispute}`, `dispute-won:{provider}:{dispute}`), written in one
//! transaction with the top-up's or dispute's new state, its audit entry and the balance event.

use super::audit::{self, action};
use super::billing::{self, Posting};
use super::purchases::balance_event;
use super::topups::{Outcome, PAYMENTS};
use crate::domain::topup::{dispute_change, refund_change, DisputeStatus};
use crate::domain::Money;
use crate::server::state::AppState;
use crate::server::storage::topups::{self as store, TopupRow};
use crate::server::storage::Tx;
use crate::server::ServerError;

/// A refund report: `refunded` of payment `payment_id` in all so far.
pub(super) struct Refund<'a> {
    pub payment_id: &'a str,
    /// The top-up the payment's metadata names, if it does.
    pub topup_id: Option<i64>,
    pub refunded: Money,
    pub currency: &'a str,
}

/// A dispute report.
pub(super) struct Dispute<'a> {
    pub payment_id: &'a str,
    pub dispute_id: &'a str,
    pub amount: Money,
    pub currency: &'a str,
    pub status: DisputeStatus,
}

/// Takes back what a refund adds to the refunded total.
pub(super) async fn refunded(
    state: &AppState,
    provider: &str,
    refund: Refund<'_>,
) -> Result<Outcome, ServerError> {
    let Refund {
        payment_id,
        topup_id,
        refunded,
        currency,
    } = refund;
    let mut tx = state.db.begin_write().await?;
    let Some(topup) = paid_topup(&mut tx, provider, payment_id, currency).await? else {
        // A refund of one of our top-ups whose payment has not been credited yet (its events
        // are late, or being credited right now): the provider sends this one again later.
        if let Some(id) = topup_id {
            if let Some(unpaid) = store::find(&mut *tx, id).await? {
                if unpaid.provider == provider && unpaid.payment_id.is_none() {
                    return Err(ServerError::conflict(
                        "this top-up's payment is not credited yet; send the refund again later",
                    ));
                }
            }
        }
        return Ok(Outcome::Ignored);
    };
    let before = Money::from_units(topup.refunded_units);
    let taken = refund_change(Money::from_units(topup.amount_units), before, refunded)
        .map_err(|e| anyhow::anyhow!("top-up {}: {e}: not taken back", topup.topup_id))?;
    let Some(taken) = taken else {
        tracing::info!(topup_id = topup.topup_id, %refunded, "refund already taken back");
        return Ok(Outcome::Ignored);
    };
    let now = state.clock.now_ms();
    if !store::mark_refunded(
        &mut *tx,
        topup.topup_id,
        before.units(),
        refunded.units(),
        now,
    )
    .await?
    {
        // Another report of it moved the total meanwhile: the provider sends this one again.
        return Err(ServerError::conflict(
            "another report changed this refund; try again",
        ));
    }
    let reversal = Reversal {
        topup: &topup,
        kind: "topup_refund",
        movement: Money::from_units(-taken.units()),
        reference: format!("topup-refund:{provider}:{payment_id}:{}", refunded.units()),
        note: format!("Refund of card top-up #{}", topup.topup_id),
        message: format!(
            "Your card top-up #{} was refunded ({}), and the amount taken from your balance.",
            topup.topup_id,
            taken.display()
        ),
    };
    reverse(state, tx, reversal).await
}

/// Applies a dispute report: takes the amount back when it opens (or is lost before we heard
/// of it opening), gives it back when it is won.
pub(super) async fn disputed(
    state: &AppState,
    provider: &str,
    dispute: Dispute<'_>,
) -> Result<Outcome, ServerError> {
    let Dispute {
        payment_id,
        dispute_id,
        amount,
        currency,
        status,
    } = dispute;
    let mut tx = state.db.begin_write().await?;
    let Some(topup) = paid_topup(&mut tx, provider, payment_id, currency).await? else {
        return Ok(Outcome::Ignored);
    };
    // A dispute may name another amount than the payment's (fees, currency): never more
    // than was paid is taken.
    let paid = Money::from_units(topup.amount_units);
    if amount > paid {
        tracing::warn!(dispute_id, %amount, %paid, "a dispute for more than its payment: taking the payment");
    }
    let amount = amount.min(paid);
    if !amount.is_positive() {
        tracing::warn!(dispute_id, %amount, "a dispute for nothing: not applied");
        return Ok(Outcome::Ignored);
    }
    let now = state.clock.now_ms();
    let row = store::dispute(
        &mut tx,
        topup.topup_id,
        provider,
        dispute_id,
        amount.units(),
        now,
    )
    .await?;
    let known = DisputeStatus::parse(&row.status).map(|s| (s, Money::from_units(row.held_units)));
    let Some(change) = dispute_change(known, status, amount) else {
        tracing::info!(
            dispute_id,
            status = status.as_str(),
            "dispute report changes nothing"
        );
        return Ok(Outcome::Ignored);
    };
    if !store::change_dispute(
        &mut *tx,
        row.payment_dispute_id,
        &row.status,
        change.status.as_str(),
        change.held.units(),
        now,
    )
    .await?
    {
        return Err(ServerError::conflict(
            "another report changed this dispute; try again",
        ));
    }
    if change.movement == Money::ZERO {
        tx.commit().await?;
        tracing::info!(dispute_id, status = status.as_str(), "dispute recorded");
        return Ok(Outcome::Recorded);
    }
    let id = topup.topup_id;
    let reversal = if change.movement.is_negative() {
        Reversal {
            topup: &topup,
            kind: "dispute",
            movement: change.movement,
            reference: format!("dispute:{provider}:{dispute_id}"),
            note: format!("Card top-up #{id} disputed"),
            message: format!(
                "The payment for your card top-up #{id} was disputed with your bank: {} was taken from your balance{}.",
                amount.display(),
                if status == DisputeStatus::Open {
                    " while the dispute is decided"
                } else {
                    ""
                }
            ),
        }
    } else {
        Reversal {
            topup: &topup,
            kind: "dispute_won",
            movement: change.movement,
            reference: format!("dispute-won:{provider}:{dispute_id}"),
            note: format!("Dispute of card top-up #{id} closed in our favour"),
            message: format!(
                "The dispute of your card top-up #{id} was closed: {} was returned to your balance.",
                change.movement.display()
            ),
        }
    };
    reverse(state, tx, reversal).await
}

/// The paid top-up a payment was for, or `None` when it is not one of ours (logged). A
/// report in another currency is an error: never applied as it is.
async fn paid_topup(
    tx: &mut Tx,
    provider: &str,
    payment_id: &str,
    currency: &str,
) -> Result<Option<TopupRow>, ServerError> {
    let Some(topup) = store::by_payment(&mut **tx, provider, payment_id).await? else {
        tracing::warn!(
            payment_id,
            "a refund or dispute of a payment that is not ours"
        );
        return Ok(None);
    };
    if topup.currency != currency {
        return Err(anyhow::anyhow!(
            "a refund or dispute of top-up {} in {currency}, paid in {}: not applied",
            topup.topup_id,
            topup.currency
        )
        .into());
    }
    Ok(Some(topup))
}

/// A movement of money back from (negative) or to (positive) a customer's balance.
struct Reversal<'a> {
    topup: &'a TopupRow,
    /// The ledger row's kind.
    kind: &'static str,
    movement: Money,
    reference: String,
    note: String,
    /// What the customer is told.
    message: String,
}

/// Posts the reversal with its audit entry and balance event, and commits `tx`.
async fn reverse(state: &AppState, mut tx: Tx, r: Reversal<'_>) -> Result<Outcome, ServerError> {
    let now = state.clock.now_ms();
    let user_id = r.topup.user_id;
    let balance = billing::reverse(
        &mut tx,
        now,
        Posting {
            user_id,
            amount: r.movement,
            kind: r.kind,
            reference: Some(&r.reference),
            note: &r.note,
        },
    )
    .await?;
    crate::server::failpoints::failpoint("reversal-after-ledger");
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::BALANCE_REVERSED,
            target: format!("topup:{}", r.topup.topup_id),
            subject: Some(user_id),
            before: Some(serde_json::json!({
                "balance": Money::from_units(balance.units() - r.movement.units()).to_string(),
            })),
            after: Some(serde_json::json!({
                "balance": balance.to_string(),
                "amount": r.movement.to_string(),
                "reference": r.reference,
            })),
            now,
            actor: &PAYMENTS,
        },
    )
    .await?;
    let staged = balance_event(user_id, balance).stage(&mut tx, now).await?;
    tx.commit().await?;
    state.events.deliver(staged);
    tracing::info!(user_id, amount = %r.movement, %balance, reference = r.reference, "payment reversal");
    super::notifications::payment_reversed(state, user_id, &r.message, balance).await;
    Ok(Outcome::Reversed)
}
