//! The notification centre: what the jobs and the services tell a customer (auto-renew turned
//! off and why, an expiry coming, a low balance, changes to their account's security), the
//! bell's unread count, kept live by a `notification.created` event, and marking them read.

use crate::api::dto::{
    NotificationList, NotificationPreferences, NotificationView, NotificationsRead,
    UnreadNotifications,
};
use crate::domain::Money;
use crate::server::clock::from_ms;
use crate::server::events::{Event, EventKind};
use crate::server::mail::{self, Mail};
use crate::server::state::AppState;
use crate::server::storage::notifications as store;
use crate::server::storage::users;
use crate::server::ServerError;

/// The kinds of notification.
pub mod kind {
    pub const LOW_BALANCE: &str = "low_balance";
    pub const SECURITY: &str = "security";
    pub const REFUND: &str = "refund";
    pub const PAYMENT: &str = "payment";
    pub const WEBHOOK: &str = "webhook";
}

const DEFAULT_PAGE: u32 = 20;
const MAX_PAGE: u32 = 100;
/// The highest low-balance threshold a customer may set (10,000.00).
pub const MOST_LOW_BALANCE_UNITS: i64 = 100_000_000;

/// Tells `user_id` something: stored, and the bell of each of their open pages counts it.
pub async fn send(
    state: &AppState,
    user_id: i64,
    kind: &str,
    message: &str,
    rental_id: Option<i64>,
) -> Result<(), ServerError> {
    store::insert(
        &state.db.pool,
        user_id,
        kind,
        message,
        rental_id,
        state.clock.now_ms(),
    )
    .await?;
    announce(state, user_id).await?;
    let to = users::notification_email(&state.db.pool, user_id).await?;
    if let Some(users::NotificationEmail {
        email,
        wanted: true,
        confirmed: true,
        ..
    }) = to
    {
        let origin = state.settings.link_origin();
        mail::send_later(
            &state.mailer,
            Mail {
                to: email,
                subject: format!("Namaskah: {}", subject_of(message)),
                text: format!(
                    "{message}\n\nEvery notification: {origin}/notifications\n\n\
                     You get these by email because you asked to; turn it off on that page.\n"
                ),
            },
        );
    }
    Ok(())
}

/// A mail's subject: the message's first sentence, kept short.
fn subject_of(message: &str) -> String {
    let first = message
        .split(". ")
        .next()
        .unwrap_or(message)
        .trim_end_matches('.');
    if first.chars().count() > 70 {
        format!("{}…", first.chars().take(69).collect::<String>())
    } else {
        first.to_owned()
    }
}

pub async fn preferences(
    state: &AppState,
    user_id: i64,
) -> Result<NotificationPreferences, ServerError> {
    let to = users::notification_email(&state.db.pool, user_id)
        .await?
        .ok_or(ServerError::NotFound("account"))?;
    Ok(NotificationPreferences {
        email: to.wanted,
        email_confirmed: to.confirmed,
        low_balance_threshold: Some(Money::from_units(to.low_balance_threshold)),
    })
}

/// Sets whether notifications go by email too (`email_confirmed` in `wanted` is not the
/// customer's to set) and, when given, the low-balance threshold; answers what holds now.
pub async fn set_preferences(
    state: &AppState,
    user_id: i64,
    wanted: NotificationPreferences,
) -> Result<NotificationPreferences, ServerError> {
    let threshold = wanted
        .low_balance_threshold
        .map(checked_threshold)
        .transpose()?;
    let now = state.clock.now_ms();
    users::set_notify_by_email(&state.db.pool, user_id, wanted.email, now).await?;
    if let Some(threshold) = threshold {
        users::set_low_balance_threshold(&state.db.pool, user_id, threshold.units(), now).await?;
    }
    preferences(state, user_id).await
}

/// Sets only the low-balance threshold; answers what holds now.
pub async fn set_low_balance_threshold(
    state: &AppState,
    user_id: i64,
    threshold: Money,
) -> Result<NotificationPreferences, ServerError> {
    let threshold = checked_threshold(threshold)?;
    users::set_low_balance_threshold(
        &state.db.pool,
        user_id,
        threshold.units(),
        state.clock.now_ms(),
    )
    .await?;
    preferences(state, user_id).await
}

fn checked_threshold(threshold: Money) -> Result<Money, ServerError> {
    if threshold.is_negative() || threshold.units() > MOST_LOW_BALANCE_UNITS {
        return Err(ServerError::validation(
            "low_balance_threshold",
            format!(
                "must be between 0 (never tell me) and {}",
                Money::from_units(MOST_LOW_BALANCE_UNITS).display()
            ),
        ));
    }
    Ok(threshold)
}

/// Sends the user's open pages their unread count (after notifications were stored elsewhere).
pub async fn announce(state: &AppState, user_id: i64) -> Result<(), ServerError> {
    let unread = store::unread_count(&state.db.pool, user_id).await?;
    state
        .events
        .publish(Event {
            user_id,
            kind: EventKind::NotificationCreated,
            data: serde_json::to_value(UnreadNotifications { unread })
                .map_err(anyhow::Error::from)?,
        })
        .await;
    Ok(())
}

/// A change to the account's security, told to its owner too (in case it was not them).
pub async fn security(state: &AppState, user_id: i64, message: &str) {
    if let Err(e) = send(state, user_id, kind::SECURITY, message, None).await {
        tracing::warn!(user_id, error = %e, "could not notify of a security change");
    }
}

/// A paid top-up reached the balance.
pub async fn topped_up(state: &AppState, user_id: i64, amount: Money, balance: Money) {
    let message = format!(
        "Your top-up of {} arrived: your balance is {}.",
        amount.display(),
        balance.display()
    );
    if let Err(e) = send(state, user_id, kind::PAYMENT, &message, None).await {
        tracing::warn!(user_id, error = %e, "could not notify of a top-up");
    }
}

/// A payment provider took money back (a refund or dispute of a card top-up), or gave it
/// back: `message` says which; a balance it left below zero is said to block purchases.
pub async fn payment_reversed(state: &AppState, user_id: i64, message: &str, balance: Money) {
    let message = if balance.is_negative() {
        format!(
            "{message} Your balance is {}: purchases are paused until you add money to bring it back above zero.",
            balance.display()
        )
    } else {
        format!("{message} Your balance is {}.", balance.display())
    };
    if let Err(e) = send(state, user_id, kind::PAYMENT, &message, None).await {
        tracing::warn!(user_id, error = %e, "could not notify of a payment taken back");
    }
}

/// After a purchase took the balance from `before` to `after`: tells the customer when it has
/// just fallen below their low-balance threshold (1.00 unless they changed it; 0: never).
pub async fn balance_fell(state: &AppState, user_id: i64, before: Money, after: Money) {
    // No threshold is above the most a customer may set: a balance still at or over it (or
    // one that did not fall) crosses none, and nothing needs reading.
    if after >= before || after.units() >= MOST_LOW_BALANCE_UNITS {
        return;
    }
    let threshold = match users::low_balance_threshold(&state.db.pool, user_id).await {
        Ok(Some(threshold)) => threshold,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(user_id, error = %e, "could not read the low-balance threshold");
            return;
        }
    };
    if threshold > 0 && after.units() < threshold && before.units() >= threshold {
        let message = format!(
            "Your balance is low: {}. Add money to keep renewing and buying.",
            after.display()
        );
        if let Err(e) = send(state, user_id, kind::LOW_BALANCE, &message, None).await {
            tracing::warn!(user_id, error = %e, "could not notify of a low balance");
        }
        super::webhooks::emit(
            state,
            user_id,
            "balance.low",
            serde_json::json!({
                "balance": after,
                "currency": crate::domain::money::CURRENCY,
                "threshold": Money::from_units(threshold),
            }),
        )
        .await;
    }
}

pub async fn unread(state: &AppState, user_id: i64) -> Result<i64, ServerError> {
    Ok(store::unread_count(&state.db.pool, user_id).await?)
}

pub async fn list(
    state: &AppState,
    user_id: i64,
    before: Option<i64>,
    limit: Option<u32>,
) -> Result<NotificationList, ServerError> {
    let limit = limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(ServerError::validation(
            "limit",
            format!("must be between 1 and {MAX_PAGE}"),
        ));
    }
    let rows = store::list(&state.db.pool, user_id, before, i64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    let notifications: Vec<NotificationView> = rows
        .into_iter()
        .take(limit as usize)
        .map(|r| NotificationView {
            id: r.notification_id,
            kind: r.kind,
            message: r.message,
            rental_id: r.rental_id,
            created_at: from_ms(r.created_at),
            read: r.read_at.is_some(),
        })
        .collect();
    Ok(NotificationList {
        next_before: if more {
            notifications.last().map(|n| n.id)
        } else {
            None
        },
        unread: store::unread_count(&state.db.pool, user_id).await?,
        notifications,
    })
}

/// Marks notifications read; returns how many are still unread.
pub async fn mark_read(
    state: &AppState,
    user_id: i64,
    which: &NotificationsRead,
) -> Result<i64, ServerError> {
    if !which.all && which.ids.is_empty() {
        return Err(ServerError::validation(
            "ids",
            "name the notifications to mark read, or send \"all\": true",
        ));
    }
    let now = state.clock.now_ms();
    let mut tx = state.db.begin_write().await?;
    if which.all {
        store::mark_all_read(&mut *tx, user_id, now).await?;
    } else {
        for id in &which.ids {
            store::mark_read(&mut *tx, user_id, *id, now).await?;
        }
    }
    tx.commit().await?;
    let unread = store::unread_count(&state.db.pool, user_id).await?;
    // Other tabs' bells follow.
    announce(state, user_id).await?;
    Ok(unread)
}
