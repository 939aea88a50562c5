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
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(create))
        .route("/api/webhooks/{id}", get(one).patch(change).delete(remove))
        .route("/api/webhooks/{id}/rotate-secret", post(rotate_secret))
        .route("/api/webhooks/{id}/test", post(test))
        .route("/api/webhooks/{id}/deliveries", get(deliveries))
        .route(
            "/api/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
}

fn id(raw: &str, what: &'static str) -> Result<i64, ServerError> {
    raw.parse().map_err(|_| ServerError::NotFound(what))
}

async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<WebhookList>> {
    Ok(Json(webhooks::list(&state, p.user_id).await?))
}

async fn create(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<NewWebhook>,
) -> ApiResult<(StatusCode, Json<WebhookView>)> {
    let hook = webhooks::create(&state, &Actor::caller(&p, &meta), p.user_id, &body).await?;
    Ok((StatusCode::CREATED, Json(hook)))
}

async fn one(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(raw): Path<String>,
) -> ApiResult<Json<WebhookView>> {
    Ok(Json(
        webhooks::get(&state, p.user_id, id(&raw, "webhook")?).await?,
    ))
}

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

async fn test(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path(raw): Path<String>,
) -> ApiResult<(StatusCode, Json<WebhookDeliveryView>)> {
    let delivery = webhooks::send_test(&state, p.user_id, id(&raw, "webhook")?).await?;
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

#[derive(Deserialize)]
struct Page {
    before: Option<i64>,
    limit: Option<u32>,
}

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

async fn redeliver(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    Path((raw, delivery)): Path<(String, String)>,
) -> ApiResult<(StatusCode, Json<WebhookDeliveryView>)> {
    let (id, delivery) = (id(&raw, "webhook")?, id(&delivery, "delivery")?);
    let again = webhooks::redeliver(&state, p.user_id, id, delivery).await?;
    Ok((StatusCode::ACCEPTED, Json(again)))
}
