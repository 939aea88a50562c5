//! `/api/auth/*`: register, login, logout, me.

use super::client::RequestMeta;
use super::cookies;
use super::error::ApiResult;
use super::extract::{ApiJson, AuthUser};
use crate::api::dto::{Credentials, MeView, SignUpView};
use crate::server::services::accounts;
use crate::server::state::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Json, Router};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
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

async fn login(
    State(state): State<AppState>,
    meta: RequestMeta,
    ApiJson(body): ApiJson<Credentials>,
) -> ApiResult<impl IntoResponse> {
    let (me, session) = accounts::login(&state, &body.email, &body.password, &meta).await?;
    let cookie = cookies::session(&state.settings, &session.token, session.max_age_secs);
    Ok(([(header::SET_COOKIE, cookie)], Json(me)))
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
