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
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/login/mfa", post(login_second_factor))
        .route("/api/auth/password-reset", post(request_reset))
        .route("/api/auth/password-reset/confirm", post(confirm_reset))
        .route("/api/auth/verify-email", post(verify_email))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/me", get(me))
}

/// `202` for a new address and for one that already has an account alike (see
/// `accounts::register`); bad input is still `422`.
async fn register(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<(StatusCode, Json<SignUpView>)> {
    let answer = accounts::register(&state, &body.email, &body.password, &meta).await?;
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

/// `200` with the session cookie and the account; for an account with two-factor sign-in,
/// `202 {"second_factor_required": true, "challenge": …}`: send the challenge and a code to
/// `POST /api/auth/login/mfa` within five minutes.
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

async fn login_second_factor(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<SecondFactor>,
) -> ApiResult<Response> {
    let (me, session) =
        accounts::login_second_factor(&state, &body.challenge, &body.code, &meta).await?;
    Ok(signed_in(&state, me, &session))
}

/// `202 {message}` whether or not the address has an account.
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

/// `204`: the password is set and every session of the account has ended.
async fn confirm_reset(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<PasswordReset>,
) -> ApiResult<StatusCode> {
    password_reset::confirm(&state, &body.token, &body.new_password, &meta).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `204`: the address the link was mailed to is confirmed (no session needed: the link may be
/// opened in another browser).
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

async fn me(State(state): State<AppState>, AuthUser(p): AuthUser) -> ApiResult<Json<MeView>> {
    Ok(Json(accounts::me(&state, p.user_id).await?))
}
