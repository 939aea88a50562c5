//! `/api/rentals/*`: the seed's rental endpoints and the rest of a rental's life.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{
    BulkRequest, ExtendRental, HistoryQuery, MessageList, NewRental, NewRentals, RentalPage,
    RentalPatch, RentalView,
};
use crate::server::services::idempotency::{self, Replayable};
use crate::server::services::{rental_bulk, rental_reactivation, rentals};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rentals", get(history))
        .route("/api/rentals/active", get(active))
        .route("/api/rentals/create", post(create))
        .route("/api/rentals/bulk", post(bulk))
        .route("/api/rentals/bulk-create", post(bulk_create))
        .route("/api/rentals/{id}", get(one).patch(patch))
        .route("/api/rentals/{id}/extend", post(extend))
        .route("/api/rentals/{id}/release", post(release))
        .route("/api/rentals/{id}/reactivate", post(reactivate))
        .route("/api/rentals/{id}/messages", get(messages))
        .route("/api/rentals/{id}/read", post(mark_read))
}

/// A rental id from the path; anything else is "not found", like another user's rental.
fn rental_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound("rental"))
}

/// Runs `work` once per `Idempotency-Key` (when the request has one): the first answer
/// with `status`, a retry with the same key and request the stored answer again.
pub(super) async fn once<T, R, F>(
    state: &AppState,
    user_id: i64,
    headers: &HeaderMap,
    request: &R,
    status: StatusCode,
    work: F,
) -> ApiResult<Response>
where
    T: serde::Serialize,
    R: serde::Serialize,
    F: std::future::Future<Output = Result<T, crate::server::ServerError>>,
{
    let key = idempotency::key_in(headers);
    let outcome = idempotency::run(state, user_id, key, request, status.as_u16(), work).await?;
    Ok(match outcome {
        Replayable::Fresh(value) => (status, Json(value)).into_response(),
        Replayable::Replay { status, body } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
    })
}

async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRental>,
) -> ApiResult<Response> {
    let work = rentals::create(&state, p.user_id, &body);
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

async fn bulk(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkRequest>,
) -> ApiResult<Response> {
    let work = rental_bulk::apply(&state, p.user_id, &body);
    once(&state, p.user_id, &headers, &body, StatusCode::OK, work).await
}

async fn bulk_create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRentals>,
) -> ApiResult<Response> {
    let work = rental_bulk::create(&state, p.user_id, &body);
    once(&state, p.user_id, &headers, &body, StatusCode::OK, work).await
}

async fn active(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Response> {
    let body = rentals::active_json(&state, p.user_id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

async fn history(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<RentalPage>> {
    Ok(Json(rentals::history(&state, p.user_id, &q).await?))
}

async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RentalView>> {
    Ok(Json(
        rentals::get(&state, p.user_id, rental_id(&id)?).await?,
    ))
}

async fn patch(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RentalPatch>,
) -> ApiResult<Json<RentalView>> {
    Ok(Json(
        rentals::set_auto_renew(&state, p.user_id, rental_id(&id)?, body.auto_renew).await?,
    ))
}

async fn extend(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ExtendRental>,
) -> ApiResult<Response> {
    let id = rental_id(&id)?;
    let work = rentals::extend(&state, p.user_id, id, body.hours);
    let fingerprint = ("extend", id, body.hours);
    once(
        &state,
        p.user_id,
        &headers,
        &fingerprint,
        StatusCode::OK,
        work,
    )
    .await
}

async fn release(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = rental_id(&id)?;
    let work = rentals::release(&state, p.user_id, id);
    let fingerprint = ("release", id);
    once(
        &state,
        p.user_id,
        &headers,
        &fingerprint,
        StatusCode::OK,
        work,
    )
    .await
}

async fn messages(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageList>> {
    Ok(Json(
        rentals::messages(&state, p.user_id, rental_id(&id)?).await?,
    ))
}

/// The owner has seen the messages: unread counts go to zero.
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    rentals::mark_read(&state, p.user_id, rental_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `201` with the new rental on the same number.
async fn reactivate(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = rental_id(&id)?;
    let work = rental_reactivation::reactivate(&state, p.user_id, id);
    let fingerprint = ("reactivate", id);
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
