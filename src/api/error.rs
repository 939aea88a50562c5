//! The one error type the client ever sees: a code, a human message and, for bad input, the field.
//!
//! REST answers carry it as `{"error": {...}}`; server functions return it directly. Internals
//! (SQL, provider bodies, stack traces) are logged on the server and never put in here.

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    ValidationFailed,
    Unauthorized,
    Forbidden,
    NotFound,
    MethodNotAllowed,
    /// The request named a host this server does not answer for (421).
    MisdirectedRequest,
    Conflict,
    /// The provider has no numbers for that service and country right now (409).
    NoNumbers,
    /// The provider declined the request as asked (502); nothing was charged.
    ProviderRefused,
    PaymentRequired,
    PayloadTooLarge,
    UnsupportedMediaType,
    RateLimited,
    ServiceUnavailable,
    Internal,
    Network,
}

impl ErrorCode {
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::BadRequest => 400,
            ErrorCode::ValidationFailed => 422,
            ErrorCode::Unauthorized => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::MethodNotAllowed => 405,
            ErrorCode::MisdirectedRequest => 421,
            ErrorCode::Conflict | ErrorCode::NoNumbers => 409,
            ErrorCode::PaymentRequired => 402,
            ErrorCode::PayloadTooLarge => 413,
            ErrorCode::UnsupportedMediaType => 415,
            ErrorCode::ProviderRefused => 502,
            ErrorCode::RateLimited => 429,
            ErrorCode::ServiceUnavailable => 503,
            ErrorCode::Internal | ErrorCode::Network => 500,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[error("{message}")]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// Seconds to wait before trying again (429 and 503 when the server is busy); also sent
    /// as the `Retry-After` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            field: None,
            retry_after: None,
        }
    }

    /// Bad input in one named field: 422 with the field named.
    pub fn validation(field: &str, message: impl Into<String>) -> Self {
        AppError {
            code: ErrorCode::ValidationFailed,
            message: message.into(),
            field: Some(field.to_owned()),
            retry_after: None,
        }
    }

    pub fn unauthorized() -> Self {
        AppError::new(ErrorCode::Unauthorized, "sign in or send a valid API key")
    }

    pub fn not_found(what: &str) -> Self {
        AppError::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    pub fn internal() -> Self {
        AppError::new(
            ErrorCode::Internal,
            "something went wrong on our side; it has been logged",
        )
    }

    /// Come back in `seconds`: `Retry-After` on the response.
    pub fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub fn status(&self) -> u16 {
        self.code.status()
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(msg) => AppError::new(
                ErrorCode::Network,
                format!("could not reach the server: {msg}"),
            ),
            // The body was cut off at the size limit (axum's `LengthLimitError`).
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg)
                if msg.contains("length limit exceeded") =>
            {
                AppError::new(ErrorCode::PayloadTooLarge, "the request body is too large")
            }
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::Deserialization(msg) => {
                AppError::new(ErrorCode::BadRequest, format!("malformed request: {msg}"))
            }
            ServerFnErrorErr::MissingArg(arg) => {
                AppError::validation(&arg, format!("{arg} is required"))
            }
            _ => AppError::internal(),
        }
    }
}
