//! The hold pattern for paid provider calls: take the price (a ledger row) before asking the
//! provider, and give it back (a reversal row) if the purchase does not happen. Each movement
//! is its own transaction, which also stores the balance event that announces it.

use super::billing::{self, Posting};
use crate::domain::Money;
use crate::server::events::{Event, EventKind};
use crate::server::state::AppState;
use crate::server::ServerError;
use serde_json::json;

/// Money taken for a purchase still in flight.
pub struct Hold {
    pub user_id: i64,
    pub price: Money,
    /// What is being bought (`rental`, `verification`): the ledger kind and reference prefix.
    kind: &'static str,
    token: String,
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

/// Takes `price` from the user's balance for a purchase of `kind`; `InsufficientBalance` if it
/// is not there.
pub async fn take(
    state: &AppState,
    user_id: i64,
    price: Money,
    kind: &'static str,
    note: &str,
) -> Result<Hold, ServerError> {
    let token = super::secrets::random_token("", 12);
    let reference = format!("{kind}-hold:{token}");
    post_alone(
        state,
        Posting {
            user_id,
            amount: Money::from_units(-price.units()),
            kind,
            reference: Some(&reference),
            note,
        },
    )
    .await?;
    Ok(Hold {
        user_id,
        price,
        kind,
        token,
    })
}

impl Hold {
    /// Gives the money back: the purchase did not happen (`why` says why, in the ledger).
    pub async fn give_back(self, state: &AppState, why: &str) -> Result<(), ServerError> {
        let reference = format!("{}-reversal:{}", self.kind, self.token);
        let mut what = self.kind.to_owned();
        if let Some(first) = what.get_mut(0..1) {
            first.make_ascii_uppercase();
        }
        let note = format!("{what} not made ({why}): hold returned");
        post_alone(
            state,
            Posting {
                user_id: self.user_id,
                amount: self.price,
                kind: "reversal",
                reference: Some(&reference),
                note: &note,
            },
        )
        .await?;
        Ok(())
    }
}
