//! Live updates in the browser: one `EventSource` on `/api/events` per tab while someone is
//! signed in. Events bump signals that the pages' resources follow, so a new SMS, a code, a
//! charge or a refund shows without reload and without polling. Runs only in the browser (an
//! `Effect`).

use crate::app::{SessionResource, SessionVersion};
use leptos::prelude::*;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;

/// Bumped on every rental event; rental resources refetch when it changes.
#[derive(Clone, Copy)]
pub struct RentalsVersion(pub RwSignal<u64>);

/// Bumped on every verification event.
#[derive(Clone, Copy)]
pub struct VerificationsVersion(pub RwSignal<u64>);

/// An event kind and what it bumps.
type Route = (&'static str, Box<dyn Fn()>);

/// Opens the stream when someone signs in and closes it when they sign out. Everything here
/// runs in the browser only: effects never run on the server.
pub fn provide_live_updates() {
    let rentals = RwSignal::new(0u64);
    let verifications = RwSignal::new(0u64);
    provide_context(RentalsVersion(rentals));
    provide_context(VerificationsVersion(verifications));
    let SessionVersion(session_version) = expect_context();
    let session = expect_context::<SessionResource>();
    // Which signal each event kind bumps.
    let routes = move || {
        let bump_session = move || session_version.update(|v| *v += 1);
        let bump_rentals = move || rentals.update(|v| *v += 1);
        let bump_verifications = move || verifications.update(|v| *v += 1);
        vec![
            ("rental.updated", Box::new(bump_rentals) as Box<dyn Fn()>),
            ("sms.received", Box::new(bump_rentals)),
            ("rental.expiring", Box::new(bump_rentals)),
            ("verification.updated", Box::new(bump_verifications)),
            ("balance.changed", Box::new(bump_session)),
        ]
    };
    // Held by the effect alone: nothing browser-side is created while rendering on the server.
    let mut source: Option<web_sys::EventSource> = None;
    Effect::new(move |_| {
        let signed_in = session
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.user.is_some());
        match (signed_in, source.is_some()) {
            (true, false) => source = open(routes()),
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

fn open(routes: Vec<Route>) -> Option<web_sys::EventSource> {
    let es = web_sys::EventSource::new("/api/events").ok()?;
    for (kind, bump) in routes {
        let on_event =
            Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |_: web_sys::MessageEvent| {
                bump()
            });
        let _ = es.add_event_listener_with_callback(kind, on_event.as_ref().unchecked_ref());
        // The listener lives as long as the page: the stream closes with the tab.
        on_event.forget();
    }
    Some(es)
}
