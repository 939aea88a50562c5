//! Renting an expired number again, where its provider can reactivate one (TextVerified):
//! priced from the provider's own quote, held, bought with that quote as the most the
//! provider may ask, and recorded as a new rental on the same number, like any purchase (a
//! crash midway is settled by reconciliation as for a new rental).

use super::idempotency;
use super::pricing;
use super::purchases::{self, Kind};
use super::rentals::{self, RentalAsk};
use crate::api::dto::RentalView;
use crate::domain::rental::UpstreamProduct;
use crate::server::providers::ProviderError;
use crate::server::state::AppState;
use crate::server::ServerError;

/// `POST /api/rentals/{id}/reactivate`: the expired rental `id`'s number, rented again for
/// the length it was first rented for.
#[tracing::instrument(skip(state))]
pub async fn reactivate(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<RentalView, ServerError> {
    let label = format!("rental.reactivate:{id}");
    idempotency::step(state, &label, &id, reactivate_now(state, user_id, id)).await
}

fn refused(message: &str) -> ServerError {
    ServerError::conflict(format!("{message}; nothing was charged"))
}

async fn reactivate_now(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<RentalView, ServerError> {
    let row = rentals::owned(state, user_id, id).await?;
    if row.status != "expired" {
        return Err(refused(&format!(
            "only an expired rental's number can be rented again (this one is {})",
            row.status
        )));
    }
    let provider = state.router.get(&row.provider)?.clone();
    let cost = match provider.reactivation_price(&row.provider_order_id).await {
        Ok(cost) => cost,
        Err(ProviderError::Unsupported(_)) => {
            return Err(refused(&format!(
                "{} cannot rent a number again",
                row.provider
            )))
        }
        Err(ProviderError::OrderState { .. } | ProviderError::BadRequest(_)) => {
            return Err(refused("this number can no longer be rented again"))
        }
        Err(e) => return Err(e.into()),
    };
    let hours = u32::try_from(row.original_hours).unwrap_or(0).max(1);
    let quote = pricing::for_customer(state, Some(user_id))
        .await?
        .rental(hours, UpstreamProduct { hours, price: cost });
    let price = quote.amount;
    let ask = RentalAsk {
        service: row.service_name.clone(),
        country: row.country_code.clone(),
        operator: row.operator.clone(),
        hours,
        product_hours: hours,
        hourly: quote.hourly.normalize().to_string(),
        auto_renew: false,
    };
    let note = format!("Rental again: {} for {hours} h", row.phone_number);
    let purchase = purchases::take(state, user_id, price, Kind::Rental, &note, &ask, None).await?;
    let order = match provider.reactivate(&row.provider_order_id, cost).await {
        Ok(order) => order,
        Err(e) => {
            purchase
                .give_back(state, "the provider would not rent the number again")
                .await?;
            return Err(match e {
                ProviderError::OrderState { .. } | ProviderError::BadRequest(_) => {
                    refused("this number can no longer be rented again")
                }
                other => other.into(),
            });
        }
    };
    rentals::settle_bought(state, &purchase, &provider, &ask, &order).await
}
