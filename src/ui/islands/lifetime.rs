//! Islands live as long as their element is on the page. Leptos keeps an island's reactive
//! owner for ever once hydrated (its hydration function forgets the view), which in a
//! single-page app would leave every island of every page left behind still listening to
//! signals and document events. So an island that listens hands its owner over here; once a
//! navigation has taken its element out of the document, the owner is cleaned up, and with it
//! the island's effects, signals and listeners (`dom::on` removes its own).

use leptos::prelude::*;
use std::cell::RefCell;
use wasm_bindgen::prelude::wasm_bindgen;

thread_local! {
    static PENDING: RefCell<Option<Owner>> = const { RefCell::new(None) };
    static LIVE: RefCell<Vec<(web_sys::Element, Owner)>> = const { RefCell::new(Vec::new()) };
}

/// Called in an island's body: the island ends when its element leaves the page.
pub fn ends_with_its_element() {
    if cfg!(target_arch = "wasm32") {
        PENDING.with(|p| *p.borrow_mut() = Owner::current());
    }
}

/// Called by the loader right after it hydrated the island `el`.
#[wasm_bindgen]
pub fn island_hydrated(el: web_sys::Element) {
    if let Some(owner) = PENDING.with(|p| p.borrow_mut().take()) {
        LIVE.with(|l| l.borrow_mut().push((el, owner)));
    }
}

/// Cleans up the islands whose element is no longer in the document.
pub fn end_detached() {
    let ended: Vec<Owner> = LIVE.with(|l| {
        let mut live = l.borrow_mut();
        let (kept, gone): (Vec<_>, Vec<_>) = live.drain(..).partition(|(el, _)| el.is_connected());
        *live = kept;
        gone.into_iter().map(|(_, owner)| owner).collect()
    });
    // Outside the borrow: cleaning up runs the islands' own cleanups.
    for owner in ended {
        owner.cleanup();
    }
}
