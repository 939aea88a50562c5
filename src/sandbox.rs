//! HTTP emulators of the providers' real APIs: the embedded default (sandbox mode) and what
//! the tests run the real clients against. Server-only, like `server`.

pub mod five_sim;
pub mod guard;
pub mod sms_activate;
pub mod stripe;
pub mod textverified;
pub mod traffic;

use five_sim::FiveSimEmulator;
use sms_activate::SmsActivateEmulator;
use std::net::SocketAddr;
use std::sync::Arc;
use textverified::TextVerifiedEmulator;

/// The emulators sandbox mode runs, each on its own loopback port.
#[derive(Clone, Debug, Default)]
pub struct Emulators {
    pub five_sim: Option<FiveSimEmulator>,
    pub sms_activate: Option<SmsActivateEmulator>,
    pub textverified: Option<TextVerifiedEmulator>,
    /// Stripe's, on the app's own port at `/sandbox/stripe`, unless a real Stripe is set up.
    pub stripe: Option<stripe::StripeEmulator>,
}

impl Emulators {
    /// Their control APIs, to mount on the app's own port (behind the caller's guard).
    pub fn control_routes<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        let mut routes = axum::Router::new();
        if let Some(em) = &self.five_sim {
            routes = routes.nest(
                five_sim::CONTROL_PATH,
                five_sim::control::router(em.clone()),
            );
        }
        if let Some(em) = &self.sms_activate {
            routes = routes.nest(
                sms_activate::CONTROL_PATH,
                sms_activate::control::router(em.clone()),
            );
        }
        if let Some(em) = &self.textverified {
            routes = routes.nest(
                textverified::CONTROL_PATH,
                textverified::control::router(em.clone()),
            );
        }
        routes
    }
}

/// Text made safe to put in HTML, in content and in quoted attributes.
pub fn escape_html(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The first order id an emulator gives: "now" in milliseconds, so that an emulator started
/// again (sandbox mode keeps its database between runs) never hands out an id that orders
/// kept from its last run already carry (they are unique per provider here, as upstream).
pub fn first_order_id(clock: &crate::server::clock::Clock) -> i64 {
    clock.now_ms()
}

/// An emulator's own server: its API nested at `api_path`, and its control API at
/// `control_path` for the callers the guard trusts (this machine, or `token`).
pub fn emulator_router(
    api_path: &str,
    api: axum::Router,
    control_path: &str,
    control: axum::Router,
    token: Option<Arc<str>>,
) -> axum::Router {
    let api = if api_path.is_empty() {
        api
    } else {
        axum::Router::new().nest(api_path, api)
    };
    api.nest(
        control_path,
        control.layer(axum::middleware::from_fn_with_state(
            guard::ControlToken(token),
            guard::only_trusted_callers,
        )),
    )
}

/// Serves `app` on its own listener at `addr` (port 0 takes any free one); returns where it
/// listens.
pub async fn listen(
    app: axum::Router,
    addr: SocketAddr,
    name: &'static str,
) -> std::io::Result<SocketAddr> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    tokio::spawn(async move {
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, emulator = name, "an emulator stopped");
        }
    });
    Ok(local)
}
