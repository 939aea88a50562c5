//! `/api/catalog/*`: what can be bought where, at our prices. Public, cached briefly.

use super::error::ApiResult;
use super::extract::ApiQuery;
use crate::api::dto::{CountryList, ServiceList};
use crate::server::services::catalog;
use crate::server::state::AppState;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/catalog/countries", get(countries))
        .route("/api/catalog/services", get(services))
}

async fn countries(State(state): State<AppState>) -> ApiResult<Json<CountryList>> {
    Ok(Json(catalog::countries(&state).await?))
}

#[derive(Deserialize)]
struct ServicesQuery {
    country: Option<String>,
}

async fn services(
    State(state): State<AppState>,
    ApiQuery(q): ApiQuery<ServicesQuery>,
) -> ApiResult<Json<ServiceList>> {
    Ok(Json(
        catalog::services(&state, q.country.as_deref().unwrap_or_default()).await?,
    ))
}
