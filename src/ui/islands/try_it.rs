//! Trying an operation of the API reference against this server (sandbox mode only): its path
//! parameters, a query string, an API key (or the session), and the body, sent as they are;
//! the answer shown as it came.

use super::call;
use super::lifetime::ends_with_its_element;
use leptos::prelude::*;
use leptos::task::spawn_local;

#[island(lazy)]
pub fn TryIt(
    method: String,
    path: String,
    path_params: Vec<String>,
    body: Option<String>,
) -> impl IntoView {
    ends_with_its_element();
    let values: Vec<(String, RwSignal<String>)> = path_params
        .into_iter()
        .map(|name| (name, RwSignal::new(String::new())))
        .collect();
    let query = RwSignal::new(String::new());
    let key = RwSignal::new(String::new());
    let takes_body = body.is_some();
    let body = RwSignal::new(body.unwrap_or_default());
    let answer = RwSignal::new(None::<(u16, String)>);
    let sending = RwSignal::new(false);
    // Rendered disabled, and enabled once hydrated: a press before that would do nothing.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let fields = StoredValue::new(values.clone());
    let (method, path) = (StoredValue::new(method), StoredValue::new(path));
    // A button, not a form: before the island hydrates, a press does nothing.
    let send = move |_| {
        let mut url = path.get_value();
        for (name, value) in fields.get_value() {
            let value: String = js_sys::encode_uri_component(value.get_untracked().trim()).into();
            url = url.replace(&format!("{{{name}}}"), &value);
        }
        let query = query.get_untracked();
        let query = query.trim().trim_start_matches('?');
        if !query.is_empty() {
            url = format!("{url}?{query}");
        }
        let key = key.get_untracked().trim().to_owned();
        let body = takes_body.then(|| body.get_untracked());
        sending.set(true);
        spawn_local(async move {
            let auth = format!("Bearer {key}");
            let mut headers = vec![("accept", "application/json")];
            if !key.is_empty() {
                headers.push(("authorization", auth.as_str()));
            }
            if body.is_some() {
                headers.push(("content-type", "application/json"));
            }
            let shown = match call::raw(&method.get_value(), &url, &headers, body.as_deref()).await
            {
                Ok((status, text)) => (status, pretty(&text)),
                Err(e) => (0, e.message),
            };
            answer.set(Some(shown));
            sending.set(false);
        });
    };
    view! {
        <details class="try-it needs-js">
            <summary class="btn btn-small">"Try it"</summary>
            <div class="try-it-form">
                {values
                    .into_iter()
                    .map(|(name, value)| {
                        view! {
                            <div class="field">
                                <label>
                                    <code>{name.clone()}</code>
                                    <input type="text" required prop:value=value on:input=move |ev| value.set(event_target_value(&ev)) />
                                </label>
                            </div>
                        }
                    })
                    .collect_view()}
                <div class="field">
                    <label>
                        "Query string"
                        <input type="text" placeholder="page=1&per_page=20" prop:value=query on:input=move |ev| query.set(event_target_value(&ev)) />
                    </label>
                </div>
                <div class="field">
                    <label>
                        "API key (empty: your session)"
                        <input type="password" autocomplete="off" prop:value=key on:input=move |ev| key.set(event_target_value(&ev)) />
                    </label>
                </div>
                {takes_body.then(|| view! {
                    <div class="field">
                        <label>
                            "Body"
                            <textarea rows="6" class="api-code" prop:value=body on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        </label>
                    </div>
                })}
                <button type="button" class="btn btn-primary" on:click=send disabled=move || !hydrated.get() || sending.get()>
                    {move || if sending.get() { "Sending…" } else { "Send" }}
                </button>
            </div>
            {move || answer.get().map(|(status, text)| view! {
                <div class="try-it-answer" data-testid="try-it-answer">
                    <p>"Answer: " <code data-testid="try-it-status">{status}</code></p>
                    <pre class="api-code"><code>{text}</code></pre>
                </div>
            })}
        </details>
    }
}

/// JSON indented, anything else as it came.
fn pretty(text: &str) -> String {
    serde_json::from_str::<serde_json::Value>(text)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| text.to_owned())
}
