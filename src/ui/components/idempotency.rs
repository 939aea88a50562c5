//! The hidden key that makes a paid form pay once, however often it is sent.

use leptos::prelude::*;

/// A fresh value for each page the server renders, in its context.
#[derive(Clone, Debug)]
pub struct FormNonce(pub String);

/// The idempotency key of the form `scope` on this rendering of the page: sending that form
/// again (a double click with JavaScript off, a resubmission from the browser's history) gets
/// the first answer and pays nothing more. A freshly loaded page has new keys.
pub fn form_key(scope: &str) -> Option<String> {
    use_context::<FormNonce>().map(|n| format!("{}:{scope}", n.0))
}

/// `<input type="hidden" name="idempotency_key">` for the form `scope`.
#[component]
pub fn IdempotencyKey(#[prop(into)] scope: String) -> impl IntoView {
    form_key(&scope).map(|key| view! { <input type="hidden" name="idempotency_key" value=key /> })
}
