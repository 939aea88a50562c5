//! `/api/notifications`: the customer's notifications, and marking them read.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{NotificationList, NotificationPreferences, NotificationsRead};
use crate::server::services::notifications;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/notifications", get(list))
        .route("/api/notifications/read", post(mark_read))
        .route(
            "/api/notifications/preferences",
            get(preferences).put(set_preferences),
        )
}

async fn preferences(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(notifications::preferences(&state, p.user_id).await?))
}

async fn set_preferences(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NotificationPreferences>,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(
        notifications::set_preferences(&state, p.user_id, body).await?,
    ))
}

#[derive(Deserialize)]
struct ListQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<NotificationList>> {
    Ok(Json(
        notifications::list(&state, p.user_id, q.before, q.limit).await?,
    ))
}

/// `200 {"unread": n}`.
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NotificationsRead>,
) -> ApiResult<Json<serde_json::Value>> {
    let unread = notifications::mark_read(&state, p.user_id, &body).await?;
    Ok(Json(serde_json::json!({ "unread": unread })))
}
