//! The provider accounts, for operators: the 5SIM balance (`GET /api/5sim/balance`) and every
//! provider's account, health and orders in flight (`GET /api/admin/providers`). Admins only
//! (`http::access`).

use super::accounts::Principal;
use crate::api::dto::{ProviderBalanceView, ProviderHealthView, ProviderList, ProviderStatusView};
use crate::server::clock::from_ms;
use crate::server::providers::health::{BreakerState, HealthView};
use crate::server::providers::{five_sim, Extension};
use crate::server::state::AppState;
use crate::server::storage::providers as store;
use crate::server::ServerError;

pub async fn balance(
    state: &AppState,
    caller: &Principal,
) -> Result<ProviderBalanceView, ServerError> {
    let provider = state.router.get(five_sim::NAME)?;
    tracing::info!(
        admin_id = caller.user_id,
        provider = provider.name(),
        "admin read the provider balance"
    );
    let b = provider.balance().await?;
    Ok(ProviderBalanceView {
        provider: provider.name().to_owned(),
        balance: b.balance,
        currency: b.currency,
        rating: b.rating,
    })
}

/// Every provider: what it sells, its balance (asked of each at once), its health and the
/// orders it holds for us.
pub async fn overview(state: &AppState) -> Result<ProviderList, ServerError> {
    let in_flight = store::in_flight(&state.db.pool).await?;
    let balances =
        futures_util::future::join_all(state.router.with_health().map(|(p, _)| p.balance())).await;
    let alert = state.settings.provider_balance_alert;
    let providers = state
        .router
        .with_health()
        .zip(balances)
        .map(|((provider, health), balance)| {
            let caps = provider.capabilities();
            let (rentals_active, verifications_open) = in_flight
                .iter()
                .find(|(name, _, _)| name == provider.name())
                .map_or((0, 0), |(_, r, v)| (*r, *v));
            let (balance, currency, balance_error) = match balance {
                Ok(b) => (Some(b.balance), Some(b.currency), None),
                Err(e) => (None, None, Some(e.to_string())),
            };
            ProviderStatusView {
                name: provider.name().to_owned(),
                activations: caps.activation,
                rental_hours: caps.rental_hours.clone(),
                native_extension: caps.extension == Extension::Native,
                balance_low: balance.is_some_and(|b| !alert.is_zero() && b < alert),
                balance,
                currency,
                balance_error,
                health: health_view(health.view()),
                rentals_active,
                verifications_open,
            }
        })
        .collect();
    Ok(ProviderList { providers })
}

fn health_view(h: HealthView) -> ProviderHealthView {
    ProviderHealthView {
        calls: h.calls,
        success_rate: h.success_rate,
        latency_p50_ms: h.latency_p50_ms,
        latency_p95_ms: h.latency_p95_ms,
        last_success_at: h.last_success_at.map(from_ms),
        last_fault: h.last_fault,
        consecutive_faults: h.consecutive_faults,
        breaker: match h.breaker {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
        .to_owned(),
    }
}
