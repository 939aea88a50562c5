//! The page's own script: one island, last in every page's body, so the loader reaches it
//! after every other island. The behaviours it adds are delegated from the document, so they
//! also work on HTML the live updates swap in, with nothing to hydrate again.

use super::dom::{document, elements, on, target_closest};
use super::live;
use crate::ui::components::countdown::remaining;
use leptos::prelude::*;
use std::time::Duration;
use wasm_bindgen::JsCast;

/// `events_after`: the event id the page's data is as of (see `LiveCursor`).
#[island]
pub fn PageScript(signed_in: bool, events_after: Option<i64>) -> impl IntoView {
    // Effects run in the browser only, once this island is hydrated.
    Effect::new(move |_| {
        let Some(document) = document() else { return };
        copy_buttons(&document);
        submit_once(&document);
        mark_read_when_shown(&document);
        countdowns();
        if signed_in {
            live::listen(events_after);
        }
        // Lets people and end-to-end tests tell when the page has become interactive.
        if let Some(body) = document.body() {
            let _ = body.set_attribute("data-hydrated", "true");
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

/// `<form data-mark-read>` is sent in the background as soon as it is on the page (messages
/// shown are messages seen), then taken away; live updates that bring new unread messages
/// bring a new one.
fn mark_read_when_shown(document: &web_sys::Document) {
    fn send_all() {
        let Some(document) = super::dom::document() else {
            return;
        };
        for form in elements(document.query_selector_all("form[data-mark-read]")) {
            let Ok(form) = form.dyn_into::<web_sys::HtmlFormElement>() else {
                continue;
            };
            form.remove();
            // Sent as the form would be (URL-encoded), which is what server functions read.
            let (Some(window), Ok(body)) = (web_sys::window(), web_sys::UrlSearchParams::new())
            else {
                continue;
            };
            for input in elements(form.query_selector_all("input[name]")) {
                if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
                    body.append(&input.name(), &input.value());
                }
            }
            let init = web_sys::RequestInit::new();
            init.set_method("POST");
            init.set_body(&body);
            // The answer changes nothing here: the event it causes updates the cards.
            let _ = window.fetch_with_str_and_init(&form.action(), &init);
        }
    }
    send_all();
    on(document, live::REFRESHED, |_| send_all());
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

/// `<time data-countdown="SECONDS">` counts down from the seconds the server gave when it
/// rendered the element, once a second, on one timer for the whole tab. The seconds are as of
/// `data-seen` (when the live updates swapped the element in), or else as of the page load.
fn countdowns() {
    let clock = || {
        web_sys::window()
            .and_then(|w| w.performance())
            .map(|p| p.now())
    };
    let tick = move || {
        let (Some(document), Some(now)) = (document(), clock()) else {
            return;
        };
        for el in elements(document.query_selector_all("[data-countdown]")) {
            let number = |name: &str| el.get_attribute(name).and_then(|s| s.parse::<f64>().ok());
            let seconds = number("data-countdown").unwrap_or(0.0);
            let elapsed = (now - number(SEEN).unwrap_or(0.0)) / 1000.0;
            el.set_text_content(Some(&remaining((seconds - elapsed).floor() as i64)));
        }
    };
    tick();
    set_interval(tick, Duration::from_secs(1));
}

/// When a countdown's seconds were given, in `performance.now()` milliseconds.
pub const SEEN: &str = "data-seen";
