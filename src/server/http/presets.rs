//! `/api/presets`: saved rental configurations, and starting a rental from one.

use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use super::rentals::once;
use crate::api::dto::{NewPreset, PresetList, PresetView};
use crate::server::services::presets;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{delete, get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/presets", get(list).post(save))
        .route("/api/presets/{id}", delete(remove))
        .route("/api/presets/{id}/start", post(start))
}

fn preset_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound("preset"))
}

async fn list(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<PresetList>> {
    Ok(Json(presets::list(&state, p.user_id).await?))
}

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

async fn remove(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    presets::delete(&state, p.user_id, preset_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

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
