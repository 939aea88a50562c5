//! Acting on several rentals at once. The rentals page renders a checkbox in each card
//! (`input.select`, carrying that rental's hourly price and refund); this bar counts the
//! ticked ones, shows the total price or refund first, and posts their ids as a plain form.

use super::actions::DONE;
use super::dom::{document, elements, on, target_closest};
use super::lifetime::ends_with_its_element;
use super::live::CHANGED;
use crate::api::rentals::BulkRentals;
use crate::domain::rental::extension_quote;
use crate::domain::Money;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use rust_decimal::Decimal;
use wasm_bindgen::JsCast;

/// One ticked rental, as its checkbox describes it.
#[derive(Clone)]
struct Ticked {
    id: i64,
    per_hour: Decimal,
    refund: Money,
}

const BOXES: &str = "input.select";

/// `idempotency_key`: this rendering's key for the bar's form (see `form_key`).
#[island(lazy)]
pub fn BulkBar(idempotency_key: Option<String>) -> impl IntoView {
    ends_with_its_element();
    let ticked = RwSignal::new(Vec::<Ticked>::new());
    let all_ticked = RwSignal::new(false);
    let hours = RwSignal::new(1u32);
    let confirming = RwSignal::new(false);
    let recount = move || {
        let boxes = boxes();
        let on: Vec<Ticked> = boxes
            .iter()
            .filter(|b| b.checked())
            .filter_map(describe)
            .collect();
        all_ticked.set(!boxes.is_empty() && on.len() == boxes.len());
        ticked.set(on);
    };
    let tick_all = move |on: bool| {
        for b in boxes() {
            b.set_checked(on);
        }
        recount();
    };
    Effect::new(move |_| {
        let Some(document) = document() else { return };
        on(&document, "change", move |event| {
            if target_closest(&event, BOXES).is_some() {
                recount();
            }
        });
        // Done with the ticked ones: a new selection starts.
        on(&document, DONE, move |event| {
            if target_closest(&event, "form.bulk-bar").is_some() {
                tick_all(false);
                confirming.set(false);
            }
        });
        // Cards came or went with the live state: count again once they are drawn.
        on(&document, CHANGED, move |_| {
            set_timeout(recount, std::time::Duration::ZERO)
        });
        recount();
    });
    let sum = |amounts: Vec<Money>| Money::from_units(amounts.iter().map(|m| m.units()).sum());
    let extend_total = move || {
        let h = hours.get().max(1);
        sum(ticked
            .read()
            .iter()
            .map(|t| extension_quote(h, t.per_hour))
            .collect())
    };
    let refund_total = move || sum(ticked.read().iter().map(|t| t.refund).collect());
    let none = move || ticked.read().is_empty();
    view! {
        <form class="bulk-bar card needs-js" data-testid="bulk-bar" method="post" action=BulkRentals::url()>
            {idempotency_key.map(|key| view! { <input type="hidden" name="idempotency_key" value=key /> })}
            <label class="check">
                <input
                    type="checkbox"
                    prop:checked=move || all_ticked.get()
                    on:change=move |ev| tick_all(event_target_checked(&ev))
                />
                " Select all"
            </label>
            <span class="muted" data-testid="selected-count">{move || format!("{} selected", ticked.read().len())}</span>
            {move || {
                ticked
                    .read()
                    .iter()
                    .enumerate()
                    .map(|(i, t)| view! { <input type="hidden" name=format!("request[ids][{i}]") value=t.id.to_string() /> })
                    .collect_view()
            }}
            <div class="field narrow">
                <label for="bulk-hours">"Hours"</label>
                <input
                    id="bulk-hours"
                    name="request[hours]"
                    type="number"
                    min="1"
                    max="720"
                    value="1"
                    on:input=move |ev| hours.set(event_target_value(&ev).parse().unwrap_or(1))
                />
            </div>
            <button type="submit" name="request[action]" value="extend" class="btn btn-small" disabled=none>
                {move || format!("Extend selected · {}", extend_total().display())}
            </button>
            <span class="confirm-inline" hidden=move || !confirming.get()>
                {move || format!("Refund {} ", refund_total().display())}
                <button type="submit" name="request[action]" value="release" class="btn btn-small btn-danger">"Confirm release"</button>
                <button type="button" class="btn btn-small" on:click=move |_| confirming.set(false)>"Cancel"</button>
            </span>
            <button
                type="button"
                class="btn btn-small"
                hidden=move || confirming.get()
                disabled=none
                on:click=move |_| confirming.set(true)
            >
                "Release selected…"
            </button>
        </form>
    }
}

fn boxes() -> Vec<web_sys::HtmlInputElement> {
    let Some(document) = document() else {
        return Vec::new();
    };
    elements(document.query_selector_all(BOXES))
        .into_iter()
        .filter_map(|el| el.dyn_into().ok())
        .collect()
}

fn describe(input: &web_sys::HtmlInputElement) -> Option<Ticked> {
    let data = |name: &str| input.get_attribute(name);
    Some(Ticked {
        id: input.value().parse().ok()?,
        per_hour: data("data-per-hour")?.parse().ok()?,
        refund: data("data-refund")?.parse().ok()?,
    })
}
