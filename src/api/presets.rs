//! Rental presets, as server functions for the UI. `server::http::presets` serves the same
//! services over REST.

use super::dto::{NewRental, PresetList, PresetView, RentalView};
use super::AppError;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "list_presets")]
pub async fn list_presets() -> Result<PresetList, AppError> {
    use crate::server::{fn_context as cx, services::presets};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(presets::list(&state, user.user_id).await?)
    })
    .await
}

/// Saves the rent form's choices (`rental`) under `name`: the form's "Save preset" button posts
/// the same fields here instead of renting.
#[server(prefix = "/api/fn", endpoint = "save_preset")]
pub async fn save_preset(name: String, rental: NewRental) -> Result<PresetView, AppError> {
    use crate::api::dto::NewPreset;
    use crate::server::{fn_context as cx, services::presets};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let preset = NewPreset {
            name,
            service: rental.service,
            country: rental.country,
            duration_hours: rental.duration_hours,
            auto_renew: rental.auto_renew,
        };
        let saved = presets::save(&state, user.user_id, &preset).await?;
        cx::notice_if_plain_form_post(&state, &[saved.saved_summary()]);
        Ok(saved)
    })
    .await
}

#[server(prefix = "/api/fn", endpoint = "delete_preset")]
pub async fn delete_preset(id: i64) -> Result<(), AppError> {
    use crate::server::{fn_context as cx, services::presets};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(presets::delete(&state, user.user_id, id).await?)
    })
    .await
}

/// Rents a number as the preset says.
#[server(prefix = "/api/fn", endpoint = "start_preset")]
pub async fn start_preset(
    id: i64,
    idempotency_key: Option<String>,
) -> Result<RentalView, AppError> {
    use crate::server::{fn_context as cx, services::presets};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        let work = presets::start(&state, user.user_id, id);
        let fingerprint = ("preset", id);
        let rented =
            cx::pay_once(&state, user.user_id, idempotency_key, &fingerprint, work).await?;
        cx::notice_if_plain_form_post(&state, &[rented.rented_summary()]);
        Ok(rented)
    })
    .await
}
