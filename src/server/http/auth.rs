//! `/api/auth/*`: register, login, logout, me, password resets and confirming an address.

use super::client::RequestMeta;
use super::cookies;
use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use crate::api::dto::{
    Credentials, EmailVerification, MeView, PasswordReset, PasswordResetRequest, SecondFactor,
    SignInView, SignUpView,
};
use crate::server::services::accounts::{self, NewSession, SignIn};
use crate::server::services::{email_verification, password_reset};
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(login_second_factor))
        .routes(routes!(request_reset))
        .routes(routes!(confirm_reset))
        .routes(routes!(verify_email))
        .routes(routes!(logout))
        .routes(routes!(me))
}

/// Create an account
///
/// Answers `202` with the same body whether or not the address already has an account, so
/// that signing up cannot be used to find out who is a customer: an existing account keeps its
/// password and its owner is told by mail. A new account is mailed a link to confirm its
/// address. No session is opened: sign in next. The password must not be the address and must
/// be hard to guess.
#[utoipa::path(
    post,
    path = "/api/auth/register",
    operation_id = "register",
    request_body = Credentials,
    responses(
        (status = 202, description = "Signed up, or the address already had an account", body = SignUpView),
        (status = 422, description = "The email or password is invalid or too easy to guess: `field` names it", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<(StatusCode, Json<SignUpView>)> {
    let answer = accounts::register(&state, &body.email, &body.password, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// Sign in with email and password
///
/// `200` sets the session cookie (`Set-Cookie`) and answers the account. For an account with
/// two-factor sign-in the answer is `202` with `second_factor_required` and a `challenge`
/// instead, and no cookie: send the challenge and a code to `POST /api/auth/login/mfa` within
/// five minutes. An unknown email and a wrong password get the same `401`. Repeated failures
/// hold further attempts back with `429` and `Retry-After`.
#[utoipa::path(
    post,
    path = "/api/auth/login",
    operation_id = "login",
    request_body = Credentials,
    responses(
        (status = 200, description = "Signed in: the session cookie is in `Set-Cookie`", body = MeView),
        (status = 202, description = "The password is right; the second factor is needed next", body = SignInView),
        (status = 401, description = "Wrong email or password", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The email or password is missing: `field` names it", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<Response> {
    Ok(
        match accounts::login(&state, &body.email, &body.password, &meta).await? {
            SignIn::Done(me, session) => signed_in(&state, me, &session),
            SignIn::SecondFactor { challenge } => (
                StatusCode::ACCEPTED,
                Json(SignInView {
                    user: None,
                    second_factor_required: true,
                    challenge: Some(challenge),
                }),
            )
                .into_response(),
        },
    )
}

/// Finish signing in with a two-factor code
///
/// The `challenge` from `POST /api/auth/login` and a code from the authenticator app (six
/// digits) or one of the recovery codes, which is then used up. Sets the session cookie
/// (`Set-Cookie`) and answers the account. Five wrong codes end the challenge: sign in again.
#[utoipa::path(
    post,
    path = "/api/auth/login/mfa",
    operation_id = "login_second_factor",
    request_body = SecondFactor,
    responses(
        (status = 200, description = "Signed in: the session cookie is in `Set-Cookie`", body = MeView),
        (status = 401, description = "The challenge has expired or had too many wrong codes: sign in again", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The code is missing, wrong or already used (`field` is `code`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn login_second_factor(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<SecondFactor>,
) -> ApiResult<Response> {
    let (me, session) =
        accounts::login_second_factor(&state, &body.challenge, &body.code, &meta).await?;
    Ok(signed_in(&state, me, &session))
}

/// Ask for a password reset link
///
/// Answers `202` with the same message whether or not the address has an account. If it has
/// one, a link to choose a new password is mailed to it; the link works once, for 30 minutes.
#[utoipa::path(
    post,
    path = "/api/auth/password-reset",
    operation_id = "request_password_reset",
    request_body = PasswordResetRequest,
    responses(
        (
            status = 202,
            description = "Asked for; a link is mailed if the address has an account",
            body = serde_json::Value,
            example = json!({"message": "If this address has an account, a link to choose a new password is on its way. It works once, for 30 minutes."})
        ),
        (status = 422, description = "The email is not a valid address (`field` is `email`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn request_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordResetRequest>,
) -> ApiResult<(StatusCode, Json<serde_json::Value>)> {
    password_reset::request(&state, &body.email, &meta).await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(serde_json::json!({ "message": password_reset::REQUESTED })),
    ))
}

/// Set a new password with a reset link
///
/// The `token` from the mailed link and the new password. The password is set, the address
/// counts as confirmed, and every session of the account ends. A password that is too weak
/// does not use up the link, so it can be tried again.
#[utoipa::path(
    post,
    path = "/api/auth/password-reset/confirm",
    operation_id = "confirm_password_reset",
    request_body = PasswordReset,
    responses(
        (status = 204, description = "The password is set and every session has ended"),
        (status = 422, description = "The link has expired or was used (`field` is `token`), or the new password is too weak (`new_password`)", body = super::openapi::ErrorEnvelope),
        (status = 503, description = "Too many sign-ins at once: try again after `Retry-After` seconds", body = super::openapi::ErrorEnvelope),
    )
)]
async fn confirm_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    password_reset::confirm(&state, &body.token, &body.new_password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Confirm an email address
///
/// The `token` from the link mailed to confirm the address. No session is needed: the link
/// may be opened in another browser.
#[utoipa::path(
    post,
    path = "/api/auth/verify-email",
    operation_id = "verify_email",
    request_body = EmailVerification,
    responses(
        (status = 204, description = "The address is confirmed"),
        (status = 422, description = "The link has expired or was used (`field` is `token`)", body = super::openapi::ErrorEnvelope),
    )
)]
async fn verify_email(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<EmailVerification>,
) -> ApiResult<StatusCode> {
    email_verification::confirm(&state, &body.token, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

fn signed_in(state: &AppState, me: MeView, session: &NewSession) -> Response {
    let cookie = cookies::session(&state.settings, &session.token, session.max_age_secs);
    ([(header::SET_COOKIE, cookie)], Json(me)).into_response()
}

/// Sign out
///
/// Ends the session the cookie names and clears the cookie (`Set-Cookie`). Always `204`, signed
/// in or not. With an API key this ends nothing: revoke the key instead.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    operation_id = "logout",
    responses((status = 204, description = "Signed out: `Set-Cookie` clears the session cookie"))
)]
async fn logout(
    State(state): State<AppState>,
    user: Option<AuthUser>,
) -> ApiResult<impl IntoResponse> {
    if let Some(session_id) = user.and_then(|AuthUser(p)| p.session_id) {
        accounts::logout(&state, &session_id).await?;
    }
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, cookies::clear_session(&state.settings))],
    ))
}

/// The signed-in account
///
/// Who is calling: the account's id, email, role, balance and whether its address is
/// confirmed.
#[utoipa::path(
    get,
    path = "/api/auth/me",
    operation_id = "get_me",
    responses((status = 200, description = "The account", body = MeView))
)]
async fn me(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<MeView>> {
    Ok(Json(accounts::me(&state, p.user_id).await?))
}
