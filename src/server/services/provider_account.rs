//! The upstream provider account, for operators.

use super::accounts::Principal;
use crate::api::dto::ProviderBalanceView;
use crate::domain::Role;
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
    tracing::info!(
        admin_id = caller.user_id,
        provider = state.provider.name(),
        "admin read the provider balance"
    );
    let b = state.provider.balance().await?;
    Ok(ProviderBalanceView {
        provider: state.provider.name().to_owned(),
        balance: b.balance,
        currency: b.currency,
        rating: b.rating,
    })
}
