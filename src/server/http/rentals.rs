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

/// A paid POST's answer: fresh with `status`, or the first answer replayed as it was.
pub(super) fn replayable<T: serde::Serialize>(
    outcome: Replayable<T>,
    status: StatusCode,
) -> Response {
    match outcome {
        Replayable::Fresh(value) => (status, Json(value)).into_response(),
        Replayable::Replay { status, body } => (
            StatusCode::from_u16(status).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "application/json")],
            body,
        )
            .into_response(),
    }
}

async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRental>,
) -> ApiResult<Response> {
    let work = rentals::create(&state, p.user_id, &body);
    let key = idempotency::key_in(&headers);
    let outcome = idempotency::run(&state, p.user_id, key, &body, 201, work).await?;
    Ok(replayable(outcome, StatusCode::CREATED))
}

async fn bulk(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkRequest>,
) -> ApiResult<Response> {
    let work = rental_bulk::apply(&state, p.user_id, &body);
    let key = idempotency::key_in(&headers);
    let outcome = idempotency::run(&state, p.user_id, key, &body, 200, work).await?;
    Ok(replayable(outcome, StatusCode::OK))
}

async fn bulk_create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRentals>,
) -> ApiResult<Response> {
    let work = rental_bulk::create(&state, p.user_id, &body);
    let key = idempotency::key_in(&headers);
    let outcome = idempotency::run(&state, p.user_id, key, &body, 200, work).await?;
    Ok(replayable(outcome, StatusCode::OK))
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
    let key = idempotency::key_in(&headers);
    let fingerprint = ("extend", id, body.hours);
    let outcome = idempotency::run(&state, p.user_id, key, &fingerprint, 200, work).await?;
    Ok(replayable(outcome, StatusCode::OK))
}

async fn release(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = rental_id(&id)?;
    let work = rentals::release(&state, p.user_id, id);
    let key = idempotency::key_in(&headers);
    let fingerprint = ("release", id);
    let outcome = idempotency::run(&state, p.user_id, key, &fingerprint, 200, work).await?;
    Ok(replayable(outcome, StatusCode::OK))
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
    let key = idempotency::key_in(&headers);
    let fingerprint = ("reactivate", id);
    let outcome = idempotency::run(&state, p.user_id, key, &fingerprint, 201, work).await?;
    Ok(replayable(outcome, StatusCode::CREATED))
}
