//! Inbound provider pushes (`POST /api/webhooks/…`): thin, the rules are in
//! `services::provider_webhooks`.

use super::error::ApiResult;
use super::extract::ApiJson;
use crate::server::services::provider_webhooks::{self, Pushed, RentPush};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::borrow::Cow;

const SMS_ACTIVATE_PUSHES: &str = "/api/webhooks/sms-activate/";

/// `path` as it may be written to a log: the secret token of an SMS-Activate push URL (the
/// protocol signs nothing, so the URL is the secret) replaced by `…`.
pub fn loggable(path: &str) -> Cow<'_, str> {
    match path.strip_prefix(SMS_ACTIVATE_PUSHES) {
        Some(rest) => match rest.split_once('/') {
            Some((provider, _token)) => Cow::Owned(format!("{SMS_ACTIVATE_PUSHES}{provider}/…")),
            None => Cow::Borrowed(path),
        },
        None => Cow::Borrowed(path),
    }
}

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/api/webhooks/sms-activate/{provider}/{token}",
            post(sms_activate),
        )
        .route("/api/webhooks/textverified", post(textverified))
}

/// `200 {"stored": …}` (`true`, `false` when already here, or `null` for an event not acted
/// on): TextVerified retries anything else.
async fn textverified(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let signature = headers
        .get("x-webhook-signature")
        .and_then(|v| v.to_str().ok());
    let pushed = provider_webhooks::textverified_push(&state, signature, &body).await?;
    let stored = match pushed {
        Pushed::Stored => json!(true),
        Pushed::Known => json!(false),
        Pushed::Ignored => Value::Null,
    };
    Ok(Json(json!({ "stored": stored })))
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

#[cfg(test)]
mod tests {
    use super::loggable;

    #[test]
    fn push_tokens_are_kept_out_of_logs() {
        assert_eq!(
            loggable("/api/webhooks/sms-activate/grizzly/4f9c2a7b"),
            "/api/webhooks/sms-activate/grizzly/…"
        );
        assert_eq!(
            loggable("/api/webhooks/textverified"),
            "/api/webhooks/textverified"
        );
        assert_eq!(loggable("/api/rentals/7"), "/api/rentals/7");
    }
}
