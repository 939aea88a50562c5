//! Builds the application: database, state, router; binds the listener (port 0 works).

use super::client_files::{self, ClientFiles};
use super::clock::Clock;
use super::config::SandboxProvider;
use super::config::{SecretString, Settings};
use super::events::postgres::PgHub;
use super::events::LocalHub;
use super::http::origin::Origin;
use super::http::rate_limits::RateLimiters;
use super::http::{self, security};
use super::payments::stripe::StripeClient;
use super::payments::PaymentProvider;
use super::providers::five_sim::{FiveSimClient, FiveSimSettings};
use super::providers::router::ProviderRouter;
use super::providers::sms_activate::{SmsActivateClient, SmsActivateSettings};
use super::providers::textverified::{TextVerifiedClient, TextVerifiedSettings};
use super::providers::SmsProvider;
use super::services::catalog::CatalogCache;
use super::services::passwords::PasswordPool;
use super::services::provider_webhooks;
use super::services::secrets::random_token;
use super::shell::shell;
use super::state::AppState;
use super::storage::Backend;
use super::storage::Db;
use crate::app::App;
use crate::domain::CURRENCY;
use crate::sandbox::five_sim::FiveSimEmulator;
use crate::sandbox::sms_activate::SmsActivateEmulator;
use crate::sandbox::stripe::StripeEmulator;
use crate::sandbox::textverified::TextVerifiedEmulator;
use crate::sandbox::Emulators;
use crate::ui::components::FormNonce;
use crate::ui::islands::{LiveCursor, RenderedAt};
use anyhow::Context;
use axum::Router;
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::task::TaskTracker;
use tower_http::compression::CompressionLayer;

pub struct Application {
    listener: TcpListener,
    router: Router,
    state: AppState,
    /// `METRICS_ADDR`'s listener, serving `/metrics` alone.
    metrics_listener: Option<TcpListener>,
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
        if settings.public_origins.is_empty() {
            settings.public_origins = Origin::defaults_for(settings.site_addr);
            if settings.site_addr.ip().is_unspecified() {
                tracing::warn!(
                    addr = %settings.site_addr,
                    "PUBLIC_ORIGIN is unset: only requests for localhost are answered; \
                     set it to the address browsers use"
                );
            }
        }
        let clock = Clock::default();
        if settings.sandbox() && settings.provider_webhook_base_url.is_none() {
            // The emulators push to the app itself.
            settings.provider_webhook_base_url = Some(format!("http://{}", settings.site_addr));
            settings.provider_webhook_secret = Some(SecretString::new(random_token("", 24)));
        }
        if settings.sandbox() && settings.textverified_webhook_secret.is_none() {
            settings.textverified_webhook_secret =
                Some(SecretString::new(random_token("whsec_", 24)));
        }
        let (providers, mut sandbox) = if settings.sandbox() {
            let (providers, emulators) = start_sandbox(&settings, &clock).await?;
            (providers, Some(emulators))
        } else {
            (configured_providers(&settings)?, None)
        };
        let payments = payments(&settings, &clock, sandbox.as_mut())?;
        let metrics_listener = match settings.metrics_addr {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("Failed to listen on {addr} (METRICS_ADDR)"))?,
            ),
            None => None,
        };
        let state = assemble(settings, clock, providers, payments, sandbox).await?;
        let router = router(state.clone());
        Ok(Application {
            listener,
            router,
            state,
            metrics_listener,
        })
    }

    /// Where `METRICS_ADDR` serves `/metrics`, if it is set.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
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
        // On shutdown the hub ends every stream, wherever it is served, so that hyper's
        // connections can finish their responses and close.
        let events = self.state.events.clone();
        let limits = http::connections::Limits {
            max_connections: self.state.settings.max_connections,
            header_timeout: Duration::from_secs(self.state.settings.http_header_timeout_secs),
        };
        let metrics = self.metrics_listener.map(|listener| {
            let router = http::ops::metrics_router().with_state(self.state.clone());
            let limits = http::connections::Limits {
                max_connections: METRICS_CONNECTIONS,
                header_timeout: limits.header_timeout,
            };
            tokio::spawn(async move {
                let served =
                    http::connections::serve(listener, router, limits, std::future::pending())
                        .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "the METRICS_ADDR listener stopped");
                }
            })
        });
        let served = http::connections::serve(self.listener, self.router, limits, async move {
            shutdown.await;
            events.close();
        })
        .await;
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        // Every connection is closed; changes whose clients hung up may still be running.
        let changes = &self.state.changes;
        changes.close();
        if tokio::time::timeout(CHANGES_GRACE, changes.wait())
            .await
            .is_err()
        {
            tracing::warn!(
                running = changes.len(),
                "stopping with changes still running"
            );
        }
        served
    }
}

/// Connections `METRICS_ADDR`'s listener holds open at once (scrapers are few).
const METRICS_CONNECTIONS: usize = 16;

/// How long a stopping server waits for changes still being carried out.
const CHANGES_GRACE: Duration = Duration::from_secs(30);

/// Resolves on Ctrl-C or on SIGTERM (what service managers and container runtimes send).
pub async fn stop_signal() {
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; Ctrl-C still stops the server");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate => {}
    }
}

/// The state for one-off commands (`user create`, `credit`): a migrated database, and the
/// configured providers' clients, which are not called (no emulator is started for them).
pub async fn offline_state(settings: Settings) -> anyhow::Result<AppState> {
    let providers = configured_providers(&settings)?;
    let clock = Clock::default();
    let payments = payments(&settings, &clock, None)?;
    assemble(settings, clock, providers, payments, None).await
}

/// Where top-ups are paid: Stripe when `STRIPE_SECRET_KEY` is set; else, in sandbox mode
/// (`emulators` given), the Stripe emulator on the app's own port, with keys made up for
/// this run (or `STRIPE_WEBHOOK_SECRET`); else nowhere (top-ups are off).
fn payments(
    settings: &Settings,
    clock: &Clock,
    emulators: Option<&mut Emulators>,
) -> anyhow::Result<Option<Arc<dyn PaymentProvider>>> {
    if let (Some(key), Some(secret)) =
        (&settings.stripe_secret_key, &settings.stripe_webhook_secret)
    {
        let client = StripeClient::new(
            &settings.stripe_base_url,
            crate::server::payments::stripe::CHECKOUT_ORIGIN,
            key.clone(),
            secret.clone(),
        )?;
        return Ok(Some(Arc::new(client)));
    }
    let Some(emulators) = emulators else {
        return Ok(None);
    };
    let key = random_token("sk_test_", 16);
    let secret = settings
        .stripe_webhook_secret
        .as_ref()
        .map(|s| s.expose().to_owned())
        .unwrap_or_else(|| random_token("whsec_", 24));
    // The app calls the emulator, and the emulator the app, on the listening address.
    let addr = settings.site_addr;
    let own = match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            format!("http://127.0.0.1:{}", addr.port())
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => format!("http://[::1]:{}", addr.port()),
        _ => format!("http://{addr}"),
    };
    let path = crate::sandbox::stripe::PATH;
    emulators.stripe = Some(StripeEmulator::new(
        &key,
        &secret,
        &format!("{own}{}", http::billing::STRIPE_WEBHOOK_PATH),
        &format!("{}{path}", settings.link_origin()),
        clock.clone(),
    ));
    tracing::info!(pay_at = %format!("{}{path}", settings.link_origin()), "sandbox mode: Stripe emulator started");
    let client = StripeClient::new(
        &format!("{own}{path}"),
        &settings.link_origin(),
        SecretString::new(key),
        SecretString::new(secret),
    )?;
    Ok(Some(Arc::new(client)))
}

async fn assemble(
    settings: Settings,
    clock: Clock,
    providers: Vec<Arc<dyn SmsProvider>>,
    payments: Option<Arc<dyn PaymentProvider>>,
    sandbox: Option<Emulators>,
) -> anyhow::Result<AppState> {
    let db = Db::connect(&settings.database_url).await?;
    db.migrate().await?;
    let latest_event = super::storage::events::latest_position(&db.pool).await?;
    let events: Arc<dyn super::events::EventHub> = match db.backend {
        Backend::Sqlite => Arc::new(LocalHub::new(db.clone(), clock.clone(), latest_event)),
        Backend::Postgres => Arc::new(PgHub::start(
            db.clone(),
            settings.database_url.clone(),
            clock.clone(),
            latest_event,
        )),
    };
    let passwords = PasswordPool::start(
        settings.password_hash_threads,
        Duration::from_millis(settings.password_hash_wait_ms),
    )?;
    let cooldown = Duration::from_secs(settings.provider_breaker_cooldown_secs);
    let rate_limits = Arc::new(RateLimiters::new(settings.rate_limits, &clock));
    let (mailer, outbox) = super::mail::from_settings(&settings)?;
    let leptos_options = leptos_options(&settings);
    let client_files = Arc::new(ClientFiles::find(
        &settings.site_root,
        &leptos_options.output_name,
    ));
    Ok(AppState {
        webhook_client: super::services::webhooks::client(settings.sandbox()),
        started_at: clock.now_ms(),
        jobs: Arc::default(),
        passwords,
        leptos_options,
        client_files,
        events,
        db,
        settings: Arc::new(settings),
        clock,
        router: Arc::new(ProviderRouter::new(providers, cooldown)),
        payments,
        sandbox,
        catalog: Arc::new(CatalogCache::default()),
        caches: Arc::default(),
        rental_publishing: Arc::default(),
        changes: TaskTracker::new(),
        rate_limits,
        mailer,
        outbox,
        metrics: Arc::new(super::metrics::Metrics::new()?),
    })
}

/// The providers the configuration names: 5SIM when it has a key, then each SMS-Activate
/// provider.
pub(crate) fn configured_providers(
    settings: &Settings,
) -> anyhow::Result<Vec<Arc<dyn SmsProvider>>> {
    let mut providers = Vec::new();
    if let Some(key) = &settings.fivesim_api_key {
        providers.push(five_sim_client(
            settings,
            settings.fivesim_base_url.clone(),
            key.clone(),
        )?);
    }
    if let (Some(key), Some(username)) = (
        &settings.textverified_api_key,
        &settings.textverified_api_username,
    ) {
        providers.push(textverified_client(
            settings,
            settings.textverified_base_url.clone(),
            username,
            key.clone(),
        )?);
    }
    for p in &settings.sms_activate {
        providers.push(sms_activate_client(
            settings,
            &p.name,
            p.url.clone(),
            p.api_key.clone(),
        )?);
    }
    Ok(providers)
}

fn five_sim_client(
    settings: &Settings,
    base_url: String,
    api_key: SecretString,
) -> anyhow::Result<Arc<dyn SmsProvider>> {
    Ok(Arc::new(FiveSimClient::new(FiveSimSettings {
        base_url,
        api_key,
        timeout: provider_timeout(settings),
        rate_per_sec: settings.provider_rate(settings.fivesim_rate_limit),
    })?))
}

fn sms_activate_client(
    settings: &Settings,
    name: &str,
    url: String,
    api_key: SecretString,
) -> anyhow::Result<Arc<dyn SmsProvider>> {
    Ok(Arc::new(SmsActivateClient::new(SmsActivateSettings {
        name: name.to_owned(),
        url,
        api_key,
        timeout: provider_timeout(settings),
        rate_per_sec: settings.provider_rate(settings.sms_activate_rate_limit),
        currency: CURRENCY.to_owned(),
        push_url: settings
            .provider_webhook_base_url
            .as_deref()
            .zip(settings.provider_webhook_secret.as_ref())
            .map(|(base, secret)| provider_webhooks::sms_activate_url(base, secret, name)),
    })?))
}

fn textverified_client(
    settings: &Settings,
    base_url: String,
    username: &str,
    api_key: SecretString,
) -> anyhow::Result<Arc<dyn SmsProvider>> {
    Ok(Arc::new(TextVerifiedClient::new(TextVerifiedSettings {
        base_url,
        username: username.to_owned(),
        api_key,
        timeout: provider_timeout(settings),
        rate_per_sec: settings.provider_rate(settings.textverified_rate_limit),
        pushes: settings.textverified_webhook_secret.is_some(),
    })?))
}

fn provider_timeout(settings: &Settings) -> Duration {
    Duration::from_secs(u64::from(settings.fivesim_timeout_secs))
}

/// The name the sandbox's SMS-Activate emulator is bought from under.
pub const SANDBOX_SMS_ACTIVATE: &str = "sms-activate";

/// Sandbox mode: each emulator `SANDBOX_PROVIDERS` names on its own loopback port, sharing the
/// app's clock, and the real clients pointed at them over HTTP.
async fn start_sandbox(
    settings: &Settings,
    clock: &Clock,
) -> anyhow::Result<(Vec<Arc<dyn SmsProvider>>, Emulators)> {
    let token = settings.sandbox_control_token.as_ref().map(|t| t.expose());
    let mut providers = Vec::new();
    let mut emulators = Emulators::default();
    for provider in &settings.sandbox_providers {
        let key = random_token("sandbox_", 16);
        match provider {
            SandboxProvider::FiveSim => {
                let emulator = FiveSimEmulator::new(&key, clock.clone(), settings.sandbox_auto_sms)
                    .with_control_token(token);
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], settings.sandbox_port));
                let base_url = crate::sandbox::five_sim::serve(emulator.clone(), addr)
                    .await
                    .with_context(|| {
                        format!("Failed to start the 5SIM emulator on {addr} (SANDBOX_PORT)")
                    })?;
                tracing::info!(%base_url, "sandbox mode: 5SIM emulator started");
                providers.push(five_sim_client(settings, base_url, SecretString::new(key))?);
                emulators.five_sim = Some(emulator);
            }
            SandboxProvider::SmsActivate => {
                let emulator =
                    SmsActivateEmulator::new(&key, clock.clone(), settings.sandbox_auto_sms)
                        .with_control_token(token);
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                let url = crate::sandbox::sms_activate::serve(emulator.clone(), addr)
                    .await
                    .context("Failed to start the SMS-Activate emulator")?;
                tracing::info!(%url, "sandbox mode: SMS-Activate emulator started");
                providers.push(sms_activate_client(
                    settings,
                    SANDBOX_SMS_ACTIVATE,
                    url,
                    SecretString::new(key),
                )?);
                emulators.sms_activate = Some(emulator);
            }
            SandboxProvider::TextVerified => {
                let username = "sandbox@namaskah.local";
                let mut emulator = TextVerifiedEmulator::new(
                    username,
                    &key,
                    clock.clone(),
                    settings.sandbox_auto_sms,
                )
                .with_control_token(token);
                if let (Some(base), Some(secret)) = (
                    &settings.provider_webhook_base_url,
                    &settings.textverified_webhook_secret,
                ) {
                    emulator = emulator.with_webhook(
                        &format!("{base}/api/webhooks/textverified"),
                        secret.expose(),
                    );
                }
                let addr = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
                let base_url = crate::sandbox::textverified::serve(emulator.clone(), addr)
                    .await
                    .context("Failed to start the TextVerified emulator")?;
                tracing::info!(%base_url, "sandbox mode: TextVerified emulator started");
                providers.push(textverified_client(
                    settings,
                    base_url,
                    username,
                    SecretString::new(key),
                )?);
                emulators.textverified = Some(emulator);
            }
        }
    }
    Ok((providers, emulators))
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
    let files = state.client_files.clone();
    let context_state = state.clone();
    let sandbox_routes = state
        .sandbox
        .as_ref()
        .map(|emulators| http::sandbox::router(&state, emulators))
        .unwrap_or_default();
    // Outside sign-in and the site's own guards, as Stripe's API and pages are: its API asks
    // for its secret key, and its control routes for the sandbox's trusted callers.
    let stripe_emulator = state
        .sandbox
        .as_ref()
        .map(|emulators| http::sandbox::stripe_routes(&state, emulators))
        .unwrap_or_default();
    Router::new()
        .merge(http::api_router())
        .merge(sandbox_routes)
        .leptos_routes_with_context(
            &state,
            routes,
            // The cursor first, before anything on the page is read: the page is as of it.
            move || {
                provide_context(LiveCursor(context_state.events.cursor()));
                provide_context(RenderedAt(context_state.clock.now_ms()));
                provide_context(FormNonce(random_token("", 12)));
                provide_context(context_state.clone());
            },
            {
                let (options, files) = (state.leptos_options.clone(), files.clone());
                move || shell(options.clone(), files.clone())
            },
        )
        .nest_service(
            "/pkg",
            client_files::router(&state.settings.site_root, files.clone()),
        )
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(
            move |options| shell(options, files.clone()),
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::authenticate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            security::edge,
        ))
        // Outside sign-in and the host check: a probe or scraper names no public host.
        .merge(http::ops::router())
        .merge(stripe_emulator)
        .layer(CompressionLayer::new())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            http::observe::observe,
        ))
        // Outermost, so nothing can drop a change midway.
        .layer(http::completion::RunToCompletionLayer {
            changes: state.changes.clone(),
        })
        .with_state(state)
}
