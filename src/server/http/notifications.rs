//! `/api/notifications`: the customer's notifications, and marking them read.

use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{NotificationList, NotificationPreferences, NotificationsRead};
use crate::server::services::notifications;
use crate::server::state::AppState;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(mark_read))
        .routes(routes!(preferences, set_preferences))
}

/// How notifications reach the account
///
/// Whether they go by email as well as to the app, and whether the account's address is
/// confirmed (mail goes only to a confirmed address).
#[utoipa::path(
    get,
    path = "/api/notifications/preferences",
    operation_id = "get_notification_preferences",
    responses((status = 200, description = "The preferences", body = NotificationPreferences))
)]
async fn preferences(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(notifications::preferences(&state, p.user_id).await?))
}

/// Choose whether notifications go by email too
///
/// Only `email` is taken; `email_confirmed` is read only and ignored here. Answers the
/// preferences as they now are. Mail still goes only once the address is confirmed.
#[utoipa::path(
    put,
    path = "/api/notifications/preferences",
    operation_id = "set_notification_preferences",
    request_body = NotificationPreferences,
    responses(
        (status = 200, description = "The preferences now", body = NotificationPreferences),
        (status = 422, description = "The body is not valid: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn set_preferences(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NotificationPreferences>,
) -> ApiResult<Json<NotificationPreferences>> {
    Ok(Json(
        notifications::set_preferences(&state, p.user_id, body).await?,
    ))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only notifications older than this id: the `next_before` of the previous page.
    before: Option<i64>,
    /// How many notifications, 1 to 100 (20 if not given).
    limit: Option<u32>,
}

/// The account's notifications
///
/// Newest first, read and unread, with the count of unread ones (for all pages). Page with
/// `before` set to the answer's `next_before`, which is null on the last page.
#[utoipa::path(
    get,
    path = "/api/notifications",
    operation_id = "list_notifications",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of notifications", body = NotificationList),
        (status = 422, description = "A query parameter is invalid: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn list(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<NotificationList>> {
    Ok(Json(
        notifications::list(&state, p.user_id, q.before, q.limit).await?,
    ))
}

/// Mark notifications read
///
/// The ones named in `ids`, or every one with `"all": true`. Ids that are not the account's
/// are ignored. Answers how many are still unread.
#[utoipa::path(
    post,
    path = "/api/notifications/read",
    operation_id = "mark_notifications_read",
    request_body = NotificationsRead,
    responses(
        (
            status = 200,
            description = "Marked read: how many are still unread",
            body = serde_json::Value,
            example = json!({"unread": 0})
        ),
        (status = 422, description = "Neither `ids` nor `all` was given, or the body is not valid: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn mark_read(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiJson(body): ApiJson<NotificationsRead>,
) -> ApiResult<Json<serde_json::Value>> {
    let unread = notifications::mark_read(&state, p.user_id, &body).await?;
    Ok(Json(serde_json::json!({ "unread": unread })))
}
