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
use axum::Json;
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(security_events))
        .routes(routes!(mfa_status))
        .routes(routes!(mfa_setup))
        .routes(routes!(mfa_enable))
        .routes(routes!(mfa_disable))
        .routes(routes!(mfa_recovery_codes))
        .routes(routes!(list_sessions))
        .routes(routes!(end_other_sessions))
        .routes(routes!(end_session))
        .routes(routes!(change_password))
        .routes(routes!(send_verification))
}

/// Send the link that confirms the account's address again
///
/// Answers `202` with a message: a new link is on its way (it works once, for 30 minutes), or
/// the address is confirmed already and nothing is sent. At most three links are mailed a
/// day; past that the answer is the same but no mail goes.
#[utoipa::path(
    post,
    path = "/api/account/email/verification",
    operation_id = "send_email_verification",
    responses((
        status = 202,
        description = "A link is on its way, or the address is confirmed already",
        body = serde_json::Value,
        example = json!({"message": "A link to confirm your address is on its way. It works once, for 30 minutes."})
    ))
)]
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

/// The account's signed-in sessions
///
/// Every live session (a signed-in browser), the most recently used first; `current` marks
/// the one this request came with. API keys are not sessions and are not listed.
#[utoipa::path(
    get,
    path = "/api/account/sessions",
    operation_id = "list_sessions",
    responses((status = 200, description = "The live sessions", body = ActiveSessionList))
)]
async fn list_sessions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<ActiveSessionList>> {
    Ok(Json(sessions::list(&state, &p).await?))
}

/// End one session
///
/// Signs that browser out. Ending the current session signs this caller out too.
#[utoipa::path(
    delete,
    path = "/api/account/sessions/{id}",
    operation_id = "end_session",
    params(("id" = String, Path, description = "The session's id, from `GET /api/account/sessions`")),
    responses(
        (status = 204, description = "The session has ended"),
        (status = 404, description = "No such live session on this account", body = super::openapi::ErrorEnvelope),
    )
)]
async fn end_session(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    sessions::end(&state, &Actor::caller(&p, &meta), &p, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// End every other session
///
/// Signs out every browser but the one this request came with (with an API key, every
/// session ends), and answers how many sessions ended.
#[utoipa::path(
    post,
    path = "/api/account/sessions/end-others",
    operation_id = "end_other_sessions",
    responses((
        status = 200,
        description = "How many sessions ended",
        body = serde_json::Value,
        example = json!({"ended": 2})
    ))
)]
async fn end_other_sessions(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    meta: RequestMeta,
) -> ApiResult<Json<serde_json::Value>> {
    let ended = sessions::end_others(&state, &Actor::caller(&p, &meta), &p).await?;
    Ok(Json(serde_json::json!({ "ended": ended })))
}

/// Change the account's password
///
/// The current password, and a new one that passes the same rules as at sign-up. Every other
/// session of the account ends; the one making the change stays signed in (made with an API
/// key, every session ends). API keys keep working. Wrong current passwords count towards the
/// sign-in backoff (`429` while it holds).
#[utoipa::path(
    post,
    path = "/api/account/password",
    operation_id = "change_password",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "The password is changed and every other session has ended"),
        (status = 422, description = "The current password is wrong (`field` is `current_password`), or the new one is too weak or unchanged (`new_password`)", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Two-factor sign-in on the account
///
/// Whether it is on, how many recovery codes are left, and an enrolment waiting for its first
/// code (`pending`) if one was started.
#[utoipa::path(
    get,
    path = "/api/account/mfa",
    operation_id = "get_mfa_status",
    responses((status = 200, description = "Two-factor sign-in's state", body = MfaStatusView))
)]
async fn mfa_status(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<Json<MfaStatusView>> {
    Ok(Json(mfa::status(&state, p.user_id).await?))
}

/// Start setting up two-factor sign-in
///
/// A new secret, with its `otpauth://` URL and a QR code (SVG) for an authenticator app. It
/// is not on until `POST /api/account/mfa/enable` gets a first code from the app. Starting
/// again replaces a set-up that was not finished.
#[utoipa::path(
    post,
    path = "/api/account/mfa/setup",
    operation_id = "start_mfa_setup",
    responses(
        (status = 201, description = "A new secret, waiting for its first code", body = MfaSetupView),
        (status = 409, description = "Two-factor sign-in is already on: turn it off first", body = super::openapi::ErrorEnvelope),
    )
)]
async fn mfa_setup(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
) -> ApiResult<(StatusCode, Json<MfaSetupView>)> {
    Ok((
        StatusCode::CREATED,
        Json(mfa::begin_setup(&state, p.user_id).await?),
    ))
}

/// Turn two-factor sign-in on
///
/// The first code the authenticator app shows for the secret from
/// `POST /api/account/mfa/setup`. Answers ten one-time recovery codes: they are shown only
/// here, so keep them somewhere safe.
#[utoipa::path(
    post,
    path = "/api/account/mfa/enable",
    operation_id = "enable_mfa",
    request_body = MfaCode,
    responses(
        (status = 200, description = "Two-factor sign-in is on: the recovery codes, shown once", body = RecoveryCodesView),
        (status = 409, description = "No set-up is waiting for a code, or it is already on, or it was set up again meanwhile", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The code is not the one the app shows now (`field` is `code`)", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Turn two-factor sign-in off
///
/// Needs the account's password and a current code from the app (or a recovery code, which is
/// used up). Wrong passwords count towards the sign-in backoff (`429` while it holds).
#[utoipa::path(
    post,
    path = "/api/account/mfa/disable",
    operation_id = "disable_mfa",
    request_body = MfaConfirm,
    responses(
        (status = 204, description = "Two-factor sign-in is off"),
        (status = 409, description = "Two-factor sign-in is not on", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The password is wrong (`field` is `password`) or the code is wrong or already used (`code`)", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Replace the recovery codes
///
/// Needs the account's password and a current code. Ten new one-time recovery codes replace
/// the old ones, which stop working; the new ones are shown only here.
#[utoipa::path(
    post,
    path = "/api/account/mfa/recovery-codes",
    operation_id = "regenerate_mfa_recovery_codes",
    request_body = MfaConfirm,
    responses(
        (status = 200, description = "The new recovery codes, shown once", body = RecoveryCodesView),
        (status = 409, description = "Two-factor sign-in is not on", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The password is wrong (`field` is `password`) or the code is wrong or already used (`code`)", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct EventsQuery {
    /// Only events older than this id: the `next_before` of the previous page.
    before: Option<i64>,
    /// How many events, 1 to 500 (50 if not given).
    limit: Option<u32>,
}

/// The account's security events
///
/// Sign-ins (refused ones too), password changes and resets, two-factor and role changes, API
/// keys created and revoked, sessions ended and the address confirmed, newest first. Page with
/// `before` set to the answer's `next_before`, which is null on the last page. Where an
/// operator acted on the account, their address and browser are left blank.
#[utoipa::path(
    get,
    path = "/api/account/security-events",
    operation_id = "list_security_events",
    params(EventsQuery),
    responses(
        (status = 200, description = "A page of events", body = SecurityEventList),
        (status = 422, description = "A query parameter is invalid: `field` names it", body = super::openapi::ErrorEnvelope),
    )
)]
async fn security_events(
    State(state): State<AppState>,
    AuthUser(p): AuthUser,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<SecurityEventList>> {
    Ok(Json(
        audit::security_events(&state, p.user_id, q.before, q.limit).await?,
    ))
}
