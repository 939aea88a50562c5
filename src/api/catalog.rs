//! The catalogue, as server functions for the UI (the REST routes call the same service).

use super::dto::{CountryList, ServiceList};
use super::AppError;
use leptos::prelude::*;

#[server(prefix = "/api/fn", endpoint = "list_countries")]
pub async fn list_countries() -> Result<CountryList, AppError> {
    use crate::server::{fn_context as cx, services::catalog};
    cx::run(async { Ok(catalog::countries(&cx::state()?).await?) }).await
}

#[server(prefix = "/api/fn", endpoint = "list_services")]
pub async fn list_services(country: String) -> Result<ServiceList, AppError> {
    use crate::server::{fn_context as cx, services::catalog};
    cx::run(async { Ok(catalog::services(&cx::state()?, &country).await?) }).await
}
