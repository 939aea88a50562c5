//! `/api/account/*`: the signed-in customer's own account: its security events, two-factor
//! sign-in, sessions, password, and the link that confirms its address.

use super::client::RequestMeta;
use super::error::ApiResult;
use super::extract::{ApiJson, ApiQuery, AuthUser};
use crate::api::dto::{
    ActiveSessionList, MfaCode, MfaConfirm, MfaSetupView, MfaStatusView, PasswordChange,
    RecoveryCodesView, SecurityEventList,
};
use crate::server::services::audit::{self, Actor};
use crate::server::services::{accounts, email_verification, mfa, sessions};
use crate::server::state::AppState;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/account/security-events", get(security_events))
        .route("/api/account/mfa", get(mfa_status))
        .route("/api/account/mfa/setup", post(mfa_setup))
        .route("/api/account/mfa/enable", post(mfa_enable))
        .route("/api/account/mfa/disable", post(mfa_disable))
        .route("/api/account/mfa/recovery-codes", post(mfa_recovery_codes))
        .route("/api/account/sessions", get(list_sessions))
        .route("/api/account/sessions/end-others", post(end_other_sessions))
        .route("/api/account/sessions/{id}", delete(end_session))
        .route("/api/account/password", post(change_password))
        .route("/api/account/email/verification", post(send_verification))
}

/// `202 {message}`: a new link to confirm the address is on its way (or it is confirmed
/// already, and the message says so).
async fn send_verification(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    let message = email_verification::request_again(&state, p.user_id).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "message": message })),
    ))
}

async fn list_sessions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<ActiveSessionList>> {
    Ok(Json(sessions::list(&state, &p).await?))
}

async fn end_session(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    sessions::end(&state, &Actor::caller(&p, &meta), &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn end_other_sessions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
) -> ApiResult<Json<serde_json::Value>> {
    let ended = sessions::end_others(&state, &Actor::caller(&p, &meta), &p).await?;
    Ok(Json(serde_json::json!({ "ended": ended })))
}

/// `204`; every other session of the account has ended.
async fn change_password(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let actor = Actor::caller(&p, &meta);
    accounts::change_password(
        &state,
        &actor,
        &p,
        &body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mfa_status(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<MfaStatusView>> {
    Ok(Json(mfa::status(&state, p.user_id).await?))
}

/// `201`: a new secret and its QR code, waiting for the first code.
async fn mfa_setup(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<(StatusCode, Json<MfaSetupView>)> {
    Ok((
        StatusCode::CREATED,
        Json(mfa::begin_setup(&state, p.user_id).await?),
    ))
}

async fn mfa_enable(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<MfaCode>,
) -> ApiResult<Json<RecoveryCodesView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        mfa::enable(&state, &actor, p.user_id, &body.code).await?,
    ))
}

async fn mfa_disable(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<MfaConfirm>,
) -> ApiResult<StatusCode> {
    let actor = Actor::caller(&p, &meta);
    mfa::disable(&state, &actor, p.user_id, &body.password, &body.code).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn mfa_recovery_codes(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    ApiJson(body): ApiJson<MfaConfirm>,
) -> ApiResult<Json<RecoveryCodesView>> {
    let actor = Actor::caller(&p, &meta);
    Ok(Json(
        mfa::regenerate_recovery_codes(&state, &actor, p.user_id, &body.password, &body.code)
            .await?,
    ))
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
