//! Inbound provider pushes (`POST /api/webhooks/…`): thin, the rules are in
//! `services::provider_webhooks`.

use super::error::ApiResult;
use super::extract::ApiJson;
use crate::server::services::provider_webhooks::{self, Pushed, RentPush};
use crate::server::state::AppState;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::borrow::Cow;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

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

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(sms_activate))
        .routes(routes!(textverified))
}

/// Receive a TextVerified push
///
/// For TextVerified only. The raw body must be signed: `X-Webhook-Signature:
/// HMAC-SHA512=<base64>`, the HMAC-SHA512 of the body under the webhook secret we share with
/// TextVerified; anything else is refused with 401 and changes nothing. Only `v2.sms.received`
/// events are acted on: the SMS is stored on the rental or verification of that
/// `reservationId` (once, however often it is pushed or also polled). `stored` in the answer is
/// `true` for a new SMS, `false` for one already here, and `null` for an event not acted on.
/// TextVerified retries any answer but 200.
#[utoipa::path(
    post,
    path = "/api/webhooks/textverified",
    operation_id = "textverified_push",
    params((
        "X-Webhook-Signature" = String,
        Header,
        description = "`HMAC-SHA512=<base64>`: the HMAC-SHA512 of the raw body under the shared webhook secret"
    )),
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "A TextVerified webhook event",
        example = json!({
            "event": "v2.sms.received",
            "data": {
                "reservationId": "lr_01HV3M8Y2Q",
                "from": "12025550123",
                "smsContent": "Your code is 123456",
                "parsedCode": "123456",
                "createdAt": "2026-12-08T10:15:00Z"
            }
        })
    ),
    responses(
        (
            status = 200,
            description = "Taken: `stored` is `true` (a new SMS), `false` (already here) or `null` (an event not acted on)",
            body = serde_json::Value,
            example = json!({"stored": true})
        ),
        (status = 401, description = "The signature is missing or wrong", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "TextVerified pushes are not set up here, or the reservation is none of ours", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The body is not a JSON event (`body`), or an SMS event has no `data`", body = super::openapi::ErrorEnvelope),
    )
)]
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

/// Receive an SMS-Activate rent push
///
/// For upstream providers that speak the SMS-Activate rent API. The protocol signs nothing, so
/// the URL is the secret: each rent is bought with this URL, its `token` made by us for that
/// `provider`; a push to any other URL is refused with 401 and changes nothing. The SMS is
/// stored on our rental of that `rentId` with that provider, once however often it is pushed
/// or also polled: `stored` in the answer is `false` when it was already here, which is not an
/// error.
#[utoipa::path(
    post,
    path = "/api/webhooks/sms-activate/{provider}/{token}",
    operation_id = "sms_activate_push",
    params(
        ("provider" = String, Path, description = "The provider's name, as configured here"),
        ("token" = String, Path, description = "The secret token we gave this provider with each rent")
    ),
    request_body(
        content = serde_json::Value,
        content_type = "application/json",
        description = "The rent API's push: the rent's id and its SMS",
        example = json!({
            "rentId": "123456789",
            "sms": {"phoneFrom": "Telegram", "text": "Telegram code: 12345", "date": "2026-12-08 10:15:00"}
        })
    ),
    responses(
        (
            status = 200,
            description = "Taken: `stored` is `false` when the SMS was already here",
            body = serde_json::Value,
            example = json!({"stored": true})
        ),
        (status = 401, description = "The token is not the one given to that provider, or the provider is not configured", body = super::openapi::ErrorEnvelope),
        (status = 404, description = "Pushes are not set up here, or the rent is none of our rentals with that provider", body = super::openapi::ErrorEnvelope),
        (status = 422, description = "The body is not the rent API's push (`field` names what is missing or mistyped)", body = super::openapi::ErrorEnvelope),
    )
)]
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
