//! The saved presets as a live list: one saved or deleted by the client's own action shows or
//! goes at once. Their forms are plain forms to the server functions (see `actions`).

use super::lifetime::ends_with_its_element;
use crate::api::dto::PresetView;
use crate::api::presets::{DeletePreset, StartPreset};
use crate::domain::names::service_in;
use crate::ui::components::hours_label;
use crate::ui::live::{follow, store};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

/// `form_nonce`: this rendering's `FormNonce`, for the rent forms' idempotency keys.
#[island]
pub fn SavedPresets(presets: Vec<PresetView>, form_nonce: Option<String>) -> impl IntoView {
    ends_with_its_element();
    let list = follow(store().presets(presets));
    let nonce = StoredValue::new(form_nonce);
    view! {
        <Show when=move || !list.read().is_empty()>
            <section class="card" data-testid="presets">
                <h2>"Presets"</h2>
                <ul class="presets">
                    <For each=move || list.get() key=|p| p.id let:preset>
                        <Preset preset nonce=nonce.get_value() />
                    </For>
                </ul>
            </section>
        </Show>
    }
}

#[component]
fn Preset(preset: PresetView, nonce: Option<String>) -> impl IntoView {
    let id = preset.id.to_string();
    let key = nonce.map(|n| format!("{n}:preset-{id}"));
    let (rent_label, delete_label) = (
        format!("Rent from {}", preset.name),
        format!("Delete {}", preset.name),
    );
    let what = format!(
        " {} · {}{}",
        service_in(&preset.service, &preset.country),
        hours_label(preset.duration_hours),
        if preset.auto_renew {
            " · auto-renew"
        } else {
            ""
        }
    );
    view! {
        <li class="preset">
            <div>
                <strong>{preset.name}</strong>
                <span class="muted">{what}</span>
            </div>
            <div class="actions">
                <form method="post" action=StartPreset::url()>
                    <input type="hidden" name="id" value=id.clone() />
                    {key.map(|key| view! { <input type="hidden" name="idempotency_key" value=key /> })}
                    <button type="submit" class="btn btn-small btn-primary" aria-label=rent_label>"Rent"</button>
                </form>
                <form method="post" action=DeletePreset::url()>
                    <input type="hidden" name="id" value=id />
                    <button type="submit" class="btn btn-small" aria-label=delete_label>"Delete"</button>
                </form>
            </div>
        </li>
    }
}
