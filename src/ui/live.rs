//! Live updates in the browser: one `EventSource` on `/api/events` per tab while someone is
//! signed in. Events bump signals that the pages' resources follow, so a new SMS, a charge or a
//! refund shows without reload and without polling. Runs only in the browser (an `Effect`).

use crate::app::{SessionResource, SessionVersion};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Bumped on every rental event; rental resources refetch when it changes.
#[derive(Clone, Copy)]
pub struct RentalsVersion(pub RwSignal<u64>);

const RENTAL_EVENTS: [&str; 3] = ["rental.updated", "sms.received", "rental.expiring"];

/// Opens the stream when someone signs in and closes it when they sign out. Everything here
/// runs in the browser only: effects never run on the server.
pub fn provide_live_updates() {
    let rentals = RentalsVersion(RwSignal::new(0));
    provide_context(rentals);
    let SessionVersion(session_version) = expect_context();
    let session = expect_context::<SessionResource>();
    // Held by the effect alone: nothing browser-side is created while rendering on the server.
    let mut source: Option<web_sys::EventSource> = None;
    Effect::new(move |_| {
        let signed_in = session
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.user.is_some());
        match (signed_in, source.is_some()) {
            (true, false) => source = open(rentals, session_version),
            (false, true) => {
                if let Some(es) = source.take() {
                    es.close();
                }
            }
            _ => {}
        }
    });
    // Closing the tab closes the stream; the server frees its subscription at once.
}

fn open(rentals: RentalsVersion, session_version: RwSignal<u32>) -> Option<web_sys::EventSource> {
    let es = web_sys::EventSource::new("/api/events").ok()?;
    for kind in RENTAL_EVENTS {
        let on_event =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                rentals.0.update(|v| *v += 1);
            });
        let _ = es.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        // The listener lives as long as the page: the stream closes with the tab.
        on_event.forget();
    }
    let on_balance =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
            session_version.update(|v| *v += 1);
        });
    let _ =
        es.add_event_listener_with_callback("balance.changed", on_balance.as_ref().unchecked_ref());
    on_balance.forget();
    Some(es)
}
