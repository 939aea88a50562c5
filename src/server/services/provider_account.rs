//! The 5SIM account (`GET /api/5sim/balance`), for operators.

use super::accounts::Principal;
use crate::api::dto::ProviderBalanceView;
use crate::domain::Role;
use crate::server::providers::five_sim;
use crate::server::state::AppState;
use crate::server::ServerError;

pub async fn balance(
    state: &AppState,
    caller: &Principal,
) -> Result<ProviderBalanceView, ServerError> {
    if caller.role != Role::Admin {
        return Err(ServerError::Forbidden(
            "only operators can see the provider account".into(),
        ));
    }
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
