//! The server's error: what went wrong in a use-case, with its cause chain for the logs.
//! It becomes the client-safe `AppError` at the edge; database and unexpected errors are logged
//! there and collapse to a generic 500 so no internals reach the client.

use crate::api::{AppError, ErrorCode};
use crate::domain::Money;
use crate::server::providers::{OrderStateError, ProviderError};
use std::borrow::Cow;
use std::fmt;

#[derive(thiserror::Error)]
pub enum ServerError {
    #[error("{message}")]
    Validation {
        field: Cow<'static, str>,
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
            field: Cow::Borrowed(field),
            message: format!("{field} {message}"),
        }
    }

    /// A refusal of a field named at run time (`tiers[1].name`).
    pub fn validation_of(field: String, message: impl fmt::Display) -> Self {
        ServerError::Validation {
            message: format!("{field} {message}"),
            field: Cow::Owned(field),
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
            ServerError::Validation { field, message } => AppError::validation(&field, message),
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
                    "insufficient balance: this costs {}, your balance is {}{}; add {} to continue",
                    needed.display(),
                    available.display(),
                    if available.is_negative() {
                        " (below zero after a card payment was refunded or disputed: purchases are paused until it is settled)"
                    } else {
                        ""
                    },
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

/// What a customer is told when the provider could not do something: a stable code and plain
/// words, never the provider's own (its bodies, its balance, its view of our credentials).
/// Operators get the detail in the log here.
fn provider_error(e: ProviderError) -> AppError {
    tracing::warn!(error = %e, "a provider failure reached a customer");
    match e {
        ProviderError::NoNumbers => AppError::new(
            ErrorCode::NoNumbers,
            "no numbers are available for that right now; nothing was charged",
        ),
        ProviderError::OrderState { state, .. } => {
            AppError::new(ErrorCode::Conflict, order_state_words(state))
        }
        ProviderError::NotFound => AppError::new(
            ErrorCode::NotFound,
            "this number's order no longer exists at the provider",
        ),
        ProviderError::BadRequest(_) => AppError::new(
            ErrorCode::ProviderRefused,
            "the provider declined this request; nothing was charged. Try another service or country",
        ),
        ProviderError::InsufficientProviderBalance
        | ProviderError::NotEnoughRating
        | ProviderError::RateLimited
        | ProviderError::Timeout(_)
        | ProviderError::Unauthorized
        | ProviderError::Unsupported(_)
        | ProviderError::Upstream { .. }
        | ProviderError::Decode(_)
        | ProviderError::Unavailable
        | ProviderError::Unconfirmed(_) => AppError::new(
            ErrorCode::ServiceUnavailable,
            "numbers for this service are unavailable right now; try again shortly",
        )
        .retry_after(PROVIDER_RETRY_AFTER_SECS),
    }
}

/// When a customer is told to come back after a provider fault.
const PROVIDER_RETRY_AFTER_SECS: u64 = 30;

/// Plain words for an order the provider says cannot do what was asked now.
fn order_state_words(state: OrderStateError) -> &'static str {
    match state {
        OrderStateError::Expired => "this number's time at the provider is over",
        OrderStateError::HasSms => "this number has already received a message",
        OrderStateError::HostingOrder => "a rented number cannot be cancelled; release it instead",
        OrderStateError::NoSms => "no message has arrived on this number yet",
        OrderStateError::TooEarly => {
            "this cannot be done so soon after buying; try again in a minute"
        }
        OrderStateError::ReuseRefused => "the provider does not allow this number to be used again",
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
