//! `/api/presets`: saved rental configurations, and starting a rental from one.

use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use super::openapi::IdempotencyKey;
use super::rentals::once;
use crate::api::dto::{NewPreset, PresetList, PresetView, RentalView};
use crate::server::services::presets;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, save))
        .routes(routes!(remove))
        .routes(routes!(start))
}

fn preset_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound("preset"))
}

/// Your saved rental configurations
#[utoipa::path(
    get,
    path = "/api/presets",
    operation_id = "list_presets",
    responses((status = 200, body = PresetList))
)]
async fn list(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<PresetList>> {
    Ok(Json(presets::list(&state, p.user_id).await?))
}

/// Save a rental configuration
///
/// A preset names a service, country, duration and auto-renewal, to start rentals from in
/// one step.
#[utoipa::path(
    post,
    path = "/api/presets",
    operation_id = "save_preset",
    request_body = NewPreset,
    responses(
        (status = 201, description = "Saved", body = PresetView),
        (status = 409, description = "A preset of that name exists", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "A field is invalid: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn save(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NewPreset>,
) -> ApiResult<(StatusCode, Json<PresetView>)> {
    Ok((
        StatusCode::CREATED,
        Json(presets::save(&state, p.user_id, &body).await?),
    ))
}

/// Delete a preset
#[utoipa::path(
    delete,
    path = "/api/presets/{id}",
    operation_id = "delete_preset",
    params(("id" = i64, Path, description = "The preset's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such preset of yours", body = super::openapi::ErrorEnvelope),
    )
)]
async fn remove(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    presets::delete(&state, p.user_id, preset_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rent a number as a preset says
///
/// Charged like `POST /api/rentals/create` with the preset's choices.
#[utoipa::path(
    post,
    path = "/api/presets/{id}/start",
    operation_id = "start_preset",
    params(("id" = i64, Path, description = "The preset's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The new rental", body = RentalView),
        (status = 402, description = "The balance does not cover the price; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "No such preset of yours", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "No numbers for it now (`no_numbers`), or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "What the preset names is no longer on sale, or the `Idempotency-Key` was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 502, description = "The provider refused; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "No provider is answering; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
async fn start(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = preset_id(&id)?;
    let work = presets::start(&state, p.user_id, id);
    let fingerprint = ("preset", id);
    once(
        &state,
        p.user_id,
        &headers,
        &fingerprint,
        StatusCode::CREATED,
        work,
    )
    .await
}
