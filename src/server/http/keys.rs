//! `/api/keys`: create (the key is shown only here), list, revoke.

use super::client::RequestMeta;
use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use crate::api::dto::{ApiKeyList, CreatedApiKey, NewApiKey};
use crate::server::services::api_keys;
use crate::server::services::audit::Actor;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/keys", get(list).post(create))
        .route("/api/keys/{id}", delete(revoke))
}

async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let key = api_keys::create(&state, &Actor::caller(&p, &meta), p.user_id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

async fn list(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<ApiKeyList>> {
    Ok(Json(api_keys::list(&state, p.user_id).await?))
}

async fn revoke(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    let id: i64 = id.parse().map_err(|_| ServerError::NotFound("API key"))?;
    api_keys::revoke(&state, &Actor::caller(&p, &meta), p.user_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
