//! The pricing policy and tiers, as server functions for the console (the REST routes call
//! the same service).

use super::dto::{PricingView, TierView};
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/fn", endpoint = "get_pricing", input = GetUrl)]
pub async fn get_pricing() -> Result<PricingView, AppError> {
    use crate::server::{fn_context as cx, services::pricing};
    cx::run(async {
        cx::staff()?;
        Ok(pricing::view(&cx::state()?).await?)
    })
    .await
}

/// The console's form: each band's rate, the tiers and the volume steps one per line.
#[server(prefix = "/api/fn", endpoint = "set_pricing")]
pub async fn set_pricing(
    hourly: String,
    daily: String,
    weekly: String,
    monthly: String,
    tiers: String,
    volume: String,
) -> Result<PricingView, AppError> {
    use crate::domain::pricing::PolicyForm;
    use crate::server::{fn_context as cx, services::pricing, ServerError};
    cx::run(async {
        let caller = cx::admin()?;
        let state = cx::state()?;
        let form = PolicyForm {
            hourly,
            daily,
            weekly,
            monthly,
            tiers,
            volume,
        };
        let policy = form
            .policy()
            .map_err(|(field, message)| ServerError::validation_of(field, message))?;
        let done = pricing::change(&state, &cx::actor(&caller), policy).await?;
        cx::notice_if_plain_form_post(
            &state,
            &["The new prices apply to purchases from now on.".to_owned()],
        );
        Ok(done)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "set_user_tier")]
pub async fn set_user_tier(id: i64, tier: String) -> Result<TierView, AppError> {
    use crate::api::dto::TierChange;
    use crate::server::{fn_context as cx, services::pricing};
    cx::run(async {
        let caller = cx::admin()?;
        let state = cx::state()?;
        let done = pricing::set_tier(&state, &cx::actor(&caller), id, &TierChange { tier }).await?;
        cx::notice_if_plain_form_post(
            &state,
            &[format!("The account is now in the {} tier.", done.tier)],
        );
        Ok(done)
    })
    .await
}
