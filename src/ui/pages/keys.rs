//! API keys: create one (shown once, with a copy button), see the live ones, revoke.

use crate::api::dto::ApiKeyView;
use crate::api::keys::{list_api_keys, take_new_api_key, CreateApiKey, RevokeApiKey};
use crate::ui::components::{
    action_error, error_of, format_time, ErrorNotice, FieldError, ShownOnce,
};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ApiKeysPage() -> impl IntoView {
    let create = ServerAction::<CreateApiKey>::new();
    let revoke = ServerAction::<RevokeApiKey>::new();
    let keys = Resource::new(|| (), |_| list_api_keys());
    // The key just created comes back once, by cookie, to the page the form returns to.
    let new_key = Resource::new(|| (), |_| take_new_api_key());
    let create_error = error_of(create);

    view! {
        <Title text="API keys" />
        <h1>"API keys"</h1>
        <p class="lead">
            "Keys let your scripts and servers use every feature over HTTP. Send one as "
            <code>"Authorization: Bearer <key>"</code> "."
        </p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                new_key.await.ok().flatten().map(|key| {
                    view! {
                        <ShownOnce
                            title="Your new key"
                            note="Copy it now: this is the only time it is shown. We keep only a fingerprint of it."
                            value=key
                            testid="new-key"
                        />
                    }
                })
            })}
        </Transition>
        <section class="card">
            <h2>"Create a key"</h2>
            <ActionForm action=create attr:class="inline-form">
                <div class="field grow">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" name="name" type="text" maxlength="64" placeholder="e.g. production server" required />
                    <FieldError field="name" error=create_error />
                </div>
                <button type="submit" class="btn btn-primary">"Create key"</button>
            </ActionForm>
            {move || {
                create_error
                    .get()
                    .filter(|e| e.field.is_none())
                    .map(|error| view! { <ErrorNotice error /> })
            }}
        </section>
        <section class="card">
            <h2>"Your keys"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match keys.await {
                        Ok(list) => view! { <KeyTable keys=list.keys revoke /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            {action_error(revoke)}
        </section>
    }
}

#[component]
fn KeyTable(keys: Vec<ApiKeyView>, revoke: ServerAction<RevokeApiKey>) -> impl IntoView {
    if keys.is_empty() {
        return view! { <p class="muted empty">"No keys yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="keys">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Key"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {keys
                        .into_iter()
                        .map(|k| {
                            let label = format!("Revoke {}", k.name);
                            view! {
                                <tr>
                                    <td>{k.name.clone()}</td>
                                    <td><code>{format!("{}…", k.prefix)}</code></td>
                                    <td>{format_time(&k.created_at)}</td>
                                    <td>{k.last_used_at.as_ref().map(format_time).unwrap_or_else(|| "never".into())}</td>
                                    <td class="num">
                                        <details class="confirm">
                                            <summary class="btn btn-small" aria-label=label.clone()>"Revoke…"</summary>
                                            <ActionForm action=revoke>
                                                <input type="hidden" name="id" value=k.id.to_string() />
                                                <p>"Requests using this key will fail at once."</p>
                                                <button type="submit" class="btn btn-small btn-danger" aria-label=format!("Confirm: {label}")>
                                                    "Revoke key"
                                                </button>
                                            </ActionForm>
                                        </details>
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
