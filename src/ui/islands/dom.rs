//! The few DOM helpers the islands share. They run in the browser only (inside effects and
//! event handlers); nothing here is called while the server renders.

use leptos::prelude::Owner;
use send_wrapper::SendWrapper;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use web_sys::{Document, Element, EventTarget};

pub fn document() -> Option<Document> {
    web_sys::window().and_then(|w| w.document())
}

/// The current value of the form control `id` (an input or a select), if it is on the page.
pub fn value_of(id: &str) -> Option<String> {
    let el = document()?.get_element_by_id(id)?;
    js_sys::Reflect::get(&el, &"value".into()).ok()?.as_string()
}

/// The elements of a `query_selector_all` answer (none if the selector failed).
pub fn elements(list: Result<web_sys::NodeList, wasm_bindgen::JsValue>) -> Vec<Element> {
    let Ok(list) = list else {
        return Vec::new();
    };
    (0..list.length())
        .filter_map(|i| list.item(i))
        .filter_map(|node| node.dyn_into::<Element>().ok())
        .collect()
}

/// Waits until the islands around `el` and in it are hydrated (each island's `$$ready`, a
/// promise the island loader keeps); at once for those already hydrated or not on the way.
pub async fn islands_ready(el: &Element) {
    let mut islands = elements(el.query_selector_all("leptos-island"));
    let mut around = el.closest("leptos-island").ok().flatten();
    while let Some(island) = around {
        around = island
            .parent_element()
            .and_then(|p| p.closest("leptos-island").ok().flatten());
        islands.push(island);
    }
    for island in islands {
        let ready = js_sys::Reflect::get(&island, &"$$ready".into());
        if let Ok(ready) = ready.and_then(|r| r.dyn_into::<js_sys::Promise>()) {
            let _ = wasm_bindgen_futures::JsFuture::from(ready).await;
        }
    }
}

/// Calls `handler` for every `kind` event on `target` (the document: anywhere in it), until
/// the reactive owner it was added in is cleaned up (an island that left the page), or for the
/// page's life where there is none.
pub fn on(target: &EventTarget, kind: &str, handler: impl FnMut(web_sys::Event) + 'static) {
    let closure = Closure::<dyn FnMut(web_sys::Event)>::new(handler);
    let _ = target.add_event_listener_with_callback(kind, closure.as_ref().unchecked_ref());
    if Owner::current().is_none() {
        closure.forget();
        return;
    }
    let held = SendWrapper::new((target.clone(), kind.to_owned(), closure));
    Owner::on_cleanup(move || {
        let (target, kind, closure) = held.take();
        let _ = target.remove_event_listener_with_callback(&kind, closure.as_ref().unchecked_ref());
    });
}

/// The element an event happened on, or its nearest ancestor matching `selector`.
pub fn target_closest(event: &web_sys::Event, selector: &str) -> Option<Element> {
    event
        .target()?
        .dyn_into::<Element>()
        .ok()?
        .closest(selector)
        .ok()
        .flatten()
}

/// Tells the page's own scripts (the bulk bar) that the live state changed what is shown.
pub fn announce(kind: &str) {
    if let Some(document) = document() {
        fire(&document, kind);
    }
}

/// Fires a `kind` event at `target`, bubbling up to the document's listeners.
pub fn fire(target: &EventTarget, kind: &str) {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    if let Ok(event) = web_sys::Event::new_with_event_init_dict(kind, &init) {
        let _ = target.dispatch_event(&event);
    }
}
