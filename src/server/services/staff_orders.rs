//! Rentals and verifications across every account, as support and admin see them (with the
//! customers' history filters, plus the account and the provider), and the refunds operators
//! make of them: of an order that has ended only (while it runs, the customer's own release
//! or cancellation refunds it, and the two must not both pay out the same money), at most once
//! per order, never more than what is left of what was paid, with the reason in the ledger,
//! the audit log and the customer's notifications.

use super::audit::{self, action, Actor};
use super::billing::{self, Posting};
use super::notifications;
use super::purchases;
use super::{activity, rentals, verifications};
use crate::api::dto::{
    HistoryQuery, OperatorRefund, OperatorRefundView, StaffRentalPage, StaffRentalView,
    StaffVerificationPage, StaffVerificationView,
};
use crate::domain::rental::RentalStatus;
use crate::domain::verification::VerificationStatus;
use crate::domain::{Money, CURRENCY};
use crate::server::state::AppState;
use crate::server::storage::activity::Activity;
use crate::server::storage::verifications as verification_store;
use crate::server::storage::{ledger, rentals as rental_store, users};
use crate::server::ServerError;
use serde_json::json;
use std::collections::HashMap;

/// The kinds of order operators can refund.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    Rental,
    Verification,
}

impl Order {
    pub fn as_str(self) -> &'static str {
        match self {
            Order::Rental => "rental",
            Order::Verification => "verification",
        }
    }

    /// Every ledger key a refund of order `id` can carry: the customer's own (an early
    /// release, a cancellation) and the operators'.
    fn refund_keys(self, id: i64) -> [String; 2] {
        [
            format!("refund:{}:{id}", self.as_str()),
            self.operator_key(id),
        ]
    }

    fn operator_key(self, id: i64) -> String {
        format!("refund:operator:{}:{id}", self.as_str())
    }
}

/// Who owns each order of a page, and what was refunded of each.
struct Owners {
    emails: HashMap<i64, String>,
    refunded: HashMap<String, i64>,
}

impl Owners {
    async fn read(
        state: &AppState,
        order: Order,
        rows: impl Iterator<Item = (i64, i64)> + Clone,
    ) -> Result<Owners, ServerError> {
        let mut ids: Vec<i64> = rows.clone().map(|(_, user)| user).collect();
        ids.sort_unstable();
        ids.dedup();
        let keys: Vec<String> = rows.flat_map(|(id, _)| order.refund_keys(id)).collect();
        Ok(Owners {
            emails: users::emails(&state.db.pool, &ids)
                .await?
                .into_iter()
                .collect(),
            refunded: ledger::by_reference(&state.db.pool, &keys)
                .await?
                .into_iter()
                .collect(),
        })
    }

    fn email(&self, user_id: i64) -> String {
        self.emails.get(&user_id).cloned().unwrap_or_default()
    }

    fn by_operator(&self, order: Order, id: i64) -> bool {
        self.refunded.contains_key(&order.operator_key(id))
    }

    fn refunded(&self, order: Order, id: i64) -> Money {
        Money::from_units(
            order
                .refund_keys(id)
                .iter()
                .filter_map(|k| self.refunded.get(k))
                .sum(),
        )
    }
}

/// Writes down that `actor` looked through `order`s with `q`.
async fn record_search(
    state: &AppState,
    actor: &Actor,
    order: Order,
    q: &HistoryQuery,
    owner: Option<i64>,
) -> Result<(), ServerError> {
    let mut entry = audit::Entry::plain(
        actor,
        action::STAFF_ORDER_SEARCH,
        format!("{}s", order.as_str()),
        owner,
        state.clock.now_ms(),
    );
    entry.after = Some(json!({ "query": q, "user": owner }));
    audit::record(&state.db.pool, entry).await?;
    Ok(())
}

/// `?user=`, checked: an account's id.
pub fn owner(user: Option<&str>) -> Result<Option<i64>, ServerError> {
    match user.map(str::trim).filter(|u| !u.is_empty()) {
        None => Ok(None),
        Some(u) => u
            .parse()
            .map(Some)
            .map_err(|_| ServerError::validation("user", "must be an account's number")),
    }
}

/// A page of every account's rentals (or `owner`'s), with the customers' filters.
pub async fn rentals(
    state: &AppState,
    actor: &Actor,
    q: &HistoryQuery,
    owner: Option<i64>,
) -> Result<StaffRentalPage, ServerError> {
    let (rows, paging, total) = rentals::history_rows(state, owner, q).await?;
    let owners = Owners::read(state, Order::Rental, rows.iter().map(|r| (r.id, r.user_id))).await?;
    record_search(state, actor, Order::Rental, q, owner).await?;
    Ok(StaffRentalPage {
        rentals: rows
            .into_iter()
            .map(|r| {
                Ok(StaffRentalView {
                    user_id: r.user_id,
                    email: owners.email(r.user_id),
                    refunded: owners.refunded(Order::Rental, r.id),
                    operator_refunded: owners.by_operator(Order::Rental, r.id),
                    rental: rentals::view(state, r)?,
                })
            })
            .collect::<Result<_, ServerError>>()?,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// A page of every account's verifications (or `owner`'s), with the customers' filters.
pub async fn verifications(
    state: &AppState,
    actor: &Actor,
    q: &HistoryQuery,
    owner: Option<i64>,
) -> Result<StaffVerificationPage, ServerError> {
    let (rows, paging, total) = verifications::history_rows(state, owner, q).await?;
    let owners = Owners::read(
        state,
        Order::Verification,
        rows.iter().map(|v| (v.verification_id, v.user_id)),
    )
    .await?;
    record_search(state, actor, Order::Verification, q, owner).await?;
    Ok(StaffVerificationPage {
        verifications: rows
            .into_iter()
            .map(|v| {
                Ok(StaffVerificationView {
                    user_id: v.user_id,
                    email: owners.email(v.user_id),
                    refunded: owners.refunded(Order::Verification, v.verification_id),
                    operator_refunded: owners.by_operator(Order::Verification, v.verification_id),
                    verification: verifications::view(state, v)?,
                })
            })
            .collect::<Result<_, ServerError>>()?,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// What is known of an order when it is refunded.
struct Refundable<'a> {
    user_id: i64,
    cost: i64,
    /// Still running: an active rental, a verification waiting for its code.
    running: bool,
    activity: Activity<'a>,
}

/// Gives back to the customer `body.amount` of what they paid for the order (all that is left
/// when no amount is given), in one transaction with its ledger row (key
/// `refund:operator:{order}:{id}`, so a second operator refund of the same order is refused),
/// its analytics row (a refund for the reason `operator`) and its audit entry.
pub async fn refund(
    state: &AppState,
    actor: &Actor,
    order: Order,
    id: i64,
    body: &OperatorRefund,
) -> Result<OperatorRefundView, ServerError> {
    let reason = body.reason.trim();
    if reason.is_empty() {
        return Err(ServerError::validation(
            "reason",
            "is required: say why, for the customer and the audit log",
        ));
    }
    if reason.chars().count() > 500 {
        return Err(ServerError::validation(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let asked: Option<Money> = match body.amount.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(
            a.parse()
                .map_err(|e| ServerError::validation("amount", e))?,
        ),
    };
    if asked.is_some_and(|a| !a.is_positive()) {
        return Err(ServerError::validation("amount", "must be more than zero"));
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    // The order's row first: a release or cancellation refunding it at the same moment
    // either commits before this reads the refunds made, or waits for this to commit.
    let (rental_row, verification_row);
    let found = match order {
        Order::Rental => {
            rental_store::lock(&mut *tx, id).await?;
            rental_row = rental_store::find(&mut *tx, id).await?;
            rental_row.as_ref().map(|r| Refundable {
                user_id: r.user_id,
                cost: r.cost,
                running: r.status == RentalStatus::Active.as_str(),
                activity: activity::rental(r, "refunded", now),
            })
        }
        Order::Verification => {
            verification_store::lock(&mut *tx, id).await?;
            verification_row = verification_store::find(&mut *tx, id).await?;
            verification_row.as_ref().map(|v| Refundable {
                user_id: v.user_id,
                cost: v.cost,
                running: VerificationStatus::parse(&v.status).is_some_and(|s| !s.is_terminal()),
                activity: activity::verification(v, "refunded", now),
            })
        }
    };
    let found = found.ok_or(ServerError::NotFound(order.as_str()))?;
    if found.running {
        return Err(ServerError::Conflict {
            message: match order {
                Order::Rental => "this rental is still active: the customer can release it (which refunds the unused hours), or refund it once it has ended".to_owned(),
                Order::Verification => "this verification is still waiting for its code: the customer can cancel it for a full refund, or refund it once it has ended".to_owned(),
            },
            field: None,
        });
    }
    let keys = order.refund_keys(id);
    let before: i64 = ledger::by_reference(&mut *tx, &keys)
        .await?
        .iter()
        .map(|(_, units)| units)
        .sum();
    let left = Money::from_units(found.cost - before);
    if !left.is_positive() {
        return Err(ServerError::Conflict {
            message: format!(
                "this {} was paid {} and {} of it is refunded already: nothing is left to refund",
                order.as_str(),
                Money::from_units(found.cost).display(),
                Money::from_units(before).display()
            ),
            field: None,
        });
    }
    let amount = asked.unwrap_or(left);
    if amount > left {
        return Err(ServerError::validation(
            "amount",
            format!(
                "must be at most {}: what is left of the {} paid for it",
                left.display(),
                Money::from_units(found.cost).display()
            ),
        ));
    }
    let key = order.operator_key(id);
    let note = format!("Refund of {} #{id}: {reason}", order.as_str());
    let balance = billing::post(
        &mut tx,
        now,
        Posting {
            user_id: found.user_id,
            amount,
            kind: "refund",
            reference: Some(&key),
            note: &note,
        },
    )
    .await
    .map_err(|e| match e {
        ServerError::Conflict { .. } => ServerError::Conflict {
            message: format!(
                "this {} was refunded by an operator already; a second refund is not possible",
                order.as_str()
            ),
            field: None,
        },
        e => e,
    })?;
    activity::record(
        &mut tx,
        &Activity {
            amount_units: amount.units(),
            detail: "operator",
            ..found.activity
        },
    )
    .await?;
    let refunded = Money::from_units(before + amount.units());
    let mut entry = audit::Entry::plain(
        actor,
        action::ORDER_REFUNDED,
        format!("{}:{id}", order.as_str()),
        Some(found.user_id),
        now,
    );
    entry.after = Some(json!({ "amount": amount.to_string(), "reason": reason }));
    audit::record(&mut *tx, entry).await?;
    let staged = purchases::balance_event(found.user_id, balance)
        .stage(&mut tx, now)
        .await?;
    tx.commit().await?;
    state.events.deliver(staged);
    tracing::info!(order = order.as_str(), id, %amount, "operator refund");
    let message = format!(
        "We refunded {} for your {} #{id}: {reason}",
        amount.display(),
        order.as_str()
    );
    if let Err(e) = notifications::send(
        state,
        found.user_id,
        notifications::kind::REFUND,
        &message,
        None,
    )
    .await
    {
        tracing::warn!(error = %e, "could not notify the customer of a refund");
    }
    Ok(OperatorRefundView {
        order: order.as_str().to_owned(),
        id,
        user_id: found.user_id,
        amount,
        refunded,
        balance,
        currency: CURRENCY.to_owned(),
    })
}
