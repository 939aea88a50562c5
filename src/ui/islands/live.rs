//! The tab's event stream: one `EventSource` on `/api/events` while someone is signed in,
//! opened once per document (page changes do not reload it, see `server/shell`) and applied
//! to the live store (`ui::live`), which the islands render from. No event makes the browser
//! fetch anything.
//!
//! The stream opens from the event the first page's data is as of (`LiveCursor`), so the
//! server replays whatever changed between the render and the stream opening; a reconnect
//! resumes from the last event received (`Last-Event-ID`). Where that cannot be exact (the
//! server names no cursor, or answers `resync` because the gap is more than it can replay),
//! the client takes one JSON snapshot of everything live instead.
//!
//! A page change fetches the next page while events keep arriving: the last events are kept,
//! and those newer than what the new page shows are applied again once its islands are
//! seeded from their props.

use super::dom::{announce, on};
use super::{call, lifetime, page};
use crate::api::dto::EventKind;
use crate::api::live::GetLiveSnapshot;
use crate::api::{EVENTS_PATH, RESYNC_EVENT};
use crate::ui::live::{placing_page, store};
use leptos::lazy;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsCast;

/// The document event fired after the live state changed what is shown.
pub const CHANGED: &str = "live:changed";
/// The document event fired when the live data itself changed (an event, an action's answer,
/// a snapshot; not a page change): islands waiting to hydrate until they are needed
/// (`data-hydrate="interaction live"`, see `load_islands.js`) hydrate on it.
const DATA: &str = "live:data";

/// The live data changed: what shows it is told.
pub fn data_changed() {
    announce(DATA);
    announce(CHANGED);
}
/// How many recent events are kept to apply again after a page change.
const KEPT: usize = 256;

struct Kept {
    id: i64,
    kind: String,
    data: String,
}

thread_local! {
    static RECENT: RefCell<VecDeque<Kept>> = const { RefCell::new(VecDeque::new()) };
    /// The newest event id applied.
    static LAST: Cell<Option<i64>> = const { Cell::new(None) };
    /// `LAST` when the page change under way began.
    static CHANGE_FROM: Cell<Option<i64>> = const { Cell::new(None) };
    /// The rental whose messages the page shows, if any (the snapshot brings them too).
    static SHOWN_RENTAL: Cell<Option<i64>> = const { Cell::new(None) };
}

/// Opens the tab's stream, from event `after` if the page names it. It closes with the tab;
/// the server then frees its subscription.
pub fn listen(after: Option<i64>) {
    LAST.with(|l| l.set(after));
    let url = match after {
        Some(id) => format!("{EVENTS_PATH}?last_event_id={id}"),
        None => EVENTS_PATH.to_owned(),
    };
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    for kind in EventKind::ALL {
        on(&source, kind.as_str(), received);
    }
    on(&source, RESYNC_EVENT, |_| resync());
    // Without a cursor nothing can be replayed until an event has come: whenever the stream
    // (re)opens before that, what changed meanwhile comes by snapshot.
    on(&source, "open", |_| {
        if LAST.with(Cell::get).is_none() {
            resync();
        }
    });
}

fn received(event: web_sys::Event) {
    let Ok(event) = event.dyn_into::<web_sys::MessageEvent>() else {
        return;
    };
    let (kind, data) = (event.type_(), event.data().as_string().unwrap_or_default());
    if let Some(clock) = store().apply(&kind, &data).and_then(|a| a.server_clock_ms) {
        page::server_clock_was(clock);
    }
    if let Ok(id) = event.last_event_id().parse::<i64>() {
        LAST.with(|l| l.set(Some(id)));
        RECENT.with(|r| {
            let mut recent = r.borrow_mut();
            if recent.len() == KEPT {
                recent.pop_front();
            }
            recent.push_back(Kept { id, kind, data });
        });
    }
    data_changed();
}

fn resync() {
    let rental_id = SHOWN_RENTAL.with(Cell::get);
    leptos::task::spawn_local(resync_from_snapshot(rental_id));
}

/// Takes a snapshot and shows it. Seldom needed (a gap the stream could not replay), so its
/// code comes in a chunk of its own when it is.
#[lazy]
async fn resync_from_snapshot(rental_id: Option<i64>) {
    let query = rental_id
        .map(|id| format!("rental_id={id}"))
        .unwrap_or_default();
    // A failed snapshot leaves what is shown; the next reconnect asks again.
    if let Ok(snapshot) = call::get::<GetLiveSnapshot>(&query).await {
        store().apply_snapshot(snapshot, rental_id);
        data_changed();
    }
}

/// The page shows rental `id`'s messages.
pub fn showing_messages_of(id: i64) {
    SHOWN_RENTAL.with(|s| s.set(Some(id)));
}

/// Called by the island loader once the first page's islands are hydrated: islands that
/// hydrate from now on came later than their page (see `ui::live`).
#[wasm_bindgen]
pub fn first_page_placed() {
    placing_page(false);
}

/// Called by the page-change script before it fetches the next page.
#[wasm_bindgen]
pub fn page_change_started() {
    placing_page(true);
    CHANGE_FROM.with(|c| c.set(LAST.with(Cell::get)));
    SHOWN_RENTAL.with(|s| s.set(None));
}

/// Called by the page-change script once the new page is in and its islands hydrated, with
/// the event id its data is as of (`data-events-after`, if the server named one).
#[wasm_bindgen]
pub fn page_change_done(events_after: Option<String>) {
    placing_page(false);
    lifetime::end_detached();
    page::sync_clock();
    let shown = events_after.and_then(|s| s.parse::<i64>().ok());
    let from = CHANGE_FROM.with(Cell::get).max(shown).unwrap_or(i64::MIN);
    let store = store();
    RECENT.with(|r| {
        for e in r.borrow().iter().filter(|e| e.id > from) {
            store.apply(&e.kind, &e.data);
        }
    });
    announce(CHANGED);
}
