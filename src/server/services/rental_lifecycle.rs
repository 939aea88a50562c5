//! What happens to a rental by itself, run by the rental jobs: auto-renew shortly before the
//! end, the expiry warning, expiry, and collecting new messages from the provider.

use super::activity;
use super::inbox;
use super::rentals::{
    extend_row, found, publish, publish_rental, release_upstream, rental_event, view, Extending,
};
use crate::api::dto::{MessageView, SmsReceived};
use crate::domain::rental::MS_PER_HOUR;
use crate::server::clock::from_ms;
use crate::server::events::{Event, EventKind};
use crate::server::failpoints::failpoint;
use crate::server::metrics;
use crate::server::providers::{within_poll_deadline, Delivery, ProviderSms};
use crate::server::services::notifications;
use crate::server::state::AppState;
use crate::server::storage::activity::Activity;
use crate::server::storage::rentals::{self as store, RentalRow};
use crate::server::ServerError;
use serde_json::json;

/// Auto-renew runs this long before the end.
pub const RENEW_BEFORE_MS: i64 = 10 * 60 * 1000;
/// The expiry warning comes this long before the end.
pub const WARN_BEFORE_MS: i64 = MS_PER_HOUR;

async fn notify(
    state: &AppState,
    row: &RentalRow,
    kind: &str,
    message: &str,
) -> Result<(), ServerError> {
    notifications::send(state, row.user_id, kind, message, Some(row.id)).await
}

/// Auto-renew, shortly before the end: extend by the original length if the balance covers it;
/// otherwise turn auto-renew off and tell the user why.
pub async fn auto_renew(state: &AppState, row: RentalRow) -> Result<(), ServerError> {
    let hours = u32::try_from(row.original_hours).unwrap_or(0).max(1);
    let (id, user_id, phone) = (row.id, row.user_id, row.phone_number.clone());
    match extend_row(state, row.clone(), hours, Extending::AutoRenew).await {
        Ok((rental, price)) => {
            let msg = format!(
                "{phone} was renewed for {hours} h ({}); it now ends at {}",
                price.display(),
                rental.expires_at.to_rfc3339()
            );
            notify(state, &row, "auto_renewed", &msg).await
        }
        // The provider refusing or failing is not retried every pass until the end (each
        // try would hold and give back money, and a call that timed out after it succeeded
        // would extend upstream again): auto-renew is turned off and the customer told.
        Err(
            e @ (ServerError::InsufficientBalance { .. }
            | ServerError::Conflict { .. }
            | ServerError::Provider(_)),
        ) => {
            store::turn_off_auto_renew(&state.db.pool, id, state.clock.now_ms()).await?;
            let msg = format!("Auto-renew is off for {phone}: {e}.");
            notify(state, &row, "auto_renew_off", &msg).await?;
            publish_rental(state, id, user_id).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The expiry warning, once per term.
pub async fn warn_expiring(state: &AppState, row: RentalRow) -> Result<(), ServerError> {
    if store::mark_warned(&state.db.pool, row.id, state.clock.now_ms()).await? {
        let msg = format!(
            "{} expires at {}",
            row.phone_number,
            from_ms(row.expires_at).to_rfc3339()
        );
        notify(state, &row, "expiring", &msg).await?;
        let rental = view(state, row.clone())?;
        publish(
            state,
            rental_event(row.user_id, EventKind::RentalExpiring, &rental),
        )
        .await;
    }
    Ok(())
}

/// Ends a rental whose time is up and gives the number back upstream.
pub async fn expire(state: &AppState, row: RentalRow) -> Result<(), ServerError> {
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    let expired = store::mark_expired(&mut tx, row.id, now).await?;
    if expired {
        // It ended at its end, whenever this job saw it.
        let ended = row.expires_at.min(now);
        activity::record(
            &mut tx,
            &Activity {
                value_ms: ended - row.created_at,
                ..activity::rental(&row, "expired", ended)
            },
        )
        .await?;
    }
    tx.commit().await?;
    failpoint("rental.expire.after_commit");
    if expired {
        release_upstream(state, &row).await;
        tracing::info!(rental_id = row.id, "rental expired");
        publish_rental(state, row.id, row.user_id).await?;
    }
    Ok(())
}

/// How long to wait before looking for messages again: often while a rental is new and a
/// code is likely, less often as it ages.
pub fn poll_interval_ms(age_ms: i64) -> i64 {
    match age_ms {
        a if a < 10 * 60_000 => 600,
        a if a < MS_PER_HOUR => 5_000,
        a if a < 24 * MS_PER_HOUR => 15_000,
        _ => 30_000,
    }
}

/// How often the orders of providers that push their SMS are still polled: slowly, as a
/// safety net for a push that never came.
pub const PUSHED_POLL_MS: i64 = 60_000;

/// When to look for `row`'s messages again, from `now`.
pub fn next_poll_in(state: &AppState, row: &RentalRow, now: i64) -> i64 {
    let every = poll_interval_ms(now - row.created_at);
    let pushed = state
        .router
        .get(&row.provider)
        .is_ok_and(|p| p.capabilities().delivery == Delivery::Push);
    if pushed {
        every.max(PUSHED_POLL_MS)
    } else {
        every
    }
}

/// Fetches the rental's messages from the provider and stores the new ones. Returns how many
/// were new.
pub async fn poll_messages(state: &AppState, row: &RentalRow) -> Result<usize, ServerError> {
    let provider = state.router.get(&row.provider)?;
    let sms = within_poll_deadline(provider.rental_messages(&row.provider_order_id)).await?;
    store_messages(state, row, sms).await
}

/// Stores the new messages among `sms` (once each, by the provider's message id or a digest of
/// the message, however often and by whichever way they came: poll or push), ignoring any from
/// before the rental began, each with the event that shows it. Returns how many were new.
pub async fn store_messages(
    state: &AppState,
    row: &RentalRow,
    sms: Vec<ProviderSms>,
) -> Result<usize, ServerError> {
    let mut incoming = inbox::fresh(sms, row.created_at);
    if incoming.is_empty() {
        return Ok(0);
    }
    // Most polls bring back only messages stored before: one read, and no write at all.
    let known = store::known_message_ids(&state.db.pool, row.id).await?;
    incoming.retain(|m| !known.contains(&m.id));
    let mut new = 0;
    for m in incoming {
        let mut tx = state.db.begin_write().await?;
        let stored = store::insert_message(
            &mut tx,
            row.id,
            &m.id,
            &m.sms.sender,
            &m.sms.text,
            m.code.as_deref(),
            m.received_at_ms,
        )
        .await?;
        let Some(id) = stored else {
            tx.commit().await?; // seen before: nothing was written
            continue;
        };
        let now = state.clock.now_ms();
        let provider_time = m.received_at_ms;
        // Timed by the provider's clock: how soon the number got it, not how soon we asked.
        let came = provider_time.max(row.created_at).min(now);
        if store::mark_first_sms(&mut tx, row.id, came).await? {
            activity::first_sms(
                &mut tx,
                activity::rental(row, "first_sms", came),
                row.created_at,
            )
            .await?;
        }
        let message = MessageView {
            id,
            sender: m.sms.sender,
            text: m.sms.text,
            code: m.code,
            received_at: m.sms.received_at,
        };
        // The card's counts and last code change with the message: the event carries both, so
        // an open page shows them without asking for anything.
        let rental = view(state, found(store::find(&mut *tx, row.id).await?)?)?;
        let staged = Event {
            user_id: row.user_id,
            kind: EventKind::SmsReceived,
            data: json!(SmsReceived {
                rental_id: row.id,
                message,
                rental
            }),
        }
        .stage(&mut tx, state.clock.now_ms())
        .await?;
        tx.commit().await?;
        metrics::sms_stored(&row.provider, now - provider_time);
        state.caches.rental_messages.invalidate(row.id);
        state.caches.active_rentals.invalidate(row.user_id);
        state.events.deliver(staged);
        new += 1;
    }
    Ok(new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_slows_down_as_a_rental_ages() {
        let ages = [0, 11 * 60_000, 2 * MS_PER_HOUR, 30 * MS_PER_HOUR];
        let intervals: Vec<i64> = ages.iter().map(|a| poll_interval_ms(*a)).collect();
        assert!(intervals.windows(2).all(|w| w[0] < w[1]), "{intervals:?}");
        assert!(
            intervals[0] <= 2_000,
            "a fresh rental's code shows within about two seconds"
        );
    }
}
