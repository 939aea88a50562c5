//! Inbound provider pushes (`POST /api/webhooks/…`): thin, the rules are in
//! `services::provider_webhooks`.

use super::error::ApiResult;
use super::extract::ApiJson;
use crate::server::services::provider_webhooks::{self, RentPush};
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

pub fn router() -> Router<AppState> {
    Router::new().route(
        "/api/webhooks/sms-activate/{provider}/{token}",
        post(sms_activate),
    )
}

/// `200 {"stored": true|false}`: false when the SMS was already here (by poll, or an earlier
/// push), which is not an error.
async fn sms_activate(
    State(state): State<AppState>,
    Path((provider, token)): Path<(String, String)>,
    ApiJson(push): ApiJson<RentPush>,
) -> ApiResult<Json<Value>> {
    let stored = provider_webhooks::sms_activate_push(&state, &provider, &token, push).await?;
    Ok(Json(json!({ "stored": stored })))
}
