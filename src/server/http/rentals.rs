//! `/api/rentals/*`: the seed's rental endpoints and the rest of a rental's life.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use super::openapi::IdempotencyKey;
use crate::api::dto::{
    BulkRequest, BulkResults, ExtendRental, Extended, HistoryQuery, MessageList, NewRental,
    NewRentals, Released, RentalList, RentalPage, RentalPatch, RentalView,
};
use crate::server::services::idempotency::{self, Replayable};
use crate::server::services::{rental_bulk, rental_reactivation, rentals};
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(history))
        .routes(routes!(active))
        .routes(routes!(create))
        .routes(routes!(bulk))
        .routes(routes!(bulk_create))
        .routes(routes!(one, patch))
        .routes(routes!(extend))
        .routes(routes!(release))
        .routes(routes!(reactivate))
        .routes(routes!(messages))
        .routes(routes!(mark_read))
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

/// Rent a number
///
/// Rents a number in `country` for `duration_hours` (the server's default length when left
/// out), for SMS from any sender; `service` names what it is for. The price is taken from the
/// balance before the provider is asked for a number; if no number can be had, it is given
/// back in the same request and nothing is charged. The answer is the new rental, `active`,
/// with its number. `GET /api/catalog/services` lists the rental lengths and prices on sale.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer and is charged
/// once.
#[utoipa::path(
    post,
    path = "/api/rentals/create",
    operation_id = "create_rental",
    params(IdempotencyKey),
    request_body = NewRental,
    responses(
        (status = 201, description = "The new rental", body = RentalView),
        (status = 402, description = "The balance does not cover the price; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "No numbers are available for that now (`no_numbers`), the provider took too long, or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "A field is missing or malformed (`service`, `country`, `operator`), the country is not served, `duration_hours` is 0 or longer than any rental on sale there, or the `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 502, description = "The provider declined the request; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Numbers are unavailable right now: try again after `Retry-After` seconds; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Extend or release several rentals
///
/// Applies `action` to each rental in `ids` (at most 50, duplicates once) in the order given:
/// `extend` adds `hours` to each and charges for them, `release` ends each early with its
/// refund. Each rental succeeds or fails on its own: the answer is `200` with one result per
/// rental, its `ok`, the rental after the change and the `amount` charged or refunded, or its
/// `error` (as any error of this API: `not_found`, `conflict`, `payment_required`…). One
/// failure never undoes or stops the others.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer, and no rental is
/// extended or released twice.
#[utoipa::path(
    post,
    path = "/api/rentals/bulk",
    operation_id = "bulk_rentals",
    params(IdempotencyKey),
    request_body = BulkRequest,
    responses(
        (status = 200, description = "One result per rental, in the order given", body = BulkResults),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "`ids` is empty or names more than 50 rentals, `hours` is missing for `extend`, or the `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
    )
)]
async fn bulk(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<BulkRequest>,
) -> ApiResult<Response> {
    let work = rental_bulk::apply(&state, p.user_id, &body);
    once(&state, p.user_id, &headers, &body, StatusCode::OK, work).await
}

/// Rent several identical numbers
///
/// Rents `count` numbers (1 to 20), one after another, each as `POST /api/rentals/create`
/// would with the other fields, each charged on its own. The answer is `200` with one result
/// per number: its `ok`, the rental and the `amount` charged, or its `error` (for example
/// `payment_required` once the balance runs out, or `no_numbers`). Bad input fails the whole
/// request with 422 before anything is charged.
///
/// Send an `Idempotency-Key` to retry safely: a retry rents only the numbers not rented yet.
#[utoipa::path(
    post,
    path = "/api/rentals/bulk-create",
    operation_id = "bulk_create_rentals",
    params(IdempotencyKey),
    request_body = NewRentals,
    responses(
        (status = 200, description = "One result per number asked for", body = BulkResults),
        (status = 409, description = "A request with this `Idempotency-Key` is still running", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "`count` is not between 1 and 20, a field of the rental is missing or malformed (`service`, `country`, `operator`, `duration_hours`), or the `Idempotency-Key` is malformed or was used for another request; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
async fn bulk_create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    headers: HeaderMap,
    ApiJson(body): ApiJson<NewRentals>,
) -> ApiResult<Response> {
    let work = rental_bulk::create(&state, p.user_id, &body);
    once(&state, p.user_id, &headers, &body, StatusCode::OK, work).await
}

/// Your active rentals
///
/// Every rental still running, with its time left, unread messages, and what extending or
/// releasing it would cost or refund now. Cheap to poll: the answer changes at most once a
/// second (or watch `GET /api/events` instead).
#[utoipa::path(
    get,
    path = "/api/rentals/active",
    operation_id = "list_active_rentals",
    responses((status = 200, description = "The active rentals", body = RentalList))
)]
async fn active(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Response> {
    let body = rentals::active_json(&state, p.user_id).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], body).into_response())
}

/// Your rentals, a page at a time
///
/// Every rental, newest first, filtered by `status` (`active`, `expired`, `released`,
/// `failed`), `service`, `country`, `provider`, a date range (`from`, `to`) and a search `q`.
#[utoipa::path(
    get,
    path = "/api/rentals",
    operation_id = "list_rentals",
    params(HistoryQuery),
    responses(
        (status = 200, description = "A page of rentals", body = RentalPage),
        (status = 422, description = "A filter is malformed (`field` names it: `status`, `from`, `to`, `q`, `page`, `per_page`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn history(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> ApiResult<Json<RentalPage>> {
    Ok(Json(rentals::history(&state, p.user_id, &q).await?))
}

/// One rental
#[utoipa::path(
    get,
    path = "/api/rentals/{id}",
    operation_id = "get_rental",
    params(("id" = i64, Path, description = "The rental's id")),
    responses(
        (status = 200, description = "The rental", body = RentalView),
        (status = 404, description = "No such rental on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<RentalView>> {
    Ok(Json(
        rentals::get(&state, p.user_id, rental_id(&id)?).await?,
    ))
}

/// Turn a rental's auto-renewal on or off
///
/// With auto-renewal on, shortly before the rental ends it is extended by its original length
/// and charged for it, while the balance covers it and the provider allows. Only an active
/// rental can be set to renew; turning it off always works.
#[utoipa::path(
    patch,
    path = "/api/rentals/{id}",
    operation_id = "update_rental",
    params(("id" = i64, Path, description = "The rental's id")),
    request_body = RentalPatch,
    responses(
        (status = 200, description = "The rental as it is now", body = RentalView),
        (status = 404, description = "No such rental on this account", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The rental is not active, so it cannot be set to renew", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "`auto_renew` is missing or not a boolean", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Extend a rental
///
/// Adds `hours` (1 to 720) to an active rental and charges for them: the rental's
/// `extension_per_hour` times the hours, rounded up (`charged` in the answer). How long a
/// number can be kept depends on its provider: past `keepable_until`, where the provider
/// cannot extend the number, the extension is refused with 409 and nothing is charged.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer and is charged
/// once.
#[utoipa::path(
    post,
    path = "/api/rentals/{id}/extend",
    operation_id = "extend_rental",
    params(("id" = i64, Path, description = "The rental's id"), IdempotencyKey),
    request_body = ExtendRental,
    responses(
        (status = 200, description = "The rental with its new end, and what was charged", body = Extended),
        (status = 402, description = "The balance does not cover the extension; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "No such rental on this account, or its order no longer exists at the provider", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The rental is not active (or has expired), it cannot be kept that long (`field` is `hours`), it changed meanwhile, or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "`hours` is not between 1 and 720, or the `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 502, description = "The provider declined to extend the number; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "The provider is unavailable right now: try again after `Retry-After` seconds; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Release a rental early
///
/// Ends an active rental now and gives the number back. The refund is for the unused whole
/// hours, at the rental's hourly price times the refund rate, never more than was paid: the
/// rental's `refund_if_released` says what it would be beforehand, and `refund` in the answer
/// what was credited to the balance. A rental is refunded once, however often this is called.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer.
#[utoipa::path(
    post,
    path = "/api/rentals/{id}/release",
    operation_id = "release_rental",
    params(("id" = i64, Path, description = "The rental's id"), IdempotencyKey),
    responses(
        (status = 200, description = "The released rental, and the refund credited", body = Released),
        (status = 404, description = "No such rental on this account", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The rental is not active (already released, expired or failed), it kept changing while being released, or a request with this `Idempotency-Key` is still running", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// A rental's messages
///
/// Every SMS the rental's number has received, newest first, with the code found in each.
/// The text is the sender's: show it as text, never as HTML.
#[utoipa::path(
    get,
    path = "/api/rentals/{id}/messages",
    operation_id = "list_rental_messages",
    params(("id" = i64, Path, description = "The rental's id")),
    responses(
        (status = 200, description = "The rental's messages", body = MessageList),
        (status = 404, description = "No such rental on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn messages(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageList>> {
    Ok(Json(
        rentals::messages(&state, p.user_id, rental_id(&id)?).await?,
    ))
}

/// Mark a rental's messages as read
///
/// The rental's `unread_count` goes to zero, in every open page too.
#[utoipa::path(
    post,
    path = "/api/rentals/{id}/read",
    operation_id = "mark_rental_read",
    params(("id" = i64, Path, description = "The rental's id")),
    responses(
        (status = 204, description = "The messages are marked as read"),
        (status = 404, description = "No such rental on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    rentals::mark_read(&state, p.user_id, rental_id(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rent an expired rental's number again
///
/// A new rental on the same number, for the length the expired one was first rented for,
/// where its provider can rent a number again. It is priced from the provider's quote now and
/// charged like a new rental (money back at once if the provider then refuses); auto-renewal
/// starts off. The expired rental stays as it was.
///
/// Send an `Idempotency-Key` to retry safely: a retry gets the first answer and is charged
/// once.
#[utoipa::path(
    post,
    path = "/api/rentals/{id}/reactivate",
    operation_id = "reactivate_rental",
    params(("id" = i64, Path, description = "The expired rental's id"), IdempotencyKey),
    responses(
        (status = 201, description = "The new rental on the same number", body = RentalView),
        (status = 402, description = "The balance does not cover the price; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "No such rental on this account, or its order no longer exists at the provider", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The rental has not expired, its provider cannot rent the number again or no longer will, the provider took too long, or a request with this `Idempotency-Key` is still running; nothing was charged", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The `Idempotency-Key` is malformed or was used for another request", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "The provider is unavailable right now: try again after `Retry-After` seconds; nothing was charged", body = super::openapi::ErrorEnvelope),
    )
)]
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
