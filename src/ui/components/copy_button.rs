use leptos::prelude::*;

/// Copies `text` to the clipboard and says so (the page script handles every `data-copy`
/// button). Without JavaScript the text is still selectable.
#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    #[prop(into, optional)] label: Option<String>,
) -> impl IntoView {
    let label = label.unwrap_or_else(|| "Copy".to_owned());
    let aria = format!("{label} to clipboard");
    view! {
        <button type="button" class="btn btn-small needs-js" aria-label=aria data-copy=text>
            {label}
        </button>
    }
}

/// A secret shown this once (a new API key, a webhook's signing secret), with a copy button.
/// `testid` names the card; its value is `{testid}-value`.
#[component]
pub fn ShownOnce(
    #[prop(into)] title: String,
    #[prop(into)] note: String,
    #[prop(into)] value: String,
    testid: &'static str,
) -> impl IntoView {
    view! {
        <section class="card reveal" role="status" data-testid=testid>
            <h2>{title}</h2>
            <p>{note}</p>
            <div class="secret">
                <code class="secret-value" data-testid=format!("{testid}-value")>{value.clone()}</code>
                <CopyButton text=value />
            </div>
        </section>
    }
}
