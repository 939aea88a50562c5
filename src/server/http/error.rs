//! How errors leave the REST API: `{"error": {"code", "message", "field"?}}` with its status.

use crate::api::{AppError, ErrorCode};
use crate::server::ServerError;
use axum::body::Body;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use server_fn::error::SERVER_FN_ERROR_HEADER;

#[derive(Serialize)]
struct ErrorBody<'a> {
    error: &'a AppError,
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status =
            StatusCode::from_u16(self.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(ErrorBody { error: &self })).into_response();
        if let Some(seconds) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        AppError::from(self).into_response()
    }
}

pub type ApiResult<T> = Result<T, ServerError>;

pub async fn api_not_found() -> AppError {
    AppError::not_found("API endpoint")
}

pub async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not accept that method",
    )
}

/// A server function answers any failure with 500 unless its body set the status; a call that
/// never reached its body (arguments that do not parse, a body over the size limit) is the
/// caller's mistake. So a failed server-function call gets the status of the error it carries.
pub async fn with_server_fn_status(response: Response) -> Response {
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !response.headers().contains_key(SERVER_FN_ERROR_HEADER)
    {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // The error's own JSON: small.
    let bytes = axum::body::to_bytes(body, 64 * 1024)
        .await
        .unwrap_or_default();
    if let Some(status) = serde_json::from_slice::<AppError>(&bytes)
        .ok()
        .and_then(|e| StatusCode::from_u16(e.status()).ok())
    {
        parts.status = status;
    }
    Response::from_parts(parts, Body::from(bytes))
}
