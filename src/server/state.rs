//! The state every handler, server function and job shares.

use super::clock::Clock;
use super::config::Settings;
use super::storage::Db;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub leptos_options: LeptosOptions,
}
