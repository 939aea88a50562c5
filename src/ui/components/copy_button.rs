use leptos::prelude::*;

/// Copies `text` to the clipboard and says so. Without JavaScript the text is still selectable.
#[component]
pub fn CopyButton(
    #[prop(into)] text: String,
    #[prop(into, optional)] label: Option<String>,
) -> impl IntoView {
    let copied = RwSignal::new(false);
    let label = label.unwrap_or_else(|| "Copy".to_owned());
    let aria = format!("{label} to clipboard");
    let on_click = move |_| {
        if let Some(window) = web_sys::window() {
            let _ = window.navigator().clipboard().write_text(&text);
            copied.set(true);
        }
    };
    view! {
        <button type="button" class="btn btn-small" aria-label=aria on:click=on_click>
            {move || if copied.get() { "Copied".to_owned() } else { label.clone() }}
        </button>
    }
}
