//! Calls from the WASM to the server functions, over their HTTP endpoints. The arguments go as
//! the function's forms send them without JavaScript (URL-encoded by the browser from the
//! form's own fields: the functions' `PostUrl` encoding), and the answer is read into the
//! function's own output type or its [`AppError`], so the types stay the ones in `api`.
//!
//! Why by hand: Leptos's client for server functions brings its own HTTP and URL-encoding
//! machinery into the WASM (tens of KB gzip against the page budget) for what the browser's
//! `fetch` and `FormData` already do.

use crate::api::{AppError, ErrorCode};
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, RequestInit, Response, UrlSearchParams};

/// Posts `args` to `F`, as its form would, and reads the answer.
pub async fn post<F>(args: &UrlSearchParams) -> Result<F::Output, AppError>
where
    F: ServerFn<Error = AppError>,
    F::Output: DeserializeOwned,
{
    read(&send(F::url(), Some(args)).await?)
}

/// `GET`s `F` (a `GetUrl` function) with `query` (`a=1&b=2`, or empty).
pub async fn get<F>(query: &str) -> Result<F::Output, AppError>
where
    F: ServerFn<Error = AppError>,
    F::Output: DeserializeOwned,
{
    let url = match query {
        "" => F::url().to_owned(),
        query => format!("{}?{query}", F::url()),
    };
    read(&send(&url, None).await?)
}

/// Reads a successful answer as `T`.
pub fn read<T: DeserializeOwned>(text: &str) -> Result<T, AppError> {
    serde_json::from_str(text).map_err(|_| unreadable())
}

/// The body of the answer to `url`, or the error the server gave (or the network's).
pub async fn send(url: &str, form: Option<&UrlSearchParams>) -> Result<String, AppError> {
    let init = RequestInit::new();
    if let Some(form) = form {
        init.set_method("POST");
        init.set_body(form);
    }
    // JSON, not a page: a server function answers a browser asking for HTML with the page.
    if let Ok(headers) = Headers::new() {
        let _ = headers.set("accept", "application/json");
        init.set_headers(&headers);
    }
    let (status, text) = fetch(url, &init).await?;
    if (200..300).contains(&status) {
        return Ok(text);
    }
    Err(serde_json::from_str::<AppError>(&text).unwrap_or_else(|_| {
        let code = match status {
            413 => ErrorCode::PayloadTooLarge,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::ServiceUnavailable,
            _ => ErrorCode::Internal,
        };
        AppError::new(code, "the server could not answer; try again")
    }))
}

/// Fetches `url` with `init`: the answer's status and its text (empty when unreadable).
async fn fetch(url: &str, init: &RequestInit) -> Result<(u16, String), AppError> {
    let window = web_sys::window().ok_or_else(offline)?;
    let response: Response = JsFuture::from(window.fetch_with_str_and_init(url, init))
        .await
        .map_err(|_| offline())?
        .dyn_into()
        .map_err(|_| offline())?;
    let text = match response.text() {
        Ok(text) => JsFuture::from(text).await.ok().and_then(|t| t.as_string()),
        Err(_) => None,
    }
    .unwrap_or_default();
    Ok((response.status(), text))
}

fn offline() -> AppError {
    AppError::new(
        ErrorCode::Network,
        "could not reach the server; check the connection and try again",
    )
}

fn unreadable() -> AppError {
    AppError::new(
        ErrorCode::Internal,
        "the server's answer could not be read; reload the page",
    )
}

/// Sends `method url` as it is, with `headers` and `body`: the answer's status and text, or
/// why there is none. For the API reference's forms, which show any answer as it came.
pub async fn raw(
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Result<(u16, String), AppError> {
    let init = RequestInit::new();
    init.set_method(method);
    if let Some(body) = body {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    let sent = Headers::new().map_err(|_| offline())?;
    for (name, value) in headers {
        sent.set(name, value)
            .map_err(|_| AppError::validation(name, "is not a valid header value"))?;
    }
    init.set_headers(&sent);
    fetch(url, &init).await
}
