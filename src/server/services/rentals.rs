//! Rentals, as their owner uses them: a number kept for hours to months, its messages,
//! extension, early release with a partial refund (exactly once), auto-renew on or off. What
//! happens to a rental by itself (renewal, warnings, expiry, new messages) is in
//! `rental_lifecycle`.
//!
//! Money follows the hold pattern: the price is taken (a ledger row) before the provider is
//! asked for a number; if the provider fails, a reversal row gives it back in the same request.

use super::activity;
use super::billing::{self, Posting};
use super::catalog;
use super::history;
use super::idempotency;
use super::pricing;
use super::purchases::{self, Kind, Purchase, Recorded};
use crate::api::dto::{
    Extended, HistoryQuery, MessageList, MessageView, NewRental, Released, RentalList, RentalPage,
    RentalView,
};
use crate::domain::rental::{self, RentalStatus, UpstreamProduct, MS_PER_HOUR};
use crate::domain::Money;
use crate::server::cache::ActiveRentals;
use crate::server::clock::from_ms;
use crate::server::events::{Event, EventKind};
use crate::server::failpoints::failpoint;
use crate::server::providers::{
    BuyRental, Category,
    Extension::{Native, WithinHeldOrder},
    ProviderError, ProviderOrder, Seller, SmsProvider,
};
use crate::server::state::AppState;
use crate::server::storage::activity::Activity;
use crate::server::storage::rentals::{self as store, NewRentalRow, RentalRow};
use crate::server::ServerError;
use bytes::Bytes;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::str::FromStr;
use std::sync::Arc;

/// The longest extension one request may ask for.
pub const MAX_EXTENSION_HOURS: u32 = 720;

pub(crate) fn name_field(field: &'static str, raw: &str) -> Result<String, ServerError> {
    let v = raw.trim().to_lowercase();
    if v.is_empty() {
        return Err(ServerError::validation(field, "is required"));
    }
    if v.len() > 40
        || !v
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(ServerError::validation(
            field,
            "must be a name such as telegram (letters, digits, - and _)",
        ));
    }
    Ok(v)
}

/// A rental as its owner sees it now, with what extending and releasing it would cost.
pub fn view(state: &AppState, row: RentalRow) -> Result<RentalView, ServerError> {
    view_at(state, row, state.clock.now_ms())
}

/// [`view`] as of `now`.
fn view_at(state: &AppState, row: RentalRow, now: i64) -> Result<RentalView, ServerError> {
    let rates = state.settings.rental_rates();
    let extension_rates = extension_rates(state, &row.provider);
    let hourly = hourly(&row)?;
    let status = RentalStatus::parse(&row.status)
        .ok_or_else(|| anyhow::anyhow!("rental {} has unknown status {:?}", row.id, row.status))?;
    let seconds_remaining = if status == RentalStatus::Active {
        ((row.expires_at - now) / 1000).max(0)
    } else {
        0
    };
    Ok(RentalView {
        id: row.id,
        phone_number: row.phone_number,
        service_name: row.service_name,
        country_code: row.country_code,
        status,
        cost: Money::from_units(row.cost),
        duration_hours: u32::try_from(row.duration_hours).unwrap_or_default(),
        expires_at: from_ms(row.expires_at),
        created_at: from_ms(row.created_at),
        provider: row.provider,
        operator: row.operator,
        auto_renew: row.auto_renew == 1,
        keepable_until: from_ms(row.upstream_expires_at),
        released_at: row.released_at.map(from_ms),
        seconds_remaining,
        message_count: u64::try_from(row.message_count).unwrap_or_default(),
        unread_count: u64::try_from(i64::from(row.message_count) - i64::from(row.read_count))
            .unwrap_or_default(),
        last_code: row.last_code,
        revision: u64::try_from(row.revision).unwrap_or_default(),
        extension_per_hour: hourly * extension_rates.extension,
        refund_if_released: if status == RentalStatus::Active {
            rental::release_refund(
                now,
                row.expires_at,
                hourly,
                rates,
                Money::from_units(row.cost),
            )
        } else {
            Money::ZERO
        },
    })
}

/// The rates an extension of a rental from `provider` is priced at. A provider with its own
/// extension call charges for the time again, so there an extra hour costs at least the
/// rental's own hourly price; elsewhere the time is already paid upstream and the extension
/// rate applies.
pub(super) fn extension_rates(state: &AppState, provider: &str) -> rental::RentalRates {
    let mut rates = state.settings.rental_rates();
    let native = state
        .router
        .get(provider)
        .is_ok_and(|p| p.capabilities().extension == Native);
    if native {
        rates.extension = rates.extension.max(Decimal::ONE);
    }
    rates
}

/// What the provider that sold `row` asks for `hours` more of it (its price for the shortest
/// length that covers them), if its offers can be read.
async fn upstream_extension_cost(state: &AppState, row: &RentalRow, hours: u32) -> Option<Decimal> {
    let offers = catalog::provider_offers(state, &row.country_code, None)
        .await
        .ok()?;
    offers
        .iter()
        .filter(|o| o.category == Category::Rental && o.hours.is_some_and(|h| h >= hours))
        .flat_map(|o| o.sellers.iter())
        .filter(|s| s.provider == row.provider)
        .map(|s| s.price)
        .min()
}

fn hourly(row: &RentalRow) -> Result<Decimal, ServerError> {
    Decimal::from_str(&row.hourly_price).map_err(|e| {
        anyhow::anyhow!(
            "rental {} has a bad hourly price {:?}: {e}",
            row.id,
            row.hourly_price
        )
        .into()
    })
}

pub(super) async fn publish(state: &AppState, event: Event) {
    // Every change to a rental is published: the cached list is stale from here.
    state.caches.active_rentals.invalidate(event.user_id);
    state.events.publish(event).await;
}

/// Publishes the rental as it is now. Its view is read again, and the event published, one
/// at a time: two changes committed close together (a mark-read and an extension) could
/// otherwise publish in the other order, a view read before the second commit going out after
/// it, and the live views would keep the older state. (Across instances on PostgreSQL the
/// order of events is the event hub's to keep; see DESIGN "Live updates".)
/// Returns the view published.
pub(super) async fn publish_rental(
    state: &AppState,
    id: i64,
    user_id: i64,
) -> Result<RentalView, ServerError> {
    let _in_order = state.rental_publishing.lock().await;
    let rental = reload(state, id).await.inspect_err(|e| {
        tracing::warn!(rental_id = id, error = ?e, "a rental's change could not be published");
    })?;
    publish(
        state,
        rental_event(user_id, EventKind::RentalUpdated, &rental),
    )
    .await;
    Ok(rental)
}

pub(super) fn rental_event(user_id: i64, kind: EventKind, rental: &RentalView) -> Event {
    Event {
        user_id,
        kind,
        data: json!(rental),
    }
}

/// The upstream product that covers `hours` in `country`, and who sells it (see
/// `providers::router`).
async fn covering_product(
    state: &AppState,
    country: &str,
    operator: Option<&str>,
    hours: u32,
) -> Result<(UpstreamProduct, Vec<Seller>), ServerError> {
    let offers = catalog::provider_offers(state, country, operator)
        .await
        .map_err(|e| match e {
            ServerError::Provider(ProviderError::BadRequest(msg)) if msg.contains("operator") => {
                ServerError::validation("operator", "is not an operator in that country")
            }
            other => catalog::country_refused(country, other),
        })?;
    let mut products: Vec<UpstreamProduct> = offers
        .iter()
        .filter(|o| o.category == Category::Rental)
        .filter_map(|o| {
            Some(UpstreamProduct {
                hours: o.hours?,
                price: o.price,
            })
        })
        .collect();
    products.sort_by_key(|p| p.hours);
    if products.is_empty() {
        return Err(ProviderError::NoNumbers.into());
    }
    let product = rental::covering(&products, hours).ok_or_else(|| {
        let lengths: Vec<String> = products.iter().map(|p| p.hours.to_string()).collect();
        ServerError::validation(
            "duration_hours",
            format!(
                "must be at most {} hours here (numbers are rented as {} hours)",
                products.last().map_or(0, |p| p.hours),
                lengths.join(", ")
            ),
        )
    })?;
    let sellers = offers
        .iter()
        .find(|o| o.category == Category::Rental && o.hours == Some(product.hours))
        .map(|o| o.sellers.clone())
        .unwrap_or_default();
    Ok((product, sellers))
}

/// What a rental of `hours` in `country` costs now (what `create` charges for it), and how
/// many numbers are on sale for it.
pub async fn quote(
    state: &AppState,
    user_id: i64,
    country: &str,
    hours: u32,
) -> Result<(Money, u64), ServerError> {
    let country = catalog::country_code(country)?;
    let (product, _) = covering_product(state, &country, None, hours).await?;
    let price = pricing::for_customer(state, Some(user_id))
        .await?
        .rental(hours, product)
        .amount;
    let stock = catalog::provider_offers(state, &country, None)
        .await?
        .iter()
        .find(|o| o.category == Category::Rental && o.hours == Some(product.hours))
        .map_or(0, |o| o.stock);
    Ok((price, stock))
}

/// What extending the customer's active rental by `hours` costs now (what `extend` charges).
pub async fn extension_quote(
    state: &AppState,
    user_id: i64,
    id: i64,
    hours: u32,
) -> Result<Money, ServerError> {
    check_extension_hours(hours)?;
    let row = owned(state, user_id, id).await?;
    refuse_unless_active(&row, state.clock.now_ms(), "extended")?;
    Ok(rental::extension_price(
        hours,
        hourly(&row)?,
        extension_rates(state, &row.provider),
        Decimal::ZERO,
    ))
}

/// What a rental purchase asked for: enough to record the rental from the order the provider
/// sold, in the request or, after a crash, in the reconciliation job.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RentalAsk {
    pub service: String,
    pub country: String,
    pub operator: Option<String>,
    /// The hours the customer asked for.
    pub hours: u32,
    /// The length of the upstream product that covers them.
    pub product_hours: u32,
    /// The rental's hourly price, as an exact decimal.
    pub hourly: String,
    pub auto_renew: bool,
}

/// Rents a number: quote, hold the money, buy upstream, record. Any failure after the hold
/// gives the money back before answering.
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn create(
    state: &AppState,
    user_id: i64,
    req: &NewRental,
) -> Result<RentalView, ServerError> {
    idempotency::step(state, "rental.create", req, create_now(state, user_id, req)).await
}

async fn create_now(
    state: &AppState,
    user_id: i64,
    req: &NewRental,
) -> Result<RentalView, ServerError> {
    let service = name_field("service", &req.service)?;
    let country = catalog::country_code(&req.country)?;
    let operator = match req
        .operator
        .as_deref()
        .map(str::trim)
        .filter(|o| !o.is_empty())
    {
        Some(o) => Some(name_field("operator", o)?),
        None => None,
    };
    let hours = req
        .duration_hours
        .unwrap_or(state.settings.rental_default_duration);
    if hours == 0 {
        return Err(ServerError::validation(
            "duration_hours",
            "must be at least 1",
        ));
    }
    let (product, sellers) = covering_product(state, &country, operator.as_deref(), hours).await?;
    let quote = pricing::for_customer(state, Some(user_id))
        .await?
        .rental(hours, product);
    let ask = RentalAsk {
        service,
        country,
        operator,
        hours,
        product_hours: product.hours,
        hourly: quote.hourly.normalize().to_string(),
        auto_renew: req.auto_renew.unwrap_or(false),
    };

    let note = format!(
        "Rental: {} number in {} for {hours} h",
        ask.service, ask.country
    );
    let purchase = purchases::take(
        state,
        user_id,
        quote.amount,
        Kind::Rental,
        &note,
        &ask,
        None,
    )
    .await?;
    failpoint("rental.create.after_hold");

    let mut attempts = Vec::new();
    let bought = state
        .router
        .buy_rental(
            &BuyRental {
                country: ask.country.clone(),
                operator: ask.operator.clone(),
                hours: ask.product_hours,
                renewable: ask.auto_renew,
            },
            &sellers,
            quote.amount.decimal(),
            &mut attempts,
        )
        .await;
    activity::attempts(
        state,
        activity::RENTAL,
        user_id,
        &ask.service,
        &ask.country,
        &attempts,
    )
    .await;
    let (provider, order) = match bought {
        Ok(bought) => bought,
        Err(e) => {
            purchase
                .give_back(state, "the provider could not supply a number")
                .await?;
            return Err(e.into());
        }
    };
    failpoint("rental.create.after_buy");
    settle_bought(state, &purchase, provider, &ask, &order).await
}

/// Notes the `order` bought for `purchase` and records it as a rental: the rental, or why
/// not (and then the number goes back upstream and the money back to the customer).
pub(super) async fn settle_bought(
    state: &AppState,
    purchase: &Purchase,
    provider: &Arc<dyn SmsProvider>,
    ask: &RentalAsk,
    order: &ProviderOrder,
) -> Result<RentalView, ServerError> {
    if !purchase.bought(state, provider.name(), &order.id).await? {
        return Err(settled_meanwhile(provider, &order.id).await);
    }
    failpoint("rental.create.after_bought");
    let recorded = record(state, purchase, provider, ask, order).await;
    if !matches!(recorded, Ok(Some(_))) {
        // Recorded meanwhile by the reconciliation job (the request took that long): that is
        // the rental.
        if let Some(id) = purchase.recorded_as(state).await? {
            return reload(state, id).await;
        }
    }
    match recorded {
        Ok(Some(rental)) => {
            failpoint("rental.create.after_record");
            Ok(rental)
        }
        Ok(None) => Err(settled_meanwhile(provider, &order.id).await),
        Err(e) => {
            tracing::error!(error.cause_chain = ?e, order_id = %order.id, "could not record a bought rental; releasing it");
            if let Err(release) = provider.release(&order.id).await {
                tracing::error!(error = %release, order_id = %order.id, "could not release the upstream order");
            }
            purchase
                .give_back(state, "the rental could not be recorded")
                .await?;
            Err(e)
        }
    }
}

/// The reconciliation job settled a purchase that took too long (it gave the money back): the
/// number bought since goes back upstream.
async fn settled_meanwhile(provider: &Arc<dyn SmsProvider>, order_id: &str) -> ServerError {
    if let Err(e) = provider.release(order_id).await {
        tracing::error!(error = %e, order_id, "could not release an order bought too late");
    }
    ServerError::conflict("the provider took too long; nothing was charged. Try again")
}

/// Records the rental `purchase` paid for, from the `order` the provider sold, and settles the
/// purchase, in one transaction. `None` if the purchase had been settled meanwhile.
pub async fn record(
    state: &AppState,
    purchase: &Purchase,
    provider: &Arc<dyn SmsProvider>,
    ask: &RentalAsk,
    order: &ProviderOrder,
) -> Result<Option<RentalView>, ServerError> {
    let now = state.clock.now_ms();
    let upstream_expires = order
        .expires_at
        .map(|t| t.timestamp_millis())
        .unwrap_or(now + i64::from(ask.product_hours) * MS_PER_HOUR);
    // Count the rental's hours from when the upstream order began, so its end and the room
    // left in the upstream order line up to the millisecond.
    let start = order
        .created_at
        .map(|t| t.timestamp_millis())
        .filter(|t| (purchase.created_at - 300_000..=now).contains(t))
        .unwrap_or(now);
    let expires = (start + i64::from(ask.hours) * MS_PER_HOUR).min(upstream_expires);
    let provider = provider.name();
    let mut tx = state.db.begin_write().await?;
    let id = store::insert(
        &mut tx,
        NewRentalRow {
            user_id: purchase.user_id,
            phone_number: &order.phone,
            service_name: &ask.service,
            country_code: &ask.country,
            expires_at: expires,
            now,
            cost: purchase.price.units(),
            provider,
            provider_order_id: &order.id,
            operator: order.operator.as_deref().or(ask.operator.as_deref()),
            hours: i32::try_from(ask.hours).unwrap_or(i32::MAX),
            hourly_price: &ask.hourly,
            auto_renew: ask.auto_renew,
            upstream_expires_at: upstream_expires,
            provider_cost: purchases::provider_cost(order),
        },
    )
    .await?;
    // The rental, the purchase's end and the event that shows it on the user's pages, in one
    // commit.
    let row = store::find(&mut *tx, id)
        .await?
        .ok_or(ServerError::NotFound("rental"))?;
    activity::record(
        &mut tx,
        &Activity {
            amount_units: purchase.price.units(),
            cost_units: purchases::provider_cost(order).unwrap_or(0),
            value_ms: i64::from(ask.hours) * MS_PER_HOUR,
            detail: if ask.auto_renew { "auto_renew" } else { "" },
            ..activity::rental(&row, "started", now)
        },
    )
    .await?;
    let rental = view(state, row)?;
    let recorded = Recorded {
        record_id: id,
        order: Some((provider, &order.id)),
    };
    if !purchase.record_in(&mut tx, now, recorded, &rental).await? {
        return Ok(None);
    }
    let staged = rental_event(purchase.user_id, EventKind::RentalUpdated, &rental)
        .stage(&mut tx, now)
        .await?;
    tx.commit().await?;
    tracing::info!(rental_id = rental.id, order_id = %order.id, price = %purchase.price, "rental created");
    state.caches.active_rentals.invalidate(purchase.user_id);
    state.events.deliver(staged);
    Ok(Some(rental))
}

pub(super) fn found(row: Option<RentalRow>) -> Result<RentalRow, ServerError> {
    row.ok_or(ServerError::NotFound("rental"))
}

/// A rental as it is now, after a change.
async fn reload(state: &AppState, id: i64) -> Result<RentalView, ServerError> {
    let row = store::find(&state.db.pool, id)
        .await?
        .ok_or(ServerError::NotFound("rental"))?;
    view(state, row)
}

pub(super) async fn owned(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<RentalRow, ServerError> {
    store::find_owned(&state.db.pool, user_id, id)
        .await?
        .ok_or(ServerError::NotFound("rental"))
}

pub async fn get(state: &AppState, user_id: i64, id: i64) -> Result<RentalView, ServerError> {
    view(state, owned(state, user_id, id).await?)
}

async fn active_rows(state: &AppState, user_id: i64) -> Result<Arc<ActiveRentals>, ServerError> {
    let load = async {
        let rows = store::active_for(&state.db.pool, user_id).await?;
        Ok::<_, ServerError>(ActiveRentals::new(rows))
    };
    state.caches.active_rentals.get_or_load(user_id, load).await
}

pub async fn active(state: &AppState, user_id: i64) -> Result<Vec<RentalView>, ServerError> {
    let now = state.clock.now_ms();
    let active = active_rows(state, user_id).await?;
    active
        .rows
        .iter()
        .map(|r| view_at(state, r.clone(), now))
        .collect()
}

/// [`active`] as the JSON of a [`RentalList`], as of the current clock second: API clients
/// that poll their rentals many times a second get one rendering per second.
pub async fn active_json(state: &AppState, user_id: i64) -> Result<Bytes, ServerError> {
    let second = state.clock.now_ms().div_euclid(1000);
    let active = active_rows(state, user_id).await?;
    active.rendered(second, |rows| {
        let list = RentalList {
            rentals: rows
                .iter()
                .map(|r| view_at(state, r.clone(), second * 1000))
                .collect::<Result<_, _>>()?,
        };
        let json = serde_json::to_vec(&list).map_err(anyhow::Error::from)?;
        Ok::<_, ServerError>(Bytes::from(json))
    })
}

/// Marks the rental's messages as seen by its owner (their cards' unread counts follow in
/// every tab). Another user's rental is "not found".
pub async fn mark_read(state: &AppState, user_id: i64, id: i64) -> Result<(), ServerError> {
    owned(state, user_id, id).await?;
    if store::mark_read(&state.db.pool, user_id, id).await? {
        publish_rental(state, id, user_id).await?;
    }
    Ok(())
}

pub async fn messages(state: &AppState, user_id: i64, id: i64) -> Result<MessageList, ServerError> {
    let load = async {
        let owner = owned(state, user_id, id).await?.user_id;
        Ok::<_, ServerError>((owner, store::messages(&state.db.pool, id).await?))
    };
    let cached = state.caches.rental_messages.get_or_load(id, load).await?;
    let (owner, rows) = &*cached;
    if *owner != user_id {
        return Err(ServerError::NotFound("rental"));
    }
    Ok(MessageList {
        messages: rows
            .iter()
            .map(|m| MessageView {
                id: m.id,
                sender: m.sender.clone(),
                text: m.text.clone(),
                code: m.code.clone(),
                received_at: from_ms(m.received_at),
            })
            .collect(),
    })
}

/// A page of the caller's rentals under `q`'s filters.
pub async fn history(
    state: &AppState,
    user_id: i64,
    q: &HistoryQuery,
) -> Result<RentalPage, ServerError> {
    let (rows, paging, total) = history_rows(state, Some(user_id), q).await?;
    Ok(RentalPage {
        rentals: rows
            .into_iter()
            .map(|r| view(state, r))
            .collect::<Result<_, _>>()?,
        page: paging.page,
        per_page: paging.per_page,
        total,
    })
}

/// A page of `owner`'s rentals (everyone's for operators) under `q`'s filters, as rows, with
/// the page asked for and how many match in all.
pub async fn history_rows(
    state: &AppState,
    owner: Option<i64>,
    q: &HistoryQuery,
) -> Result<(Vec<RentalRow>, history::Paging, u64), ServerError> {
    let statuses = [
        RentalStatus::Active,
        RentalStatus::Expired,
        RentalStatus::Released,
        RentalStatus::Failed,
    ]
    .map(RentalStatus::as_str);
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

fn refuse_unless_active(row: &RentalRow, now: i64, doing: &str) -> Result<(), ServerError> {
    match RentalStatus::parse(&row.status) {
        Some(RentalStatus::Active) if row.expires_at > now => Ok(()),
        Some(RentalStatus::Active) => Err(ServerError::conflict(format!(
            "this rental has expired; it cannot be {doing}"
        ))),
        Some(s) => Err(ServerError::conflict(format!(
            "this rental is {}; it cannot be {doing}",
            s.as_str()
        ))),
        None => Err(ServerError::conflict(format!(
            "this rental cannot be {doing}"
        ))),
    }
}

fn check_extension_hours(hours: u32) -> Result<(), ServerError> {
    if hours == 0 || hours > MAX_EXTENSION_HOURS {
        return Err(ServerError::validation(
            "hours",
            format!("must be between 1 and {MAX_EXTENSION_HOURS}"),
        ));
    }
    Ok(())
}

pub async fn extend(
    state: &AppState,
    user_id: i64,
    id: i64,
    hours: u32,
) -> Result<Extended, ServerError> {
    check_extension_hours(hours)?;
    let extend = async {
        let row = owned(state, user_id, id).await?;
        let (rental, charged) = extend_row(state, row, hours, Extending::Manual).await?;
        Ok(Extended { rental, charged })
    };
    idempotency::step(state, &format!("rental.extend:{id}"), &(id, hours), extend).await
}

/// Adds `hours` to an active rental and charges for them; refuses (charging nothing) past what
/// the provider lets us keep.
pub(super) async fn extend_row(
    state: &AppState,
    row: RentalRow,
    hours: u32,
    how: Extending,
) -> Result<(RentalView, Money), ServerError> {
    let now = state.clock.now_ms();
    refuse_unless_active(&row, now, "extended")?;
    let new_expires = row.expires_at + i64::from(hours) * MS_PER_HOUR;
    let provider = state.router.get(&row.provider)?.clone();
    let price = rental::extension_price(
        hours,
        hourly(&row)?,
        extension_rates(state, &row.provider),
        Decimal::ZERO,
    );
    let note = format!("{} of rental #{} by {hours} h", how.word(), row.id);
    let change = Extra {
        hours,
        price,
        note: &note,
        new_expires,
        how,
    };
    match provider.capabilities().extension {
        // Within what was already bought upstream (a 5-hour rental bought as 12), nothing
        // more is asked of the provider.
        _ if new_expires <= row.upstream_expires_at => extend_within(state, row, change).await,
        Native => {
            // Never at a loss: what the customer was quoted must cover what the provider asks.
            if let Some(cost) = upstream_extension_cost(state, &row, hours).await {
                if price.decimal() < cost {
                    return Err(ServerError::Conflict {
                        message: format!(
                            "{} sells extensions of {hours} h for more than the {} they would cost you; extend by more hours at once (nothing was charged)",
                            row.provider,
                            price.display()
                        ),
                        field: Some("hours"),
                    });
                }
            }
            extend_upstream(state, row, &provider, change).await
        }
        WithinHeldOrder if new_expires > row.upstream_expires_at => {
            let room = ((row.upstream_expires_at - row.expires_at).max(0) / MS_PER_HOUR) as u64;
            Err(ServerError::Conflict {
                message: format!(
                    "this number can be kept until {} at most ({room} more whole hours); the provider cannot extend it further",
                    from_ms(row.upstream_expires_at)
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
                field: Some("hours"),
            })
        }
        WithinHeldOrder => extend_within(state, row, change).await,
    }
}

/// What auto-renew will charge for the rental's next renewal (its original length), at today's
/// rates: the price `extend_row` charges it.
pub fn renewal_price(state: &AppState, row: &RentalRow) -> Result<Money, ServerError> {
    let hours = u32::try_from(row.original_hours).unwrap_or(0).max(1);
    Ok(rental::extension_price(
        hours,
        hourly(row)?,
        extension_rates(state, &row.provider),
        Decimal::ZERO,
    ))
}

/// One extension being made.
struct Extra<'a> {
    hours: u32,
    price: Money,
    note: &'a str,
    new_expires: i64,
    how: Extending,
}

impl Extra<'_> {
    /// The extension as analytics count it, with what the provider charged for it.
    fn activity<'r>(&self, row: &'r RentalRow, now: i64, cost: i64) -> Activity<'r> {
        Activity {
            amount_units: self.price.units(),
            cost_units: cost,
            value_ms: i64::from(self.hours) * MS_PER_HOUR,
            detail: self.how.detail(),
            ..activity::rental(row, "extended", now)
        }
    }
}

/// Who asked for an extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Extending {
    /// The customer.
    Manual,
    /// Auto-renew, shortly before the end.
    AutoRenew,
}

impl Extending {
    fn word(self) -> &'static str {
        match self {
            Extending::Manual => "Extension",
            Extending::AutoRenew => "Auto-renewal",
        }
    }

    fn detail(self) -> &'static str {
        match self {
            Extending::Manual => "manual",
            Extending::AutoRenew => "auto_renew",
        }
    }
}

/// Within the order already held upstream: the charge and the new end in one transaction.
async fn extend_within(
    state: &AppState,
    row: RentalRow,
    change: Extra<'_>,
) -> Result<(RentalView, Money), ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if !store::extend(
        &mut tx,
        row.id,
        row.expires_at,
        change.new_expires,
        None,
        i32::try_from(change.hours).unwrap_or(i32::MAX),
        change.price.units(),
        now,
    )
    .await?
    {
        return Err(changed_meanwhile());
    }
    let balance = billing::post(
        &mut tx,
        now,
        Posting {
            user_id: row.user_id,
            amount: Money::from_units(-change.price.units()),
            kind: "rental_extension",
            reference: None,
            note: change.note,
        },
    )
    .await?;
    let balance_changed = purchases::balance_event(row.user_id, balance)
        .stage(&mut tx, now)
        .await?;
    activity::record(&mut tx, &change.activity(&row, now, 0)).await?;
    let rental = view_at(state, found(store::find(&mut *tx, row.id).await?)?, now)?;
    let extended = Extended {
        rental,
        charged: change.price,
    };
    idempotency::save_in(&mut tx, &extended).await?;
    tx.commit().await?;
    failpoint("rental.extend.after_commit");
    // Committed: the change stands even if its event cannot go out (logged).
    let _ = publish_rental(state, row.id, row.user_id).await;
    state.events.deliver(balance_changed);
    Ok((extended.rental, change.price))
}

/// What an extension through the provider asked for (kept with its hold).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExtensionAsk {
    pub rental_id: i64,
    pub hours: u32,
    /// When the rental ended before it.
    pub expires_at: i64,
}

/// Through the provider's own extension call, outside any transaction: the money is held
/// first, the provider asked, then the new end written with the hold kept as the charge; a
/// refusal gives the hold back. A crash in between leaves the hold open, and the
/// reconciliation job gives it back (see `services::reconciliation`).
async fn extend_upstream(
    state: &AppState,
    row: RentalRow,
    provider: &Arc<dyn SmsProvider>,
    change: Extra<'_>,
) -> Result<(RentalView, Money), ServerError> {
    let ask = ExtensionAsk {
        rental_id: row.id,
        hours: change.hours,
        expires_at: row.expires_at,
    };
    let purchase = purchases::take(
        state,
        row.user_id,
        change.price,
        Kind::RentalExtension,
        change.note,
        &ask,
        None,
    )
    .await?;
    failpoint("rental.extend.after_hold");
    // One extension through the provider at a time per rental, and only of the rental as it
    // was read: otherwise the provider would be paid for an extension this one cannot apply.
    let claimed = purchase.claim(state, row.id).await?;
    let unchanged = store::find(&state.db.pool, row.id)
        .await?
        .is_some_and(|now| now.status == row.status && now.expires_at == row.expires_at);
    if !claimed || !unchanged {
        purchase
            .give_back(state, "the rental was being changed by another request")
            .await?;
        return Err(ServerError::conflict(
            "this rental is being changed by another request; look at it again and retry",
        ));
    }
    let order = match provider.extend(&row.provider_order_id, change.hours).await {
        Ok(order) => order,
        Err(e) => {
            purchase
                .give_back(state, "the provider did not extend the number")
                .await?;
            return Err(e.into());
        }
    };
    failpoint("rental.extend.after_upstream");
    let now = state.clock.now_ms();
    let upstream_end = order
        .expires_at
        .map_or(change.new_expires, |t| t.timestamp_millis())
        .max(change.new_expires);
    let mut tx = state.db.begin_write().await?;
    let applied = store::extend(
        &mut tx,
        row.id,
        row.expires_at,
        change.new_expires,
        Some(upstream_end),
        i32::try_from(change.hours).unwrap_or(i32::MAX),
        change.price.units(),
        now,
    )
    .await?;
    let rental = view_at(state, found(store::find(&mut *tx, row.id).await?)?, now)?;
    let extended = Extended {
        rental,
        charged: change.price,
    };
    let recorded = Recorded {
        record_id: row.id,
        order: None,
    };
    let cost = purchases::provider_cost(&order).unwrap_or(0);
    activity::record(&mut tx, &change.activity(&row, now, cost)).await?;
    if !applied
        || !purchase
            .record_in(&mut tx, now, recorded, &extended)
            .await?
    {
        // Released or extended by another request meanwhile, or the hold already given back:
        // the customer pays nothing for it (the provider's extension is our cost).
        drop(tx);
        if cost != 0 {
            let lost = Activity {
                cost_units: cost,
                detail: "extension_not_applied",
                ..activity::rental(&row, "upstream_cost", now)
            };
            if let Err(e) = activity::record_on(&state.db.pool, &lost).await {
                tracing::warn!(rental_id = row.id, error = %e, "could not note an extension's cost for analytics");
            }
        }
        purchase
            .give_back(state, "the rental changed while it was being extended")
            .await?;
        return Err(changed_meanwhile());
    }
    tx.commit().await?;
    failpoint("rental.extend.after_commit");
    let _ = publish_rental(state, row.id, row.user_id).await;
    Ok((extended.rental, change.price))
}

fn changed_meanwhile() -> ServerError {
    ServerError::conflict("this rental changed meanwhile; look at it again and retry")
}

/// How often a release is tried again when an extension or renewal changed the rental between
/// reading it and releasing it.
const RELEASE_ATTEMPTS: usize = 5;

pub async fn release(state: &AppState, user_id: i64, id: i64) -> Result<Released, ServerError> {
    let label = format!("rental.release:{id}");
    idempotency::step(state, &label, &id, release_now(state, user_id, id)).await
}

async fn release_now(state: &AppState, user_id: i64, id: i64) -> Result<Released, ServerError> {
    let mut attempt = 0;
    let (row, tx, released, balance_changed) = loop {
        attempt += 1;
        let row = owned(state, user_id, id).await?;
        let now = state.clock.now_ms();
        refuse_unless_active(&row, now, "released")?;
        let mut tx = state.db.begin_write().await?;
        // The refund is for the rental as read; the release holds only if it is still so (an
        // extension committed since would otherwise be charged and never refunded).
        if !store::mark_released(&mut tx, id, now, row.expires_at).await? {
            drop(tx);
            if attempt < RELEASE_ATTEMPTS {
                continue;
            }
            return Err(ServerError::conflict(
                "this rental kept changing while it was being released; try again",
            ));
        }
        let refund = rental::release_refund(
            now,
            row.expires_at,
            hourly(&row)?,
            state.settings.rental_rates(),
            Money::from_units(row.cost),
        );
        activity::record(
            &mut tx,
            &Activity {
                value_ms: now - row.created_at,
                ..activity::rental(&row, "released", now)
            },
        )
        .await?;
        let mut balance_changed = None;
        if refund.is_positive() {
            activity::record(
                &mut tx,
                &Activity {
                    amount_units: refund.units(),
                    detail: "early_release",
                    ..activity::rental(&row, "refunded", now)
                },
            )
            .await?;
            let reference = format!("refund:rental:{id}");
            let hours_left = (row.expires_at - now) / MS_PER_HOUR;
            let note = format!("Early release of rental #{id}: {hours_left} unused whole hours");
            let balance = billing::post(
                &mut tx,
                now,
                Posting {
                    user_id,
                    amount: refund,
                    kind: "refund",
                    reference: Some(&reference),
                    note: &note,
                },
            )
            .await?;
            balance_changed = Some(
                purchases::balance_event(user_id, balance)
                    .stage(&mut tx, now)
                    .await?,
            );
        }
        let rental = view_at(state, found(store::find(&mut *tx, id).await?)?, now)?;
        let released = Released { rental, refund };
        idempotency::save_in(&mut tx, &released).await?;
        break (row, tx, released, balance_changed);
    };
    tx.commit().await?;
    failpoint("rental.release.after_refund");
    release_upstream(state, &row).await;
    tracing::info!(rental_id = id, refund = %released.refund, "rental released early");
    let _ = publish_rental(state, id, user_id).await;
    if let Some(staged) = balance_changed {
        state.events.deliver(staged);
    }
    Ok(released)
}

/// Gives the number back to the provider, and notes that it is back (true then). If the
/// provider cannot be reached now, the reconciliation job tries again later.
pub async fn release_upstream(state: &AppState, row: &RentalRow) -> bool {
    let released = match state.router.get(&row.provider) {
        Ok(provider) => provider.release(&row.provider_order_id).await,
        Err(e) => Err(e),
    };
    match released {
        Ok(_) | Err(ProviderError::NotFound) | Err(ProviderError::OrderState { .. }) => {
            let now = state.clock.now_ms();
            match store::mark_upstream_closed(&state.db.pool, row.id, now).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::warn!(rental_id = row.id, error = %e, "could not note the upstream release");
                    false
                }
            }
        }
        Err(e) => {
            tracing::warn!(rental_id = row.id, order_id = %row.provider_order_id, error = %e, "could not release the number upstream; the reconciliation job will retry");
            false
        }
    }
}

pub async fn set_auto_renew(
    state: &AppState,
    user_id: i64,
    id: i64,
    on: bool,
) -> Result<RentalView, ServerError> {
    let row = owned(state, user_id, id).await?;
    if on {
        refuse_unless_active(&row, state.clock.now_ms(), "set to auto-renew")?;
    }
    store::set_auto_renew(&state.db.pool, user_id, id, on, state.clock.now_ms()).await?;
    publish_rental(state, id, user_id).await
}
