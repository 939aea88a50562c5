//! Purchases: the money for a paid provider call is held (a ledger row) before the provider is
//! asked, and the hold is written down as a `purchase` in the same transaction. The purchase
//! then records the order the provider sold, and ends either recorded (the rental or
//! verification exists, in the transaction that creates it) or reversed (the money is given
//! back, in the transaction that writes the reversal row). A purchase a crash left open is
//! settled by the reconciliation job (`services::reconciliation`), from what the provider says.

use super::billing::{self, Posting};
use super::idempotency;
use crate::domain::Money;
use crate::server::events::{Event, EventKind};
use crate::server::providers::ProviderOrder;
use crate::server::state::AppState;
use crate::server::storage::idempotency as keys;
use crate::server::storage::purchases::{self as store, NewPurchase, Outcome, PurchaseRow};
use crate::server::ServerError;
use serde::Serialize;
use serde_json::json;
use sqlx::AnyConnection;

/// What is being bought: the ledger kind and reference prefix, and the purchase's `kind`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Rental,
    Verification,
    /// More time on a rented number, through the provider's own extension call.
    RentalExtension,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rental => "rental",
            Kind::Verification => "verification",
            Kind::RentalExtension => "rental_extension",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        [Kind::Rental, Kind::Verification, Kind::RentalExtension]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// Money held for a purchase still in flight.
#[derive(Debug, Clone)]
pub struct Purchase {
    pub id: i64,
    pub user_id: i64,
    pub price: Money,
    pub kind: Kind,
    /// When the hold was taken: an order sold before it cannot be this purchase's.
    pub created_at: i64,
    token: String,
    /// The idempotency key of the step that made it: answered when it is recorded.
    idempotency_key: Option<String>,
}

/// Posts one movement in its own transaction, with the event that tells the user's open pages
/// their new balance; returns the new balance.
pub async fn post_alone(state: &AppState, posting: Posting<'_>) -> Result<Money, ServerError> {
    let now = state.clock.now_ms();
    let user_id = posting.user_id;
    let mut tx = state.db.begin_write().await?;
    let balance = billing::post(&mut tx, now, posting).await?;
    let staged = balance_event(user_id, balance).stage(&mut tx, now).await?;
    tx.commit().await?;
    state.events.deliver(staged);
    Ok(balance)
}

/// The event that tells the user's open pages their new balance.
pub fn balance_event(user_id: i64, balance: Money) -> Event {
    Event {
        user_id,
        kind: EventKind::BalanceChanged,
        data: json!({ "balance": balance }),
    }
}

/// Takes `price` from the user's balance for a purchase of `kind` and writes the purchase down
/// with `request` (what was asked, as JSON) and the `product` asked for upstream;
/// `InsufficientBalance` if the money is not there.
pub async fn take(
    state: &AppState,
    user_id: i64,
    price: Money,
    kind: Kind,
    note: &str,
    request: &impl Serialize,
    product: Option<&str>,
) -> Result<Purchase, ServerError> {
    let token = super::secrets::random_token("", 12);
    let reference = format!("{}-hold:{token}", kind.as_str());
    let request = serde_json::to_string(request).map_err(anyhow::Error::from)?;
    let idempotency_key = idempotency::current_step_key();
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let balance = billing::post(
        &mut tx,
        now,
        Posting {
            user_id,
            amount: Money::from_units(-price.units()),
            kind: kind.as_str(),
            reference: Some(&reference),
            note,
        },
    )
    .await?;
    let id = store::insert(
        &mut tx,
        NewPurchase {
            user_id,
            kind: kind.as_str(),
            amount: price.units(),
            hold_token: &token,
            request: &request,
            product,
            idempotency_key: idempotency_key.as_deref(),
            now,
        },
    )
    .await?;
    let staged = balance_event(user_id, balance).stage(&mut tx, now).await?;
    tx.commit().await?;
    state.events.deliver(staged);
    let before = Money::from_units(balance.units() + price.units());
    super::notifications::balance_fell(state, user_id, before, balance).await;
    Ok(Purchase {
        id,
        user_id,
        price,
        kind,
        created_at: now,
        token,
        idempotency_key,
    })
}

impl Purchase {
    /// An open purchase as stored (for the reconciliation job).
    pub fn from_row(row: &PurchaseRow) -> Result<Purchase, ServerError> {
        let kind = Kind::parse(&row.kind).ok_or_else(|| {
            anyhow::anyhow!(
                "purchase {} has unknown kind {:?}",
                row.purchase_id,
                row.kind
            )
        })?;
        Ok(Purchase {
            id: row.purchase_id,
            user_id: row.user_id,
            price: Money::from_units(row.amount),
            kind,
            created_at: row.created_at,
            token: row.hold_token.clone(),
            idempotency_key: row.idempotency_key.clone(),
        })
    }

    /// Writes down the order the provider sold; false if the purchase was settled meanwhile
    /// (the reconciliation job gave the money back: the order must then be given back too).
    pub async fn bought(
        &self,
        state: &AppState,
        provider: &str,
        order_id: &str,
    ) -> Result<bool, ServerError> {
        let now = state.clock.now_ms();
        Ok(store::mark_bought(&state.db.pool, self.id, provider, order_id, now).await?)
    }

    /// Claims the record the purchase is for (an extension, its rental) while it is open; false
    /// when another open purchase holds it.
    pub async fn claim(&self, state: &AppState, record_id: i64) -> Result<bool, ServerError> {
        let now = state.clock.now_ms();
        Ok(store::claim_record(&state.db.pool, self.id, record_id, now).await?)
    }

    /// Ends the purchase as recorded, on the transaction that creates the rental or
    /// verification `record_id` (and saves `answer` for the idempotency key of the step that
    /// made it); false if it had already been settled.
    pub async fn record_in(
        &self,
        conn: &mut AnyConnection,
        now: i64,
        record: Recorded<'_>,
        answer: &impl Serialize,
    ) -> Result<bool, ServerError> {
        let outcome = Outcome::Recorded {
            record_id: record.record_id,
            order: record.order,
        };
        if !store::settle(&mut *conn, self.id, outcome, now).await? {
            return Ok(false);
        }
        if let Some(key) = &self.idempotency_key {
            idempotency::save_for(conn, self.user_id, key, answer).await?;
        }
        Ok(true)
    }

    /// The rental or verification this purchase became, if it was recorded (by the request, or
    /// by the reconciliation job when the request took too long).
    pub async fn recorded_as(&self, state: &AppState) -> Result<Option<i64>, ServerError> {
        Ok(store::recorded_as(&state.db.pool, self.id).await?)
    }

    /// Gives the money back: the purchase did not happen (`why` says why, in the ledger).
    /// Nothing happens if it was settled meanwhile. True if this call gave it back.
    pub async fn give_back(&self, state: &AppState, why: &str) -> Result<bool, ServerError> {
        let reference = format!("{}-reversal:{}", self.kind.as_str(), self.token);
        let mut what = self.kind.as_str().replace('_', " ");
        if let Some(first) = what.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let note = format!("{what} not made ({why}): hold returned");
        let now = state.clock.now_ms();
        let mut tx = state.db.begin_write().await?;
        if !store::settle(&mut tx, self.id, Outcome::Reversed, now).await? {
            return Ok(false);
        }
        let balance = billing::post(
            &mut tx,
            now,
            Posting {
                user_id: self.user_id,
                amount: self.price,
                kind: "reversal",
                reference: Some(&reference),
                note: &note,
            },
        )
        .await?;
        if let Some(key) = &self.idempotency_key {
            // Nothing was bought: a retry with the same key may buy afresh.
            keys::forget(&mut *tx, self.user_id, key).await?;
        }
        let staged = balance_event(self.user_id, balance)
            .stage(&mut tx, now)
            .await?;
        tx.commit().await?;
        state.events.deliver(staged);
        Ok(true)
    }
}

/// What the provider charged for `order`, in 1/10000 units, where it said.
pub fn provider_cost(order: &ProviderOrder) -> Option<i64> {
    let price = order.price?.round_dp(4);
    Money::try_from(price).ok().map(Money::units)
}

/// What a purchase became: the rental or verification `record_id`, and the provider and
/// order it bought (none for an extension: the order is the rental's own).
pub struct Recorded<'a> {
    pub record_id: i64,
    pub order: Option<(&'a str, &'a str)>,
}
