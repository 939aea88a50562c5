//! Sending a form's action and showing its answer (see [`actions`](super::actions)): in a
//! chunk of the WASM of its own (`#[lazy]`), fetched on the first action of a page's life.

use super::actions::{working, Action, DONE};
use super::call;
use super::dom::{document, elements, fire};
use super::live::data_changed;
use crate::api::dto::{BulkResults, RentalView, VerificationView};
use crate::api::presets::{DeletePreset, SavePreset, StartPreset};
use crate::api::rentals::{
    BulkRentals, CreateRentals, ExtendRental, ReleaseRental, SetRentalAutoRenew,
};
use crate::api::verifications::{
    CancelVerification, CreateVerification, FinishVerification, ReuseVerification,
};
use crate::api::{AppError, ErrorCode};
use crate::ui::live::{store, Store};
use leptos::lazy;
use leptos::server_fn::ServerFn;
use serde::de::DeserializeOwned;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlFormElement, UrlSearchParams};

#[lazy]
pub async fn send(
    form: HtmlFormElement,
    button: Option<HtmlElement>,
    action: Action,
    url: String,
    args: UrlSearchParams,
) {
    let answer = call::send(&url, Some(&args)).await;
    // The answer may come back before the form's island hydrated (it hydrates as the customer
    // comes to it): what is shown in the form waits for it, or the hydration would find it.
    super::dom::islands_ready(&form).await;
    // Answered (even with items that failed, as a bulk answer may be): the key is spent.
    // Refused with an error, it is free again on the server, and kept here.
    if answer.is_ok() {
        fresh_keys(&form);
    }
    let result = answer.and_then(|text| apply(action, &store(), &text, &args));
    working(&form, button.as_ref(), false);
    clear_errors(&form);
    match result {
        Ok(lines) => {
            // A form behind a disclosure ("Release…", "Save as a preset") closes once done.
            if let Some(details) = form.closest("details").ok().flatten() {
                let _ = details.remove_attribute("open");
            }
            notice(&lines);
            data_changed();
            // For the form's own island (the bulk bar clears its selection).
            fire(&form, DONE);
        }
        Err(error) if error.code == ErrorCode::Unauthorized => {
            // Signed out meanwhile: the sign-in page, for real (another session's document).
            if let Some(window) = web_sys::window() {
                let _ = window.location().assign("/login");
            }
        }
        Err(error) => show_error(&form, &error),
    }
}

/// The answer of `F`, read as its output type.
fn output<F>(text: &str) -> Result<F::Output, AppError>
where
    F: ServerFn<Error = AppError>,
    F::Output: DeserializeOwned,
{
    call::read(text)
}

/// A bulk answer: the rentals it changed, one line each; where nothing could be done, the
/// (first) reason is the form's error (say, not enough money), not a notice.
fn bulk(store: &Store, results: BulkResults, verb: &str) -> Result<Vec<String>, AppError> {
    if let Some(error) = results.results.iter().find_map(|o| o.error.clone()) {
        if results.results.iter().all(|o| !o.ok) {
            return Err(error);
        }
    }
    for rental in results.results.iter().filter_map(|o| o.rental.clone()) {
        store.put_rental(rental);
    }
    Ok(results.lines(verb))
}

/// A rental as an action left it, and the line that says what was done.
fn rental(store: &Store, rental: RentalView, said: String) -> Vec<String> {
    store.put_rental(rental);
    vec![said]
}

fn verification(
    store: &Store,
    v: VerificationView,
    said: fn(&VerificationView) -> String,
) -> Result<Vec<String>, AppError> {
    let line = said(&v);
    store.put_verification(v);
    Ok(vec![line])
}

/// Applies the answer of `action` to the store, and says what happened in lines for the
/// notice (none: nothing to say).
fn apply(
    action: Action,
    s: &Store,
    t: &str,
    args: &UrlSearchParams,
) -> Result<Vec<String>, AppError> {
    match action {
        Action::CreateRentals => bulk(s, output::<CreateRentals>(t)?, "Rented"),
        Action::BulkRentals => bulk(s, output::<BulkRentals>(t)?, "Done"),
        Action::ExtendRental => {
            let e = output::<ExtendRental>(t)?;
            let said = e.summary();
            Ok(rental(s, e.rental, said))
        }
        Action::ReleaseRental => {
            let r = output::<ReleaseRental>(t)?;
            let said = r.summary();
            Ok(rental(s, r.rental, said))
        }
        Action::SetRentalAutoRenew => {
            let r = output::<SetRentalAutoRenew>(t)?;
            let said = format!("Auto-renew {}", if r.auto_renew { "on" } else { "off" });
            Ok(rental(s, r, said))
        }
        Action::StartPreset => {
            let r = output::<StartPreset>(t)?;
            let said = r.rented_summary();
            Ok(rental(s, r, said))
        }
        Action::SavePreset => {
            let p = output::<SavePreset>(t)?;
            let said = p.saved_summary();
            s.put_preset(p);
            Ok(vec![said])
        }
        Action::DeletePreset => {
            output::<DeletePreset>(t)?;
            if let Some(id) = args.get("id").and_then(|id| id.parse().ok()) {
                s.remove_preset(id);
            }
            Ok(vec!["Preset deleted".to_owned()])
        }
        Action::CreateVerification => verification(
            s,
            output::<CreateVerification>(t)?,
            VerificationView::bought_summary,
        ),
        Action::ReuseVerification => verification(
            s,
            output::<ReuseVerification>(t)?,
            VerificationView::bought_summary,
        ),
        Action::CancelVerification => verification(
            s,
            output::<CancelVerification>(t)?,
            VerificationView::closed_summary,
        ),
        Action::FinishVerification => verification(
            s,
            output::<FinishVerification>(t)?,
            VerificationView::closed_summary,
        ),
    }
}

/// A form that did its work gets new idempotency keys: sending it again is a new purchase.
/// (Without the client, the page the form returns to has new keys.)
fn fresh_keys(form: &HtmlFormElement) {
    let Some(crypto) = web_sys::window().and_then(|w| w.crypto().ok()) else {
        return;
    };
    for input in elements(form.query_selector_all("input[name=idempotency_key]")) {
        if let Ok(input) = input.dyn_into::<web_sys::HtmlInputElement>() {
            input.set_value(&crypto.random_uuid());
        }
    }
}

/// What the action did, in the page's notice (the one a form's page shows without the
/// client), which stays in view at the top of the page.
fn notice(lines: &[String]) {
    let Some(document) = document() else { return };
    let Some(main) = document.query_selector("main").ok().flatten() else {
        return;
    };
    let shown = main.query_selector("[data-testid=notice]").ok().flatten();
    if lines.is_empty() {
        if let Some(shown) = shown {
            shown.remove();
        }
        return;
    }
    // Made as the layout's `Notice` makes it, where the page has none yet.
    let box_ = match shown {
        Some(el) => el,
        None => {
            let Ok(el) = document.create_element("div") else {
                return;
            };
            let _ = el.set_attribute("class", "notice notice-ok");
            let _ = el.set_attribute("role", "status");
            let _ = el.set_attribute("data-testid", "notice");
            let _ = main.prepend_with_node_1(&el);
            el
        }
    };
    box_.set_text_content(None);
    for line in lines {
        if let Ok(p) = document.create_element("p") {
            p.set_text_content(Some(line));
            let _ = box_.append_child(&p);
        }
    }
}

const FROM_CLIENT: &str = "data-client-error";

fn clear_errors(form: &HtmlFormElement) {
    for el in elements(form.query_selector_all(&format!("[{FROM_CLIENT}]"))) {
        el.remove();
    }
    for el in elements(form.query_selector_all("[aria-invalid]")) {
        let _ = el.remove_attribute("aria-invalid");
        let _ = el.remove_attribute("aria-describedby");
    }
}

/// Shows `error` at the field it names (the input named so, or `….[field]`), marked invalid
/// and focused; otherwise under the form.
fn show_error(form: &HtmlFormElement, error: &AppError) {
    let Some(document) = document() else { return };
    let Ok(p) = document.create_element("p") else {
        return;
    };
    let _ = p.set_attribute("class", "field-error");
    let _ = p.set_attribute("role", "alert");
    let _ = p.set_attribute(FROM_CLIENT, "");
    p.set_text_content(Some(&error.message));
    let field = error.field.as_deref().and_then(|name| {
        let selector = format!("[name=\"{name}\"], [name$=\"[{name}]\"]");
        form.query_selector(&selector).ok().flatten()
    });
    match field {
        Some(input) => {
            let id = format!("{}-error", input.get_attribute("name").unwrap_or_default());
            let _ = p.set_attribute("id", &id);
            let _ = input.set_attribute("aria-invalid", "true");
            let _ = input.set_attribute("aria-describedby", &id);
            let _ = input.after_with_node_1(&p);
            if let Ok(input) = input.dyn_into::<HtmlElement>() {
                let _ = input.focus();
            }
        }
        None => {
            let _ = form.append_child(&p);
        }
    }
}
