//! Operators are told when a provider's account runs low (below `PROVIDER_BALANCE_ALERT`):
//! a notification to every operator, at most once a day per provider while it stays low, so
//! the account is topped up before purchases start failing over (or failing).

use crate::server::state::AppState;
use crate::server::storage::{notifications, users};
use crate::server::ServerError;

/// The notification's kind, per provider: `provider_balance_low:<name>`.
pub fn kind(provider: &str) -> String {
    format!("provider_balance_low:{provider}")
}

const REPEAT_AFTER_MS: i64 = 24 * 3_600_000;

/// Asks every provider its balance; returns how many were found low and told.
pub async fn check(state: &AppState) -> Result<usize, ServerError> {
    let alert = state.settings.provider_balance_alert;
    if alert.is_zero() {
        return Ok(0);
    }
    let providers = state.router.all();
    let balances = futures_util::future::join_all(providers.iter().map(|p| p.balance())).await;
    let mut told = 0;
    for (provider, balance) in providers.iter().zip(balances) {
        let balance = match balance {
            Ok(b) if b.balance < alert => b,
            Ok(_) => continue,
            Err(e) => {
                tracing::warn!(provider = provider.name(), error = %e, "could not read a provider's balance");
                continue;
            }
        };
        let kind = kind(provider.name());
        let now = state.clock.now_ms();
        let mut tx = state.db.begin_write().await?;
        if notifications::sent_since(&mut *tx, &kind, now - REPEAT_AFTER_MS).await? {
            continue;
        }
        let message = format!(
            "The {} account has {} {} left, below the alert level of {alert} \
             (PROVIDER_BALANCE_ALERT): top it up before purchases from it start to fail.",
            provider.name(),
            balance.balance.normalize(),
            balance.currency
        );
        let admins = users::admin_ids(&mut *tx).await?;
        for admin in &admins {
            notifications::insert(&mut *tx, *admin, &kind, &message, None, now).await?;
        }
        tx.commit().await?;
        for admin in admins {
            if let Err(e) = super::notifications::announce(state, admin).await {
                tracing::warn!(admin, error = %e, "could not update an operator's bell");
            }
        }
        tracing::warn!(provider = provider.name(), balance = %balance.balance, %alert, "provider balance below the alert level");
        told += 1;
    }
    Ok(told)
}
