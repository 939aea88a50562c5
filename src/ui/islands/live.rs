//! Live updates in the browser: one `EventSource` on `/api/events` per tab while someone is
//! signed in. On any event the page is fetched again from the server and each of its
//! `data-live` regions is replaced by the fresh one, so a new SMS, a code, a charge or a refund
//! shows without reload, rendered by the same code as the first load. Events that arrive
//! during a refresh are folded into one more refresh.
//!
//! The stream opens from the event the page's data is as of (`LiveCursor`), so the server
//! replays whatever changed between the render and the stream opening, and on a reconnect
//! whatever came after the last event received: a page load costs one render, not two. Where
//! the server cannot name that event, the page refreshes each time its stream opens instead.

use super::dom::{document, elements, on};
use super::page::SEEN;
use crate::api::dto::EventKind;
use crate::api::{EVENTS_PATH, LIVE_REFRESH_HEADER};
use std::cell::Cell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Document, DomParser, Element, SupportedType};

/// The document event fired after regions were replaced (the bulk bar recounts on it).
pub const REFRESHED: &str = "live:refreshed";

thread_local! {
    /// A refresh is running; another is wanted after it.
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static AGAIN: Cell<bool> = const { Cell::new(false) };
}

/// Opens the tab's stream, from event `after` if the page names it. It closes with the tab;
/// the server then frees its subscription.
pub fn listen(after: Option<i64>) {
    let url = match after {
        Some(id) => format!("{EVENTS_PATH}?last_event_id={id}"),
        None => EVENTS_PATH.to_owned(),
    };
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    for kind in EventKind::ALL {
        on(&source, kind.as_str(), |_| schedule());
    }
    if after.is_none() {
        // No replay to rely on: each time the stream (re)opens, catch up on whatever changed
        // while it was not open (since the render, or while it was dropped).
        on(&source, "open", |_| schedule());
    }
}

fn schedule() {
    if RUNNING.with(|r| r.replace(true)) {
        AGAIN.with(|a| a.set(true));
        return;
    }
    leptos::task::spawn_local(async {
        loop {
            AGAIN.with(|a| a.set(false));
            // A failed fetch leaves the page as it was; the next event tries again.
            let _ = refresh().await;
            if !AGAIN.with(Cell::get) {
                break;
            }
        }
        RUNNING.with(|r| r.set(false));
    });
}

async fn refresh() -> Result<(), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    let document = document().ok_or("no document")?;
    let headers = web_sys::Headers::new()?;
    headers.set(LIVE_REFRESH_HEADER, "1")?;
    let init = web_sys::RequestInit::new();
    init.set_headers(&headers);
    let href = window.location().href()?;
    let response: web_sys::Response = JsFuture::from(window.fetch_with_str_and_init(&href, &init))
        .await?
        .dyn_into()?;
    // Signed out meanwhile (redirected to sign in) or a server fault: keep what is shown.
    if !response.ok() || response.redirected() {
        return Ok(());
    }
    // The countdowns in the answer count from now.
    let answered = window.performance().map(|p| p.now()).unwrap_or_default();
    let html = JsFuture::from(response.text()?)
        .await?
        .as_string()
        .unwrap_or_default();
    let fresh = DomParser::new()?.parse_from_string(&html, SupportedType::TextHtml)?;
    for old in elements(document.query_selector_all("[data-live]")) {
        let name = old.get_attribute("data-live").unwrap_or_default();
        let Some(new) = fresh.query_selector(&format!("[data-live=\"{name}\"]"))? else {
            continue;
        };
        let new: Element = document.import_node_with_deep(&new, true)?.dyn_into()?;
        for countdown in elements(new.query_selector_all("[data-countdown]")) {
            countdown.set_attribute(SEEN, &answered.to_string())?;
        }
        let focus = keep_what_the_user_did(&document, &old, &new);
        old.replace_with_with_node_1(&new)?;
        if let Some(el) = focus {
            let _ = el.focus();
        }
    }
    document.dispatch_event(&web_sys::Event::new(REFRESHED)?)?;
    Ok(())
}

/// Ticked boxes and opened confirmations survive the swap (matched by element id); returns
/// what to focus once `new` is in place, if the focus was in `old`.
fn keep_what_the_user_did(
    document: &Document,
    old: &Element,
    new: &Element,
) -> Option<web_sys::HtmlElement> {
    for el in elements(old.query_selector_all("[id]")) {
        let Ok(Some(twin)) = new.query_selector(&format!("#{}", el.id())) else {
            continue;
        };
        if let (Some(was), Some(now)) = (
            el.dyn_ref::<web_sys::HtmlInputElement>(),
            twin.dyn_ref::<web_sys::HtmlInputElement>(),
        ) {
            now.set_checked(was.checked());
        }
        if el.has_attribute("open") {
            let _ = twin.set_attribute("open", "");
        }
    }
    let focused = document
        .active_element()
        .filter(|a| old.contains(Some(a)) && !a.id().is_empty())?;
    new.query_selector(&format!("#{}", focused.id()))
        .ok()
        .flatten()?
        .dyn_into()
        .ok()
}
