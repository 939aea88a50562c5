//! How errors leave the REST API: `{"error": {"code", "message", "field"?}}` with its status.

use crate::api::{AppError, ErrorCode};
use crate::server::ServerError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;

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
    AppError::new(ErrorCode::NotFound, "no such API endpoint")
}

pub async fn method_not_allowed() -> AppError {
    AppError::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not accept that method",
    )
}
