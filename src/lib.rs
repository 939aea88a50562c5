//! Namaskah SMS: temporary phone numbers and SMS verification codes.
//!
//! One crate, two targets. `domain`, `api`, `ui` and `app` compile for the server and for the
//! browser (WASM); pages render on the server only, and the browser runs just the islands in
//! `ui::islands`. Everything server-only (`server`, and the provider emulators in `sandbox`)
//! sits behind the `ssr` gate below.

// Leptos views are types; a page's nested views (a rental's page with its islands and forms)
// go deeper than the default limit when the client is built for release.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point. Pages are rendered on the server; only the islands (`ui::islands`)
/// run in the browser, and the loader hydrates each of them after this returns.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // Panics name themselves in the console; in the release build of `scripts/release` they
    // abort at once (`panics_abort_at_once`), so a hook would never run there and only cost
    // bytes.
    #[cfg(not(panics_abort_at_once))]
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_islands();
}
