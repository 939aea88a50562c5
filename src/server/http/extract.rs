//! Extractors that fail with the API's JSON errors instead of axum's plain-text rejections.

use crate::api::{AppError, ErrorCode};
use crate::server::services::accounts::Principal;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

/// The signed-in caller (session cookie or API key); 401 when there is none.
pub struct AuthUser(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Principal>()
            .cloned()
            .map(AuthUser)
            .ok_or_else(AppError::unauthorized)
    }
}

impl<S: Send + Sync> OptionalFromRequestParts<S> for AuthUser {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Option<Self>, Self::Rejection> {
        Ok(parts.extensions.get::<Principal>().cloned().map(AuthUser))
    }
}

/// A JSON body. Not JSON → 400; JSON of the wrong shape → 422 naming the field.
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(shape_error(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(AppError::new(
                ErrorCode::BadRequest,
                "the request body is not valid JSON",
            )),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(AppError::new(
                ErrorCode::UnsupportedMediaType,
                "send the body as JSON with Content-Type: application/json",
            )),
            Err(e) => Err(AppError::new(
                ErrorCode::BadRequest,
                format!("could not read the request body: {}", e.body_text()),
            )),
        }
    }
}

/// Query parameters; a malformed one → 422 naming it.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| shape_error(&e.body_text()))
    }
}

/// Turns serde's message ("missing field `email`", "email: invalid type…") into a 422 that
/// names the field when serde said which one.
fn shape_error(text: &str) -> AppError {
    let detail = text
        .split_once(": ")
        .map(|(_, rest)| rest)
        .unwrap_or(text)
        .to_owned();
    let field = backticked(&detail, "field `")
        .or_else(|| detail.split_once(": ").map(|(f, _)| f.trim().to_owned()))
        .filter(|f| !f.is_empty() && !f.contains(' '));
    AppError {
        code: ErrorCode::ValidationFailed,
        message: detail,
        field,
        retry_after: None,
    }
}

fn backticked(s: &str, after: &str) -> Option<String> {
    let start = s.find(after)? + after.len();
    let len = s[start..].find('`')?;
    Some(s[start..start + len].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_field() {
        let e = shape_error("Failed to deserialize the JSON body into the target type: missing field `email` at line 1 column 2");
        assert_eq!(e.field.as_deref(), Some("email"));
        assert_eq!(e.code, ErrorCode::ValidationFailed);
    }

    #[test]
    fn names_the_mistyped_field() {
        let e = shape_error("Failed to deserialize the JSON body into the target type: password: invalid type: integer `5`, expected a string at line 1 column 30");
        assert_eq!(e.field.as_deref(), Some("password"));
        let q =
            shape_error("Failed to deserialize query string: page: invalid digit found in string");
        assert_eq!(q.field.as_deref(), Some("page"));
    }
}
