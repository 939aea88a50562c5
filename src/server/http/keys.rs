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
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}

/// Create an API key
///
/// The answer's `key` is the only time the key itself is ever shown: store it now. Send it as
/// `Authorization: Bearer <key>`; it acts as the account until revoked. The account is told
/// of the new key by a security notification.
#[utoipa::path(
    post,
    path = "/api/keys",
    operation_id = "create_api_key",
    request_body = NewApiKey,
    responses(
        (status = 201, description = "The new key, shown this once", body = CreatedApiKey),
        (status = 422, description = "The name is empty or longer than 64 characters (`field` is `name`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewApiKey>,
) -> ApiResult<(StatusCode, Json<CreatedApiKey>)> {
    let key = api_keys::create(&state, &Actor::caller(&p, &meta), p.user_id, &body.name).await?;
    Ok((StatusCode::CREATED, Json(key)))
}

/// The account's API keys
///
/// Every key not revoked, the newest first, each with the first characters of the key to
/// recognise it by (never the key itself) and when it was last used.
#[utoipa::path(
    get,
    path = "/api/keys",
    operation_id = "list_api_keys",
    responses((status = 200, description = "The live keys", body = ApiKeyList))
)]
async fn list(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<ApiKeyList>> {
    Ok(Json(api_keys::list(&state, p.user_id).await?))
}

/// Revoke an API key
///
/// The key stops working at once, for good.
#[utoipa::path(
    delete,
    path = "/api/keys/{id}",
    operation_id = "revoke_api_key",
    params(("id" = i64, Path, description = "The key's id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key on this account, or it is revoked already", body = super::openapi::ErrorEnvelope),
    )
)]
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
