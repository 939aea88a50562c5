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
