//! The API reference page's data: the OpenAPI document, as the page shows it.

use super::dto::ApiReference;
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/fn", endpoint = "get_api_reference", input = GetUrl)]
pub async fn get_api_reference() -> Result<ApiReference, AppError> {
    use crate::server::{fn_context as cx, http::openapi};
    cx::run(async { Ok(openapi::reference_for(&cx::state()?)) }).await
}
