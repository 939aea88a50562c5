//! The tab's own script: one island, last in the first page's body, outside what page changes
//! replace, so it lives as long as the document. The behaviours it adds are delegated from the
//! document, so they also work on every page that comes after, with nothing to hydrate again.

use super::dom::{document, elements, on, target_closest};
use super::{actions, live};
use crate::ui::components::countdown::remaining;
use leptos::prelude::*;
use std::cell::Cell;
use std::time::Duration;

/// `events_after`: the event id the page's data is as of (see `LiveCursor`).
#[island]
pub fn PageScript(signed_in: bool, events_after: Option<i64>) -> impl IntoView {
    // Effects run in the browser only, once this island is hydrated.
    Effect::new(move |_| {
        let Some(document) = document() else { return };
        copy_buttons(&document);
        submit_once(&document);
        actions::send_forms(&document);
        countdowns();
        if signed_in {
            live::listen(events_after);
            bell(&document);
        }
        // Lets people and end-to-end tests tell when the page has become interactive.
        if let Some(body) = document.body() {
            let _ = body.set_attribute("data-hydrated", "true");
        }
    });
}

/// The bell's count (`[data-unread]`, drawn by the server) follows the store: a plain text
/// update, not a view of its own.
fn bell(document: &web_sys::Document) {
    let document = document.clone();
    let unread = crate::ui::live::store().unread();
    Effect::new(move |_| {
        if let Some(n) = unread.get() {
            let text = if n > 0 { n.to_string() } else { String::new() };
            for el in elements(document.query_selector_all("[data-unread]")) {
                el.set_text_content(Some(&text));
            }
        }
    });
}

/// `<button data-copy="…">` copies its text to the clipboard and says so.
fn copy_buttons(document: &web_sys::Document) {
    on(document, "click", |event| {
        let Some(button) = target_closest(&event, "[data-copy]") else {
            return;
        };
        let (Some(window), Some(text)) = (web_sys::window(), button.get_attribute("data-copy"))
        else {
            return;
        };
        let _ = window.navigator().clipboard().write_text(&text);
        button.set_text_content(Some("Copied"));
    });
}

/// A form is sent once: a second click while the page is on its way (say, a double click on
/// "Rent number") would otherwise buy twice. The buttons stay enabled until then, as a
/// disabled submitter would drop its own name and value from what is posted.
fn submit_once(document: &web_sys::Document) {
    const SENT: &str = "data-sent";
    on(document, "submit", |event| {
        let Some(form) = target_closest(&event, "form") else {
            return;
        };
        if form.has_attribute(SENT) {
            event.prevent_default();
        } else {
            let _ = form.set_attribute(SENT, "");
        }
    });
    // Back to this page from the browser's history: its forms can be sent again.
    if let Some(window) = web_sys::window() {
        let document = document.clone();
        on(&window, "pageshow", move |_| {
            for form in elements(document.query_selector_all("form[data-sent]")) {
                let _ = form.remove_attribute(SENT);
            }
        });
    }
}

/// `<time data-countdown datetime="…">` counts down to its `datetime` once a second, on one
/// timer for the whole tab, by the server's clock (see [`sync_clock`]): so nothing is fetched
/// to keep them current, and a countdown a live update put in place is right at once.
fn countdowns() {
    let tick = move || {
        let Some(document) = document() else {
            return;
        };
        let now = js_sys::Date::now() + CLOCK_OFFSET_MS.with(Cell::get);
        for el in elements(document.query_selector_all("[data-countdown]")) {
            let until = js_sys::Date::parse(&el.get_attribute("datetime").unwrap_or_default());
            if until.is_finite() {
                el.set_text_content(Some(&remaining(((until - now) / 1000.0).floor() as i64)));
            }
        }
    };
    sync_clock();
    tick();
    set_interval(tick, Duration::from_secs(1));
}

thread_local! {
    /// The server's clock less the browser's, as of the last page the server rendered.
    static CLOCK_OFFSET_MS: Cell<f64> = const { Cell::new(0.0) };
}

/// The server's clock as an event told it (`ms` since the epoch when it wrote the event): a
/// clock that moved on by more than the rounding (the sandbox's clock can be moved forward)
/// moves the countdowns with it. Earlier times are what replayed events say, and are ignored.
pub fn server_clock_was(ms: i64) {
    let ahead = ms as f64 - (js_sys::Date::now() + CLOCK_OFFSET_MS.with(Cell::get));
    if ahead > 2_000.0 {
        CLOCK_OFFSET_MS.with(|o| o.set(o.get() + ahead));
    }
}

/// Takes the server's clock from the page it just rendered (`<main data-now="MS">`), so
/// countdowns agree with the server's even where the browser's clock is off.
pub fn sync_clock() {
    let server_now = document()
        .and_then(|d| d.query_selector("main[data-now]").ok().flatten())
        .and_then(|main| main.get_attribute("data-now"))
        // Read as an integer: parsing a float brings ~10 KB of tables into the WASM.
        .and_then(|ms| ms.parse::<i64>().ok());
    if let Some(server_now) = server_now {
        CLOCK_OFFSET_MS.with(|o| o.set(server_now as f64 - js_sys::Date::now()));
    }
}
