//! Actions from the WASM client. The forms that rent, extend, release, act in bulk, use
//! presets, and buy, cancel, finish or reuse verifications are sent by the client to their
//! server functions ([`call`](super::call)), not by the browser: while one is on its way its
//! form and button say so; its answer goes into the live store at once (a new card, a new
//! expiry, a card that leaves) and is told in the page's notice (what was charged or
//! refunded); a refusal is shown at the field it is about, or under the form. Nothing
//! navigates.
//!
//! Here is what the page needs from its first load: which forms are the client's, and the
//! working state the moment one is sent. Sending it and reading the answer
//! ([`answers`](super::answers)) come in a chunk of their own on the first action, so the
//! first load does not carry the code that reads a dozen kinds of answer.
//!
//! Without the client the same forms post to the same functions and the page they return to
//! says what happened. Forms not listed here (sign-in, API keys…) change the page through the
//! page-change script.

use super::answers;
use crate::api::presets::{DeletePreset, SavePreset, StartPreset};
use crate::api::rentals::{
    BulkRentals, CreateRentals, ExtendRental, ReleaseRental, SetRentalAutoRenew,
};
use crate::api::verifications::{
    CancelVerification, CreateVerification, FinishVerification, ReuseVerification,
};
use leptos::server_fn::ServerFn;
use wasm_bindgen::JsCast;
use web_sys::{Element, FormData, HtmlElement, HtmlFormElement, UrlSearchParams};

/// Fired on a form (bubbling) once the client has applied its action's answer.
pub const DONE: &str = "action:done";

/// The forms the client sends itself, by their server function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    CreateRentals,
    BulkRentals,
    ExtendRental,
    ReleaseRental,
    SetRentalAutoRenew,
    StartPreset,
    SavePreset,
    DeletePreset,
    CreateVerification,
    ReuseVerification,
    CancelVerification,
    FinishVerification,
}

impl Action {
    /// The action a form posting to `url` asks for, if the client sends it.
    fn of(url: &str) -> Option<Self> {
        let table: [(&str, Action); 12] = [
            (CreateRentals::url(), Action::CreateRentals),
            (BulkRentals::url(), Action::BulkRentals),
            (ExtendRental::url(), Action::ExtendRental),
            (ReleaseRental::url(), Action::ReleaseRental),
            (SetRentalAutoRenew::url(), Action::SetRentalAutoRenew),
            (StartPreset::url(), Action::StartPreset),
            (SavePreset::url(), Action::SavePreset),
            (DeletePreset::url(), Action::DeletePreset),
            (CreateVerification::url(), Action::CreateVerification),
            (ReuseVerification::url(), Action::ReuseVerification),
            (CancelVerification::url(), Action::CancelVerification),
            (FinishVerification::url(), Action::FinishVerification),
        ];
        table.into_iter().find(|(u, _)| *u == url).map(|(_, a)| a)
    }
}

/// Sends the forms of [`Action`] from the client (added once per tab, on the document).
pub fn send_forms(document: &web_sys::Document) {
    super::dom::on(document, "submit", |event| {
        // Prevented already: sent once and on its way (`page::submit_once`).
        if event.default_prevented() {
            return;
        }
        let Some(form) = event
            .target()
            .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
        else {
            return;
        };
        let submitter = event
            .dyn_ref::<web_sys::SubmitEvent>()
            .and_then(|e| e.submitter())
            .and_then(|s| s.dyn_into::<HtmlElement>().ok());
        let url = submitter
            .as_ref()
            .and_then(|s| s.get_attribute("formaction"))
            .or_else(|| form.get_attribute("action"))
            .unwrap_or_default();
        let Some(action) = Action::of(&url) else {
            return;
        };
        let Some(args) = form_args(&form, submitter.as_ref()) else {
            return;
        };
        event.prevent_default();
        working(&form, submitter.as_ref(), true);
        leptos::task::spawn_local(async move {
            answers::send(form, submitter, action, url, args).await;
        });
    });
}

/// The form's fields as it would post them, with its submit button's own name and value.
fn form_args(form: &HtmlFormElement, submitter: Option<&HtmlElement>) -> Option<UrlSearchParams> {
    let data = FormData::new_with_form(form).ok()?;
    if let Some((name, value)) =
        submitter.and_then(|s| Some((s.get_attribute("name")?, s.get_attribute("value")?)))
    {
        data.append_with_str(&name, &value).ok()?;
    }
    UrlSearchParams::new_with_str_sequence_sequence(&data).ok()
}

/// The form is on its way: `aria-busy` on it and its button (drawn as working, and told to
/// screen readers). It cannot be sent twice meanwhile (`page::submit_once`); that mark comes
/// off once the answer is in. (The button stays enabled: some have their own reactive
/// `disabled`, which this would fight.)
pub fn working(form: &HtmlFormElement, button: Option<&HtmlElement>, on: bool) {
    let targets =
        std::iter::once(form.unchecked_ref::<Element>()).chain(button.map(|b| b.unchecked_ref()));
    for el in targets {
        let _ = if on {
            el.set_attribute("aria-busy", "true")
        } else {
            el.remove_attribute("aria-busy")
        };
    }
    if !on {
        let _ = form.remove_attribute("data-sent");
    }
}
