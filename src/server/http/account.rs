//! `/api/account/*`: the signed-in customer's own account: its security events.

use super::error::ApiResult;
use super::extract::{ApiQuery, AuthUser};
use crate::api::dto::SecurityEventList;
use crate::server::services::audit;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/account/security-events", get(security_events))
}

#[derive(Deserialize)]
struct EventsQuery {
    before: Option<i64>,
    limit: Option<u32>,
}

async fn security_events(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<SecurityEventList>> {
    Ok(Json(
        audit::security_events(&state, p.user_id, q.before, q.limit).await?,
    ))
}
