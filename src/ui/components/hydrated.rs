use leptos::prelude::*;

/// True once the WASM client runs this page. Controls that only work with JavaScript (bulk
/// selection, saving presets) render behind it, so a page without JavaScript shows none.
pub fn use_hydrated() -> ReadSignal<bool> {
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    hydrated
}
