//! `/api/verifications/*`: one-shot numbers for a service's code.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use super::rentals::once;
use crate::api::dto::{
    HistoryQuery, NewVerification, VerificationDetail, VerificationList, VerificationPage,
    VerificationView,
};
use crate::server::services::verifications;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/verifications", get(history).post(create))
        .route("/api/verifications/open", get(open))
        .route("/api/verifications/{id}", get(one))
        .route("/api/verifications/{id}/cancel", post(cancel))
        .route("/api/verifications/{id}/finish", post(finish))
        .route("/api/verifications/{id}/reuse", post(reuse))
}

fn verification_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse()
        .map_err(|_| ServerError::NotFound("verification"))
}

async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewVerification>,
) -> ApiResult<Response> {
    let work = verifications::create(&state, p.user_id, &body);
    once(
        &state,
        p.user_id,
        &headers,
        &body,
        StatusCode::CREATED,
        work,
    )
    .await
}

async fn history(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<VerificationPage>> {
    Ok(Json(verifications::history(&state, p.user_id, &q).await?))
}

async fn open(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<VerificationList>> {
    Ok(Json(verifications::open(&state, p.user_id).await?))
}

async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationDetail>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::get(&state, p.user_id, id).await?))
}

async fn cancel(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::cancel(&state, p.user_id, id).await?))
}

async fn finish(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::finish(&state, p.user_id, id).await?))
}

async fn reuse(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = verification_id(&id)?;
    let work = verifications::reuse(&state, p.user_id, id);
    let fingerprint = ("reuse", id);
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
