//! Namaskah SMS: temporary phone numbers and SMS verification codes.
//!
//! One crate, two targets. `domain`, `api`, `ui` and `app` compile for the server and for the
//! browser (WASM); everything server-only (`server`, and the provider emulators in `sandbox`) sits behind
//! the `ssr` gate below.

pub mod api;
pub mod app;
pub mod domain;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod sandbox;
#[cfg(feature = "ssr")]
pub mod server;

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
    // Lets people and end-to-end tests tell when the page has become interactive.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
