//! Rental presets: a rental configuration saved by name, to start rentals from in one step.

use super::catalog;
use super::rentals::{self, name_field, MAX_EXTENSION_HOURS};
use crate::api::dto::{NewPreset, NewRental, PresetList, PresetView, RentalView};
use crate::server::clock::from_ms;
use crate::server::error::OnConstraint;
use crate::server::state::AppState;
use crate::server::storage::presets::{self as store, NewPresetRow, PresetRow};
use crate::server::ServerError;

/// The longest preset name, in characters.
pub const MAX_NAME_CHARS: usize = 60;

fn view(row: PresetRow) -> PresetView {
    PresetView {
        id: row.rental_preset_id,
        name: row.name,
        service: row.service_name,
        country: row.country_code,
        duration_hours: u32::try_from(row.duration_hours).unwrap_or_default(),
        auto_renew: row.auto_renew != 0,
        created_at: from_ms(row.created_at),
    }
}

pub async fn list(state: &AppState, user_id: i64) -> Result<PresetList, ServerError> {
    let rows = store::list(&state.db.pool, user_id).await?;
    Ok(PresetList {
        presets: rows.into_iter().map(view).collect(),
    })
}

/// Saves a configuration under a name of the user's choosing (unique per user).
#[tracing::instrument(skip_all, fields(user_id))]
pub async fn save(
    state: &AppState,
    user_id: i64,
    req: &NewPreset,
) -> Result<PresetView, ServerError> {
    let name = req.name.trim();
    if name.is_empty() {
        return Err(ServerError::validation("name", "is required"));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ServerError::validation(
            "name",
            format!("must be at most {MAX_NAME_CHARS} characters"),
        ));
    }
    let service = name_field("service", &req.service)?;
    let country = catalog::country_code(&req.country)?;
    let hours = req
        .duration_hours
        .unwrap_or(state.settings.rental_default_duration);
    if hours == 0 || hours > MAX_EXTENSION_HOURS {
        return Err(ServerError::validation(
            "duration_hours",
            format!("must be between 1 and {MAX_EXTENSION_HOURS}"),
        ));
    }
    let id = store::insert(
        &state.db.pool,
        NewPresetRow {
            user_id,
            name,
            service_name: &service,
            country_code: &country,
            duration_hours: i32::try_from(hours).unwrap_or(i32::MAX),
            auto_renew: req.auto_renew.unwrap_or(false),
            now: state.clock.now_ms(),
        },
    )
    .await
    .on_unique_violation(|| ServerError::Conflict {
        message: format!("you already have a preset named \u{201c}{name}\u{201d}"),
        field: Some("name"),
    })?;
    owned(state, user_id, id).await.map(view)
}

pub async fn delete(state: &AppState, user_id: i64, id: i64) -> Result<(), ServerError> {
    if store::delete(&state.db.pool, user_id, id).await? {
        Ok(())
    } else {
        Err(ServerError::NotFound("preset"))
    }
}

/// The rental request a preset stands for.
pub async fn rental_request(
    state: &AppState,
    user_id: i64,
    id: i64,
) -> Result<NewRental, ServerError> {
    let p = owned(state, user_id, id).await?;
    Ok(NewRental {
        service: p.service_name,
        country: p.country_code,
        duration_hours: u32::try_from(p.duration_hours).ok(),
        auto_renew: Some(p.auto_renew != 0),
        operator: None,
    })
}

/// Rents a number as the preset says.
pub async fn start(state: &AppState, user_id: i64, id: i64) -> Result<RentalView, ServerError> {
    let req = rental_request(state, user_id, id).await?;
    rentals::create(state, user_id, &req).await
}

async fn owned(state: &AppState, user_id: i64, id: i64) -> Result<PresetRow, ServerError> {
    store::find_owned(&state.db.pool, user_id, id)
        .await?
        .ok_or(ServerError::NotFound("preset"))
}
