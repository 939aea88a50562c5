//! The server's error: what went wrong in a use-case, with its cause chain for the logs.
//! It becomes the client-safe `AppError` at the edge; database and unexpected errors are logged
//! there and collapse to a generic 500 so no internals reach the client.

use crate::api::{AppError, ErrorCode};
use crate::domain::Money;
use crate::server::providers::ProviderError;
use std::fmt;

#[derive(thiserror::Error)]
pub enum ServerError {
    #[error("{message}")]
    Validation {
        field: &'static str,
        message: String,
    },
    #[error("{0}")]
    Unauthorized(&'static str),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("{message}")]
    Conflict {
        message: String,
        field: Option<&'static str>,
    },
    #[error("insufficient balance: {needed} needed, {available} available")]
    InsufficientBalance { needed: Money, available: Money },
    /// The server cannot take this on now (503); the client may retry after the given time.
    #[error("{message}")]
    Busy {
        message: &'static str,
        retry_after_secs: u64,
    },
    /// The caller has sent too much (429); it may retry after the given time.
    #[error("{message}")]
    RateLimited {
        message: String,
        retry_after_secs: u64,
    },
    #[error(transparent)]
    Provider(#[from] ProviderError),
    #[error("database error")]
    Db(#[from] sqlx::Error),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ServerError {
    pub fn validation(field: &'static str, message: impl fmt::Display) -> Self {
        ServerError::Validation {
            field,
            message: format!("{field} {message}"),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        ServerError::Conflict {
            message: message.into(),
            field: None,
        }
    }
}

impl fmt::Debug for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{self}")?;
        let mut current = std::error::Error::source(self);
        while let Some(cause) = current {
            writeln!(f, "Caused by:\n\t{cause}")?;
            current = cause.source();
        }
        Ok(())
    }
}

impl From<ServerError> for AppError {
    fn from(e: ServerError) -> Self {
        match e {
            ServerError::Validation { field, message } => AppError::validation(field, message),
            ServerError::Unauthorized(msg) => AppError::new(ErrorCode::Unauthorized, msg),
            ServerError::Forbidden(msg) => AppError::new(ErrorCode::Forbidden, msg),
            ServerError::NotFound(what) => AppError::not_found(what),
            ServerError::Conflict { message, field } => AppError {
                code: ErrorCode::Conflict,
                message,
                field: field.map(str::to_owned),
                retry_after: None,
            },
            ServerError::Busy {
                message,
                retry_after_secs,
            } => {
                AppError::new(ErrorCode::ServiceUnavailable, message).retry_after(retry_after_secs)
            }
            ServerError::RateLimited {
                message,
                retry_after_secs,
            } => AppError::new(ErrorCode::RateLimited, message).retry_after(retry_after_secs),
            ServerError::InsufficientBalance { needed, available } => AppError::new(
                ErrorCode::PaymentRequired,
                format!(
                    "insufficient balance: this costs {}, your balance is {}; add {} to continue",
                    needed.display(),
                    available.display(),
                    needed.checked_sub(available).unwrap_or(needed).display()
                ),
            ),
            ServerError::Provider(p) => provider_error(p),
            ServerError::Db(_) | ServerError::Unexpected(_) => {
                tracing::error!(error.cause_chain = ?e, "request failed");
                AppError::internal()
            }
        }
    }
}

/// What a customer is told when the provider could not do something. The provider's own
/// words were logged where the call failed.
fn provider_error(e: ProviderError) -> AppError {
    match e {
        ProviderError::NoNumbers => AppError::new(
            ErrorCode::NoNumbers,
            "no numbers are available for that right now; nothing was charged",
        ),
        ProviderError::BadRequest(msg) => AppError::new(ErrorCode::ValidationFailed, msg),
        ProviderError::OrderState { message, .. } => AppError::new(
            ErrorCode::Conflict,
            format!("the provider refused: {message}"),
        ),
        ProviderError::NotFound => {
            AppError::new(ErrorCode::NotFound, "the provider has no such order")
        }
        other => AppError::new(
            ErrorCode::ServiceUnavailable,
            format!("the SMS provider is not available right now ({other}); try again shortly"),
        ),
    }
}

/// Maps a unique-constraint violation to a `Conflict`, leaving other errors as they are.
pub trait OnConstraint<T> {
    fn on_unique_violation(self, map: impl FnOnce() -> ServerError) -> Result<T, ServerError>;
}

impl<T> OnConstraint<T> for Result<T, sqlx::Error> {
    fn on_unique_violation(self, map: impl FnOnce() -> ServerError) -> Result<T, ServerError> {
        self.map_err(|e| match &e {
            sqlx::Error::Database(db) if db.is_unique_violation() => map(),
            _ => ServerError::Db(e),
        })
    }
}
