//! Webhooks: register an endpoint (its signing secret shown once, with a copy button), see
//! them with their state, send a test event, turn one off or on, rotate its secret, delete it;
//! and, per endpoint, every delivery with its answer, redeliverable.

use crate::api::dto::{WebhookDeliveryList, WebhookDeliveryView, WebhookView};
use crate::api::webhooks::{
    list_webhook_deliveries, list_webhooks, take_new_webhook_secret, CreateWebhook, DeleteWebhook,
    RedeliverWebhook, RotateWebhookSecret, SendWebhookTest, SetWebhookEnabled,
};
use crate::domain::webhook::EVENTS;
use crate::ui::components::query::{path_id, query_value};
use crate::ui::components::{
    action_error, error_of, format_time, ErrorNotice, FieldError, ShownOnce,
};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// An event's form field: `sms.received` → `sms_received`.
fn field_of(event: &str) -> String {
    event.replace('.', "_")
}

#[component]
pub fn WebhooksPage() -> impl IntoView {
    let create = ServerAction::<CreateWebhook>::new();
    let enable = ServerAction::<SetWebhookEnabled>::new();
    let delete = ServerAction::<DeleteWebhook>::new();
    let rotate = ServerAction::<RotateWebhookSecret>::new();
    let test = ServerAction::<SendWebhookTest>::new();
    let hooks = Resource::new(
        move || {
            (
                create.version().get(),
                enable.version().get(),
                delete.version().get(),
                rotate.version().get(),
            )
        },
        |_| list_webhooks(),
    );
    // A secret just made comes back once: in the action's answer, or (without JavaScript) by
    // cookie to the page the form returns to.
    let flashed = Resource::new(|| (), |_| take_new_webhook_secret());
    let just_made = move || {
        create
            .value()
            .get()
            .and_then(Result::ok)
            .or_else(|| rotate.value().get().and_then(Result::ok))
            .and_then(|h| h.secret)
    };
    let create_error = error_of(create);

    view! {
        <Title text="Webhooks" />
        <h1>"Webhooks"</h1>
        <p class="lead">
            "Have events sent to your server as they happen: each delivery is a signed "
            <code>"POST"</code> " (" <code>"Namaskah-Signature: t=…,v1=…"</code>
            ", an HMAC-SHA256 of " <code>"t.body"</code> " under the endpoint's secret). "
            "Failed deliveries are retried for 24 hours."
        </p>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                let secret = match just_made() {
                    Some(secret) => Some(secret),
                    None => flashed.await.ok().flatten(),
                };
                secret.map(|secret| {
                    view! {
                        <ShownOnce
                            title="The endpoint's signing secret"
                            note="Copy it now into your receiver: it is shown only this once (rotate it to get a new one)."
                            value=secret
                            testid="new-secret"
                        />
                    }
                })
            })}
        </Transition>
        <section class="card">
            <h2>"Add an endpoint"</h2>
            <ActionForm action=create>
                <div class="field">
                    <label for="hook-url">"URL"</label>
                    <input id="hook-url" name="url" type="url" maxlength="2000" placeholder="https://example.com/namaskah" required />
                    <FieldError field="url" error=create_error />
                </div>
                <fieldset class="field">
                    <legend>"Events"</legend>
                    {EVENTS
                        .iter()
                        .map(|event| {
                            let id = format!("hook-{}", field_of(event));
                            let label_for = id.clone();
                            view! {
                                <label class="check" for=label_for>
                                    <input id=id type="checkbox" name=field_of(event) value="on" />
                                    <code>{*event}</code>
                                </label>
                            }
                        })
                        .collect_view()}
                    <FieldError field="events" error=create_error />
                </fieldset>
                <div class="field">
                    <label for="hook-description">"Description (optional)"</label>
                    <input id="hook-description" name="description" type="text" maxlength="200" />
                    <FieldError field="description" error=create_error />
                </div>
                <button type="submit" class="btn btn-primary">"Add endpoint"</button>
            </ActionForm>
            {move || {
                create_error
                    .get()
                    .filter(|e| e.field.is_none())
                    .map(|error| view! { <ErrorNotice error /> })
            }}
        </section>
        <section class="card">
            <h2>"Your endpoints"</h2>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match hooks.await {
                        Ok(list) => view! { <HookTable hooks=list.webhooks enable delete rotate test /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            {action_error(test)}
            {action_error(enable)}
            {action_error(delete)}
            {action_error(rotate)}
            {move || {
                test.value()
                    .get()
                    .and_then(Result::ok)
                    .map(|()| view! { <p role="status" class="notice">"A test event is on its way: see its delivery under “Deliveries”."</p> })
            }}
        </section>
    }
}

#[component]
fn HookTable(
    hooks: Vec<WebhookView>,
    enable: ServerAction<SetWebhookEnabled>,
    delete: ServerAction<DeleteWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    test: ServerAction<SendWebhookTest>,
) -> impl IntoView {
    if hooks.is_empty() {
        return view! { <p class="muted empty">"No endpoints yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="table" data-testid="webhooks">
                <thead>
                    <tr>
                        <th scope="col">"URL"</th>
                        <th scope="col">"Events"</th>
                        <th scope="col">"State"</th>
                        <th scope="col"><span class="sr-only">"Actions"</span></th>
                    </tr>
                </thead>
                <tbody>
                    {hooks.into_iter().map(|h| view! { <HookRow h enable delete rotate test /> }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

#[component]
fn HookRow(
    h: WebhookView,
    enable: ServerAction<SetWebhookEnabled>,
    delete: ServerAction<DeleteWebhook>,
    rotate: ServerAction<RotateWebhookSecret>,
    test: ServerAction<SendWebhookTest>,
) -> impl IntoView {
    let id = h.id;
    let state = if h.enabled {
        if h.consecutive_failures > 0 {
            format!("On, {} failed in a row", h.consecutive_failures)
        } else {
            "On".to_owned()
        }
    } else {
        format!(
            "Off{}",
            h.disabled_reason
                .as_deref()
                .map(|r| format!(": {r}"))
                .unwrap_or_default()
        )
    };
    view! {
        <tr data-testid="webhook">
            <td>
                <code class="wrap">{h.url.clone()}</code>
                {(!h.description.is_empty()).then(|| view! { <div class="muted">{h.description.clone()}</div> })}
            </td>
            <td>{h.events.join(", ")}</td>
            <td data-testid="webhook-state">{state}</td>
            <td class="actions">
                <A href=format!("/webhooks/{}", h.id)>"Deliveries"</A>
                <ActionForm action=test>
                    <input type="hidden" name="id" value=id.to_string() />
                    <button type="submit" class="btn btn-small">"Send test"</button>
                </ActionForm>
                <ActionForm action=enable>
                    <input type="hidden" name="id" value=id.to_string() />
                    <input type="hidden" name="enabled" value=(!h.enabled).to_string() />
                    <button type="submit" class="btn btn-small">{if h.enabled { "Turn off" } else { "Turn on" }}</button>
                </ActionForm>
                <details class="confirm">
                    <summary class="btn btn-small">"Rotate secret…"</summary>
                    <ActionForm action=rotate>
                        <input type="hidden" name="id" value=id.to_string() />
                        <p>"Deliveries are signed with the new secret at once; the old one stops verifying."</p>
                        <button type="submit" class="btn btn-small btn-danger">"Rotate secret"</button>
                    </ActionForm>
                </details>
                <details class="confirm">
                    <summary class="btn btn-small">"Delete…"</summary>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.to_string() />
                        <p>"Its deliveries and their record are deleted with it."</p>
                        <button type="submit" class="btn btn-small btn-danger">"Delete endpoint"</button>
                    </ActionForm>
                </details>
            </td>
        </tr>
    }
}

#[component]
pub fn WebhookDeliveriesPage() -> impl IntoView {
    let id = path_id("id");
    let before = query_value::<i64>("before");
    let redeliver = ServerAction::<RedeliverWebhook>::new();
    let page = Resource::new(
        move || (id.get(), before.get(), redeliver.version().get()),
        |(id, before, _)| list_webhook_deliveries(id, before),
    );
    view! {
        <Title text="Webhook deliveries" />
        <p><A href="/webhooks">"← Webhooks"</A></p>
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Ok((hook, list)) => view! { <Deliveries hook list redeliver /> }.into_any(),
                    Err(error) => view! { <h1>"Deliveries"</h1> <ErrorNotice error /> }.into_any(),
                }
            })}
        </Transition>
        {action_error(redeliver)}
    }
}

#[component]
fn Deliveries(
    hook: WebhookView,
    list: WebhookDeliveryList,
    redeliver: ServerAction<RedeliverWebhook>,
) -> impl IntoView {
    let next = list
        .next_before
        .map(|b| format!("/webhooks/{}?before={b}", hook.id));
    let rows = list.deliveries;
    view! {
        <h1>"Deliveries"</h1>
        <p class="lead"><code class="wrap">{hook.url.clone()}</code></p>
        <section class="card">
            {if rows.is_empty() {
                view! { <p class="muted empty">"Nothing sent yet. Send a test event from the webhooks page."</p> }.into_any()
            } else {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="deliveries">
                            <thead>
                                <tr>
                                    <th scope="col">"Event"</th>
                                    <th scope="col">"State"</th>
                                    <th scope="col" class="num">"Attempts"</th>
                                    <th scope="col">"Last answer"</th>
                                    <th scope="col">"Queued"</th>
                                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {rows.into_iter().map(|d| view! { <DeliveryRow hook_id=hook.id d redeliver /> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {next.map(|href| view! { <p><A href=href>"Older deliveries"</A></p> })}
        </section>
    }
}

#[component]
fn DeliveryRow(
    hook_id: i64,
    d: WebhookDeliveryView,
    redeliver: ServerAction<RedeliverWebhook>,
) -> impl IntoView {
    let answer = match (d.last_status_code, &d.last_error) {
        (Some(code), _) => format!(
            "{code}{}",
            d.last_latency_ms
                .map(|ms| format!(" in {ms} ms"))
                .unwrap_or_default()
        ),
        (None, Some(error)) => error.clone(),
        (None, None) => "—".to_owned(),
    };
    let state = match (d.status.as_str(), d.next_attempt_at) {
        ("pending", Some(at)) if d.attempts > 0 => format!("retrying at {}", format_time(&at)),
        ("pending", _) => "queued".to_owned(),
        (other, _) => other.to_owned(),
    };
    view! {
        <tr data-testid="delivery">
            <td>
                <code>{d.event.clone()}</code>
                <details>
                    <summary class="muted">"Body"</summary>
                    <pre class="payload">{d.payload.clone()}</pre>
                </details>
            </td>
            <td data-testid="delivery-state">{state}</td>
            <td class="num">{d.attempts}</td>
            <td>{answer}</td>
            <td>{format_time(&d.created_at)}</td>
            <td class="num">
                <ActionForm action=redeliver>
                    <input type="hidden" name="id" value=hook_id.to_string() />
                    <input type="hidden" name="delivery" value=d.id.to_string() />
                    <button type="submit" class="btn btn-small">"Redeliver"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
