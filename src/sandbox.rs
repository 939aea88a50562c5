//! HTTP emulators of the providers' real APIs: the embedded default (sandbox mode) and what
//! the tests run the real clients against. Server-only, like `server`.

pub mod five_sim;
pub mod guard;
pub mod sms_activate;
pub mod textverified;
pub mod traffic;

use five_sim::FiveSimEmulator;
use sms_activate::SmsActivateEmulator;
use textverified::TextVerifiedEmulator;

/// The emulators sandbox mode runs, each on its own loopback port.
#[derive(Clone, Debug, Default)]
pub struct Emulators {
    pub five_sim: Option<FiveSimEmulator>,
    pub sms_activate: Option<SmsActivateEmulator>,
    pub textverified: Option<TextVerifiedEmulator>,
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
