//! The state every handler, server function and job shares.

use super::cache::Caches;
use super::client_files::ClientFiles;
use super::clock::Clock;
use super::config::Settings;
use super::events::EventHub;
use super::http::rate_limits::RateLimiters;
use super::providers::router::ProviderRouter;
use super::services::catalog::CatalogCache;
use super::services::passwords::PasswordPool;
use super::storage::Db;
use crate::sandbox::Emulators;
use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use std::sync::Arc;
use tokio_util::task::TaskTracker;

#[derive(Clone, FromRef)]
pub struct AppState {
    pub db: Db,
    pub settings: Arc<Settings>,
    pub clock: Clock,
    pub leptos_options: LeptosOptions,
    /// Every configured provider (in sandbox mode, the real clients talking to the embedded
    /// emulators). Services know providers only through it.
    pub router: Arc<ProviderRouter>,
    /// Where customers pay for top-ups (Stripe, or in sandbox mode its emulator); `None`
    /// when top-ups are off.
    pub payments: Option<Arc<dyn super::payments::PaymentProvider>>,
    /// The embedded emulators, in sandbox mode only.
    pub sandbox: Option<Emulators>,
    pub catalog: Arc<CatalogCache>,
    /// Short-lived caches of the hottest reads, invalidated by every change.
    pub caches: Arc<Caches>,
    pub events: Arc<dyn EventHub>,
    /// Held while a rental's view is read for its `rental.updated` event and published, so
    /// the events go out in the order of what they show (see `services::rentals`).
    pub rental_publishing: Arc<tokio::sync::Mutex<()>>,
    /// The threads that hash passwords, and the bounded wait for them.
    pub passwords: PasswordPool,
    /// Changes being carried out, their clients still waiting or not (`http::completion`);
    /// a stopping server lets them end first.
    pub changes: TaskTracker,
    /// Where mail goes (SMTP, or the outbox).
    pub mailer: Arc<dyn super::mail::Mailer>,
    /// The outbox, when mail is kept rather than sent.
    pub outbox: Option<Arc<super::mail::Outbox>>,
    /// The request rate limits, in this instance's memory.
    pub rate_limits: Arc<RateLimiters>,
    /// The names of the browser client's files.
    pub client_files: Arc<ClientFiles>,
    /// What `/metrics` renders.
    pub metrics: Arc<super::metrics::Metrics>,
    /// What this instance's jobs have done (the console's system page).
    pub jobs: Arc<super::jobs::board::JobBoard>,
    /// The client webhook deliveries go out with (`services::webhooks::client`).
    pub webhook_client: reqwest::Client,
    /// When this instance started (ms since the epoch).
    pub started_at: i64,
}

impl AppState {
    /// Runs work that follows an answer already given (a mail, a notice to an owner) among
    /// the changes a stopping server waits for; a failure is logged with `what`.
    pub fn after_answer<F>(&self, what: &'static str, work: F)
    where
        F: std::future::Future<Output = Result<(), super::ServerError>> + Send + 'static,
    {
        self.changes.spawn(async move {
            if let Err(e) = work.await {
                tracing::error!(error.cause_chain = ?e, "could not {what}");
            }
        });
    }
}
