//! Top-ups: a customer adds money by card at the payment provider's hosted checkout. The
//! balance is credited only from the provider's signed event, in one transaction with the
//! ledger row (reference `topup:{provider}:{payment id}`, unique) and its audit entry, so a
//! payment is credited once whatever the number and order of its events and redirects.

use super::audit::{self, action, Actor};
use super::billing::{self, Posting};
use super::purchases::balance_event;
use super::reversals;
use crate::api::dto::{TopupOptions, TopupPage, TopupView};
use crate::domain::topup::{check_amount, TopupStatus};
use crate::domain::{Money, CURRENCY};
use crate::server::clock::from_ms;
use crate::server::payments::{CheckoutRequest, PaymentError, PaymentEvent, PaymentProvider};
use crate::server::state::AppState;
use crate::server::storage::topups::{self as store, TopupRow};
use crate::server::storage::users;
use crate::server::ServerError;
use axum::http::HeaderMap;
use std::sync::Arc;

/// Unpaid top-ups a customer may open in an hour: each opens a checkout at the provider.
pub const MOST_OPEN_PER_HOUR: i64 = 10;
const HOUR_MS: i64 = 3_600_000;

/// Who credits a paid top-up, in the audit log.
pub const PAYMENTS: Actor = Actor {
    user_id: None,
    role: Some("payments"),
    meta: None,
};

/// What happened to a provider's event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A payment, credited now.
    Credited,
    /// A payment credited before (a repeated event).
    AlreadyCredited,
    /// A declined card, an expired checkout or a dispute's news that moves no money,
    /// recorded.
    Recorded,
    /// Money taken back for a refund or dispute of a paid top-up (or given back for a dispute
    /// won).
    Reversed,
    /// Nothing to do: another kind of event, or one about a top-up or payment that is not
    /// ours.
    Ignored,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Credited => "credited",
            Outcome::AlreadyCredited => "already_credited",
            Outcome::Recorded => "recorded",
            Outcome::Reversed => "reversed",
            Outcome::Ignored => "ignored",
        }
    }
}

fn provider(state: &AppState) -> Result<&Arc<dyn PaymentProvider>, ServerError> {
    state.payments.as_ref().ok_or(ServerError::Busy {
        message: "card top-ups are not set up on this server; an operator can credit your balance",
        retry_after_secs: 3600,
    })
}

/// Whether top-ups are on, and their limits.
pub fn options(state: &AppState) -> TopupOptions {
    TopupOptions {
        enabled: state.payments.is_some(),
        min: state.settings.min_topup,
        max: state.settings.max_topup,
        currency: CURRENCY.to_owned(),
        sandbox: state.settings.sandbox() && state.settings.stripe_secret_key.is_none(),
    }
}

/// Opens a checkout for `amount`: the top-up, with the provider's page to pay it at. The
/// customer comes back to `origin` (the site they started from) afterwards.
#[tracing::instrument(skip(state, origin))]
pub async fn start(
    state: &AppState,
    user_id: i64,
    amount: Money,
    origin: &str,
) -> Result<TopupView, ServerError> {
    let settings = &state.settings;
    let amount = check_amount(amount, settings.min_topup, settings.max_topup)
        .map_err(|e| ServerError::validation("amount", e))?;
    let provider = provider(state)?;
    let user = users::find(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    let now = state.clock.now_ms();
    if store::opened_since(&state.db.pool, user_id, now - HOUR_MS).await? >= MOST_OPEN_PER_HOUR {
        return Err(ServerError::RateLimited {
            message: format!(
                "{MOST_OPEN_PER_HOUR} unpaid top-ups were started in the last hour: pay one of them, or try again later"
            ),
            retry_after_secs: 600,
        });
    }
    let id = store::insert(
        &state.db.pool,
        user_id,
        amount.units(),
        CURRENCY,
        provider.name(),
        now,
    )
    .await?;
    let back = format!("{origin}/billing?topup={id}");
    let idempotency_key = format!("namaskah-topup-{id}-{now}");
    let request = CheckoutRequest {
        idempotency_key: &idempotency_key,
        topup_id: id,
        amount,
        currency: CURRENCY,
        email: &user.email,
        success_url: &back,
        cancel_url: &format!("{back}&cancelled=1"),
    };
    let checkout = match provider.create_checkout(&request).await {
        Ok(checkout) => checkout,
        Err(e) => {
            tracing::error!(topup_id = id, error = %e, "could not open a checkout");
            store::mark_expired(&state.db.pool, id, state.clock.now_ms()).await?;
            return Err(match e {
                PaymentError::Unavailable(_) => ServerError::Busy {
                    message: "the card payment provider could not be reached; nothing was charged, try again in a minute",
                    retry_after_secs: 60,
                },
                other => anyhow::Error::from(other).into(),
            });
        }
    };
    store::set_checkout(
        &state.db.pool,
        id,
        &checkout.id,
        &checkout.url,
        checkout.expires_at,
        state.clock.now_ms(),
    )
    .await?;
    tracing::info!(topup_id = id, user_id, %amount, checkout = %checkout.id, "top-up started");
    let row = store::find(&state.db.pool, id)
        .await?
        .ok_or(ServerError::NotFound("top-up"))?;
    Ok(view(row, state.clock.now_ms()))
}

/// The customer's top-ups, newest first.
pub async fn list(
    state: &AppState,
    user_id: i64,
    page: Option<u32>,
    per_page: Option<u32>,
) -> Result<TopupPage, ServerError> {
    let paging = super::history::Paging::parse(page, per_page)?;
    let rows = store::list(&state.db.pool, user_id, paging.limit(), paging.offset()).await?;
    let total = store::count(&state.db.pool, user_id).await?;
    let now = state.clock.now_ms();
    Ok(TopupPage {
        topups: rows.into_iter().map(|r| view(r, now)).collect(),
        page: paging.page,
        per_page: paging.per_page,
        total: u64::try_from(total).unwrap_or_default(),
    })
}

/// One of the customer's top-ups (another's is not found).
pub async fn get(state: &AppState, user_id: i64, id: i64) -> Result<TopupView, ServerError> {
    match store::find(&state.db.pool, id).await? {
        Some(row) if row.user_id == user_id => Ok(view(row, state.clock.now_ms())),
        _ => Err(ServerError::NotFound("top-up")),
    }
}

pub(super) fn view(row: TopupRow, now: i64) -> TopupView {
    let mut status = TopupStatus::parse(&row.status).unwrap_or(TopupStatus::Pending);
    // Past its checkout's end it can no longer be paid, whether or not that event came yet.
    if status.is_open() && row.expires_at.is_some_and(|end| end <= now) {
        status = TopupStatus::Expired;
    }
    // What the provider took back after it was paid.
    if status == TopupStatus::Paid {
        if row.disputed_units > 0 {
            status = TopupStatus::Disputed;
        } else if row.refunded_units >= row.amount_units {
            status = TopupStatus::Refunded;
        }
    }
    TopupView {
        id: row.topup_id,
        amount: Money::from_units(row.amount_units),
        currency: row.currency,
        checkout_url: row.checkout_url.filter(|_| status.is_open()),
        status,
        failure: row.failure.filter(|_| status == TopupStatus::Declined),
        created_at: from_ms(row.created_at),
        expires_at: row.expires_at.map(from_ms),
        paid_at: row.paid_at.map(from_ms),
        refunded: Money::from_units(row.refunded_units),
        disputed: Money::from_units(row.disputed_units),
    }
}

/// A notification from the payment provider (`POST /api/billing/stripe/webhook`): checked to
/// be the provider's, then acted on.
pub async fn notified(
    state: &AppState,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Outcome, ServerError> {
    let Some(provider) = state.payments.as_ref() else {
        return Err(ServerError::NotFound("payment notifications"));
    };
    let event = provider
        .event(headers, body, state.clock.now_ms() / 1000)
        .map_err(|e| match e {
            PaymentError::BadSignature(why) => {
                tracing::warn!(why, "payment notification refused");
                ServerError::Unauthorized(why)
            }
            other => ServerError::validation("body", other),
        })?;
    apply(state, provider.name(), event).await
}

async fn apply(
    state: &AppState,
    provider: &str,
    event: PaymentEvent,
) -> Result<Outcome, ServerError> {
    let now = state.clock.now_ms();
    match event {
        PaymentEvent::Paid {
            topup_id,
            checkout_id,
            payment_id,
            amount,
            currency,
        } => {
            let paid = Paid {
                topup_id,
                checkout_id: &checkout_id,
                payment_id: &payment_id,
                amount,
                currency: &currency,
            };
            credit(state, provider, paid).await
        }
        PaymentEvent::Declined { topup_id, reason } => {
            let done = store::mark_declined(&state.db.pool, topup_id, &reason, now).await?;
            tracing::info!(topup_id, reason, done, "top-up card declined");
            Ok(if done {
                Outcome::Recorded
            } else {
                Outcome::Ignored
            })
        }
        PaymentEvent::Expired { topup_id } => {
            let done = store::mark_expired(&state.db.pool, topup_id, now).await?;
            tracing::info!(topup_id, done, "top-up checkout expired");
            Ok(if done {
                Outcome::Recorded
            } else {
                Outcome::Ignored
            })
        }
        PaymentEvent::Refunded {
            payment_id,
            topup_id,
            refunded,
            currency,
        } => {
            let refund = reversals::Refund {
                payment_id: &payment_id,
                topup_id,
                refunded,
                currency: &currency,
            };
            reversals::refunded(state, provider, refund).await
        }
        PaymentEvent::Disputed {
            payment_id,
            dispute_id,
            amount,
            currency,
            status,
        } => {
            let dispute = reversals::Dispute {
                payment_id: &payment_id,
                dispute_id: &dispute_id,
                amount,
                currency: &currency,
                status,
            };
            reversals::disputed(state, provider, dispute).await
        }
        PaymentEvent::Other { kind } => {
            tracing::debug!(kind, "payment notification not acted on");
            Ok(Outcome::Ignored)
        }
    }
}

struct Paid<'a> {
    topup_id: i64,
    checkout_id: &'a str,
    payment_id: &'a str,
    amount: Money,
    currency: &'a str,
}

/// Credits a paid top-up, once: the top-up marked paid, the ledger row, the audit entry and
/// the balance event in one transaction.
async fn credit(state: &AppState, provider: &str, paid: Paid<'_>) -> Result<Outcome, ServerError> {
    let Paid {
        topup_id,
        checkout_id,
        payment_id,
        amount,
        currency,
    } = paid;
    let mut tx = state.db.begin_write().await?;
    let Some(topup) = store::find(&mut *tx, topup_id).await? else {
        tracing::warn!(
            topup_id,
            payment_id,
            "a payment for a top-up that is not ours"
        );
        return Ok(Outcome::Ignored);
    };
    if topup.checkout_id.as_deref() != Some(checkout_id) {
        // Another checkout on the same Stripe account naming the same number (another
        // deployment, a payment link): not this top-up's payment.
        tracing::warn!(
            topup_id,
            checkout_id,
            payment_id,
            "a payment through another checkout"
        );
        return Ok(Outcome::Ignored);
    }
    if topup.provider != provider
        || amount.units() != topup.amount_units
        || currency != topup.currency
    {
        // Our own checkout paid something else: never credited as it is. The provider keeps
        // sending it (and then alerts), and the error log has it for an operator.
        return Err(anyhow::anyhow!(
            "top-up {topup_id} was paid {amount} {currency} by {payment_id}, but asked {} {}: not credited",
            Money::from_units(topup.amount_units),
            topup.currency
        )
        .into());
    }
    let now = state.clock.now_ms();
    let terms = super::statements::receipt_terms(state);
    if !store::mark_paid(&mut *tx, topup_id, checkout_id, payment_id, &terms, now).await? {
        return Ok(Outcome::AlreadyCredited);
    }
    let reference = format!("topup:{provider}:{payment_id}");
    let note = format!("Card top-up #{topup_id}");
    let balance = billing::post(
        &mut tx,
        now,
        Posting {
            user_id: topup.user_id,
            amount,
            kind: "topup",
            reference: Some(&reference),
            note: &note,
        },
    )
    .await?;
    crate::server::failpoints::failpoint("topup-after-ledger");
    audit::record(
        &mut *tx,
        audit::Entry {
            action: action::BALANCE_TOPPED_UP,
            target: format!("topup:{topup_id}"),
            subject: Some(topup.user_id),
            before: Some(serde_json::json!({
                "balance": Money::from_units(balance.units() - amount.units()).to_string(),
            })),
            after: Some(serde_json::json!({
                "balance": balance.to_string(),
                "amount": amount.to_string(),
                "payment": payment_id,
            })),
            now,
            actor: &PAYMENTS,
        },
    )
    .await?;
    let staged = balance_event(topup.user_id, balance)
        .stage(&mut tx, now)
        .await?;
    tx.commit().await?;
    state.events.deliver(staged);
    tracing::info!(topup_id, user_id = topup.user_id, %amount, %balance, payment_id, "top-up credited");
    super::notifications::topped_up(state, topup.user_id, amount, balance).await;
    Ok(Outcome::Credited)
}
