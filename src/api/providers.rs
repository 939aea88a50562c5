//! The providers as operators see them, as a server function for the operators' page (the
//! REST route `GET /api/admin/providers` calls the same service).

use super::dto::ProviderList;
use super::AppError;
use leptos::prelude::*;
use leptos::server_fn::codec::GetUrl;

#[server(prefix = "/api/fn", endpoint = "admin_providers", input = GetUrl)]
pub async fn admin_providers() -> Result<ProviderList, AppError> {
    use crate::server::{fn_context as cx, services::provider_account};
    cx::run(async {
        // Admins only (`http::access`); on the page, a refusal says so.
        let state = cx::state()?;
        cx::admin()?;
        Ok(provider_account::overview(&state).await?)
    })
    .await
}
