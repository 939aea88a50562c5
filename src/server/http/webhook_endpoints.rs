//! `/api/webhooks`: the customer's webhook endpoints (create, list, change, delete, rotate
//! the secret, send a test event) and their deliveries (list, redeliver). Thin: the rules are
//! in `services::webhooks`. (Providers' pushes to us are `http::webhooks`.)

use super::client::RequestMeta;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{
    NewWebhook, WebhookChange, WebhookDeliveryList, WebhookDeliveryView, WebhookList, WebhookView,
};
use crate::server::services::audit::Actor;
use crate::server::services::webhooks;
use crate::server::state::AppState;
use crate::server::ServerError;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(one, change, remove))
        .routes(routes!(rotate_secret))
        .routes(routes!(test))
        .routes(routes!(deliveries))
        .routes(routes!(redeliver))
}

fn id(raw: &str, what: &'static str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound(what))
}

/// Your webhooks
///
/// Every endpoint of the account, without their secrets.
#[utoipa::path(
    get,
    path = "/api/webhooks",
    operation_id = "list_webhooks",
    responses((status = 200, description = "The account's webhooks", body = WebhookList))
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<WebhookList>> {
    Ok(Json(webhooks::list(&state, p.user_id).await?))
}

/// Add a webhook
///
/// An HTTPS endpoint that is sent the account's `events` as they happen: `sms.received`,
/// `rental.updated`, `rental.expiring`, `verification.updated`, `balance.low`. The URL must
/// resolve to a public address (not loopback, private or link-local; sandbox mode also allows
/// plain HTTP and local addresses). An account may have 10.
///
/// The answer carries the endpoint's `secret`, shown this once (rotate it to get a new one).
/// Each delivery is a `POST` of `{"id", "type", "created", "data"}` (`created` in Unix
/// seconds) with the headers `Namaskah-Event`, `Namaskah-Delivery` (the delivery's id) and
/// `Namaskah-Signature: t=<unix seconds>,v1=<hex>`, where `v1` is the HMAC-SHA256, keyed with
/// the secret, of `t`, a `.` and the raw body: check it, and reject a `t` more than 5 minutes
/// from your clock. Answer with any 2xx within 10 seconds; anything else is retried with
/// growing waits (30 s, doubling, at most 6 h apart) for 24 hours. An endpoint whose deliveries
/// have all failed for 24 hours is turned off, and the account told.
#[utoipa::path(
    post,
    path = "/api/webhooks",
    operation_id = "create_webhook",
    request_body = NewWebhook,
    responses(
        (status = 201, description = "The new webhook, with its signing secret (shown only now)", body = WebhookView),
        (status = 409, description = "The account already has 10 webhooks: delete one first (`field` is `url`)", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The `url` is not an HTTPS URL to a public address, an event in `events` is unknown or none is named, or the `description` is longer than 200 characters", body = super::openapi::ErrorEnvelope),
    )
)]
async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    let hook = webhooks::create(&state, &Actor::caller(&p, &meta), p.user_id, &body).await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

/// One webhook
///
/// The endpoint as saved, without its secret.
#[utoipa::path(
    get,
    path = "/api/webhooks/{id}",
    operation_id = "get_webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = WebhookView),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        webhooks::get(&state, p.user_id, id(&raw, "webhook")?).await?,
    ))
}

/// Change a webhook
///
/// Changes only the fields given: its `url`, `events`, `description`, or `enabled` to turn it
/// off or back on. Turning it back on forgets its failures.
#[utoipa::path(
    patch,
    path = "/api/webhooks/{id}",
    operation_id = "update_webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    request_body = WebhookChange,
    responses(
        (status = 200, description = "The webhook as it is now", body = WebhookView),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The `url` is not an HTTPS URL to a public address, an event in `events` is unknown or none is named, or the `description` is longer than 200 characters", body = super::openapi::ErrorEnvelope),
    )
)]
async fn change(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(raw): Path<String>,
    ApiJson(body): ApiJson<WebhookChange>,
) -> ApiResult<Json<WebhookView>> {
    let actor = Actor::caller(&p, &meta);
    let hook = webhooks::update(&state, &actor, p.user_id, id(&raw, "webhook")?, &body).await?;
    Ok(Json(hook))
}

/// Delete a webhook
///
/// Nothing more is sent to it, and its deliveries are forgotten.
#[utoipa::path(
    delete,
    path = "/api/webhooks/{id}",
    operation_id = "delete_webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn remove(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(raw): Path<String>,
) -> ApiResult<StatusCode> {
    let actor = Actor::caller(&p, &meta);
    webhooks::delete(&state, &actor, p.user_id, id(&raw, "webhook")?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a webhook a new signing secret
///
/// Deliveries are signed with the new secret from now on; the old one stops working at once.
/// The answer carries the new `secret`, shown this once.
#[utoipa::path(
    post,
    path = "/api/webhooks/{id}/rotate-secret",
    operation_id = "rotate_webhook_secret",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook, with its new secret (shown only now)", body = WebhookView),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn rotate_secret(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(raw): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    let actor = Actor::caller(&p, &meta);
    let hook = webhooks::rotate_secret(&state, &actor, p.user_id, id(&raw, "webhook")?).await?;
    Ok(Json(hook))
}

/// Send a webhook a test event
///
/// Queues a `webhook.test` event for this endpoint alone, sent at once and signed like any
/// other (its `data` is `{"webhook_id", "message"}`). The answer is the queued delivery:
/// follow it in `GET /api/webhooks/{id}/deliveries`.
#[utoipa::path(
    post,
    path = "/api/webhooks/{id}/test",
    operation_id = "test_webhook",
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 202, description = "The test delivery, queued", body = WebhookDeliveryView),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The webhook is turned off: turn it on first", body = super::openapi::ErrorEnvelope),
    )
)]
async fn test(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(raw): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDeliveryView>)> {
    let delivery = webhooks::send_test(&state, p.user_id, id(&raw, "webhook")?).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Page {
    /// Only deliveries older than this one (its id): the `next_before` of the previous page.
    before: Option<i64>,
    /// How many deliveries at most (1 to 100; 20 when left out).
    limit: Option<u32>,
}

/// A webhook's deliveries
///
/// What was sent to the endpoint and how it answered, newest first, `limit` at a time: each
/// delivery's body as sent, its attempts, last status code or error, and when it is tried
/// next. Deliveries are kept for 30 days after they are done with.
#[utoipa::path(
    get,
    path = "/api/webhooks/{id}/deliveries",
    operation_id = "list_webhook_deliveries",
    params(("id" = i64, Path, description = "The webhook's id"), Page),
    responses(
        (status = 200, description = "A page of deliveries", body = WebhookDeliveryList),
        (status = 404, description = "No such webhook on this account", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "`before` or `limit` is not a number", body = super::openapi::ErrorEnvelope),
    )
)]
async fn deliveries(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(raw): Path<String>,
    ApiQuery(page): ApiQuery<Page>,
) -> ApiResult<Json<WebhookDeliveryList>> {
    let id = id(&raw, "webhook")?;
    let list = webhooks::deliveries(&state, p.user_id, id, page.before, page.limit).await?;
    Ok(Json(list))
}

/// Send a delivery again
///
/// Queues a new delivery of the same event with the same body (the receiver sees the same
/// event `id`), sent at once. The answer is the new delivery.
#[utoipa::path(
    post,
    path = "/api/webhooks/{id}/deliveries/{delivery}/redeliver",
    operation_id = "redeliver_webhook_delivery",
    params(
        ("id" = i64, Path, description = "The webhook's id"),
        ("delivery" = i64, Path, description = "The id of the delivery to send again")
    ),
    responses(
        (status = 202, description = "The new delivery, queued", body = WebhookDeliveryView),
        (status = 404, description = "No such webhook on this account, or no such delivery of it", body = super::openapi::ErrorEnvelope),
        (status = 409, description = "The webhook is turned off: turn it on first", body = super::openapi::ErrorEnvelope),
    )
)]
async fn redeliver(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path((raw, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<WebhookDeliveryView>)> {
    let (id, delivery) = (id(&raw, "webhook")?, id(&delivery, "delivery")?);
    let again = webhooks::redeliver(&state, p.user_id, id, delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(again)))
}
