//! Builds the application: database, state, router; binds the listener (port 0 works).

use super::clock::Clock;
use super::config::Settings;
use super::http::{self, security};
use super::shell::shell;
use super::state::AppState;
use super::storage::Db;
use crate::app::App;
use anyhow::Context;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::sync::Arc;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Application> {
        let listener = TcpListener::bind(settings.site_addr)
            .await
            .with_context(|| {
                format!(
                    "Failed to listen on {} (LEPTOS_SITE_ADDR)",
                    settings.site_addr
                )
            })?;
        let mut settings = settings;
        settings.site_addr = listener.local_addr()?;
        let state = offline_state(settings).await?;
        let router = router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
        })
    }

    pub fn port(&self) -> u16 {
        self.state.settings.site_addr.port()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

/// The shared state with a migrated database and no listener: for the server and for one-off
/// commands (`user create`, `credit`).
pub async fn offline_state(settings: Settings) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    Ok(AppState {
        leptos_options: leptos_options(&settings),
        db,
        settings: Arc::new(settings),
        clock: Clock::default(),
    })
}

fn leptos_options(settings: &Settings) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(option_env!("LEPTOS_OUTPUT_NAME").unwrap_or("namaskah"))
        .site_root(settings.site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .site_addr(settings.site_addr)
        .build()
}

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let context_state = state.clone();
    Router::new()
        .merge(http::api_router())
        .leptos_routes_with_context(
            &state,
            routes,
            move || provide_context(context_state.clone()),
            {
                let options = state.leptos_options.clone();
                move || shell(options.clone())
            },
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::authenticate,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(CompressionLayer::new())
        .with_state(state)
}
