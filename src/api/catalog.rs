//! The catalogue, as server functions for the UI (the REST routes call the same service).

use super::dto::{Choices, CountryList, ServiceList};
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/fn", endpoint = "list_countries")]
pub async fn list_countries() -> Result<CountryList, AppError> {
    use crate::server::{fn_context as cx, services::catalog};
    cx::run(async { Ok(catalog::countries(&cx::state()?).await?) }).await
}

#[server(prefix = "/api/fn", endpoint = "list_services")]
pub async fn list_services(country: String) -> Result<ServiceList, AppError> {
    use crate::server::fn_context as cx;
    use crate::server::services::{catalog, pricing};
    cx::run(async {
        let state = cx::state()?;
        // Signed in, the caller's own prices; otherwise the list prices.
        let caller = cx::principal().ok().map(|p| p.user_id);
        let pricer = pricing::for_customer(&state, caller).await?;
        Ok(catalog::services(&state, &country, &pricer).await?)
    })
    .await
}

/// The caller's favourite and recently used services and countries, for the pickers.
#[server(prefix = "/api/fn", endpoint = "my_choices", input = GetUrl)]
pub async fn my_choices() -> Result<Choices, AppError> {
    use crate::server::{fn_context as cx, services::favourites};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(favourites::choices(&state, user.user_id).await?)
    })
    .await
}

/// Marks a service (`kind` `service`, `code` its slug) or a country (`country`, its ISO code)
/// as a favourite, or (`on` false) no longer; answers with the caller's choices as they are now.
#[server(prefix = "/api/fn", endpoint = "set_favourite")]
pub async fn set_favourite(kind: String, code: String, on: bool) -> Result<Choices, AppError> {
    use crate::server::{fn_context as cx, services::favourites};
    cx::run(async {
        let (state, user) = (cx::state()?, cx::principal()?);
        Ok(favourites::set(&state, user.user_id, &kind, &code, on).await?)
    })
    .await
}
