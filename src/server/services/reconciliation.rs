//! Reconciliation: what a crash, a lost answer or an unreachable provider left unsettled is
//! settled here, from what the provider says. One pass:
//!
//! 1. A purchase still open (money held, no rental or verification, no reversal) is adopted
//!    when its order exists upstream (recorded as it should have been), otherwise reversed.
//!    An open purchase that never wrote its order down is matched with an order upstream that
//!    no local record knows, of the same kind and product, sold after the hold.
//! 2. An upstream order that no local record knows (bought, then the purchase was reversed or
//!    never written) is cancelled or released upstream.
//! 3. A rental or verification that ended here but whose upstream order may still be open
//!    (the release or cancel did not reach the provider) is closed upstream.
//! 4. An idempotency key left unanswered by a request that died is forgotten, so that a retry
//!    runs again (the steps it finished answer from their own keys).
//!
//! Only what is older than `RECONCILE_AFTER_SECS` is touched. Every settlement is conditional
//! on the state it leaves, so a request still running and a pass can never both settle one
//! purchase; each action is logged with what was found.

use super::purchases::{Kind, Purchase};
use super::rentals::{self, RentalAsk};
use super::verifications::{self, Closing, VerificationAsk};
use crate::domain::verification::VerificationStatus;
use crate::server::providers::{Category, ProviderError, ProviderOrder, SmsProvider};
use crate::server::state::AppState;
use crate::server::storage::purchases::{self as store, PurchaseRow};
use crate::server::storage::verifications as verification_store;
use crate::server::storage::{idempotency, rentals as rental_store};
use crate::server::ServerError;
use serde::Serialize;
use std::collections::HashSet;
use std::sync::Arc;

/// How far back upstream order lists are read: far longer than any purchase takes.
const LOOKBACK_MS: i64 = 24 * 3_600_000;
/// Orders read per page, and the most pages read per provider and kind in one pass.
const PAGE: u32 = 100;
const MOST_PAGES: u32 = 10;
/// The most rows of each kind settled in one pass (the next pass goes on).
const BATCH: i64 = 200;

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Repairs {
    /// Open purchases recorded from the order found upstream.
    pub adopted: u64,
    /// Open purchases whose money was given back.
    pub reversed: u64,
    /// Upstream orders no local record knew, cancelled or released.
    pub orphans_closed: u64,
    /// Upstream orders of ended rentals and verifications, closed.
    pub upstream_closed: u64,
    /// Idempotency keys left unanswered by requests that died, forgotten.
    pub keys_forgotten: u64,
    /// Actions that failed (the provider could not be reached): tried again next pass.
    pub failed: u64,
}

impl Repairs {
    pub fn any(&self) -> bool {
        *self != Repairs::default()
    }
}

/// The recent orders of one provider in one category, as far as they could be read.
struct Listing {
    provider: Arc<dyn SmsProvider>,
    category: Category,
    orders: Result<Vec<ProviderOrder>, ProviderError>,
}

/// One reconciliation pass.
pub async fn pass(state: &AppState) -> Result<Repairs, ServerError> {
    let now = state.clock.now_ms();
    let before = now - i64::try_from(state.settings.reconcile_after_secs * 1000).unwrap_or(0);
    let mut repairs = Repairs::default();
    let listings = read_listings(state, now).await;
    repairs.failed += listings.iter().filter(|l| l.orders.is_err()).count() as u64;
    // Orders adopted in this pass: neither adopted twice nor closed as orphans.
    let mut claimed: HashSet<(String, String)> = HashSet::new();
    for row in store::open_before(&state.db.pool, before, BATCH).await? {
        settle_purchase(state, &row, &listings, &mut claimed, &mut repairs).await?;
    }
    close_orphans(state, before, &listings, &claimed, &mut repairs).await?;
    close_ended(state, before, &mut repairs).await?;
    repairs.keys_forgotten = idempotency::forget_stale(&state.db.pool, before).await?;
    Ok(repairs)
}

async fn read_listings(state: &AppState, now: i64) -> Vec<Listing> {
    let mut listings = Vec::new();
    for provider in state.router.all() {
        let caps = provider.capabilities();
        let mut categories = Vec::new();
        if caps.activation {
            categories.push(Category::Activation);
        }
        if !caps.rental_hours.is_empty() {
            categories.push(Category::Rental);
        }
        for category in categories {
            let orders = recent_orders(provider.as_ref(), category, now - LOOKBACK_MS).await;
            if let Err(e) = &orders {
                tracing::warn!(provider = provider.name(), ?category, error = %e, "reconciliation could not read the provider's orders");
            }
            listings.push(Listing {
                provider: provider.clone(),
                category,
                orders,
            });
        }
    }
    listings
}

/// The provider's orders of `category` sold since `since`, newest first.
async fn recent_orders(
    provider: &dyn SmsProvider,
    category: Category,
    since: i64,
) -> Result<Vec<ProviderOrder>, ProviderError> {
    let mut orders = Vec::new();
    for page in 0..MOST_PAGES {
        let listed = provider.orders(category, PAGE, page * PAGE).await?;
        let full = listed.orders.len() == PAGE as usize;
        let mut older = false;
        for order in listed.orders {
            if sold_at(&order).is_some_and(|t| t < since) {
                older = true;
            } else {
                orders.push(order);
            }
        }
        if older || !full {
            break;
        }
    }
    Ok(orders)
}

fn sold_at(order: &ProviderOrder) -> Option<i64> {
    order.created_at.map(|t| t.timestamp_millis())
}

fn category_of(kind: Kind) -> Category {
    match kind {
        Kind::Rental | Kind::RentalExtension => Category::Rental,
        Kind::Verification => Category::Activation,
    }
}

async fn settle_purchase(
    state: &AppState,
    row: &PurchaseRow,
    listings: &[Listing],
    claimed: &mut HashSet<(String, String)>,
    repairs: &mut Repairs,
) -> Result<(), ServerError> {
    let purchase = Purchase::from_row(row)?;
    if purchase.kind == Kind::RentalExtension {
        // Not every provider says when an order ends, so whether the extension happened
        // upstream cannot always be told: the rental was not extended here, and the customer
        // is not charged for it (an extension the provider made is our cost).
        if purchase
            .give_back(state, "the extension was interrupted")
            .await?
        {
            tracing::warn!(
                purchase_id = row.purchase_id,
                user_id = row.user_id,
                "reconciliation gave back the hold of an interrupted extension"
            );
            repairs.reversed += 1;
        }
        return Ok(());
    }
    let found = match (&row.provider, &row.provider_order_id) {
        (Some(name), Some(order_id)) => {
            let provider = state.router.get(name)?.clone();
            match provider.check(order_id).await {
                Ok(order) if !order.status.is_terminal() => Some((provider, order)),
                Ok(_) | Err(ProviderError::NotFound) => None,
                Err(e) => {
                    tracing::warn!(purchase_id = row.purchase_id, order_id, error = %e, "reconciliation could not check a purchase's order; will retry");
                    repairs.failed += 1;
                    return Ok(());
                }
            }
        }
        _ => match unclaimed_match(state, &purchase, row, listings, claimed).await? {
            Match::Found(provider, order) => Some((provider, *order)),
            Match::None => None,
            Match::Unknown => {
                repairs.failed += 1;
                return Ok(());
            }
        },
    };
    let Some((provider, order)) = found else {
        if purchase
            .give_back(state, "the purchase was interrupted and no number was sold")
            .await?
        {
            tracing::warn!(
                purchase_id = row.purchase_id,
                user_id = row.user_id,
                kind = %row.kind,
                order_id = ?row.provider_order_id,
                "reconciliation reversed an interrupted purchase: no live order upstream"
            );
            repairs.reversed += 1;
        }
        return Ok(());
    };
    claimed.insert((provider.name().to_owned(), order.id.clone()));
    let adopted = match purchase.kind {
        Kind::Rental => {
            let ask: RentalAsk = read_ask(row)?;
            rentals::record(state, &purchase, &provider, &ask, &order)
                .await?
                .is_some()
        }
        Kind::Verification => {
            let ask: VerificationAsk = read_ask(row)?;
            verifications::record(state, &purchase, &provider, &order, &ask)
                .await?
                .is_some()
        }
        // Given back above.
        Kind::RentalExtension => false,
    };
    if adopted {
        tracing::warn!(
            purchase_id = row.purchase_id,
            user_id = row.user_id,
            kind = %row.kind,
            provider = provider.name(),
            order_id = %order.id,
            "reconciliation recorded an interrupted purchase from its order upstream"
        );
        repairs.adopted += 1;
    }
    Ok(())
}

fn read_ask<T: serde::de::DeserializeOwned>(row: &PurchaseRow) -> Result<T, ServerError> {
    serde_json::from_str(&row.request).map_err(|e| {
        anyhow::anyhow!(
            "purchase {} has an unreadable request: {e}",
            row.purchase_id
        )
        .into()
    })
}

enum Match {
    Found(Arc<dyn SmsProvider>, Box<ProviderOrder>),
    /// Every list that could hold it was read, and it is not there.
    None,
    /// A list that could hold it could not be read.
    Unknown,
}

/// The oldest live order upstream that could be this purchase's: of its kind (and product),
/// sold after the hold was taken, and known to no local record.
async fn unclaimed_match(
    state: &AppState,
    purchase: &Purchase,
    row: &PurchaseRow,
    listings: &[Listing],
    claimed: &HashSet<(String, String)>,
) -> Result<Match, ServerError> {
    let category = category_of(purchase.kind);
    // Clocks differ a little between us and the provider.
    let earliest = purchase.created_at - 60_000;
    let mut unreadable = false;
    for listing in listings.iter().filter(|l| l.category == category) {
        let Ok(orders) = &listing.orders else {
            unreadable = true;
            continue;
        };
        let name = listing.provider.name();
        for order in orders.iter().rev() {
            let fits = !order.status.is_terminal()
                && sold_at(order).is_none_or(|t| t >= earliest)
                && (row.product.is_none() || order.product == row.product)
                && !claimed.contains(&(name.to_owned(), order.id.clone()));
            if fits && !store::order_is_known(&state.db.pool, name, &order.id).await? {
                return Ok(Match::Found(
                    listing.provider.clone(),
                    Box::new(order.clone()),
                ));
            }
        }
    }
    Ok(if unreadable {
        Match::Unknown
    } else {
        Match::None
    })
}

async fn close_orphans(
    state: &AppState,
    before: i64,
    listings: &[Listing],
    claimed: &HashSet<(String, String)>,
    repairs: &mut Repairs,
) -> Result<(), ServerError> {
    for listing in listings {
        let Ok(orders) = &listing.orders else {
            continue;
        };
        let provider = &listing.provider;
        for order in orders {
            let settled_age = sold_at(order).is_none_or(|t| t < before);
            if order.status.is_terminal()
                || !settled_age
                || claimed.contains(&(provider.name().to_owned(), order.id.clone()))
                || store::order_is_known(&state.db.pool, provider.name(), &order.id).await?
            {
                continue;
            }
            let closed = match listing.category {
                Category::Activation => provider.cancel(&order.id).await,
                Category::Rental => provider.release(&order.id).await,
            };
            match closed {
                Ok(_) | Err(ProviderError::NotFound) | Err(ProviderError::OrderState { .. }) => {
                    tracing::warn!(provider = provider.name(), order_id = %order.id, phone = %order.phone, category = ?listing.category, "reconciliation closed an upstream order no local record knows");
                    repairs.orphans_closed += 1;
                }
                Err(e) => {
                    tracing::warn!(provider = provider.name(), order_id = %order.id, error = %e, "reconciliation could not close an unknown upstream order; will retry");
                    repairs.failed += 1;
                }
            }
        }
    }
    Ok(())
}

async fn close_ended(
    state: &AppState,
    before: i64,
    repairs: &mut Repairs,
) -> Result<(), ServerError> {
    for row in rental_store::upstream_open_before(&state.db.pool, before, BATCH).await? {
        if rentals::release_upstream(state, &row).await {
            tracing::info!(rental_id = row.id, order_id = %row.provider_order_id, "reconciliation released the upstream order of an ended rental");
            repairs.upstream_closed += 1;
        } else {
            repairs.failed += 1;
        }
    }
    for row in verification_store::upstream_open_before(&state.db.pool, before, BATCH).await? {
        let how = match VerificationStatus::parse(&row.status) {
            Some(VerificationStatus::Finished) => Closing::Finish,
            _ => Closing::Cancel,
        };
        if verifications::close_upstream(state, &row, how).await {
            tracing::info!(verification_id = row.verification_id, order_id = %row.provider_order_id, ?how, "reconciliation closed the upstream order of an ended verification");
            repairs.upstream_closed += 1;
        } else {
            repairs.failed += 1;
        }
    }
    Ok(())
}
