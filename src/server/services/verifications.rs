//! Verifications: a one-shot number for one service's code. Bought with the hold pattern,
//! polled until a code arrives, then finished; cancelled before any SMS or timed out with no
//! SMS, it is refunded in full, exactly once (the ledger's unique `refund:verification:{id}`),
//! whichever of the customer, the poller and the expiry job gets there first.

use super::activity;
use super::billing::{self, Posting};
use super::idempotency;
use super::pricing;
use super::purchases::{self, Kind, Purchase, Recorded};
use super::rentals::name_field;
use super::{catalog, history, inbox};
use crate::api::dto::{
    HistoryQuery, MessageView, NewVerification, VerificationDetail, VerificationList,
    VerificationPage, VerificationView,
};
use crate::domain::verification::{self as rules, VerificationStatus};
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::events::{Event, EventKind};
use crate::server::failpoints::failpoint;
use crate::server::metrics;
use crate::server::providers::within_poll_deadline;
use crate::server::providers::{
    BuyActivation, Category, OrderStateError, OrderStatus, ProviderError, ProviderOrder,
    ProviderSms, Seller, SmsProvider,
};
use crate::server::state::AppState;
use crate::server::storage::activity::Activity;
use crate::server::storage::verifications::{self as store, NewVerificationRow, VerificationRow};
use crate::server::ServerError;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::sync::Arc;

/// How long a number waits for its SMS when the provider does not say.
const DEFAULT_WAIT_MS: i64 = 20 * 60_000;

fn status_of(row: &VerificationRow) -> Result<VerificationStatus, ServerError> {
    VerificationStatus::parse(&row.status).ok_or_else(|| {
        anyhow::anyhow!(
            "verification {} has unknown status {:?}",
            row.verification_id,
            row.status
        )
        .into()
    })
}

pub fn view(state: &AppState, row: VerificationRow) -> Result<VerificationView, ServerError> {
    let status = status_of(&row)?;
    let seconds_remaining = if status.is_terminal() {
        0
    } else {
        ((row.expires_at - state.clock.now_ms()) / 1000).max(0)
    };
    Ok(VerificationView {
        id: row.verification_id,
        phone_number: row.phone_number,
        service_name: row.service_name,
        country_code: row.country_code,
        operator: row.operator,
        provider: row.provider,
        status,
        cost: Money::from_units(row.cost),
        refunded: status.is_refunded(),
        code: row.code,
        created_at: from_ms(row.created_at),
        expires_at: from_ms(row.expires_at),
        finished_at: row.finished_at.map(from_ms),
        seconds_remaining,
        message_count: u64::try_from(row.message_count).unwrap_or_default(),
        reused_from: row.reused_from,
        revision: u64::try_from(row.revision).unwrap_or_default(),
    })
}

async fn publish(state: &AppState, user_id: i64, v: &VerificationView) {
    state
        .events
        .publish(Event {
            user_id,
            kind: EventKind::VerificationUpdated,
            data: json!(v),
        })
        .await;
}

async fn reload(state: &AppState, id: i64) -> Result<VerificationView, ServerError> {
    let row = store::find(&state.db.pool, id)
        .await?
        .ok_or(ServerError::NotFound("verification"))?;
    view(state, row)
}

async fn owned(state: &AppState, user_id: i64, id: i64) -> Result<VerificationRow, ServerError> {
    store::find_owned(&state.db.pool, user_id, id)
        .await?
        .ok_or(ServerError::NotFound("verification"))
}

/// What a verification of `service` in `country` costs here, and who sells it (see
/// `providers::router`).
async fn quote(
    state: &AppState,
    user_id: i64,
    service: &str,
    country: &str,
    operator: Option<&str>,
) -> Result<(Money, Vec<Seller>), ServerError> {
    let offers = catalog::provider_offers(state, country, operator)
        .await
        .map_err(|e| catalog::country_refused(country, e))?;
    let offer = offers
        .iter()
        .find(|o| o.category == Category::Activation && o.product == service)
        .ok_or_else(|| {
            ServerError::validation("service", format!("is not offered in {country}"))
        })?;
    if offer.stock == 0 {
        return Err(ProviderError::NoNumbers.into());
    }
    let ours = pricing::for_customer(state, Some(user_id))
        .await?
        .activation(offer.price);
    Ok((ours, offer.sellers.clone()))
}

fn parse_max_price(raw: Option<&str>) -> Result<Option<Money>, ServerError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => match s.parse::<Money>() {
            Ok(m) if m.is_positive() => Ok(Some(m)),
            _ => Err(ServerError::validation(
                "max_price",
                "must be a positive amount such as 0.50",
            )),
        },
    }
}

/// Buys a number for `req.service`: quote, check `max_price`, hold, buy through the router,
/// record. Any failure after the hold gives the money back before answering.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn create(
    state: &AppState,
    user_id: i64,
    req: &NewVerification,
) -> Result<VerificationView, ServerError> {
    let buy = create_now(state, user_id, req);
    idempotency::step(state, "verification.create", req, buy).await
}

async fn create_now(
    state: &AppState,
    user_id: i64,
    req: &NewVerification,
) -> Result<VerificationView, ServerError> {
    let service = name_field("service", &req.service)?;
    let country = catalog::country_code(&req.country)?;
    let operator = match req.operator.as_deref().map(str::trim) {
        Some(o) if !o.is_empty() => Some(name_field("operator", o)?),
        _ => None,
    };
    let max_price = parse_max_price(req.max_price.as_deref())?;
    let (price, sellers) = quote(state, user_id, &service, &country, operator.as_deref()).await?;
    if let Some(max) = max_price {
        if price > max {
            return Err(ServerError::Conflict {
                message: format!(
                    "a {service} number in {country} costs {}, above your max_price of {}; nothing was charged",
                    price.display(),
                    max.display()
                ),
                field: Some("max_price"),
            });
        }
    }
    let note = format!("Verification: {service} number in {country}");
    let ask = VerificationAsk {
        service,
        country,
        operator,
        reused_from: None,
    };
    let purchase = hold(state, user_id, price, &note, &ask).await?;
    failpoint("verification.create.after_hold");
    let mut attempts = Vec::new();
    let bought = state
        .router
        .buy_activation(
            &BuyActivation {
                country: ask.country.clone(),
                operator: ask.operator.clone(),
                product: ask.service.clone(),
                // Each seller is held to its own quoted price (see the router).
                max_price: None,
                reusable: true,
            },
            &sellers,
            price.decimal(),
            &mut attempts,
        )
        .await;
    activity::attempts(
        state,
        activity::VERIFICATION,
        user_id,
        &ask.service,
        &ask.country,
        &attempts,
    )
    .await;
    let (provider, order) = match bought {
        Ok((p, order)) => (p.clone(), order),
        Err(e) => {
            purchase
                .give_back(state, "the provider could not supply a number")
                .await?;
            return Err(e.into());
        }
    };
    failpoint("verification.create.after_buy");
    finish_purchase(state, purchase, provider, order, &ask).await
}

/// What a verification purchase asked for: enough to record the verification from the order
/// the provider sold, in the request or, after a crash, in the reconciliation job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VerificationAsk {
    pub service: String,
    pub country: String,
    pub operator: Option<String>,
    /// The verification this one verifies again, for a reuse.
    pub reused_from: Option<i64>,
}

/// Holds `price` for the verification `ask` describes (the product asked upstream is its
/// service).
async fn hold(
    state: &AppState,
    user_id: i64,
    price: Money,
    note: &str,
    ask: &VerificationAsk,
) -> Result<Purchase, ServerError> {
    let product = Some(ask.service.as_str());
    purchases::take(
        state,
        user_id,
        price,
        Kind::Verification,
        note,
        ask,
        product,
    )
    .await
}

/// Notes the order bought for `purchase` and records it; if that fails, cancels the order
/// upstream and gives the money back.
async fn finish_purchase(
    state: &AppState,
    purchase: Purchase,
    provider: Arc<dyn SmsProvider>,
    order: ProviderOrder,
    ask: &VerificationAsk,
) -> Result<VerificationView, ServerError> {
    if !purchase.bought(state, provider.name(), &order.id).await? {
        return Err(settled_meanwhile(&provider, &order.id).await);
    }
    failpoint("verification.create.after_bought");
    let recorded = record(state, &purchase, &provider, &order, ask).await;
    if !matches!(recorded, Ok(Some(_))) {
        // Recorded meanwhile by the reconciliation job (the request took that long): that is
        // the verification.
        if let Some(id) = purchase.recorded_as(state).await? {
            return reload(state, id).await;
        }
    }
    match recorded {
        Ok(Some(v)) => {
            failpoint("verification.create.after_record");
            Ok(v)
        }
        Ok(None) => Err(settled_meanwhile(&provider, &order.id).await),
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, order_id = %order.id, "could not record a bought verification; cancelling it");
            if let Err(cancel) = provider.cancel(&order.id).await {
                tracing::error!(error = %cancel, order_id = %order.id, "could not cancel the upstream order");
            }
            purchase
                .give_back(state, "the verification could not be recorded")
                .await?;
            Err(e)
        }
    }
}

/// The reconciliation job settled a purchase that took too long (it gave the money back): the
/// number bought since goes back upstream.
async fn settled_meanwhile(provider: &Arc<dyn SmsProvider>, order_id: &str) -> ServerError {
    if let Err(e) = provider.cancel(order_id).await {
        tracing::error!(error = %e, order_id, "could not cancel an order bought too late");
    }
    ServerError::conflict("the provider took too long; nothing was charged. Try again")
}

/// Records the verification `purchase` paid for, from the `order` the provider sold, and
/// settles the purchase, in one transaction. `None` if the purchase had been settled meanwhile.
pub async fn record(
    state: &AppState,
    purchase: &Purchase,
    provider: &Arc<dyn SmsProvider>,
    order: &ProviderOrder,
    ask: &VerificationAsk,
) -> Result<Option<VerificationView>, ServerError> {
    let now = state.clock.now_ms();
    let expires = order
        .expires_at
        .map(|t| t.timestamp_millis())
        .unwrap_or(now + DEFAULT_WAIT_MS);
    let user_id = purchase.user_id;
    let mut tx = state.db.begin_write().await?;
    let id = store::insert(
        &mut *tx,
        NewVerificationRow {
            user_id,
            provider: provider.name(),
            provider_order_id: &order.id,
            phone_number: &order.phone,
            service_name: &ask.service,
            country_code: &ask.country,
            operator: order.operator.as_deref(),
            cost: purchase.price.units(),
            now,
            expires_at: expires,
            reused_from: ask.reused_from,
            provider_cost: purchases::provider_cost(order),
        },
    )
    .await?;
    let row = store::find(&mut *tx, id)
        .await?
        .ok_or(ServerError::NotFound("verification"))?;
    activity::record(
        &mut tx,
        &Activity {
            amount_units: purchase.price.units(),
            cost_units: row.provider_cost.unwrap_or(0),
            detail: if ask.reused_from.is_some() {
                "reuse"
            } else {
                ""
            },
            ..activity::verification(&row, "started", now)
        },
    )
    .await?;
    let v = view(state, row)?;
    let recorded = Recorded {
        record_id: id,
        order: Some((provider.name(), &order.id)),
    };
    if !purchase.record_in(&mut tx, now, recorded, &v).await? {
        return Ok(None);
    }
    tx.commit().await?;
    tracing::info!(verification_id = id, order_id = %order.id, price = %v.cost, "verification bought");
    publish(state, user_id, &v).await;
    Ok(Some(v))
}

pub async fn get(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<VerificationDetail, ServerError> {
    let row = owned(state, user_id, id).await?;
    let messages = store::messages(&state.db.pool, id)
        .await?
        .into_iter()
        .map(|m| MessageView {
            id: m.verification_message_id,
            sender: m.sender,
            text: m.text,
            code: m.code,
            received_at: from_ms(m.received_at),
        })
        .collect();
    Ok(VerificationDetail {
        verification: view(state, row)?,
        messages,
    })
}

/// The user's verifications still waiting or showing a code.
pub async fn open(state: &AppState, user_id: i64) -> Result<VerificationList, ServerError> {
    let rows = store::open(&state.db.pool, user_id).await?;
    Ok(VerificationList {
        verifications: rows
            .into_iter()
            .map(|r| view(state, r))
            .collect::<Result<_, _>>()?,
    })
}

/// A page of the caller's verifications under `q`'s filters.
pub async fn history(
    state: &AppState,
    user_id: i64,
    q: &HistoryQuery,
) -> Result<VerificationPage, ServerError> {
    let (rows, paging, total) = history_rows(state, Some(user_id), q).await?;
    Ok(VerificationPage {
        verifications: rows
            .into_iter()
            .map(|r| view(state, r))
            .collect::<Result<_, _>>()?,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// A page of `owner`'s verifications (everyone's for operators) under `q`'s filters, as rows,
/// with the page asked for and how many match in all.
pub async fn history_rows(
    state: &AppState,
    owner: Option<i64>,
    q: &HistoryQuery,
) -> Result<(Vec<VerificationRow>, history::Paging, u64), ServerError> {
    let statuses = VerificationStatus::ALL.map(VerificationStatus::as_str);
    let (filter, paging) = history::parse(q, &statuses)?;
    let (rows, total) = store::history(
        &state.db.pool,
        owner,
        &filter,
        paging.limit(),
        paging.offset(),
    )
    .await?;
    Ok((rows, paging, u64::try_from(total).unwrap_or_default()))
}

/// Whether the upstream order is known to be closed already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Upstream {
    Closed,
    MaybeOpen,
}

/// Closes a verification that never received an SMS as `to` (cancelled or timed out) and
/// refunds it, in one transaction; false if it had already moved on (someone else closed it,
/// or an SMS arrived), in which case nothing is refunded.
async fn close_unused(
    state: &AppState,
    row: &VerificationRow,
    to: VerificationStatus,
    upstream: Upstream,
) -> Result<bool, ServerError> {
    let now = state.clock.now_ms();
    let id = row.verification_id;
    let closed_at = (upstream == Upstream::Closed).then_some(now);
    let mut tx = state.db.begin_write().await?;
    if !store::cancel_if_unused(&mut *tx, id, now, to.as_str(), closed_at).await? {
        return Ok(false);
    }
    let reference = format!("refund:verification:{id}");
    let note = match to {
        VerificationStatus::TimedOut => format!("Verification #{id}: no SMS arrived in time"),
        _ => format!("Verification #{id} cancelled before any SMS"),
    };
    let balance = billing::post(
        &mut tx,
        now,
        Posting {
            user_id: row.user_id,
            amount: Money::from_units(row.cost),
            kind: "refund",
            reference: Some(&reference),
            note: &note,
        },
    )
    .await?;
    let balance_changed = purchases::balance_event(row.user_id, balance)
        .stage(&mut tx, now)
        .await?;
    let (event, reason) = match to {
        VerificationStatus::TimedOut => ("timed_out", "timed_out"),
        _ => ("cancelled", "cancelled"),
    };
    activity::record(
        &mut tx,
        &Activity {
            value_ms: now - row.created_at,
            ..activity::verification(row, event, now)
        },
    )
    .await?;
    // The customer gets the price back, and the provider does not charge us for a number
    // that received nothing.
    activity::record(
        &mut tx,
        &Activity {
            amount_units: row.cost,
            cost_units: -row.provider_cost.unwrap_or(0),
            detail: reason,
            ..activity::verification(row, "refunded", now)
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(
        verification_id = id,
        status = to.as_str(),
        "verification refunded"
    );
    state.events.deliver(balance_changed);
    let v = reload(state, id).await?;
    publish(state, row.user_id, &v).await;
    Ok(true)
}

fn refuse(status: VerificationStatus, doing: &str) -> ServerError {
    let why = match status {
        VerificationStatus::Received => {
            "an SMS has arrived; it is paid for (finish it instead)".to_owned()
        }
        VerificationStatus::Waiting => "no code has arrived yet (cancel it instead)".to_owned(),
        VerificationStatus::TimedOut => "it timed out and was refunded".to_owned(),
        s => format!("it is {}", s.as_str()),
    };
    ServerError::conflict(format!("this verification cannot be {doing}: {why}"))
}

/// Cancels a verification that has received nothing: upstream first (the provider refuses
/// once an SMS has arrived, and so do we), then the full refund.
#[tracing::instrument(skip(state))]
pub async fn cancel(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<VerificationView, ServerError> {
    let row = owned(state, user_id, id).await?;
    let status = status_of(&row)?;
    if !status.can_cancel(u64::try_from(row.message_count).unwrap_or(1)) {
        return Err(refuse(status, "cancelled"));
    }
    let provider = state.router.get(&row.provider)?;
    match provider.cancel(&row.provider_order_id).await {
        Ok(_) => {}
        // Over upstream already (it timed out there): nothing to give back to the provider.
        Err(ProviderError::NotFound)
        | Err(ProviderError::OrderState {
            state: OrderStateError::Expired,
            ..
        }) => {}
        Err(ProviderError::OrderState {
            state: OrderStateError::HasSms,
            ..
        }) => {
            // The SMS is there upstream: take it in now, and refuse.
            if let Err(e) = poll(state, &row).await {
                tracing::warn!(verification_id = id, error.cause_chain = ?e, "could not fetch the SMS that blocked a cancel");
            }
            return Err(refuse(VerificationStatus::Received, "cancelled"));
        }
        Err(e) => return Err(e.into()),
    }
    failpoint("verification.cancel.after_upstream");
    if !close_unused(state, &row, VerificationStatus::Cancelled, Upstream::Closed).await? {
        let now = owned(state, user_id, id).await?;
        return Err(refuse(status_of(&now)?, "cancelled"));
    }
    reload(state, id).await
}

/// Finishes a verification whose code has arrived.
#[tracing::instrument(skip(state))]
pub async fn finish(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<VerificationView, ServerError> {
    let row = owned(state, user_id, id).await?;
    let status = status_of(&row)?;
    if !status.can_finish() {
        return Err(refuse(status, "finished"));
    }
    finish_row(state, &row).await?;
    reload(state, id).await
}

/// Moves a received verification to finished and tells the provider; false if it was no
/// longer received.
async fn finish_row(state: &AppState, row: &VerificationRow) -> Result<bool, ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let finished = store::mark_finished(&mut *tx, row.verification_id, now).await?;
    if finished {
        activity::record(
            &mut tx,
            &Activity {
                value_ms: now - row.created_at,
                ..activity::verification(row, "finished", now)
            },
        )
        .await?;
    }
    tx.commit().await?;
    if finished {
        close_upstream(state, row, Closing::Finish).await;
        let v = reload(state, row.verification_id).await?;
        publish(state, row.user_id, &v).await;
    }
    Ok(finished)
}

/// How a verification's upstream order is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Cancel,
    Finish,
}

/// Closes the upstream order of a verification that has ended here, and notes that it is
/// closed (an order already over upstream counts). If the provider cannot be reached now, the
/// reconciliation job tries again later. True if it is closed.
pub async fn close_upstream(state: &AppState, row: &VerificationRow, how: Closing) -> bool {
    let closed = match state.router.get(&row.provider) {
        Ok(provider) => match how {
            Closing::Cancel => provider.cancel(&row.provider_order_id).await,
            Closing::Finish => provider.finish(&row.provider_order_id).await,
        },
        Err(e) => Err(e),
    };
    match closed {
        Ok(_) | Err(ProviderError::NotFound) | Err(ProviderError::OrderState { .. }) => {
            let now = state.clock.now_ms();
            let noted = store::mark_upstream_closed(&state.db.pool, row.verification_id, now).await;
            if let Err(e) = &noted {
                tracing::warn!(verification_id = row.verification_id, error = %e, "could not note the upstream close");
            }
            noted.is_ok()
        }
        Err(e) => {
            tracing::warn!(verification_id = row.verification_id, ?how, error = %e, "could not close the order upstream; the reconciliation job will retry");
            false
        }
    }
}

/// "Verify again": a new verification on the same number, where the provider allows it;
/// charged like a new one. Refused with 409 (nothing charged) where it does not.
#[tracing::instrument(skip(state))]
pub async fn reuse(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<VerificationView, ServerError> {
    let label = format!("verification.reuse:{id}");
    idempotency::step(state, &label, &id, reuse_now(state, user_id, id)).await
}

async fn reuse_now(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<VerificationView, ServerError> {
    let row = owned(state, user_id, id).await?;
    let status = status_of(&row)?;
    if !matches!(
        status,
        VerificationStatus::Received | VerificationStatus::Finished
    ) {
        return Err(ServerError::conflict(format!(
            "this number cannot be used again: only a number that received a code can be (this one is {})",
            status.as_str()
        )));
    }
    let (quoted, sellers) = quote(
        state,
        user_id,
        &row.service_name,
        &row.country_code,
        row.operator.as_deref(),
    )
    .await?;
    // Bought again from the provider that sold it, so priced from that provider's own cost
    // (the quote is the cheapest seller's), when it says what that is.
    let price = match sellers.iter().find(|s| s.provider == row.provider) {
        Some(seller) => pricing::for_customer(state, Some(user_id))
            .await?
            .activation(seller.price),
        None => quoted,
    };
    let provider = state.router.get(&row.provider)?.clone();
    // The provider reuses a number only once its last order is finished.
    if status == VerificationStatus::Received {
        finish_row(state, &row).await?;
    }
    let note = format!(
        "Verification again: {} on {}",
        row.service_name, row.phone_number
    );
    let ask = VerificationAsk {
        service: row.service_name.clone(),
        country: row.country_code.clone(),
        operator: row.operator.clone(),
        reused_from: Some(id),
    };
    let purchase = hold(state, user_id, price, &note, &ask).await?;
    let reused = provider.reuse(&row.provider_order_id, &row.service_name, &row.phone_number);
    match reused.await {
        Ok(order) => finish_purchase(state, purchase, provider, order, &ask).await,
        Err(e) => {
            purchase
                .give_back(state, "the provider would not reuse the number")
                .await?;
            Err(match e {
                ProviderError::OrderState { message, .. } | ProviderError::BadRequest(message) => {
                    tracing::info!(verification_id = id, provider_said = %message, "reuse refused");
                    ServerError::conflict(
                        "this number cannot be used again: the provider does not allow it; nothing was charged",
                    )
                }
                other => other.into(),
            })
        }
    }
}

/// Looks for new SMS: stores each once, takes the newest code, and moves a waiting
/// verification to received. An order the provider has closed with no SMS is timed out and
/// refunded. Returns how many messages were new.
pub async fn poll(state: &AppState, row: &VerificationRow) -> Result<usize, ServerError> {
    let provider = state.router.get(&row.provider)?;
    let order = within_poll_deadline(provider.check(&row.provider_order_id)).await?;
    let new = store_messages(state, row, order.sms.clone()).await?;
    if new == 0
        && matches!(order.status, OrderStatus::TimedOut | OrderStatus::Cancelled)
        && row.message_count == 0
    {
        // Closed upstream with nothing received (timed out there, or cancelled by a request
        // that died before its refund): close it here too, refunded.
        let to = match order.status {
            OrderStatus::Cancelled => VerificationStatus::Cancelled,
            _ => VerificationStatus::TimedOut,
        };
        close_unused(state, row, to, Upstream::Closed).await?;
    }
    Ok(new)
}

/// Stores the new messages among `sms` (once each, however often and by whichever way they
/// came: poll or push), takes the newest code, and moves a waiting verification to received.
/// Returns how many were new.
pub async fn store_messages(
    state: &AppState,
    row: &VerificationRow,
    sms: Vec<ProviderSms>,
) -> Result<usize, ServerError> {
    let id = row.verification_id;
    let mut new = 0;
    for m in inbox::fresh(sms, row.created_at) {
        let stored = store::insert_message(
            &state.db.pool,
            id,
            &m.id,
            &m.sms.sender,
            &m.sms.text,
            m.code.as_deref(),
            m.received_at_ms,
        )
        .await?;
        if stored.is_some() {
            metrics::sms_stored(&row.provider, state.clock.now_ms() - m.received_at_ms);
            new += 1;
        }
    }
    // Its first SMS, once, when the provider said it came (looked for again while it is not
    // noted: a failure here is made good by the next poll). One that came after the
    // verification was closed and refunded delivered nothing.
    let open = !matches!(row.status.as_str(), "cancelled" | "timed_out");
    if open && row.first_sms_at.is_none() && (new > 0 || row.message_count > 0) {
        if let Some(at) = store::first_message_at(&state.db.pool, id).await? {
            let mut tx = state.db.begin_write().await?;
            if store::mark_first_sms(&mut *tx, id, at).await? {
                activity::first_sms(
                    &mut tx,
                    activity::verification(row, "first_sms", at.max(row.created_at)),
                    row.created_at,
                )
                .await?;
            }
            tx.commit().await?;
        }
    }
    // Also when a message is stored but the verification still waits: a pass stopped between
    // the two (a crash) is made good by the next.
    if new > 0 || (row.status == "waiting" && row.message_count > 0) {
        // The newest stored message that has a code gives the code.
        let code = store::messages(&state.db.pool, id)
            .await?
            .into_iter()
            .find_map(|m| m.code);
        let now = state.clock.now_ms();
        if store::record_code(&state.db.pool, id, code.as_deref(), now).await? {
            let v = reload(state, id).await?;
            tracing::info!(
                verification_id = id,
                has_code = v.code.is_some(),
                "verification received an SMS"
            );
            publish(state, row.user_id, &v).await;
        }
    }
    Ok(new)
}

/// When to poll next, or `None` once the verification is closed.
pub async fn next_poll(state: &AppState, id: i64) -> Result<Option<i64>, ServerError> {
    let Some(row) = store::find(&state.db.pool, id).await? else {
        return Ok(None);
    };
    let status = status_of(&row)?;
    let now = state.clock.now_ms();
    Ok(
        (!status.is_terminal())
            .then(|| now + rules::poll_interval_ms(now - row.created_at, status)),
    )
}

/// The provider's deadline has passed. With no SMS: one last look (an SMS may have arrived at
/// the end), then timed out, refunded, and the order closed upstream. With a code: finished.
pub async fn expire(state: &AppState, row: VerificationRow) -> Result<(), ServerError> {
    if let Err(e) = poll(state, &row).await {
        tracing::warn!(verification_id = row.verification_id, error.cause_chain = ?e, "last poll before expiry failed");
    }
    let row = store::find(&state.db.pool, row.verification_id)
        .await?
        .ok_or(ServerError::NotFound("verification"))?;
    match status_of(&row)? {
        VerificationStatus::Waiting if row.message_count == 0 => {
            if close_unused(
                state,
                &row,
                VerificationStatus::TimedOut,
                Upstream::MaybeOpen,
            )
            .await?
            {
                failpoint("verification.expire.after_refund");
                close_upstream(state, &row, Closing::Cancel).await;
            }
        }
        VerificationStatus::Received => {
            finish_row(state, &row).await?;
        }
        _ => {}
    }
    Ok(())
}
