//! `/api/verifications/*`: one-shot numbers for a service's code.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use super::openapi::IdempotencyKey;
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
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history, create))
        .routes(routes!(open))
        .routes(routes!(one))
        .routes(routes!(cancel))
        .routes(routes!(finish))
        .routes(routes!(reuse))
}

fn verification_id(raw: &str) -> Result<i64, ServerError> {
    raw.parse()
        .map_err(|_| ServerError::NotFound("verification"))
}

/// Buy a number for a verification code
///
/// A one-shot number for `service` in `country`, waiting for its SMS (status `waiting`) until
/// `expires_at`. The price is taken from the balance before the provider is asked; if no
/// number can be had, it is given back in the same request. Set `max_price` to refuse a
/// dearer number (409, nothing charged). Once the code arrives (`received`), the number is
/// paid for; finish it when done. Cancelled before any SMS, or timed out with none, it is
/// refunded in full. Watch `GET /api/events` or poll `GET /api/verifications/{id}` for the code.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer and is charged
/// once.
#[utoipa::path(
    post,
    path = "/api/verifications",
    operation_id = "create_verification",
    params(IdempotencyKey),
    request_body = NewVerification,
    responses(
        (status = 201, description = "The new verification, waiting for its SMS", body = VerificationView),
        (status = 402, description = "The balance does not cover the price; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The number costs more than `max_price` (`field` is `max_price`), no numbers are available for that now (`no_numbers`), the provider took too long, or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "A field is missing or malformed (`service`, `country`, `operator`, `max_price`), the service is not offered in that country (`service`), the country is not served (`country`), or the `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 502, description = "The provider declined the request; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Numbers are unavailable right now: try again after `Retry-After` seconds; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Your verifications, a page at a time
///
/// Every verification, newest first, filtered by `status` (`waiting`, `received`,
/// `finished`, `cancelled`, `timed_out`), `service`, `country`, `provider`, a date range
/// (`from`, `to`) and a search `q`.
#[utoipa::path(
    get,
    path = "/api/verifications",
    operation_id = "list_verifications",
    params(HistoryQuery),
    responses(
        (status = 200, description = "A page of verifications", body = VerificationPage),
        (status = 422, description = "A filter is malformed (`field` names it: `status`, `from`, `to`, `q`, `page`, `per_page`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn history(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<VerificationPage>> {
    Ok(Json(verifications::history(&state, p.user_id, &q).await?))
}

/// Your open verifications
///
/// Those still waiting for a code, or showing one and not yet finished.
#[utoipa::path(
    get,
    path = "/api/verifications/open",
    operation_id = "list_open_verifications",
    responses((status = 200, description = "The open verifications", body = VerificationList))
)]
async fn open(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<VerificationList>> {
    Ok(Json(verifications::open(&state, p.user_id).await?))
}

/// One verification, with its messages
///
/// The verification and every SMS it received, newest first. The text is the sender's: show
/// it as text, never as HTML.
#[utoipa::path(
    get,
    path = "/api/verifications/{id}",
    operation_id = "get_verification",
    params(("id" = i64, Path, description = "The verification's id")),
    responses(
        (status = 200, description = "The verification and its messages", body = VerificationDetail),
        (status = 404, description = "No such verification on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationDetail>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::get(&state, p.user_id, id).await?))
}

/// Cancel a verification that has received nothing
///
/// Gives the number back and refunds the price in full (status `cancelled`, `refunded`
/// true). Only a `waiting` verification with no SMS can be cancelled: once a message has
/// arrived it is paid for, and is finished instead. Some providers refuse a cancel in the
/// first minutes after buying (409: try again shortly).
#[utoipa::path(
    post,
    path = "/api/verifications/{id}/cancel",
    operation_id = "cancel_verification",
    params(("id" = i64, Path, description = "The verification's id")),
    responses(
        (status = 200, description = "The cancelled, refunded verification", body = VerificationView),
        (status = 404, description = "No such verification on this account", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "It cannot be cancelled: an SMS has arrived, it is already over, or it is too soon after buying for the provider", body = super::openapi::ErrorEnvelope),
        (status = 502, description = "The provider declined the cancellation", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "The provider is unavailable right now: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn cancel(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::cancel(&state, p.user_id, id).await?))
}

/// Finish a verification whose code has arrived
///
/// Closes a `received` verification (status `finished`) and tells the provider the number
/// is done with. It stays paid for. A `received` verification left unfinished is finished
/// when its time runs out.
#[utoipa::path(
    post,
    path = "/api/verifications/{id}/finish",
    operation_id = "finish_verification",
    params(("id" = i64, Path, description = "The verification's id")),
    responses(
        (status = 200, description = "The finished verification", body = VerificationView),
        (status = 404, description = "No such verification on this account", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "It is not `received`: no code has arrived yet (cancel it instead), or it is already over", body = super::openapi::ErrorEnvelope),
    )
)]
async fn finish(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<VerificationView>> {
    let id = verification_id(&id)?;
    Ok(Json(verifications::finish(&state, p.user_id, id).await?))
}

/// Verify again on the same number
///
/// A new verification for the same service on the number of one that received a code
/// (`received` or `finished`; a `received` one is finished first), where the provider allows
/// it. Charged like a new verification at today's price; refused with 409 and nothing
/// charged where the provider does not allow it.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer and is charged
/// once.
#[utoipa::path(
    post,
    path = "/api/verifications/{id}/reuse",
    operation_id = "reuse_verification",
    params(("id" = i64, Path, description = "The id of the verification whose number to use again"), IdempotencyKey),
    responses(
        (status = 201, description = "The new verification on the same number, waiting for its SMS", body = VerificationView),
        (status = 402, description = "The balance does not cover the price; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "No such verification on this account, or its order no longer exists at the provider", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The number cannot be used again (no code arrived on it, or the provider does not allow it), no numbers are available (`no_numbers`), the provider took too long, or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The service is no longer offered in that country (`service`) or the country is no longer served (`country`), or the `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "The provider is unavailable right now: try again after `Retry-After` seconds; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
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
